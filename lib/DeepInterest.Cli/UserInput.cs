using System.CommandLine;
using System.CommandLine.Parsing;
using DeepInterest.Data;
using DeepInterest.Data.Download;
using DeepInterest.Models;
using DeepInterest.Training;

namespace DeepInterest.Cli;

/// <summary>
/// Every check of what a user typed, in one place. The options and arguments built here validate while the command
/// line is parsed, so a mistake is reported before any work starts (no data loaded, no model built); <see cref="CliApp"/>
/// prints it as one <c>error: …</c> line naming the valid choices and exits with <see cref="CliApp.UserErrorExitCode"/>.
/// </summary>
internal static class UserInput
{
    /// <summary>An integer option that must be at least <paramref name="minimum"/>.</summary>
    public static Option<int> WholeNumber(string name, string? description, int defaultValue, int minimum = 1) => new(name)
    {
        Description = description,
        DefaultValueFactory = _ => defaultValue,
        CustomParser = result => AtLeast(result, name, minimum) ?? defaultValue,
    };

    /// <summary><c>--max-steps N</c>: stop training after N optimizer steps in all (N ≥ 1); absent, no cap.</summary>
    public static Option<int?> MaxSteps() => new("--max-steps")
    {
        Description = "stop each model's training after this many optimizer steps in all (default: no cap; for measuring on large data)",
        HelpName = "N",
        CustomParser = result => AtLeast(result, "--max-steps", 1),
    };

    /// <summary>The option's last token as a whole number of at least <paramref name="minimum"/>, or null after adding the error.</summary>
    private static int? AtLeast(ArgumentResult result, string name, int minimum)
    {
        var token = result.Tokens[^1].Value;
        if (int.TryParse(token, out int value) && value >= minimum) return value;
        result.AddError(minimum == int.MinValue
            ? $"{name}: expected a whole number, got '{token}'"
            : $"{name}: expected a whole number of at least {minimum}, got '{token}'");
        return null;
    }

    /// <summary><c>--format taobao|dien-books</c>: the file format <c>data generate</c> writes a stand-in in.</summary>
    public static Option<GeneratedFormat> GeneratedFormat()
    {
        var names = new Dictionary<string, GeneratedFormat>(StringComparer.OrdinalIgnoreCase)
        {
            ["taobao"] = Data.GeneratedFormat.Taobao, ["dien-books"] = Data.GeneratedFormat.DienBooks,
        };
        return new Option<GeneratedFormat>("--format")
        {
            Description = "file format: taobao (UserBehavior.csv, one line per event) or dien-books (DIEN's Amazon Books files, one line per sample)",
            HelpName = string.Join("|", names.Keys),
            Required = true,
            CustomParser = result =>
            {
                var token = result.Tokens[^1].Value;
                if (names.TryGetValue(token, out var format)) return format;
                result.AddError($"--format: unknown format '{token}'; expected one of: {string.Join(", ", names.Keys)}");
                return default;
            },
        };
    }

    /// <summary><c>--seed</c>: any integer (it seeds the data, the initialisation and the shuffles).</summary>
    public static Option<int> Seed() =>
        WholeNumber("--seed", "seed for data, initialisation and shuffling", new TrainerConfig().Seed, minimum: int.MinValue);

    /// <summary>
    /// <c>--seeds 1,2,3</c>: distinct whole numbers; the comparison runs once per seed, exactly as <c>--seed S</c> would
    /// (each seeds the data, the initialisation and the shuffles). Not together with <c>--seed</c>.
    /// </summary>
    public static Option<int[]?> Seeds(Option<int> seed)
    {
        var option = new Option<int[]?>("--seeds")
        {
            Description = "comma-separated seeds: one run per seed, the table shows mean ± sample std (instead of --seed)",
            Arity = ArgumentArity.ExactlyOne,
            HelpName = "1,2,3",
            CustomParser = result =>
            {
                var tokens = result.Tokens[^1].Value.Split(',', StringSplitOptions.TrimEntries);
                var seeds = new List<int>();
                foreach (var token in tokens)
                {
                    if (!int.TryParse(token, out int value)) { result.AddError($"--seeds: expected comma-separated whole numbers such as 1,2,3, got '{token}'"); return null; }
                    if (seeds.Contains(value)) { result.AddError($"--seeds: seed {value} given twice"); return null; }
                    seeds.Add(value);
                }
                return seeds.ToArray();
            },
        };
        option.Validators.Add(result =>
        {
            if (result.GetResult(seed) is { Implicit: false })
                result.AddError("--seed and --seeds: give one seed with --seed or several with --seeds, not both");
        });
        return option;
    }

    /// <summary><c>--models a,b,c</c>: known <see cref="ModelZoo"/> names, each once, spelled as the zoo spells them.</summary>
    public static Option<string[]> Models() => new("--models")
    {
        Description = $"comma-separated model names: {string.Join(", ", ModelZoo.Names)}",
        Arity = ArgumentArity.ExactlyOne,
        HelpName = "a,b,c",
        DefaultValueFactory = _ => [.. ModelZoo.Course],
        CustomParser = result =>
        {
            var names = result.Tokens[^1].Value.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var known = names.Select(n => ModelZoo.Names.FirstOrDefault(m => string.Equals(m, n, StringComparison.OrdinalIgnoreCase))).ToArray();
            var expected = $"expected one of: {string.Join(", ", ModelZoo.Names)}";
            if (names.Length == 0) result.AddError($"--models: no model given; {expected}");
            else if (Array.IndexOf(known, null) is var unknown and >= 0) result.AddError($"--models: unknown model '{names[unknown]}'; {expected}");
            else if (known.GroupBy(n => n).FirstOrDefault(g => g.Count() > 1) is { } twice) result.AddError($"--models: '{twice.Key}' given twice");
            return known!;
        },
    };

    /// <summary>
    /// <c>--data NAME</c>: a <see cref="DatasetCatalog"/> name or alias; the value is the canonical name. A real set's
    /// folder (<paramref name="dataDirectory"/>, or the default one) must be there, and a synthetic set takes no
    /// folder: a forgotten <c>--data</c> would otherwise train on synthetic data without a word.
    /// </summary>
    public static Option<string> DataSet(Option<string?> dataDirectory)
    {
        var option = new Option<string>("--data")
        {
            Description = $"data set: {string.Join(", ", DatasetCatalog.Names)} " +
                          $"(older names: {string.Join(", ", DatasetCatalog.Aliases.Select(a => $"{a.Key} = {a.Value}"))})",
            DefaultValueFactory = _ => "synthetic",
            CustomParser = result =>
            {
                var name = result.Tokens[^1].Value;
                if (DatasetCatalog.Canonical(name) is { } canonical) return canonical;
                result.AddError($"--data: unknown data set '{name}'; expected one of: {string.Join(", ", DatasetCatalog.Names)}");
                return null;
            },
        };
        option.Validators.Add(result =>
        {
            if (!TryGet(result.GetValueOrDefault<string>, out var name)) return;  // unknown: reported by the parser above
            var folder = result.GetValue(dataDirectory);
            if (DatasetCatalog.DefaultDataDirectory(name!) is not null)
            {
                if (DatasetCatalog.MissingDataProblem(name!, folder) is { } problem) result.AddError(problem);
            }
            else if (folder is not null)
                result.AddError($"--data-dir applies to the real data sets only, and '{name}' is built in (real: {string.Join(", ", DownloadCatalog.All.Select(e => e.Name))})");
        });
        return option;
    }

    /// <summary>
    /// <c>--negatives repeat-matched|never-interacted</c>: the log protocol's <see cref="NegativeRule"/>. Given with a data
    /// set that does not go through the log protocol (synthetic, amazon-books-dien) it is an error, not ignored.
    /// </summary>
    public static Option<NegativeRule> Negatives(Option<string> dataSet)
    {
        var names = Enum.GetValues<NegativeRule>().ToDictionary(NegativeRuleName, r => r, StringComparer.OrdinalIgnoreCase);
        var option = new Option<NegativeRule>("--negatives")
        {
            Description = $"log protocol's negatives (default {NegativeRuleName(new LogProtocolConfig().Negatives)}; data/README.md)",
            HelpName = string.Join("|", names.Keys),
            DefaultValueFactory = _ => new LogProtocolConfig().Negatives,
            CustomParser = result =>
            {
                var token = result.Tokens[^1].Value;
                if (names.TryGetValue(token, out var rule)) return rule;
                result.AddError($"--negatives: unknown rule '{token}'; expected one of: {string.Join(", ", names.Keys)}");
                return default;
            },
        };
        option.Validators.Add(result =>
        {
            if (result.Implicit || !TryGet(result.GetValueOrDefault<NegativeRule>, out _)) return;  // unknown rule: reported by the parser
            if (!TryGet(() => result.GetValue(dataSet), out var name) || name is null) return;
            if (!DatasetCatalog.UsesLogProtocol(name))
                result.AddError($"--negatives applies to the behaviour logs only, and '{name}' does not go through the log protocol " +
                                $"(logs: {string.Join(", ", DatasetCatalog.Names.Where(DatasetCatalog.UsesLogProtocol))})");
        });
        return option;
    }

    /// <summary>
    /// <c>--features all|none|NAME[,NAME…]</c>: every side field the data set has (default), none (the item-and-category
    /// models) or only the fields named (a per-field ablation; names are checked against the data set once it is loaded).
    /// </summary>
    public static Option<FieldChoice> Features() => new("--features")
    {
        Description = "side fields: all the data set has (user, context, behaviour, candidate; default), none, or a comma-separated list of field names",
        HelpName = "all|none|NAME[,NAME…]",
        DefaultValueFactory = _ => FieldChoice.All,
        CustomParser = result =>
        {
            var token = result.Tokens[^1].Value.Trim();
            if (token.Equals("all", StringComparison.OrdinalIgnoreCase)) return FieldChoice.All;
            if (token.Equals("none", StringComparison.OrdinalIgnoreCase)) return new FieldChoice([]);
            var names = token.Split(',', StringSplitOptions.TrimEntries);
            if (names.Any(string.IsNullOrEmpty))
                result.AddError($"--features: '{token}' has an empty field name; expected all, none or names separated by commas (e.g. hour,weekday)");
            return new FieldChoice(names.Distinct(StringComparer.Ordinal).ToArray());
        },
    };

    /// <summary>The command-line spelling of a rule: RepeatMatched → repeat-matched.</summary>
    public static string NegativeRuleName(NegativeRule rule) =>
        string.Concat(rule.ToString().Select((c, i) => char.IsUpper(c) && i > 0 ? $"-{char.ToLowerInvariant(c)}" : $"{char.ToLowerInvariant(c)}"));

    /// <summary><c>--data-dir DIR</c>, checked by <see cref="DataSet"/> (which knows the data set).</summary>
    public static Option<string?> DataDirectory() => new("--data-dir")
    {
        Description = "folder (for taobao and amazon-electronics also the file) with the real data set's files; default data/downloads/NAME",
    };

    /// <summary><c>--device</c>: the device asked for, or with "auto" the one <c>DEEPINTEREST_DEVICE</c> names, must be usable here.</summary>
    public static Option<string> Device()
    {
        var option = new Option<string>("--device")
        {
            Description = $"cpu | cuda | cuda:N | auto (auto: env {DeviceSelection.EnvironmentVariable} if set, else CUDA when available, else CPU)",
            DefaultValueFactory = _ => "auto",
        };
        option.Validators.Add(result =>
        {
            try { DeviceSelection.Check(result.GetValueOrDefault<string>()); }
            catch (Exception e) when (e is ArgumentException or InvalidOperationException)
            {
                result.AddError(result.Implicit ? e.Message : $"--device: {e.Message}");  // implicit: the environment variable is at fault
            }
        });
        return option;
    }

    /// <summary>A folder results are written to: it may not exist yet, but it must not be a file (found only after hours of work).</summary>
    public static Option<string?> OutputFolder(string name, string description, string? defaultValue = null)
    {
        var option = new Option<string?>(name) { Description = description };
        if (defaultValue is not null) option.DefaultValueFactory = _ => defaultValue;
        option.Validators.Add(result =>
        {
            if (result.GetValueOrDefault<string?>() is { } path && File.Exists(path)) result.AddError($"{name}: {Path.GetFullPath(path)} is a file, not a folder");
        });
        return option;
    }

    /// <summary>
    /// Creates <paramref name="path"/> and proves a file can be written there, when a command starts: results computed
    /// for hours are not lost at the end to a read-only or misspelt folder. Not a parse-time check, because it writes.
    /// </summary>
    public static void RequireWritableFolder(string option, string path)
    {
        try
        {
            Directory.CreateDirectory(path);
            var probe = Path.Combine(path, $".deepinterest-write-test-{Environment.ProcessId}");
            File.WriteAllText(probe, "");
            File.Delete(probe);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UserErrorException($"{option}: cannot write to {Path.GetFullPath(path)} ({e.Message})", e);
        }
    }

    /// <summary><c>data download NAME</c>: a downloadable data set by name or alias.</summary>
    public static Argument<DatasetEntry> Download() => new("name")
    {
        Description = $"data set: {string.Join(", ", DownloadCatalog.All.Select(e => e.Name))}",
        CustomParser = result =>
        {
            var name = result.Tokens[^1].Value;
            if (DownloadCatalog.Find(name) is { } entry) return entry;
            var downloadable = string.Join(", ", DownloadCatalog.All.Select(e => e.Name));
            result.AddError(DatasetCatalog.Canonical(name) is { } builtIn
                ? $"'{builtIn}' is built in and needs no download (compare --data {builtIn}); downloadable: {downloadable}"
                : $"unknown data set '{name}'; expected one of: {downloadable}");
            return null;
        },
    };

    /// <summary><c>--notebooks DIR</c>: the folder must exist and each of <paramref name="names"/> must pick exactly one of its notebooks.</summary>
    public static Option<string> NotebookFolder(Argument<string[]> names)
    {
        var option = new Option<string>("--notebooks") { Description = "folder of the .ipynb files", DefaultValueFactory = _ => "notebooks" };
        option.Validators.Add(result =>
        {
            if (TryChooseNotebooks(result.GetValueOrDefault<string>(), result.GetValue(names) ?? [], out _) is { } problem) result.AddError(problem);
        });
        return option;
    }

    /// <summary>The notebooks in <paramref name="folder"/> each name picks (a file name or a prefix such as 02), all when none is given.</summary>
    public static IReadOnlyList<string> ChooseNotebooks(string folder, IReadOnlyList<string> names) =>
        TryChooseNotebooks(folder, names, out var chosen) is { } problem ? throw new ArgumentException(problem) : chosen;

    private static string? TryChooseNotebooks(string folder, IReadOnlyList<string> names, out IReadOnlyList<string> chosen)
    {
        chosen = [];
        if (!Directory.Exists(folder)) return $"no notebook folder at {Path.GetFullPath(folder)} (run from the repository root or pass --notebooks)";
        var all = Directory.GetFiles(folder, "*.ipynb").Order().ToList();
        if (names.Count == 0) { chosen = all; return null; }
        var picked = new List<string>();
        foreach (var name in names)
        {
            var matches = all.Where(p => Path.GetFileName(p).StartsWith(name, StringComparison.OrdinalIgnoreCase)).ToList();
            if (matches.Count != 1)
                return $"notebook '{name}' matches {matches.Count} notebooks; expected exactly one of: {string.Join(", ", all.Select(Path.GetFileNameWithoutExtension))}";
            picked.Add(matches[0]);
        }
        chosen = picked.Distinct().ToList();
        return null;
    }

    /// <summary>A value that parsed (reading a failed one throws).</summary>
    private static bool TryGet<T>(Func<T> read, out T? value)
    {
        try { value = read(); return true; }
        catch (InvalidOperationException) { value = default; return false; }
    }

    /// <summary>
    /// All parse errors as one line naming the valid choices: the commands when the line stopped at a command group,
    /// the options when a token matched nothing.
    /// </summary>
    public static string ErrorLine(ParseResult parse)
    {
        var command = parse.CommandResult.Command;
        var messages = parse.Errors.Select(e => OneLine(e.Message).TrimEnd('.')).Distinct().ToList();
        var path = CommandPath(parse.CommandResult);
        if (command.Subcommands.Count > 0)
            messages.Add($"{(path == "" ? "commands" : $"commands of '{path}'")}: {string.Join(", ", command.Subcommands.Select(c => c.Name))}");
        else if (parse.UnmatchedTokens.Count > 0)
            messages.Add($"options of '{path}': {string.Join(", ", command.Options.Where(o => !o.Hidden).Select(o => o.Name))}");
        return $"error: {string.Join(" | ", messages)}";
    }

    public static string OneLine(string message) => string.Join(' ', message.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    /// <summary>"data download", without the root command (whose name is the host's: DeepInterest.Cli, testhost, …).</summary>
    private static string CommandPath(CommandResult result)
    {
        var names = new List<string>();
        for (SymbolResult? r = result; r is CommandResult { Parent: not null } c; r = r.Parent) names.Insert(0, c.Command.Name);
        return string.Join(' ', names);
    }
}

/// <summary>A user error found while the work runs (a data file that is missing or malformed): one line, exit code 2.</summary>
internal sealed class UserErrorException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>What <c>--features</c> asked for: every side field (<see cref="Names"/> null), none (empty) or the ones named.</summary>
internal sealed record FieldChoice(IReadOnlyList<string>? Names)
{
    public static FieldChoice All { get; } = new((IReadOnlyList<string>?)null);

    /// <summary><paramref name="data"/> with the chosen fields only; a name the data set lacks is a user error listing the ones it has.</summary>
    public CtrDataset ApplyTo(CtrDataset data)
    {
        if (Names is null) return data;
        try { return data.WithOnlyFields(Names); }
        catch (ArgumentException e) { throw new UserErrorException($"--features: {e.Message}", e); }
    }

    /// <summary>What a report prints after the data set's field line: nothing for the default, else the option as given.</summary>
    public string Suffix => Names is null ? "" : $" (--features {this})";

    /// <summary>The choice as the option takes it: all, none or the names; help shows it as the default.</summary>
    public override string ToString() => Names switch { null => "all", [] => "none", _ => string.Join(",", Names) };
}
