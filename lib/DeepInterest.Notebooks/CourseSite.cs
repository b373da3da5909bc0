using System.Globalization;
using System.Text;
using System.Text.Json;
using Markdig.Extensions.Mathematics;
using Markdig.Syntax;
using Markdig.Syntax.Inlines;

namespace DeepInterest.Notebooks;

/// <summary>
/// One notebook of the course as its first markdown cell introduces it: the title of its <c># heading</c>, and the list
/// after the <c>**Learning goals**</c> line (as HTML, math typeset).
/// </summary>
public sealed record CourseNotebook(string FileName, string Title, string GoalsHtml, int GoalCount)
{
    public string PageName => Path.ChangeExtension(FileName, ".html");

    /// <summary>Reads the first markdown cell of the notebook at <paramref name="ipynbPath"/>.</summary>
    /// <exception cref="InvalidDataException">no markdown cell, no level-1 heading or no learning goals list in it.</exception>
    public static CourseNotebook Describe(string ipynbPath)
    {
        var name = Path.GetFileName(ipynbPath);
        using var notebook = JsonDocument.Parse(File.ReadAllText(ipynbPath));
        var first = notebook.RootElement.TryGetProperty("cells", out var cells) && cells.ValueKind == JsonValueKind.Array
            ? cells.EnumerateArray().FirstOrDefault(c => c.TryGetProperty("cell_type", out var t) && t.GetString() == "markdown")
            : default;
        if (first.ValueKind != JsonValueKind.Object)
            throw new InvalidDataException($"{ipynbPath}: no markdown cell; expected the first one to introduce the notebook (# title, **Learning goals** list)");
        var source = first.GetProperty("source") is { ValueKind: JsonValueKind.Array } lines
            ? string.Concat(lines.EnumerateArray().Select(l => l.GetString()))
            : first.GetProperty("source").GetString() ?? "";
        var markdown = NotebookHtml.ParseMarkdown(source);
        var heading = markdown.OfType<HeadingBlock>().FirstOrDefault(h => h.Level == 1)
            ?? throw new InvalidDataException($"{ipynbPath}: the first markdown cell has no '# ' heading; expected the notebook's title there");
        var title = PlainText(heading);
        var goalsLine = markdown.OfType<ParagraphBlock>().FirstOrDefault(IsLearningGoalsLine);
        var goals = goalsLine is null ? null : markdown.ElementAtOrDefault(markdown.IndexOf(goalsLine) + 1) as ListBlock;
        if (goals is null)
            throw new InvalidDataException($"{ipynbPath}: the first markdown cell has no '**Learning goals**' line followed by a list");
        try { return new CourseNotebook(name, title, NotebookHtml.MarkdownHtml(goals), goals.Count); }
        catch (InvalidDataException error) { throw new InvalidDataException($"{ipynbPath}, learning goals: {error.Message}", error); }
    }

    /// <summary>The heading's text without markup (<c>*new*</c> is "new"); formulas and code keep their source.</summary>
    private static string PlainText(HeadingBlock heading) =>
        string.Concat((heading.Inline?.Descendants() ?? []).Select(inline => inline switch
        {
            LiteralInline literal => literal.Content.ToString(),
            CodeInline code => code.Content,
            MathInline math => math.Content.ToString(),
            LineBreakInline => " ",
            _ => "",
        })).Trim();

    /// <summary>A paragraph that is only <c>**Learning goals**</c> (a trailing colon allowed).</summary>
    private static bool IsLearningGoalsLine(ParagraphBlock paragraph) =>
        paragraph.Inline?.FirstChild is EmphasisInline { DelimiterCount: 2 } strong
        && strong.FirstChild is LiteralInline literal
        && literal.Content.ToString().Trim().TrimEnd(':').Equals("Learning goals", StringComparison.OrdinalIgnoreCase);
}

/// <summary>
/// The executed course as a folder that opens offline from the file system: <c>index.html</c> (the outline of every
/// notebook in the course folder: title, learning goals, run time, a link to its page when there is one) and one page
/// per executed copy in the folder, with previous / outline / next links. Everything is inlined (plotly, temml's CSS and
/// font), so a teacher can copy the folder as it is.
/// </summary>
public static class CourseSite
{
    public const string IndexFile = "index.html";
    public const string Title = "DeepInterest: attention-based CTR models";

    /// <summary>
    /// Writes the page of each notebook of <paramref name="notebookFolder"/> that has an executed copy in
    /// <paramref name="siteFolder"/>, then <c>index.html</c>; returns the index's path. Pages are rewritten from the
    /// executed copies each time, so their previous/next links always point at pages that exist.
    /// </summary>
    /// <exception cref="InvalidDataException">a notebook without title or goals, or a formula temml cannot typeset.</exception>
    public static string Write(string notebookFolder, string siteFolder)
    {
        var course = Directory.GetFiles(notebookFolder, "*.ipynb").Order(StringComparer.Ordinal).Select(CourseNotebook.Describe).ToList();
        var executed = course.Where(n => File.Exists(Path.Combine(siteFolder, n.FileName))).ToList();
        var runs = new Dictionary<string, RunRecord?>();
        string? plotly = null;
        foreach (var (notebook, at) in executed.Select((n, i) => (n, i)))
        {
            var ipynb = Path.Combine(siteFolder, notebook.FileName);
            var json = File.ReadAllText(ipynb);
            using (var document = JsonDocument.Parse(json)) runs[notebook.FileName] = RunRecord.Read(document.RootElement);
            var navigation = new PageNavigation(new PageLink(IndexFile, "Course outline"),
                at > 0 ? Link(executed[at - 1]) : null, at + 1 < executed.Count ? Link(executed[at + 1]) : null);
            plotly ??= NotebookHtml.PlotlyScript();
            File.WriteAllText(Path.Combine(siteFolder, notebook.PageName), NotebookHtml.Render(json, notebook.Title, plotly, navigation));
        }
        var index = Path.Combine(siteFolder, IndexFile);
        File.WriteAllText(index, RenderIndex(course, runs));
        return index;
    }

    private static PageLink Link(CourseNotebook notebook) => new(notebook.PageName, notebook.Title);

    /// <summary>
    /// The outline: every notebook of <paramref name="course"/> in order; those in <paramref name="executed"/> link to their
    /// page and show the run time of their executed copy (null record: executed by something else than the runner).
    /// </summary>
    public static string RenderIndex(IReadOnlyList<CourseNotebook> course, IReadOnlyDictionary<string, RunRecord?> executed)
    {
        var html = new StringBuilder();
        html.Append("<!DOCTYPE html>\n<html><head>").Append(NotebookHtml.Head(Title)).Append("<style>").Append(IndexStyle).Append("</style>\n</head><body>\n");
        html.Append($"<h1>{NotebookHtml.Encode(Title)}</h1>\n");
        var ran = course.Count(n => executed.ContainsKey(n.FileName));
        html.Append($"<p>{course.Count} notebooks; {ran} executed in this folder. Each page opens offline, with its outputs and charts.</p>\n");
        html.Append("<ol class=\"course\">\n");
        foreach (var notebook in course)
        {
            var title = NotebookHtml.Encode(notebook.Title);
            var hasPage = executed.TryGetValue(notebook.FileName, out var run);
            html.Append("<li>\n<h2>")
                .Append(hasPage ? $"<a href=\"{NotebookHtml.Encode(notebook.PageName)}\">{title}</a>" : title)
                .Append($"</h2>\n<p class=\"runtime\">{NotebookHtml.Encode(Runtime(hasPage, run))}</p>\n")
                .Append("<p class=\"goals\">Learning goals</p>\n").Append(notebook.GoalsHtml).Append("</li>\n");
        }
        return html.Append("</ol>\n</body></html>\n").ToString();
    }

    /// <summary>"17.2 s", "1 min 4 s (smoke mode)", "failed at cell 7 after 3.1 s", "not run".</summary>
    private static string Runtime(bool hasPage, RunRecord? run)
    {
        if (!hasPage) return "not run";
        if (run is null) return "run time unknown (executed copy without the runner's record)";
        var whole = (int)Math.Round(run.Seconds);
        var seconds = run.Seconds < 60 ? string.Create(CultureInfo.InvariantCulture, $"{run.Seconds:F1} s") : $"{whole / 60} min {whole % 60} s";
        var text = run.FailedCell is { } cell ? $"failed at cell {cell} after {seconds}" : $"ran in {seconds}";
        return run.Smoke ? $"{text} (smoke mode: tiny sizes)" : text;
    }

    private const string IndexStyle = """
        ol.course { list-style: none; padding-left: 0; } ol.course > li { margin-bottom: 1.5em; }
        ol.course h2 { font-size: 1.25em; margin: 0 0 .2em; } ol.course h2 a { color: #2a5db0; text-decoration: none; }
        p.runtime { margin: 0; color: #555; font-size: .9em; } p.goals { margin: .4em 0 0; font-weight: 600; }
        """;
}
