using System.Text;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;
using Xunit.Abstractions;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// The exercises at the end of each notebook: a starter cell (deliberately wrong) followed by a check cell that prints a
/// line starting with PASS or FAIL. Here a reference solution replaces each starter and every check must print PASS, so
/// a check that no correct answer can satisfy (one that disagrees with the library or the exercise text) is caught.
/// <see cref="NotebookExecutionTests"/> asserts the other half on its unmodified run: the starters' checks print FAIL.
/// </summary>
public class ExerciseTests(ITestOutputHelper output)
{
    public static TheoryData<string> NotebooksWithSolutions() =>
        new(Directory.GetFiles(Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks"), "*.ipynb").Select(Path.GetFileName)
            .Where(name => File.Exists(ExerciseSolutions.PathOf(name!))).Order()!);

    [Theory]
    [MemberData(nameof(NotebooksWithSolutions))]
    public async Task ReferenceSolutionsPassEveryCheck(string notebook)
    {
        var solutions = ExerciseSolutions.Load(notebook);
        var folder = Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks");
        var document = NotebookRunner.Load(Path.Combine(folder, notebook));
        var checks = new List<(ExerciseSolution Solution, int Check)>();
        foreach (var solution in solutions)
        {
            var starter = ExerciseSolutions.StarterCell(document, solution, notebook);
            if (solution.Broken is not null)
            {
                output.WriteLine($"BROKEN, skipped: {notebook} cell {starter + 1} ({solution.Marker}): {solution.Broken}");
                continue;
            }
            document.Elements[starter] = new InteractiveDocumentElement(solution.Code, document.Elements[starter].KernelName ?? "csharp");
            checks.Add((solution, ExerciseSolutions.CheckCell(document, starter, notebook)));
        }

        using var kernel = NotebookRunner.CreateKernel();
        var result = await NotebookRunner.RunAsync(kernel, document, notebook, folder, new RunOptions(Smoke: true));
        output.WriteLine($"{notebook}: {result.Elapsed.TotalSeconds:F1} s");
        Assert.True(result.Succeeded, result.FailureMessage);

        foreach (var (solution, check) in checks)
        {
            var printed = ExerciseSolutions.Stdout(document.Elements[check]);
            output.WriteLine($"cell {check + 1} ({solution.Marker}): {printed.Trim()}");
            var lines = ExerciseSolutions.Lines(printed);
            Assert.True(lines.Any(l => l.StartsWith("PASS")) && !lines.Any(l => l.StartsWith("FAIL")),
                $"{notebook}: the check in cell {check + 1} does not pass with the reference solution of '{solution.Marker}'. It printed:\n{printed}");
        }
        var passLines = document.Elements.Sum(e => ExerciseSolutions.Lines(ExerciseSolutions.Stdout(e)).Count(l => l.StartsWith("PASS")));
        Assert.Equal(checks.Count, passLines);
    }

    [Fact]
    public void EveryNotebookWithACheckHasASolutionsFileAndEverySolutionsFileANotebook()
    {
        var notebooks = Directory.GetFiles(Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks"), "*.ipynb").Select(Path.GetFileName).ToHashSet();
        var withChecks = notebooks.Where(n => NotebookRunner.Load(Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks", n!)).Elements
            .Any(e => e.KernelName is not "markdown" && e.Contents.Contains("\"PASS"))).Order().ToList();
        Assert.DoesNotContain(withChecks, n => !File.Exists(ExerciseSolutions.PathOf(n!)));
        Assert.DoesNotContain(Directory.GetFiles(ExerciseSolutions.Folder, "*.csx"), f => !notebooks.Contains(Path.ChangeExtension(Path.GetFileName(f), ".ipynb")));
    }
}

/// <summary>One section of a solutions file: the starter cell it replaces (by a unique substring) and the replacement code.</summary>
/// <param name="Broken">Why the notebook's check cannot pass with a correct solution; the exercise is then skipped.</param>
/// <param name="StarterMayPass">Why the unmodified starter may legitimately pass (the check depends on measured data).</param>
internal sealed record ExerciseSolution(string Marker, string Code, string? Broken, string? StarterMayPass);

/// <summary>
/// tests/Notebooks.Tests/Solutions/&lt;notebook&gt;.csx (not compiled by the test project): comment lines, then one
/// section per exercise starting with <c>//# replaces: &lt;unique substring of the starter cell&gt;</c>, optionally
/// <c>//# broken: &lt;reason&gt;</c> and <c>//# starter-may-pass: &lt;reason&gt;</c>, followed by the full replacement cell.
/// </summary>
internal static class ExerciseSolutions
{
    private const string Replaces = "//# replaces:", Broken = "//# broken:", StarterMayPass = "//# starter-may-pass:";

    public static string Folder => Path.Combine(NotebookExecutionTests.RepoRoot, "tests", "Notebooks.Tests", "Solutions");

    public static string PathOf(string notebook) => Path.Combine(Folder, Path.ChangeExtension(notebook, ".csx"));

    public static IReadOnlyList<ExerciseSolution> Load(string notebook)
    {
        var path = PathOf(notebook);
        var sections = new List<(string Marker, StringBuilder Code, string? Broken, string? MayPass)>();
        foreach (var (line, number) in File.ReadAllLines(path).Select((l, i) => (l, i + 1)))
        {
            string Rest(string directive) => line[directive.Length..].Trim();
            if (line.StartsWith(Replaces)) sections.Add((Rest(Replaces), new StringBuilder(), null, null));
            else if (line.StartsWith("//#") && sections.Count == 0)
                throw new InvalidDataException($"{path}:{number}: '{line}' before the first '{Replaces}' section");
            else if (line.StartsWith(Broken)) sections[^1] = sections[^1] with { Broken = Rest(Broken) };
            else if (line.StartsWith(StarterMayPass)) sections[^1] = sections[^1] with { MayPass = Rest(StarterMayPass) };
            else if (line.StartsWith("//#")) throw new InvalidDataException($"{path}:{number}: unknown directive '{line}'");
            else if (sections.Count > 0) sections[^1].Code.AppendLine(line);
            else if (line.Trim().Length > 0 && !line.TrimStart().StartsWith("//"))
                throw new InvalidDataException($"{path}:{number}: code before the first '{Replaces}' section");
        }
        if (sections.Count == 0) throw new InvalidDataException($"{path}: no '{Replaces}' section");
        foreach (var s in sections.Where(s => s.Marker.Length == 0 || s.Code.ToString().Trim().Length == 0))
            throw new InvalidDataException($"{path}: the section '{Replaces} {s.Marker}' needs a marker and code");
        return sections.Select(s => new ExerciseSolution(s.Marker, s.Code.ToString().Trim(), s.Broken, s.MayPass)).ToList();
    }

    /// <summary>Index of the one code cell containing the section's marker; fails when none or several do.</summary>
    public static int StarterCell(InteractiveDocument document, ExerciseSolution solution, string notebook)
    {
        var matches = document.Elements.Select((e, i) => (e, i))
            .Where(x => x.e.KernelName is not "markdown" && x.e.Contents.Contains(solution.Marker, StringComparison.Ordinal))
            .Select(x => x.i).ToList();
        Assert.True(matches.Count == 1,
            $"{notebook}: exactly one code cell must contain the marker '{solution.Marker}' of {Path.GetFileName(PathOf(notebook))}, " +
            (matches.Count == 0 ? "none does (was the starter cell edited?)" : $"cells {string.Join(", ", matches.Select(i => i + 1))} do"));
        return matches[0];
    }

    /// <summary>The check of an exercise is the next code cell after its starter.</summary>
    public static int CheckCell(InteractiveDocument document, int starter, string notebook)
    {
        for (int i = starter + 1; i < document.Elements.Count; i++)
            if (document.Elements[i].KernelName is not "markdown" && !string.IsNullOrWhiteSpace(document.Elements[i].Contents))
                return i;
        Assert.Fail($"{notebook}: no check cell after the starter cell {starter + 1}");
        return -1;
    }

    /// <summary>What the cell printed to stdout, as <see cref="NotebookRunner"/> writes it (a Jupyter stream output).</summary>
    public static string Stdout(InteractiveDocumentElement cell) =>
        string.Concat(cell.Outputs.OfType<TextElement>().Where(t => t.Name == "stdout").Select(t => t.Text));

    public static IReadOnlyList<string> Lines(string text) =>
        text.Split('\n').Select(l => l.Trim()).Where(l => l.Length > 0).ToList();

    /// <summary>On an executed, unmodified notebook: every starter's check prints FAIL and never PASS.</summary>
    public static void AssertStartersFail(InteractiveDocument executed, string notebook, ITestOutputHelper output)
    {
        foreach (var solution in Load(notebook))
        {
            var check = CheckCell(executed, StarterCell(executed, solution, notebook), notebook);
            var printed = Stdout(executed.Elements[check]);
            var lines = Lines(printed);
            output.WriteLine($"starter check, cell {check + 1} ({solution.Marker}): {printed.Trim()}");
            if (solution.StarterMayPass is not null && lines.Any(l => l.StartsWith("PASS")))
            {
                output.WriteLine($"  the starter passes here, allowed: {solution.StarterMayPass}");
                continue;
            }
            Assert.True(lines.Any(l => l.StartsWith("FAIL")) && !lines.Any(l => l.StartsWith("PASS")),
                $"{notebook}: the check in cell {check + 1} must print FAIL for the unmodified starter of '{solution.Marker}'. It printed:\n{printed}");
        }
    }
}
