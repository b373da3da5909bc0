using DeepInterest.Cli;
using DeepInterest.Data;
using DeepInterest.Data.Loaders;
using Xunit;

namespace DeepInterest.Tests;

/// <summary><see cref="FileGenerator"/>: the same seed writes the same bytes, the loaders read every line, the counts are as asked.</summary>
public class FileGeneratorTests
{
    private static Dictionary<string, byte[]> Files(string folder) =>
        Directory.GetFiles(folder).ToDictionary(f => Path.GetFileName(f), File.ReadAllBytes);

    [Theory]
    [InlineData(GeneratedFormat.Taobao)]
    [InlineData(GeneratedFormat.DienBooks)]
    public void TheSameSeedWritesTheSameFilesAndAnotherSeedOthers(GeneratedFormat format)
    {
        using var a = new TempFolder();
        using var b = new TempFolder();
        using var c = new TempFolder();
        FileGenerator.Write(format, a.Path, 3_001, seed: 5);
        FileGenerator.Write(format, b.Path, 3_001, seed: 5);
        FileGenerator.Write(format, c.Path, 3_001, seed: 6);

        var first = Files(a.Path);
        Assert.Equal(first.Keys.Order(), Files(b.Path).Keys.Order());
        foreach (var (name, bytes) in Files(b.Path)) Assert.True(first[name].AsSpan().SequenceEqual(bytes), $"{name} differs for the same seed");
        Assert.Contains(Files(c.Path), f => !first[f.Key].AsSpan().SequenceEqual(f.Value));
    }

    [Fact]
    public void TaobaoHasExactlyTheEventsAskedForAndLoadsWithoutASkippedRow()
    {
        using var folder = new TempFolder();
        FileGenerator.Write(GeneratedFormat.Taobao, folder.Path, 5_003, seed: 1);

        var log = TaobaoLoader.Load(folder.Path);

        Assert.Equal(5_003, log.Behaviors.Count);
        Assert.Equal(0, log.Report.RowsSkipped);
        Assert.All(log.Behaviors.GroupBy(e => e.User), user =>
            Assert.Equal(user.Select(e => e.Timestamp).Order(), user.Select(e => e.Timestamp)));   // each user's events in time order
        Assert.Contains(log.Behaviors, e => e.Type == "buy");
        // repeats exist, so the log protocol's repeat-matched negatives are exercised
        Assert.Contains(log.Behaviors.GroupBy(e => e.User), user => user.Select(e => e.Item).Distinct().Count() < user.Count());
        var data = RealDatasets.Taobao(folder.Path, seed: 1);
        Assert.True(data.Train.Count > 0 && data.Test.Count > 0);
    }

    [Fact]
    public void DienBooksHasTheSampleLinesAskedForAndLoadsWithRealTimes()
    {
        using var folder = new TempFolder();
        FileGenerator.Write(GeneratedFormat.DienBooks, folder.Path, 2_000, seed: 1);

        var data = DienBooksLoader.Load(folder.Path);

        Assert.Equal(2_000, data.Train.Count + data.Test.Count);
        Assert.Equal(200, data.Test.Count);    // every tenth user, two lines each
        Assert.Equal(0, data.Report.RowsSkipped);
        Assert.Equal(TimeKind.Real, data.Report.Times);
        Assert.Equal(data.Train.Count / 2, data.Train.Count(s => s.Label == 1f));
        Assert.All(data.Train.Concat(data.Test), s => Assert.InRange(s.HistoryLength, 1, 100));
    }

    [Fact]
    public async Task TheCliCommandWritesTheFiles()
    {
        using var folder = new TempFolder();
        using var output = new StringWriter();
        using var error = new StringWriter();

        int code = await CliApp.RunAsync(CliApp.Create, ["data", "generate", "--format", "taobao", "--events", "500", "--out", folder.Path, "--seed", "3"],
            output, error);

        Assert.True(code == 0, error.ToString());
        Assert.Equal(500, File.ReadLines(Path.Combine(folder.Path, TaobaoLoader.FileName)).Count());
    }
}
