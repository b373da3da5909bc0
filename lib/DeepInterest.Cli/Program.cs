using System.CommandLine;
using DeepInterest.Cli.Commands;

var root = new RootCommand("DeepInterest — attention-based CTR models (DIN, DIEN, DSIN, BST) on TorchSharp")
{
    CompareCommand.Create(),
    DataCommand.Create(),
};
return await root.Parse(args).InvokeAsync();
