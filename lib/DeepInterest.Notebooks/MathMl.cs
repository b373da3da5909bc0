using System.Reflection;
using Jint;
using Jint.Native;
using Jint.Runtime;

namespace DeepInterest.Notebooks;

/// <summary>
/// TeX to MathML, which browsers render natively: temml (Temml/README.md, embedded in this assembly) run in a Jint
/// JavaScript engine. The engine and temml load once per process, on first use; calls are serialized (Jint engines are
/// single-threaded). A formula temml cannot parse throws, naming the formula and temml's reason: a page never keeps raw TeX.
/// </summary>
public static class MathMl
{
    public const string TemmlVersion = "0.13.5";

    private static readonly Lock Gate = new();
    private static readonly Lazy<(Engine Engine, JsValue Render)> Temml = new(LoadTemml);

    /// <summary>The <c>&lt;math&gt;</c> element for <paramref name="tex"/>; <paramref name="display"/> = a centred block formula.</summary>
    /// <exception cref="InvalidDataException">temml cannot parse <paramref name="tex"/>.</exception>
    public static string FromTex(string tex, bool display)
    {
        lock (Gate)
        {
            var (engine, render) = Temml.Value;
            try { return engine.Invoke(render, tex, display).AsString(); }
            catch (JavaScriptException error)
            {
                // temml's message ends with the formula again, its bad part underlined, on a line of its own: keep one line.
                throw new InvalidDataException($"cannot typeset the formula `{OneLine(tex)}`: {OneLine(error.Message)}");
            }
        }
    }

    /// <summary>temml's stylesheet with its font inlined as a data URL, so a page needs no file beside it.</summary>
    public static string Stylesheet() =>
        Resource("Temml-Local.css").Replace("url('Temml.woff2')",
            $"url(data:font/woff2;base64,{Convert.ToBase64String(ResourceBytes("Temml.woff2"))})", StringComparison.Ordinal);

    private static string OneLine(string text) =>
        string.Join(' ', text.Split('\n', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries));

    private static (Engine, JsValue) LoadTemml()
    {
        var engine = new Engine();
        engine.Execute(Resource("temml.min.js"));
        var version = engine.Evaluate("temml.version").AsString();
        if (version != TemmlVersion)
            throw new InvalidDataException($"embedded temml.min.js is version {version}; expected {TemmlVersion} (Temml/README.md)");
        // throwOnError: an unknown command or a syntax error throws instead of being drawn in red inside the math.
        var render = engine.Evaluate(
            "(function (tex, display) { return temml.renderToString(tex, { displayMode: display, throwOnError: true }); })");
        return (engine, render);
    }

    private static string Resource(string name) => System.Text.Encoding.UTF8.GetString(ResourceBytes(name));

    private static byte[] ResourceBytes(string name)
    {
        using var stream = Assembly.GetExecutingAssembly().GetManifestResourceStream(name)
            ?? throw new InvalidDataException($"DeepInterest.Notebooks.dll has no embedded resource '{name}' (see Temml/README.md)");
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }
}
