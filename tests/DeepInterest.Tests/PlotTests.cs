using System.Text.Json;
using DeepInterest.Data;
using DeepInterest.Plots;
using Plotly.NET;
using Xunit;

namespace DeepInterest.Tests;

public class PlotTests
{
    private static JsonElement Json(GenericChart chart) => JsonDocument.Parse(GenericChart.toJson(chart)).RootElement;

    [Fact]
    public void UserTimelineHasOneTracePerCategoryAndShadesEverySecondSession()
    {
        // Three sessions (2-hour gaps, well over the 30-minute session gap) over categories 5 and 9.
        const long start = 1_700_000_000;
        (long Offset, long Category)[] events = [(0, 5), (60, 5), (7260, 9), (7320, 9), (14580, 5)];
        var behaviours = events.Select((e, i) => new Behavior(1, 100 + i, e.Category, start + e.Offset)).ToList();

        var json = Json(DataPlots.UserTimeline(behaviours));

        Assert.Equal(2, json.GetProperty("data").GetArrayLength());
        var band = Assert.Single(json.GetProperty("layout").GetProperty("shapes").EnumerateArray());
        Assert.Equal(1.5, band.GetProperty("x0").GetDouble()); // the second session holds positions 2 and 3
        Assert.Equal(3.5, band.GetProperty("x1").GetDouble());
    }

    [Fact]
    public void UserTimelineRejectsAnEmptyLog() =>
        Assert.Throws<ArgumentException>(() => DataPlots.UserTimeline([]));

    [Fact]
    public void AttentionPanelsGetTheirOwnAxesAndOneColourScale()
    {
        var chart = AttentionPlots.WeightsByCandidate(["-2", "-1"],
            [new AttentionPanel("A", [0.5, 1.5], [0, 1]), new AttentionPanel("B", [2.0, -1.0], [0.25, 0])]);

        var traces = Json(chart).GetProperty("data").EnumerateArray().ToList();

        Assert.Equal(2, traces.Count);
        Assert.Equal("y2", traces[1].GetProperty("yaxis").GetString());
        Assert.All(traces, t => Assert.Equal(1.0, t.GetProperty("marker").GetProperty("cmax").GetDouble()));
    }

    [Fact]
    public void AttentionPanelsRejectWeightsThatDoNotMatchTheLabels() =>
        Assert.Throws<ArgumentException>(() => AttentionPlots.WeightsByCandidate(["-1"], [new AttentionPanel("A", [0.5, 1.5], [0, 1])]));
}
