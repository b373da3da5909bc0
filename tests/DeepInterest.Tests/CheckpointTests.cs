using DeepInterest.Layers;
using DeepInterest.Training;
using TorchSharp.PyBridge;
using Xunit;
using static TorchSharp.torch;

namespace DeepInterest.Tests;

public sealed class CheckpointTests : IDisposable
{
    private readonly string folder = Path.Combine(Path.GetTempPath(), $"deepinterest-checkpoints-{Guid.NewGuid():N}");
    private readonly Trainer trainer = new(new TrainerConfig { Epochs = 2, BatchSize = 64, LearningRate = 0.05, Device = "cpu" });
    private readonly Data.CtrDataset data = TinyCtrData.Create();

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }

    private MeanPoolCtrModel NewModel() => new(MeanPoolCtrModel.Space(data));

    private double[] Scores(MeanPoolCtrModel model) => trainer.Predict(model, data.Test, data.Vocabulary).Probabilities;

    [Fact]
    public void SavedWeightsLoadIntoAFreshModelWithIdenticalOutputs()
    {
        using var saved = NewModel();
        using var fresh = NewModel();
        var path = Path.Combine(folder, "model.dat");
        Assert.NotEqual(Scores(saved), Scores(fresh));

        Checkpoint.Save(saved, path);
        Checkpoint.Load(fresh, path);

        Assert.Equal(Scores(saved), Scores(fresh));
    }

    [Fact]
    public void SavingOverwritesAtomicallyAndLeavesNoTemporaryFiles()
    {
        using var first = NewModel();
        using var second = NewModel();
        using var loaded = NewModel();
        var path = Path.Combine(folder, "nested", "model.dat");

        Checkpoint.Save(first, path);
        Checkpoint.Save(second, path);
        Checkpoint.Load(loaded, path);

        Assert.Equal([path], Directory.GetFiles(Path.GetDirectoryName(path)!));
        Assert.Equal(Scores(second), Scores(loaded));
    }

    [Fact]
    public void LoadingAMissingCheckpointSaysWhere()
    {
        using var model = NewModel();
        var path = Path.Combine(folder, "absent.dat");

        var error = Assert.Throws<FileNotFoundException>(() => Checkpoint.Load(model, path));

        Assert.Contains(path, error.Message);
    }

    [Fact]
    public void PyTorchExportIsAStateDictOfTheNamedParameters()
    {
        using var model = NewModel();
        using var fresh = NewModel();
        var path = Path.Combine(folder, "model.pt");

        Checkpoint.ExportPyTorch(model, path);
        using var stream = File.OpenRead(path);
        var stateDict = PyTorchUnpickler.UnpickleStateDict(stream);
        Checkpoint.ImportPyTorch(fresh, path);

        // Every parameter under its PyTorch name with its exact values; persistent buffers come along, as in PyTorch.
        Assert.Equal(model.state_dict().Keys.Order(), stateDict.Keys.Cast<string>().Order());
        foreach (var (name, parameter) in model.named_parameters())
            Assert.True(parameter.detach().allclose((Tensor)stateDict[name]!, rtol: 0, atol: 0), $"{name} differs after the PyTorch export");
        Assert.Equal(Scores(model), Scores(fresh));
        Assert.Single(Directory.GetFiles(folder));
    }

    [Fact]
    public void TrainerWritesTheBestEpochToTheCheckpointFolder()
    {
        using var model = NewModel();
        using var fresh = NewModel();
        var checkpointing = new Trainer(trainer.Config with { CheckpointDirectory = folder });

        checkpointing.Fit(model, data);
        Checkpoint.Load(fresh, Path.Combine(folder, Checkpoint.BestFileName));

        Assert.Equal(Scores(model), Scores(fresh));
    }
}
