using System.Globalization;
using System.Text;

namespace DeepInterest.Data.Loaders;

/// <summary>The file layouts of the GroupLens MovieLens releases.</summary>
public enum MovieLensLayout
{
    /// <summary>ml-latest-small, ml-latest, ml-20m, ml-25m, ml-32m: ratings.csv + movies.csv with headers.</summary>
    Csv,
    /// <summary>ml-100k: u.data (tab-separated) + u.item (<c>|</c>-separated, 19 genre flags), u.user (users) when present.</summary>
    Hundred,
    /// <summary>ml-1m: ratings.dat + movies.dat (+ users.dat when present) with <c>::</c> separators.</summary>
    OneMillion,
}

/// <summary>
/// Loads a MovieLens folder into <see cref="Behavior"/> records. The layout is detected from the files present.
/// Every rating is kept as an implicit click (Type = the rating as written, e.g. "4.5") unless
/// <see cref="LoadOptions.MinRating"/> is set; filtered ratings are counted in the report.
/// Category = the FIRST genre listed for the movie (the first flagged genre in ml-100k); "(no genres listed)" is a
/// category of its own. Users and movies keep their MovieLens numbers; genres are interned in <see cref="BehaviorLogData.Categories"/>.
/// ml-100k's <c>u.user</c> and ml-1m's <c>users.dat</c>, when beside the ratings, become <see cref="BehaviorLogData.UserProfiles"/>
/// (<see cref="MovieLensUsers"/>); then a rating of a user without a profile line is malformed, so every kept rating's
/// user has a profile. <see cref="LoadReport.UserFileNote"/> says what was found (the CSV releases have no user file).
/// </summary>
public static class MovieLensLoader
{
    /// <summary>ml-100k's genre columns, in file order (u.genre).</summary>
    private static readonly string[] HundredGenres =
    [
        "unknown", "Action", "Adventure", "Animation", "Children's", "Comedy", "Crime", "Documentary", "Drama", "Fantasy",
        "Film-Noir", "Horror", "Musical", "Mystery", "Romance", "Sci-Fi", "Thriller", "War", "Western",
    ];

    /// <summary>ml-100k and ml-1m are Latin-1 encoded (accented titles); the CSV releases are UTF-8.</summary>
    private static readonly Encoding OldReleaseEncoding = Encoding.Latin1;

    public static MovieLensLayout DetectLayout(string folder)
    {
        if (!Directory.Exists(folder)) throw new DirectoryNotFoundException($"MovieLens: folder {folder} does not exist");
        if (File.Exists(Path.Combine(folder, "ratings.csv"))) return MovieLensLayout.Csv;
        if (File.Exists(Path.Combine(folder, "u.data"))) return MovieLensLayout.Hundred;
        if (File.Exists(Path.Combine(folder, "ratings.dat"))) return MovieLensLayout.OneMillion;
        var present = string.Join(", ", Directory.EnumerateFiles(folder).Select(Path.GetFileName).Take(20));
        throw new FileNotFoundException(
            $"MovieLens: expected ratings.csv + movies.csv (ml-latest-small / ml-25m), u.data + u.item (ml-100k) or " +
            $"ratings.dat + movies.dat (ml-1m) in folder {folder}; found: {(present.Length == 0 ? "no files" : present)}");
    }

    public static BehaviorLogData Load(string folder, LoadOptions? options = null)
    {
        options ??= LoadOptions.Default;
        var layout = DetectLayout(folder);
        var tally = new LoadTally(options);
        var genres = new IdTable("genre");
        var titles = new Dictionary<long, string>();
        var movieGenre = new Dictionary<long, long>();
        string ratingsFile = layout switch
        {
            MovieLensLayout.Csv => ReadCsvMovies(Path.Combine(folder, "movies.csv"), genres, titles, movieGenre, tally),
            MovieLensLayout.Hundred => ReadHundredMovies(Path.Combine(folder, "u.item"), genres, titles, movieGenre, tally),
            _ => ReadOneMillionMovies(Path.Combine(folder, "movies.dat"), genres, titles, movieGenre, tally),
        };
        var (separator, encoding) = layout switch
        {
            MovieLensLayout.Csv => (",", Encoding.UTF8),
            MovieLensLayout.Hundred => ("\t", OldReleaseEncoding),
            _ => ("::", OldReleaseEncoding),
        };
        var (profiles, usersNote) = MovieLensUsers.ReadBeside(folder, layout, tally);
        var behaviors = ReadRatings(Path.Combine(folder, ratingsFile), separator, encoding, layout == MovieLensLayout.Csv, movieGenre, profiles, options, tally);
        return new BehaviorLogData($"MovieLens ({layout})", behaviors, tally.Finish() with { UserFileNote = usersNote })
        {
            Categories = genres, ItemTitles = titles, UserProfiles = profiles,
        };
    }

    private static List<Behavior> ReadRatings(string path, string separator, Encoding encoding, bool hasHeader,
        Dictionary<long, long> movieGenre, UserProfiles? profiles, LoadOptions options, LoadTally tally)
    {
        tally.AddFile(path);
        var behaviors = new List<Behavior>();
        var ratingTexts = new Dictionary<double, string>();   // ~10 distinct values: one string each, not one per row
        TextFiles.ForEachLine(path, encoding, (line, number) =>
        {
            if (hasHeader && number == 1 && line.StartsWith("userId", StringComparison.Ordinal)) return;
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            Span<Range> f = stackalloc Range[4];
            if (!TextFiles.TrySplit(text, separator, f)) { tally.Malformed(path, number, $"expected 4 fields user{separator}movie{separator}rating{separator}time", text); return; }
            if (!long.TryParse(text[f[0]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long user) ||
                !long.TryParse(text[f[1]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long movie) ||
                !double.TryParse(text[f[2]], NumberStyles.Float, CultureInfo.InvariantCulture, out double rating) ||
                !long.TryParse(text[f[3]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long time))
            { tally.Malformed(path, number, "user, movie and time must be integers and rating a number", text); return; }
            if (!movieGenre.TryGetValue(movie, out long genre)) { tally.Malformed(path, number, $"movie {movie} is not in the movies file", text); return; }
            if (profiles is not null && !profiles.Values.ContainsKey(user))
            { tally.Malformed(path, number, $"user {user} has no line in the users file {Path.GetFileName(profiles.Source)}", text); return; }
            if (rating < options.MinRating) { tally.RowsFiltered++; return; }
            if (!ratingTexts.TryGetValue(rating, out var ratingText))
                ratingTexts[rating] = ratingText = rating.ToString("0.0", CultureInfo.InvariantCulture);
            behaviors.Add(new Behavior(user, movie, genre, time, ratingText));
            tally.RowsKept++;
        });
        return behaviors;
    }

    /// <summary>movies.csv: movieId,title,genres; titles with commas are quoted ("" escapes a quote); genres never contain commas.</summary>
    private static string ReadCsvMovies(string path, IdTable genres, Dictionary<long, string> titles, Dictionary<long, long> movieGenre, LoadTally tally)
    {
        tally.AddFile(path);
        TextFiles.ForEachLine(path, Encoding.UTF8, (line, number) =>
        {
            if (number == 1 && line.StartsWith("movieId", StringComparison.Ordinal)) return;
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            int firstComma = text.IndexOf(','), lastComma = text.LastIndexOf(',');
            if (firstComma < 0 || lastComma == firstComma || !long.TryParse(text[..firstComma], NumberStyles.Integer, CultureInfo.InvariantCulture, out long movie))
            { tally.Malformed(path, number, "expected movieId,title,genres", text); return; }
            var title = text[(firstComma + 1)..lastComma];
            if (title.Length >= 2 && title[0] == '"' && title[^1] == '"') title = title[1..^1];
            AddMovie(movie, title.ToString().Replace("\"\"", "\""), FirstGenre(text[(lastComma + 1)..], '|'), genres, titles, movieGenre);
        });
        return "ratings.csv";
    }

    /// <summary>movies.dat: MovieID::Title::Genres (Genres <c>|</c>-separated).</summary>
    private static string ReadOneMillionMovies(string path, IdTable genres, Dictionary<long, string> titles, Dictionary<long, long> movieGenre, LoadTally tally)
    {
        tally.AddFile(path);
        TextFiles.ForEachLine(path, OldReleaseEncoding, (line, number) =>
        {
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            Span<Range> f = stackalloc Range[3];
            if (!TextFiles.TrySplit(text, "::", f) || !long.TryParse(text[f[0]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long movie))
            { tally.Malformed(path, number, "expected MovieID::Title::Genres", text); return; }
            AddMovie(movie, text[f[1]].ToString(), FirstGenre(text[f[2]], '|'), genres, titles, movieGenre);
        });
        return "ratings.dat";
    }

    /// <summary>u.item: id|title|release|video release|IMDb url|19 genre flags (0/1) in <see cref="HundredGenres"/> order.</summary>
    private static string ReadHundredMovies(string path, IdTable genres, Dictionary<long, string> titles, Dictionary<long, long> movieGenre, LoadTally tally)
    {
        const int leadingFields = 5;
        tally.AddFile(path);
        TextFiles.ForEachLine(path, OldReleaseEncoding, (line, number) =>
        {
            tally.RowsRead++;
            ReadOnlySpan<char> text = line;
            Span<Range> f = stackalloc Range[leadingFields + HundredGenres.Length];
            if (!TextFiles.TrySplit(text, "|", f) || !long.TryParse(text[f[0]], NumberStyles.Integer, CultureInfo.InvariantCulture, out long movie))
            { tally.Malformed(path, number, $"expected id|title|release|video release|url and {HundredGenres.Length} genre flags", text); return; }
            int flagged = -1;
            for (int g = 0; g < HundredGenres.Length && flagged < 0; g++)
                if (text[f[leadingFields + g]] is "1") flagged = g;
            AddMovie(movie, text[f[1]].ToString(), flagged < 0 ? "unknown" : HundredGenres[flagged], genres, titles, movieGenre);
        });
        return "u.data";
    }

    private static ReadOnlySpan<char> FirstGenre(ReadOnlySpan<char> genreList, char separator)
    {
        int bar = genreList.IndexOf(separator);
        return (bar < 0 ? genreList : genreList[..bar]).Trim();
    }

    private static void AddMovie(long movie, string title, ReadOnlySpan<char> genre, IdTable genres,
        Dictionary<long, string> titles, Dictionary<long, long> movieGenre)
    {
        titles[movie] = title;
        movieGenre[movie] = genres.Intern(genre.IsEmpty ? "(no genres listed)" : genre);
    }
}
