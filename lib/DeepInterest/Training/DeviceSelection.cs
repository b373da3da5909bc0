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
        var request = requested?.Trim().ToLowerInvariant();
        if (request is null or "" or "auto")
        {
            var fromEnvironment = environmentValue?.Trim().ToLowerInvariant();
            if (fromEnvironment is not (null or "" or "auto"))
                return Parse(fromEnvironment, $"environment variable {EnvironmentVariable}");
            return cuda.is_available() ? CUDA : CPU;
        }
        return Parse(request, "device request");
    }

    private static Device Parse(string request, string source)
    {
        if (request == "cpu") return CPU;
        if (request == "cuda") return RequireCuda(0, request, source);
        if (request.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(request["cuda:".Length..], out int index) && index >= 0)
            return RequireCuda(index, request, source);
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
