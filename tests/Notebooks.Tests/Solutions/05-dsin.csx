// Reference solutions of notebooks/05-dsin.ipynb's exercises; see ExerciseTests.cs for the format.

//# replaces: List<(int Start, int Length)> MySplit(
List<(int Start, int Length)> MySplit(IReadOnlyList<long> timestamps, long gap)
{
    var sessions = new List<(int Start, int Length)>();
    int start = 0;
    for (int i = 1; i < timestamps.Count; i++)
        if (timestamps[i] - timestamps[i - 1] > gap)   // more than the gap: exactly 30 minutes stays in the session
        {
            sessions.Add((start, i - start));
            start = i;
        }
    if (timestamps.Count > 0) sessions.Add((start, timestamps.Count - start));
    return sessions;
}

//# replaces: Tensor MyBiasEncoding(
Tensor MyBiasEncoding(Tensor sessionBias, Tensor positionBias, Tensor unitBias)
{
    // sessionBias (K), positionBias (L), unitBias (E) → (K, L, E) by broadcasting
    return sessionBias.view(-1, 1, 1) + positionBias.view(1, -1, 1) + unitBias.view(1, 1, -1);
}
