using AppSwitch.Cli.Commands;
using AppSwitch.Common.CommandLine;
using AppSwitch.Common.Paths;

namespace AppSwitch.Cli;

/// <summary>
/// The C# side of `ax`: the static launcher runs `ax run` itself and hands every other command line here.
/// Usage mistakes print one line and exit 2; failures (daemon unreachable, error answers) exit 1.
/// </summary>
internal static class CliApplication
{
    private const string UsageLine = "ax [--socket-dir DIR] [--admin-socket-dir DIR] COMMAND [ARGS...]";
    private const string Description = """
        AppSwitch for .NET: applications on virtual IPs, their network calls handled by the node agent.

        Commands:
          daemon    run the node agent (ax daemon --help lists its options)
          run       run a program under AppSwitch: ax run [--ip A.B.C.D] [--name N] [--labels K=V,...] [--] COMMAND [ARGS...]
          get       show apps, servers, sockets, nodes, vservices, proxies, services, rules, routes, actions or xds:
                    ax get apps|servers|sockets|nodes|vservices|proxies|services|rules|routes|actions|xds [-o json|yaml|wide]
          create    create a virtual service: ax create vservice --ip VIP --backends IP,... --ports VPORT:APORT,... NAME
                    or Amalgam8 rules: ax create rule -f FILE|-
          delete    delete a virtual service or rules: ax delete vservice NAME | ax delete rule ID... (alias: del)
          keys      the cluster's gossip keys: ax keys list | install KEY | use KEY | remove KEY
          version   print the version
        """;

    private static readonly OptionSet GlobalOptions = new()
    {
        new("socket-dir")
        {
            ValueName = "DIR", EnvironmentVariable = SocketDirectory.EnvironmentVariable, DefaultValue = SocketDirectory.Default,
            Help = "directory of the agent's launcher socket (ax run)",
        },
        new("admin-socket-dir")
        {
            ValueName = "DIR", EnvironmentVariable = AdminSocketDirectory.EnvironmentVariable, DefaultValue = AdminSocketDirectory.Default,
            Help = "directory of the agent's admin API socket (get, create, delete)",
        },
    };

    public static string Usage => GlobalOptions.FormatUsage(UsageLine, Description);

    public static async Task<int> RunAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        TextWriter stdout, TextWriter stderr)
    {
        try
        {
            return await DispatchAsync(args, environment, stdout, stderr);
        }
        catch (HelpRequestedException help)
        {
            stdout.Write(help.Message);
            return help.ExitCode;
        }
        catch (UsageException e)
        {
            stderr.WriteLine($"ax: {e.Message}");
            return e.ExitCode;
        }
        catch (CliException e)
        {
            stderr.WriteLine($"ax: {e.Message}");
            return e.ExitCode;
        }
    }

    private static async Task<int> DispatchAsync(IReadOnlyList<string> args, IReadOnlyDictionary<string, string> environment,
        TextWriter stdout, TextWriter stderr)
    {
        // Global options come before the command; the command's own options are parsed by the command.
        var global = GlobalOptions.Parse(args, environment, ParseMode.StopAtFirstPositional);
        if (global.HelpRequested || global.FirstPositionalIndex < 0) throw new HelpRequestedException(Usage);

        var command = args[global.FirstPositionalIndex];
        var rest = args.Skip(global.FirstPositionalIndex + 1).ToList();
        var socketDir = global.GetString("socket-dir")!;
        var adminDir = global.GetString("admin-socket-dir")!;
        switch (command)
        {
            case "help":
                // `ax help get` is `ax get --help`.
                return rest.Count == 0
                    ? Help(stdout)
                    : await DispatchAsync([rest[0], "--help"], environment, stdout, stderr);
            case "version":
                if (rest.Count > 0) throw new UsageException($"unexpected argument \"{rest[0]}\" (usage: ax version)");
                await stdout.WriteLineAsync(VersionCommand.Line());
                return 0;
            case "get":
                return await GetCommand.RunAsync(rest, adminDir, stdout, stderr);
            case "create":
                return await CreateCommand.RunAsync(rest, adminDir, stdout, stderr);
            case "delete" or "del":
                return await DeleteCommand.RunAsync(rest, adminDir, stdout);
            case "keys":
                return await KeysCommand.RunAsync(rest, adminDir, stdout, stderr);
            case "run":
                throw new UsageException("'run' is handled by the ax launcher (out/bin/ax); run it through ax");
            case "daemon":
                // Directories given before `daemon` are the agent's too.
                List<string> daemonArgs = [];
                if (global.SourceOf("socket-dir") == ValueSource.Flag) daemonArgs.AddRange(["--socket-dir", socketDir]);
                if (global.SourceOf("admin-socket-dir") == ValueSource.Flag) daemonArgs.AddRange(["--admin-socket-dir", adminDir]);
                daemonArgs.AddRange(rest);
                return DaemonCommand.Run(daemonArgs, environment, stderr);
            default:
                throw new UsageException($"unknown command \"{command}\" (see ax --help)");
        }
    }

    private static int Help(TextWriter stdout)
    {
        stdout.Write(Usage);
        return 0;
    }
}
