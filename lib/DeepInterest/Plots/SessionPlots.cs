using DeepInterest.Data;
using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>Figures for the DSIN notebook: a history cut into sessions, and the candidate's attention over sessions.</summary>
public static class SessionPlots
{
    /// <summary>
    /// One history's behaviours over time (hours since its first behaviour) by category, with a dashed line between
    /// consecutive <paramref name="sessions"/> (ranges into the history, e.g. from <see cref="Sessionizer.Split"/>).
    /// </summary>
    public static GenericChart Timeline(string title, IReadOnlyList<long> timestamps, IReadOnlyList<long> categories, IReadOnlyList<SessionRange> sessions)
    {
        if (timestamps.Count == 0) throw new ArgumentException("Timeline needs at least one behaviour", nameof(timestamps));
        double Hours(long t) => (t - timestamps[0]) / 3600.0;
        var breaks = sessions.Zip(sessions.Skip(1), (before, after) => (Hours(timestamps[before.End - 1]) + Hours(timestamps[after.Start])) / 2).ToList();
        return InterestPlots.Timeline(title, "hours since the first behaviour", timestamps.Select(Hours).ToList(), categories, boundaries: breaks);
    }

    /// <summary>Attention weight per session slot as bars, coloured by whether the session contains the candidate's category.</summary>
    public static GenericChart SessionAttention(string title, IReadOnlyList<string> sessions, IReadOnlyList<double> weights, IReadOnlyList<bool> matchesCandidate)
    {
        if (sessions.Count != weights.Count || sessions.Count != matchesCandidate.Count)
            throw new ArgumentException($"SessionAttention needs equal lengths: {sessions.Count} sessions, {weights.Count} weights, {matchesCandidate.Count} matches");
        var groups = new[] { (true, "has the candidate's category", "crimson"), (false, "other categories only", "steelblue") };
        return Figure.Chart(title, "session (oldest left)", "attention weight",
            groups.Select(g => Figure.Trace("bar",
                ("x", sessions.Where((_, i) => matchesCandidate[i] == g.Item1).ToArray()),
                ("y", weights.Where((_, i) => matchesCandidate[i] == g.Item1).ToArray()),
                ("name", g.Item2), ("marker", new Dictionary<string, object> { ["color"] = g.Item3 }))),
            layoutExtras: ("xaxis", Figure.Axis("session (oldest left)", ("categoryorder", "array"), ("categoryarray", sessions.ToArray()))));
    }
}
