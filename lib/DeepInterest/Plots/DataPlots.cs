using DeepInterest.Data;
using Plotly.NET;

namespace DeepInterest.Plots;

/// <summary>Figures of behaviour logs: one user's timeline with its sessions (notebook 00).</summary>
public static class DataPlots
{
    /// <summary>
    /// One user's behaviours in time order: x = position in the timeline, y = category, one colour per category;
    /// sessions (cut where the gap exceeds <paramref name="sessionGap"/> seconds, as <see cref="Sessionizer"/> does)
    /// are shaded alternately so interest switches between sessions stand out. Hover shows the time.
    /// </summary>
    public static GenericChart UserTimeline(IReadOnlyList<Behavior> behaviours, long sessionGap = Sessionizer.DefaultGap, string? title = null)
    {
        if (behaviours.Count == 0) throw new ArgumentException("a timeline needs at least one behaviour", nameof(behaviours));
        var sessions = Sessionizer.Split(behaviours.Select(b => b.Timestamp).ToArray(), sessionGap, maxSessions: int.MaxValue, maxLength: int.MaxValue);
        var traces = behaviours.Select((b, position) => (b, position))
            .GroupBy(p => p.b.Category)
            .OrderBy(g => g.Key)
            .Select(g => Figure.Trace("scatter",
                ("x", g.Select(p => (double)p.position).ToArray()),
                ("y", g.Select(p => (double)p.b.Category).ToArray()),
                ("mode", "markers"), ("name", $"category {g.Key}"),
                ("text", g.Select(p => $"item {p.b.Item}<br>{DateTimeOffset.FromUnixTimeSeconds(p.b.Timestamp):yyyy-MM-dd HH:mm:ss}").ToArray()),
                ("marker", new Dictionary<string, object> { ["size"] = 9 })));
        // A shaded band per second session: band edges sit halfway between the last and first behaviour of two sessions.
        var bands = sessions.Where((_, i) => i % 2 == 1).Select(s => (object)new Dictionary<string, object>
        {
            ["type"] = "rect", ["xref"] = "x", ["yref"] = "paper", ["x0"] = s.Start - 0.5, ["x1"] = s.End - 0.5, ["y0"] = 0, ["y1"] = 1,
            ["fillcolor"] = "lightgrey", ["opacity"] = 0.35, ["line"] = new Dictionary<string, object> { ["width"] = 0 }, ["layer"] = "below",
        }).ToArray();
        title ??= $"User {behaviours[0].User}: {behaviours.Count} behaviours in {sessions.Count} sessions (shaded bands alternate)";
        return Figure.Chart(title, "position in the timeline (oldest first)", "category", traces, width: 900,
            layoutExtras: ("shapes", bands));
    }
}
