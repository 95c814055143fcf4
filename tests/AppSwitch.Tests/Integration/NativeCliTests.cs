using System.Text.RegularExpressions;
using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>
/// Issue 18 point 5: `make build` installs the CLI as one NativeAOT binary. It needs no .NET runtime on the node:
/// with the runtime's directory hidden (an empty tmpfs over it, in a mount namespace of the command's own), `ax get`,
/// `-o yaml` and `ax create rule -f` from a YAML file (the YAML parser and the source-generated JSON, the parts a
/// trimmed binary could lose) still answer as they do everywhere else.
/// </summary>
public sealed class NativeCliTests(ITestOutputHelper output)
{
    private const string Rule = """
        rules:
        - id: native-split
          destination: helloworld
          route:
            backends:
            - {tags: [v2], weight: 0.25}
            - tags: [v1]
        """;

    /// <summary>The directory of the .NET installation this test runs on (…/dotnet, above shared/Microsoft.NETCore.App/VERSION).</summary>
    private static string DotnetRoot =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(typeof(object).Assembly.Location)!, "..", "..", ".."));

    /// <summary>`command` with the .NET installation hidden; exits 99 when the hiding did not work (so the test cannot pass by it).</summary>
    private static string[] WithoutDotnet(params string[] command) =>
    [
        "env", "-u", "DOTNET_ROOT", "unshare", "--mount", "--propagation", "private", "sh", "-c",
        """mount -t tmpfs none "$1" && if [ -e "$2" ]; then echo "$2 still visible" >&2; exit 99; fi; shift 2; exec "$@" """,
        "sh", DotnetRoot, typeof(object).Assembly.Location, .. command,
    ];

    [Fact]
    public void The_installed_cli_is_one_native_binary()
    {
        var cliDir = Path.Combine(RepoLayout.OutDir, "lib", "appswitch", "cli");
        Assert.Equal(["ax-cli"], Directory.GetFileSystemEntries(cliDir).Select(Path.GetFileName));
        var head = new byte[4];
        using (var file = File.OpenRead(Path.Combine(cliDir, "ax-cli"))) file.ReadExactly(head);
        Assert.Equal("\u007fELF"u8.ToArray(), head);
    }

    [Fact]
    public async Task Get_and_create_from_yaml_work_with_no_dotnet_runtime_on_the_node()
    {
        await using var node = await SingleNode.StartWithHttpServerAsync(output);
        var ax = RepoLayout.RequireAx();

        var servers = await node.Shell.RunAsync(WithoutDotnet(ax, "get", "servers"));
        Assert.True(servers.ExitCode == 0, servers.Describe());
        Assert.Matches($@"\s{Regex.Escape(VirtualIps.Server)}:80\s", servers.StdOut);

        var file = node.Network.Temp.WriteFile("rule.yaml", Rule);
        var created = await node.Shell.RunAsync(WithoutDotnet(ax, "create", "rule", "-f", file));
        Assert.True(created.ExitCode == 0, created.Describe());
        Assert.Equal("Rule 'native-split' created successfully.", created.StdOut.Trim());

        var yaml = await node.Shell.RunAsync(WithoutDotnet(ax, "get", "rules", "-o", "yaml"));
        Assert.True(yaml.ExitCode == 0, yaml.Describe());
        Assert.Contains("id: native-split", yaml.StdOut);
        Assert.Contains("weight: 0.25", yaml.StdOut);

        // A mistake is still one line and exit 2 (the usage path of the trimmed binary).
        var wrong = await node.Shell.RunAsync(WithoutDotnet(ax, "get", "nonsense"));
        Assert.True(wrong.ExitCode == 2, wrong.Describe());
        Assert.Single(wrong.StdErr.Trim().Split('\n'));
        Assert.StartsWith("ax: unknown resource type \"nonsense\"", wrong.StdErr);
    }
}
