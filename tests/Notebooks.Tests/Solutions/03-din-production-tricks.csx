// Reference solutions of notebooks/03-din-production-tricks.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: Tensor MyDiceControl(Tensor s)
Tensor MyDiceControl(Tensor s)   // (N, H) → (N, H)
{
    var mean = s.mean(new long[] { 0 }, keepdim: true);                       // (1, H)
    var variance = s.var(0, unbiased: false, keepdim: true);                  // (1, H) biased, as BatchNorm
    return ((s - mean) / (variance + 1e-8).sqrt()).sigmoid();
}

//# replaces: Tensor MyMbaPenalty(Tensor weight, Tensor counts, Tensor batchIds, double lambda)
Tensor MyMbaPenalty(Tensor weight, Tensor counts, Tensor batchIds, double lambda)
{
    var ids = batchIds.masked_select(batchIds.ne(0));                            // no padding
    var inBatch = ids.bincount(null, weight.shape[0]).to_type(weight.dtype); // (V) n_jB, 0 for rows the batch does not use
    return lambda * (inBatch / counts * weight.pow(2).sum(1)).sum();
}
