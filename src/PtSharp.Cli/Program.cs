using System.CommandLine;
using PtSharp.Cli.Commands;

var root = new RootCommand("pt: read PyTorch .pt/.pth/.bin files (zip, legacy, TorchScript) without Python. Nothing in a file is ever executed.");
root.Subcommands.Add(InspectCommand.Create());
root.Subcommands.Add(ConvertCommand.Create());
root.Subcommands.Add(DiffCommand.Create());
root.Subcommands.Add(ScanCommand.Create());
root.Subcommands.Add(ReportCommand.Create());
root.Subcommands.Add(QuantizeCommand.Create());
root.Subcommands.Add(PruneCommand.Create());
return root.Parse(args).Invoke();
