// Reference solutions of notebooks/01-average-pooling.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: Tensor MySumPooling(Tensor values, Tensor mask)
// values (B, T, D), mask (B, T) bool, true at real behaviours → (B, D)
Tensor MySumPooling(Tensor values, Tensor mask)
{
    return (values * mask.unsqueeze(-1).to_type(values.dtype)).sum(1);
}

//# replaces: Tensor MyMeanPooling(Tensor values, Tensor mask)
Tensor MyMeanPooling(Tensor values, Tensor mask)
{
    var m = mask.unsqueeze(-1).to_type(values.dtype);      // (B, T, 1)
    return (values * m).sum(1) / m.sum(1).clamp_min(1);     // (B, D), an empty row: 0 / 1
}
