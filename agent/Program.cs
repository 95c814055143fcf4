using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Hosting;
using AppSwitch.Common.CommandLine;

// `ax daemon [options]`: parse, then serve until SIGTERM/SIGINT.
AgentOptions options;
try
{
    options = AgentOptionsParser.ForThisHost().Parse(args, EnvironmentSnapshot.Current());
}
catch (HelpRequestedException help)
{
    Console.Out.Write(help.Message);
    return 0;
}
catch (UsageException e)
{
    Console.Error.WriteLine($"ax daemon: {e.Message}");
    return e.ExitCode;
}

// Seccomp user notification, pidfds and Unix socket file modes: the agent is Linux-only by design.
if (!OperatingSystem.IsLinux())
{
    Console.Error.WriteLine("ax daemon: the AppSwitch agent runs on Linux only");
    return 1;
}

return await AgentHost.RunAsync(options);
