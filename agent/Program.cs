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

return await AgentHost.RunAsync(options);
