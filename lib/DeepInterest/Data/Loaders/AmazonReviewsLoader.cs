using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace DeepInterest.Data.Loaders;

/// <summary>Which entry of an Amazon product's category paths becomes its category.</summary>
public enum AmazonCategoryRule
{
    /// <summary>The last entry of the last path (<c>categories[-1][-1]</c>), as the DIN and DIEN preprocessing scripts do.</summary>
    MostSpecific,
    /// <summary>The first entry of the first path; in a per-category file this is the file's own top category.</summary>
    FirstListed,
}

/// <summary>
/// Loads raw Amazon reviews (McAuley et al., SNAP 2014 "5-core" files): JSON lines <c>reviews_&lt;Category&gt;_5.json</c>
/// with reviewerID, asin, overall, unixReviewTime, plus the optional <c>meta_&lt;Category&gt;.json</c> whose lines are
/// Python dict literals (single quotes), parsed tolerantly for 'asin' and 'categories' (JSON meta lines with "category"
/// work too). Every review is a behaviour (Type = the star rating, e.g. "5.0"; <see cref="LoadOptions.MinRating"/>
/// filters). Reviewer ids, ASINs and category names are interned. Without a meta file, or for an ASIN the meta file does
/// not list, the category is "unknown". Files may be gzip-compressed (detected by magic bytes).
/// </summary>
public static class AmazonReviewsLoader
{
    public const string UnknownCategory = "unknown";

    private sealed record ReviewLine(
        [property: JsonPropertyName("reviewerID")] string? ReviewerId,
        [property: JsonPropertyName("asin")] string? Asin,
        [property: JsonPropertyName("overall")] double? Overall,
        [property: JsonPropertyName("unixReviewTime")] long? UnixReviewTime);

    /// <summary>Finds reviews_&lt;category&gt;_5.json(.gz) and meta_&lt;category&gt;.json(.gz) in a folder.</summary>
    public static BehaviorLogData LoadFolder(string folder, string category, LoadOptions? options = null,
        AmazonCategoryRule rule = AmazonCategoryRule.MostSpecific)
    {
        string? reviews = FirstExisting(folder, $"reviews_{category}_5.json", $"reviews_{category}_5.json.gz");
        if (reviews is null)
            throw new FileNotFoundException($"Amazon reviews: expected reviews_{category}_5.json (or .json.gz) in folder {folder}");
        return Load(reviews, FirstExisting(folder, $"meta_{category}.json", $"meta_{category}.json.gz"), options, rule);
    }

    public static BehaviorLogData Load(string reviewsPath, string? metaPath = null, LoadOptions? options = null,
        AmazonCategoryRule rule = AmazonCategoryRule.MostSpecific)
    {
        options ??= LoadOptions.Default;
        var tally = new LoadTally(options);
        var users = new IdTable("reviewer");
        var items = new IdTable("asin");
        var categories = new IdTable("category");
        var reviews = ReadReviews(reviewsPath, users, items, options, tally);
        var itemCategory = new long[items.Count];
        long unknown = categories.Intern(UnknownCategory);
        Array.Fill(itemCategory, unknown);
        if (metaPath is not null) ReadMeta(metaPath, items, categories, itemCategory, rule, tally);
        var behaviors = new List<Behavior>(reviews.Count);
        foreach (var r in reviews) behaviors.Add(r with { Category = itemCategory[r.Item] });
        return new BehaviorLogData("Amazon reviews", behaviors, tally.Finish()) { Users = users, Items = items, Categories = categories };
    }

    private static List<Behavior> ReadReviews(string path, IdTable users, IdTable items, LoadOptions options, LoadTally tally)
    {
        tally.AddFile(path);
        var reviews = new List<Behavior>();
        var ratingTexts = new Dictionary<double, string>();
        TextFiles.ForEachLine(path, null, (line, number) =>
        {
            tally.RowsRead++;
            ReviewLine? review;
            try { review = JsonSerializer.Deserialize<ReviewLine>(line); }
            catch (JsonException e) { tally.Malformed(path, number, $"not a JSON object ({e.Message})", line); return; }
            if (review is not { ReviewerId: { Length: > 0 } user, Asin: { Length: > 0 } asin, Overall: { } rating, UnixReviewTime: { } time })
            { tally.Malformed(path, number, "expected reviewerID, asin, overall and unixReviewTime", line); return; }
            if (rating < options.MinRating) { tally.RowsFiltered++; return; }
            if (!ratingTexts.TryGetValue(rating, out var ratingText))
                ratingTexts[rating] = ratingText = rating.ToString("0.0", CultureInfo.InvariantCulture);
            reviews.Add(new Behavior(users.Intern(user), items.Intern(asin), -1, time, ratingText));
            tally.RowsKept++;
        });
        return reviews;
    }

    /// <summary>Reads each meta line's asin and category paths; only ASINs that appear in the reviews are kept.</summary>
    private static void ReadMeta(string path, IdTable items, IdTable categories, long[] itemCategory, AmazonCategoryRule rule, LoadTally tally)
    {
        tally.AddFile(path);
        TextFiles.ForEachLine(path, null, (line, number) =>
        {
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            if (!PythonLiteral.TryReadStringField(text, "asin", out var asin))
            { tally.Malformed(path, number, "meta line without an 'asin'", text); return; }
            if (!items.TryGetId(asin, out long item)) return;
            var paths = PythonLiteral.ReadStringLists(text, "categories") ?? PythonLiteral.ReadStringLists(text, "category");
            var chosen = paths switch
            {
                null or [] => null,
                _ when rule == AmazonCategoryRule.FirstListed => paths[0].FirstOrDefault(),
                _ => paths[^1].LastOrDefault(),
            };
            if (!string.IsNullOrWhiteSpace(chosen)) itemCategory[item] = categories.Intern(chosen);
        });
    }

    private static string? FirstExisting(string folder, params string[] names) =>
        names.Select(n => Path.Combine(folder, n)).FirstOrDefault(File.Exists);
}
