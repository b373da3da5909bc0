// Reference solutions of notebooks/04-dien.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: Tensor MyAugruStep(
Tensor MyAugruStep(Tensor input, Tensor previous, Tensor attentionScore, Tensor inputWeight, Tensor inputBias, Tensor recurrentWeight)
{
    // input (B, I), previous (B, H), attentionScore (B, 1); weights as in MaskedGru.
    var x = (input.matmul(inputWeight.t()) + inputBias).chunk(3, 1);
    var h = previous.matmul(recurrentWeight.t()).chunk(3, 1);
    var reset = (x[0] + h[0]).sigmoid();
    var update = attentionScore * (x[1] + h[1]).sigmoid();      // Eq. 8: ũ_t = a_t · u_t
    var candidate = (x[2] + reset * h[2]).tanh();
    return (1 - update) * previous + update * candidate;
}

//# replaces: Tensor MyAttention(
Tensor MyAttention(Tensor interestStates, Tensor candidate, Tensor stepMask, Tensor projection)
{
    // interestStates (B, T, H), candidate (B, E), stepMask (B, T) bool, projection W as a (H, E) matrix.
    var scores = interestStates.bmm(candidate.matmul(projection.t()).unsqueeze(-1)).squeeze(-1); // (B, T) h_t W e_c
    var padding = stepMask.logical_not();
    return scores.masked_fill(padding, double.NegativeInfinity).softmax(1).masked_fill(padding, 0);
}
