using Microsoft.DotNet.Interactive.Documents;
using Microsoft.DotNet.Interactive.Documents.Jupyter;
using Xunit;

namespace DeepInterest.Notebooks.Tests;

/// <summary>
/// Notebook code stays readable where students read it: no code line of notebooks/*.ipynb or *.dib is longer than
/// 110 characters, so nothing scrolls sideways in VS Code or in the HTML pages <c>notebooks run</c> writes. A long
/// helper that is not the lesson belongs in the library; a long statement wraps.
/// </summary>
public class NotebookLayoutTests
{
    private const int MaxLineLength = 110;

    [Fact]
    public void NoNotebookCodeLineIsLongerThan110Characters()
    {
        var folder = Path.Combine(NotebookExecutionTests.RepoRoot, "notebooks");
        var kernels = new KernelInfoCollection { new("csharp", languageName: "C#", aliases: ["c#", "C#"]) };
        kernels.DefaultKernelName = "csharp";
        var documents = Directory.GetFiles(folder, "*.ipynb").Select(path => (path, NotebookRunner.Load(path)))
            .Concat(Directory.GetFiles(folder, "*.dib").Select(path => (path, CodeSubmission.Parse(File.ReadAllText(path), kernels))));

        var tooLong = (
            from document in documents
            from cell in document.Item2.Elements.Select((element, index) => (element, index))
            where cell.element.KernelName is not "markdown"
            from line in cell.element.Contents.Split('\n').Select((text, index) => (text: text.TrimEnd('\r'), index))
            let length = line.text.EnumerateRunes().Count()
            where length > MaxLineLength
            select $"{Path.GetFileName(document.path)} cell {cell.index + 1} line {line.index + 1} ({length} characters): {line.text.Trim()}"
        ).ToList();

        Assert.True(tooLong.Count == 0,
            $"{tooLong.Count} notebook code lines are longer than {MaxLineLength} characters; wrap them or move the code " +
            $"to the library:\n{string.Join("\n", tooLong)}");
    }
}
