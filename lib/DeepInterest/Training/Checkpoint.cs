using TorchSharp.PyBridge;
using static TorchSharp.torch;

namespace DeepInterest.Training;

/// <summary>
/// Saves and loads a model's parameters and buffers. Files are written atomically — to a temporary file in the same
/// folder, then renamed — so a crash mid-write never leaves a half-written checkpoint under the real name.
/// </summary>
public static class Checkpoint
{
    /// <summary>The best epoch's weights, in the trainer's checkpoint folder.</summary>
    public const string BestFileName = "best.dat";

    /// <summary>Writes the model's state in TorchSharp's format (read back with <see cref="Load"/>).</summary>
    public static void Save(nn.Module model, string path) => AtomicFile.Write(path, stream => model.save(stream));

    /// <summary>Loads weights saved by <see cref="Save"/> into a model of the same architecture.</summary>
    public static void Load(nn.Module model, string path)
    {
        RequireFile(path);
        model.load(path);
    }

    /// <summary>
    /// Writes the model's state_dict as a PyTorch pickle (TorchSharp.PyBridge), so Python can do
    /// <c>model.load_state_dict(torch.load(path))</c> with a module whose parameter names match.
    /// </summary>
    public static void ExportPyTorch(nn.Module model, string path) => AtomicFile.Write(path, stream => model.save_py(stream, leaveOpen: true));

    /// <summary>Loads a PyTorch state_dict file (from <see cref="ExportPyTorch"/> or <c>torch.save</c>).</summary>
    public static void ImportPyTorch(nn.Module model, string path)
    {
        RequireFile(path);
        model.load_py(path);
    }

    private static void RequireFile(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"no checkpoint at '{Path.GetFullPath(path)}'", path);
    }
}
