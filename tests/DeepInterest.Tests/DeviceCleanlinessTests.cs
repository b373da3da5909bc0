using System.Text.RegularExpressions;
using Xunit;

namespace DeepInterest.Tests;

/// <summary>
/// Every tensor created inside a forward pass must be created on the input's device, or the CUDA path breaks (CPU-made
/// tensors meet CUDA ones). No GPU runs here, and libtorch lacks meta kernels for many ops (RECIPES §1.2), so the check
/// reads the source: outside constructors (whose parameters and buffers move with <c>.to(device)</c>), every tensor
/// factory call in the model code must name a device.
/// </summary>
public class DeviceCleanlinessTests
{
    private static readonly Regex Factory = new(@"(?<![\w.])(?:torch\.)?(zeros|ones|full|empty|eye|arange|linspace|rand|randn|randint|tensor|as_tensor|from_array)\(", RegexOptions.Compiled);
    private static readonly Regex Member = new(@"^\s*(?:public|private|internal|protected)[^=;]*?\b(\w+)\s*(?:<[^>]*>)?\(", RegexOptions.Compiled);

    [Fact]
    public void ModelCodeCreatesTensorsOnTheInputsDeviceOutsideConstructors()
    {
        var root = Path.Combine(RepoRoot(), "lib", "DeepInterest");
        var files = Directory.GetFiles(Path.Combine(root, "Layers"), "*.cs")
            .Concat(Directory.GetFiles(Path.Combine(root, "Models"), "*.cs"))
            .Append(Path.Combine(root, "Data", "Sessionizer.cs"))
            .Append(Path.Combine(root, "Data", "Batch.cs"));
        var offences = files.SelectMany(f => Offences(File.ReadAllText(f)).Select(o => $"{Path.GetFileName(f)}:{o}")).ToList();
        Assert.True(offences.Count == 0, "tensors created without a device outside constructors:\n" + string.Join("\n", offences));
    }

    [Fact]
    public void TheCheckCatchesATensorMadeWithoutADeviceInAForwardPass()
    {
        const string source = """
            public sealed class Leaky : Module<Tensor, Tensor>
            {
                private readonly Tensor scale;
                public Leaky() : base("Leaky") { scale = ones(3); }
                public override Tensor forward(Tensor x)
                {
                    var fine = zeros(x.shape, device: x.device);
                    var alsoFine = torch.arange(3,
                        device: x.device);
                    return x + ones(3) + fine;
                }
            }
            """;
        var offences = Offences(source).ToList();
        Assert.Single(offences);
        Assert.Contains("ones(3)", offences[0]);
        Assert.StartsWith("10:", offences[0]);
    }

    /// <summary>"line: code" for each factory call outside a constructor whose argument list names no device.</summary>
    private static IEnumerable<string> Offences(string source)
    {
        var lines = source.Split('\n');
        var className = Regex.Match(source, @"class\s+(\w+)").Groups[1].Value;
        string member = "";
        for (int i = 0; i < lines.Length; i++)
        {
            var line = lines[i];
            if (line.TrimStart().StartsWith("//")) continue;
            if (Member.Match(line) is { Success: true } m) member = m.Groups[1].Value;
            var classHere = Regex.Match(line, @"class\s+(\w+)");
            if (classHere.Success) { className = classHere.Groups[1].Value; member = ""; }
            if (member == className) continue; // constructor: parameters and buffers follow .to(device)
            foreach (Match call in Factory.Matches(line))
                if (!Arguments(lines, i, call.Index + call.Length).Contains("device"))
                    yield return $"{i + 1}: {line.Trim()}";
        }
    }

    /// <summary>The text of a call's argument list, which may span lines.</summary>
    private static string Arguments(string[] lines, int line, int start)
    {
        int depth = 1;
        var text = new System.Text.StringBuilder();
        for (int i = line, from = start; i < lines.Length && depth > 0; i++, from = 0)
            for (int c = from; c < lines[i].Length && depth > 0; c++)
            {
                depth += lines[i][c] switch { '(' => 1, ')' => -1, _ => 0 };
                text.Append(lines[i][c]);
            }
        return text.ToString();
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string here = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));
}
