// Reference solutions of notebooks/02-din.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: (Tensor Pooled, Tensor Weights) MyActivationUnit(
(Tensor Pooled, Tensor Weights) MyActivationUnit(Tensor history, Tensor candidate, Tensor mask, Func<Tensor, Tensor> scorer)
{
    long b = history.shape[0], t = history.shape[1], e = history.shape[2];
    var c = candidate.unsqueeze(1).expand(b, t, e);                                   // (B, T, E)
    var features = cat(new[] { history, c, history - c, history * c }, 2);            // (B, T, 4E)
    var weights = scorer(features.reshape(-1, 4 * e)).reshape(b, t).masked_fill(mask.logical_not(), 0); // (B, T)
    var pooled = (weights.unsqueeze(-1) * history).sum(1);                             // (B, E)
    return (pooled, weights);
}

//# replaces: Tensor MyMaskedSoftmax(Tensor scores, Tensor mask)
Tensor MyMaskedSoftmax(Tensor scores, Tensor mask)
{
    var padding = mask.logical_not();
    // exp(−∞) = 0 at padding; an all-padding row becomes 0/0 = NaN, and masked_fill turns it back into zeros.
    return scores.masked_fill(padding, double.NegativeInfinity).softmax(1).masked_fill(padding, 0);
}
