using AppSwitch.Cli;
using AppSwitch.Common.CommandLine;

// Invoked by the static `ax` launcher with every argument after argv[0] (`get apps -o wide`).
return await CliApplication.RunAsync(args, EnvironmentSnapshot.Current(), Console.Out, Console.Error);
