using TorchSharp;
using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>Turns a device request ("cpu", "cuda", "cuda:N", "auto") into a TorchSharp device.</summary>
public static class DeviceSelection
{
    /// <summary>Environment variable that chooses the device when none is requested (or "auto" is).</summary>
    public const string EnvironmentVariable = "DEEPINTEREST_DEVICE";

    private const string CudaHelp =
        "this process has no usable CUDA backend. On a Linux machine with an NVIDIA GPU, reference the TorchSharp-cuda-linux " +
        "package (same version as TorchSharp) instead of TorchSharp-cpu / libtorch-cpu-linux-x64, or ask for device \"cpu\"";

    /// <summary>
    /// "cpu" → CPU; "cuda" / "cuda:N" → that GPU, or a clear error when CUDA is unavailable; null or "auto" → the value
    /// of <c>DEEPINTEREST_DEVICE</c> if set, otherwise CUDA when available and CPU if not. CUDA is probed only when
    /// the request could mean it.
    /// </summary>
    public static Device Resolve(string? requested) => Resolve(requested, Environment.GetEnvironmentVariable(EnvironmentVariable));

    internal static Device Resolve(string? requested, string? environmentValue)
    {
        if (Request(requested, environmentValue) is not (string request, string source)) return cuda.is_available() ? CUDA : CPU;
        return ParseCudaIndex(request, source) is { } index ? RequireCuda(index, request, source) : CPU;
    }

    /// <summary>
    /// Throws what <see cref="Resolve(string)"/> would throw for <paramref name="requested"/>, without loading libtorch
    /// unless a GPU is asked for: a front end checks a device request before it starts any work.
    /// </summary>
    public static void Check(string? requested) => Check(requested, Environment.GetEnvironmentVariable(EnvironmentVariable));

    internal static void Check(string? requested, string? environmentValue)
    {
        if (Request(requested, environmentValue) is (string request, string source) &&
            ParseCudaIndex(request, source) is { } index)
            RequireCuda(index, request, source);
    }

    /// <summary>The explicit request, else the environment's, with where it came from; null for "auto" (or nothing) in both.</summary>
    private static (string Request, string Source)? Request(string? requested, string? environmentValue)
    {
        var request = requested?.Trim().ToLowerInvariant();
        if (request is not (null or "" or "auto")) return (request, "device request");
        var fromEnvironment = environmentValue?.Trim().ToLowerInvariant();
        return fromEnvironment is not (null or "" or "auto") ? (fromEnvironment, $"environment variable {EnvironmentVariable}") : null;
    }

    /// <summary>null for "cpu", N for "cuda" (0) or "cuda:N".</summary>
    private static int? ParseCudaIndex(string request, string source)
    {
        if (request == "cpu") return null;
        if (request == "cuda") return 0;
        if (request.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(request["cuda:".Length..], out int index) && index >= 0)
            return index;
        throw new ArgumentException($"{source} '{request}' is not a device; expected \"cpu\", \"cuda\", \"cuda:N\" or \"auto\"");
    }

    private static Device RequireCuda(int index, string request, string source)
    {
        if (!cuda.is_available())
            throw new InvalidOperationException($"{source} '{request}' asks for a GPU, but {CudaHelp}");
        int count = cuda.device_count();
        if (index >= count)
            throw new ArgumentException($"{source} '{request}' names GPU {index}, but this machine has {count} (cuda:0 … cuda:{count - 1})");
        return new Device(DeviceType.CUDA, index);
    }
}
