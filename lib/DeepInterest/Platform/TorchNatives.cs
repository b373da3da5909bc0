using System.Reflection;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Platform;

/// <summary>
/// Starts TorchSharp safely: its own native libraries loaded by full path, and a check that the build's keep-alive
/// rewrite of TorchSharp.dll is in place (README, "Platform notes"). Notebooks call <see cref="InitializeCpu"/> or
/// <see cref="InitializeCuda"/> in their setup cell right after <c>#r "nuget: TorchSharp-cpu"</c>; the CLI and the tests
/// call <see cref="Preload"/> before their first TorchSharp call.
/// </summary>
public static class TorchNatives
{
    /// <summary>
    /// The assembly-metadata key that lib/Build/KeepNativeArgumentsAlive.cs writes into the TorchSharp.dll it rewrites
    /// (the build task cannot reference this library, so the string is spelled in both places).
    /// </summary>
    public const string KeepAliveMarker = "DeepInterest.KeepNativeArgumentsAlive";

    private static readonly object gate = new();
    private static string[]? preloaded;

    /// <summary>The keep-alive rule the loaded TorchSharp.dll was rewritten with, or null for TorchSharp as published.</summary>
    public static string? KeepAliveRule =>
        typeof(torch).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == KeepAliveMarker)?.Value;

    /// <summary>The native libraries <see cref="Preload"/> loaded by full path (empty before, or where it found none to load).</summary>
    public static IReadOnlyList<string> Preloaded => preloaded ?? [];

    /// <summary>CPU backend for a notebook: <see cref="Preload"/>, then TorchSharp's CPU initialization.</summary>
    /// <exception cref="InvalidOperationException">The rewrite is missing, or a native library failed to load; the
    /// message carries the loader's own error and what to do.</exception>
    public static Device InitializeCpu()
    {
        Preload();
        torch.InitializeDeviceType(DeviceType.CPU);
        return CPU;
    }

    /// <summary>
    /// CUDA backend for a notebook that referenced TorchSharp-cuda-linux or -windows. From the NuGet folder TorchSharp
    /// assembles the CUDA build of libtorch from its split packages and loads it by path itself.
    /// </summary>
    public static Device InitializeCuda()
    {
        RequireKeepAlive();
        torch.InitializeDeviceType(DeviceType.CUDA);
        if (!cuda.is_available())
            throw new InvalidOperationException("TorchSharp's CUDA backend loaded but sees no CUDA device; check the NVIDIA driver " +
                                                "(nvidia-smi), or set DEEPINTEREST_DEVICE=cpu before starting the kernel to use the CPU.");
        return CUDA;
    }

    /// <summary>
    /// Checks the keep-alive rewrite, then on Linux loads libtorch and LibTorchSharp by full path from where this process
    /// got TorchSharp.dll: the app's own folder (CLI, tests; CPU or CUDA build), or the NuGet packages folder (CPU
    /// notebooks: there it loads the CPU build, so a CUDA notebook calls <see cref="InitializeCuda"/> instead). TorchSharp
    /// itself first asks the system loader for <c>torch_cpu</c> by name, which can pick up another libtorch on the
    /// library path (Debian's python3-torch puts 1.13 in /usr/lib/x86_64-linux-gnu; LD_LIBRARY_PATH) and then fails with
    /// a misleading message. Later by-name lookups get the libraries loaded here, since the loader matches loaded
    /// libraries by soname first. Also sets glibc's malloc up for large tensors (<see cref="CpuAllocator"/>).
    /// Idempotent; call it before the first TorchSharp call.
    /// </summary>
    public static void Preload()
    {
        RequireKeepAlive();
        if (!OperatingSystem.IsLinux()) return;
        lock (gate)
        {
            if (preloaded is not null) return;
            CpuAllocator.KeepFreedMemory();
            var libraries = LocateLinuxLibraries();
            preloaded = [];
            if (libraries.Length == 0) return; // an unknown layout: TorchSharp's own loader searches
            var foreign = LoadedLibTorchFiles().Where(file => !libraries.Any(lib => Path.GetDirectoryName(lib) == Path.GetDirectoryName(file))).ToList();
            if (foreign.Count > 0)
                throw new InvalidOperationException(
                    $"this process already has another libtorch loaded ({string.Join(", ", foreign)}), so TorchSharp cannot load " +
                    $"its own libtorch {LibTorchVersion}. Restart the kernel (or process) and run the setup first, before anything else uses libtorch.");
            foreach (var library in libraries) Load(library);
            preloaded = libraries;
        }
    }

    /// <summary>Throws when TorchSharp.dll is not the build's rewritten copy, naming the file and the remedy.</summary>
    public static void RequireKeepAlive()
    {
        if (KeepAliveRule is not null) return;
        throw new InvalidOperationException(
            $"{typeof(torch).Assembly.Location} is TorchSharp as published, without DeepInterest's keep-alive rewrite, so any " +
            "garbage collection during training can crash it at random (README, \"Platform notes\"). Run `dotnet build` in the " +
            "DeepInterest folder once (it rewrites the copy in the NuGet packages folder), then restart the kernel or process.");
    }

    /// <summary>
    /// libtorch's libraries in dependency order, then libLibTorchSharp.so, by full path; empty where neither layout
    /// applies. Each library's dependencies must already be loaded: the loader searches LD_LIBRARY_PATH before a
    /// library's own RUNPATH ($ORIGIN), so a dependency left to it could still come from elsewhere.
    /// </summary>
    private static string[] LocateLinuxLibraries()
    {
        var assemblyFolder = Path.GetDirectoryName(typeof(torch).Assembly.Location)!;
        // App layout: the build copied every native file of the chosen backend (CPU or CUDA) next to the app.
        foreach (var folder in new[] { Path.Combine(assemblyFolder, "runtimes", "linux-x64", "native"), assemblyFolder })
            if (LibTorchInDependencyOrder(folder) is { } app && File.Exists(Path.Combine(folder, "libLibTorchSharp.so")))
                return [.. app, Path.Combine(folder, "libLibTorchSharp.so")];
        // NuGet layout: <packages>/torchsharp/<version>/lib/<framework>/TorchSharp.dll, libtorch in its own CPU package.
        var torchSharpHome = Path.GetFullPath(Path.Combine(assemblyFolder, "..", ".."));
        var libTorchSharp = Path.Combine(torchSharpHome, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        var libTorchFolder = Path.GetFullPath(Path.Combine(torchSharpHome, "..", "..", "libtorch-cpu-linux-x64", LibTorchVersion,
                                                           "runtimes", "linux-x64", "native"));
        return File.Exists(libTorchSharp) && LibTorchInDependencyOrder(libTorchFolder) is { } packaged ? [.. packaged, libTorchSharp] : [];
    }

    /// <summary>OpenMP, c10, libtorch_cpu, the CUDA parts where present, then libtorch; null unless the folder has libtorch.</summary>
    private static string[]? LibTorchInDependencyOrder(string folder)
    {
        if (!File.Exists(Path.Combine(folder, "libtorch.so")) || !File.Exists(Path.Combine(folder, "libtorch_cpu.so"))) return null;
        var openMp = Directory.GetFiles(folder, "libgomp*.so*").Order(StringComparer.Ordinal);
        var libTorch = new[] { "libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so" }
            .Select(name => Path.Combine(folder, name)).Where(File.Exists);
        return [.. openMp, .. libTorch];
    }

    private static void Load(string path)
    {
        try
        {
            NativeLibrary.Load(path);
        }
        catch (DllNotFoundException e)
        {
            throw new InvalidOperationException(
                $"could not load {path}: {e.Message.Trim()} If the error names an undefined symbol, another libtorch is in the " +
                "way (check LD_LIBRARY_PATH); if it names a GLIBCXX version, run `dotnet build` in the DeepInterest folder (it " +
                "patches TorchSharp for older libstdc++). Then restart the kernel or process.", e);
        }
    }

    /// <summary>The libtorch and c10 files mapped into this process (/proc/self/maps), wherever they came from.</summary>
    private static IEnumerable<string> LoadedLibTorchFiles() =>
        File.ReadLines("/proc/self/maps")
            .Select(line => line.IndexOf('/') is var slash and >= 0 ? line[slash..] : null)
            .OfType<string>()
            .Where(file => Path.GetFileName(file) is var name && (name.StartsWith("libtorch_cpu.so", StringComparison.Ordinal) ||
                                                                  name.StartsWith("libc10.so", StringComparison.Ordinal)))
            .Distinct();

    /// <summary>The libtorch version this library was built against (Directory.Packages.props), from its assembly metadata.</summary>
    private static string LibTorchVersion =>
        typeof(TorchNatives).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "LibTorchVersion").Value!;
}
