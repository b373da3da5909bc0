using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Microsoft.DotNet.Interactive.Documents;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// The course site <c>notebooks run</c> writes: index.html lists every notebook (title, goals, run time) and links the
/// executed pages, which link each other; every link resolves inside the folder.
/// </summary>
public class CourseSiteTests
{
    private static string CourseFolder => Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks");

    [Theory]
    [MemberData(nameof(NotebookExecutionTests.Notebooks), MemberType = typeof(NotebookExecutionTests))]
    public void EveryCourseNotebookIntroducesItsTitleAndLearningGoals(string notebook)
    {
        var course = CourseNotebook.Describe(Path.Combine(CourseFolder, notebook));

        Assert.Equal(notebook, course.FileName);
        Assert.Matches(@"^\d\d · \S", course.Title);                  // "02 · DIN: attention over the history"
        Assert.StartsWith(notebook[..2], course.Title);
        Assert.InRange(course.GoalCount, 3, 10);
        Assert.Equal(course.GoalCount, Regex.Matches(course.GoalsHtml, "<li>").Count);
        Assert.DoesNotContain("$", course.GoalsHtml);                   // goals' formulas typeset too
    }

    [Fact]
    public void TitleAndGoalsComeFromTheFirstMarkdownCell()
    {
        using var folder = new TempFolder();
        var path = folder.Notebook("10-x.ipynb",
            "Some intro.\n\n# 10 · A *new* model\n\nWhy it matters.\n\n**Learning goals:**\n- Write $h_t$ by hand.\n- Train `x`.\n\n## Later\n- not a goal",
            "# 10 · another heading in a later cell\n\n**Learning goals**\n- not these");

        var course = CourseNotebook.Describe(path);

        Assert.Equal("10 · A new model", course.Title);                   // text, without the markup
        Assert.Equal(2, course.GoalCount);
        Assert.Contains("<li>Write <math><msub><mi>h</mi><mi>t</mi></msub></math> by hand.</li>", course.GoalsHtml);
        Assert.Contains("<li>Train <code>x</code>.</li>", course.GoalsHtml);
        Assert.DoesNotContain("not a goal", course.GoalsHtml);
    }

    [Theory]
    [InlineData("Just prose.\n\n**Learning goals**\n- one", "no '# ' heading")]
    [InlineData("# 10 · Title\n\nNo goals here.\n\n- a list without the line", "no '**Learning goals**' line followed by a list")]
    [InlineData("# 10 · Title\n\n**Learning goals**\n\nprose instead of a list", "no '**Learning goals**' line followed by a list")]
    public void NotebookWithoutTitleOrGoalsIsRejectedNamingTheFileAndWhatIsMissing(string firstCell, string expected)
    {
        using var folder = new TempFolder();
        var path = folder.Notebook("10-x.ipynb", firstCell);

        var error = Assert.Throws<InvalidDataException>(() => CourseNotebook.Describe(path));

        Assert.Contains(path, error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void IndexListsTheWholeCourseAndLinksOnlyTheExecutedPagesWhichLinkEachOther()
    {
        using var site = new TempFolder();
        // Executed copies of 02 (with the runner's record), 04 (failed at cell 7, full size) and 07 (no record).
        site.Executed("02-din.ipynb", new RunRecord(17.25, Smoke: true, FailedCell: null));
        site.Executed("04-dien.ipynb", new RunRecord(64.4, Smoke: false, FailedCell: 7));
        site.Executed("07-comparison.ipynb", record: null);

        var index = File.ReadAllText(CourseSite.Write(CourseFolder, site.Path));

        var notebooks = Directory.GetFiles(CourseFolder, "*.ipynb").Order(StringComparer.Ordinal).ToList();
        Assert.Equal(9, notebooks.Count);
        var titles = notebooks.Select(n => CourseNotebook.Describe(n).Title).ToList();
        var positions = titles.Select(t => index.IndexOf($">{WebUtility.HtmlEncode(t)}<", StringComparison.Ordinal)).ToList();
        Assert.All(positions, at => Assert.True(at > 0));
        Assert.Equal(positions.Order(), positions);                                         // in course order
        Assert.Equal(["02-din.html", "04-dien.html", "07-comparison.html"], Hrefs(index));
        Assert.Contains("ran in 17.2 s (smoke mode: tiny sizes)", index);
        Assert.Contains("failed at cell 7 after 1 min 4 s", index);
        Assert.Contains("run time unknown", index);
        Assert.Equal(6, Regex.Matches(index, ">not run<").Count);
        Assert.Contains("<math>", index);                                                    // goals' formulas (04, 05, 06, 08)
        Assert.Equal(["index.html", "02-din.html", "04-dien.html", "07-comparison.html"],
            Directory.GetFiles(site.Path, "*.html").Select(Path.GetFileName).OrderBy(n => n == "index.html" ? "" : n).ToList());

        var din = File.ReadAllText(Path.Combine(site.Path, "02-din.html"));
        var dien = File.ReadAllText(Path.Combine(site.Path, "04-dien.html"));
        var comparison = File.ReadAllText(Path.Combine(site.Path, "07-comparison.html"));
        Assert.Equal(["index.html", "04-dien.html"], Navigation(din));                  // first page: no previous
        Assert.Equal(["02-din.html", "index.html", "07-comparison.html"], Navigation(dien));
        Assert.Equal(["04-dien.html", "index.html"], Navigation(comparison));           // last page: no next
        Assert.Contains($"rel=\"next\">{WebUtility.HtmlEncode("04 · DIEN: interests that evolve")} →</a>", din);
        Assert.Contains($"<title>{WebUtility.HtmlEncode("02 · DIN: attention over the history")}</title>", din);
        Assert.Equal(2, Regex.Matches(din, "<nav class=\"course\">").Count);                 // top and bottom
        // Every relative link of the site resolves to a file in the folder: it works wherever it is copied.
        foreach (var page in Directory.GetFiles(site.Path, "*.html"))
            foreach (var href in Hrefs(File.ReadAllText(page)))
                Assert.True(File.Exists(Path.Combine(site.Path, href)), $"{Path.GetFileName(page)} links {href}, which is not in the folder");
    }

    [Fact]
    public void RunningMoreNotebooksLaterRelinksThePagesWrittenBefore()
    {
        using var site = new TempFolder();
        site.Executed("02-din.ipynb", new RunRecord(17, Smoke: true, FailedCell: null));
        CourseSite.Write(CourseFolder, site.Path);
        Assert.Equal(["index.html"], Navigation(File.ReadAllText(Path.Combine(site.Path, "02-din.html"))));

        site.Executed("03-din-production-tricks.ipynb", new RunRecord(34, Smoke: true, FailedCell: null));
        CourseSite.Write(CourseFolder, site.Path);

        Assert.Equal(["index.html", "03-din-production-tricks.html"], Navigation(File.ReadAllText(Path.Combine(site.Path, "02-din.html"))));
    }

    [Fact]
    public void IndexNeedsNoNetwork()
    {
        var index = CourseSite.RenderIndex([CourseNotebook.Describe(Path.Combine(CourseFolder, "04-dien.ipynb"))], new Dictionary<string, RunRecord?>());

        Assert.DoesNotMatch(@"<script|<link|url\(\s*['""]?(https?:|//)", index);
        Assert.Contains("@font-face", index);                                              // temml's CSS inlined
        Assert.Empty(Hrefs(index));                                                          // nothing executed: no links
    }

    [Fact]
    public async Task TheRunnerRecordsRunTimeAndModeInTheExecutedCopy()
    {
        using var folder = new TempFolder();
        var source = folder.Notebook("tiny.ipynb", "# 99 · Tiny\n\n**Learning goals**\n- run");
        var withCode = NotebookRunner.Load(source);
        withCode.Elements.Add(new InteractiveDocumentElement("System.Threading.Thread.Sleep(300);", "csharp"));
        NotebookRunner.Save(withCode, source);

        var result = await NotebookRunner.RunAsync(source, new RunOptions(Smoke: true, OutputDirectory: Path.Combine(folder.Path, "out")));

        Assert.True(result.Succeeded, result.FailureMessage);
        using var executed = JsonDocument.Parse(File.ReadAllText(result.ExecutedPath!));
        var record = RunRecord.Read(executed.RootElement);
        Assert.NotNull(record);
        Assert.Equal(Math.Round(result.Elapsed.TotalSeconds, 1), record.Seconds);
        Assert.True(record.Seconds >= 0.3, $"recorded {record.Seconds} s for a cell that sleeps 0.3 s");
        Assert.True(record.Smoke);
        Assert.Null(record.FailedCell);
    }

    /// <summary>Relative hrefs of a page, in order (the pages link nothing else).</summary>
    private static List<string> Hrefs(string html) =>
        Regex.Matches(html, @"<a href=""([^""]+)""").Select(m => m.Groups[1].Value).Where(h => !h.Contains(':')).ToList();

    /// <summary>The links of the page's first navigation bar.</summary>
    private static List<string> Navigation(string html) => Hrefs(Regex.Match(html, "<nav class=\"course\">.*?</nav>").Value);

    private sealed class TempFolder : IDisposable
    {
        public string Path { get; } = Directory.CreateTempSubdirectory("course-site-").FullName;

        /// <summary>A notebook of markdown cells.</summary>
        public string Notebook(string name, params string[] markdownCells)
        {
            var path = System.IO.Path.Combine(Path, name);
            File.WriteAllText(path, JsonSerializer.Serialize(new
            {
                cells = markdownCells.Select(source => new { cell_type = "markdown", metadata = new { }, source }),
                metadata = new { },
                nbformat = 4,
                nbformat_minor = 5,
            }));
            return path;
        }

        /// <summary>A course notebook as the runner leaves it in the site folder (outputs do not matter here).</summary>
        public void Executed(string name, RunRecord? record)
        {
            var notebook = JsonNode.Parse(File.ReadAllText(System.IO.Path.Combine(CourseFolder, name)))!;
            if (record is not null)
                notebook["metadata"]![RunRecord.MetadataKey] = new JsonObject
                {
                    ["seconds"] = record.Seconds, ["smoke"] = record.Smoke, ["failed_cell"] = record.FailedCell,
                };
            File.WriteAllText(System.IO.Path.Combine(Path, name), notebook.ToJsonString());
        }

        public void Dispose() => Directory.Delete(Path, recursive: true);
    }
}
