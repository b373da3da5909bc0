// Reference solutions of notebooks/06-bst.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: Tensor MyMaskedSoftmax(Tensor scores, Tensor mask)
Tensor MyMaskedSoftmax(Tensor scores, Tensor mask)
{
    // scores (B, L, L): query × key; mask (B, L) bool, true at real tokens.
    return scores.masked_fill(mask.logical_not().unsqueeze(1), double.NegativeInfinity).softmax(-1); // padded keys → 0
}

//# replaces: long MyGapBucket(long gapSeconds)
// Boundaries are sorted upper bounds: the bucket is the number of them the gap has reached (negative gaps reach none).
long MyGapBucket(long gapSeconds) => PositionEncoding.GapBoundariesSeconds.Count(bound => gapSeconds >= bound);
