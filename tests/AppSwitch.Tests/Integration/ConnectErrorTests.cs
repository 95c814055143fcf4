using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;

namespace AppSwitch.Tests.Integration;

/// <summary>Connect failures reach the app at once and with the right errno.</summary>
[Collection(IntegrationCollection.Name)]
public sealed class ConnectErrorTests(ITestOutputHelper output)
{
    private const string PythonConnect = """
        import errno, socket, sys, time
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        t = time.monotonic()
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("connected", 0)
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno), round(time.monotonic() - t, 3))
        """;

    [Fact]
    public async Task Curl_to_a_virtual_ip_without_a_server_is_refused_at_once()
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["curl", "-sS", "--max-time", "10", $"http://{VirtualIps.Server}:81/"]);
        Assert.True(result.ExitCode == 7, "curl should fail to connect (exit 7): " + result.Describe());
        Assert.True(result.Elapsed < TimeSpan.FromSeconds(3), $"refusal took {result.Elapsed.TotalMilliseconds:F0} ms (ax run included)");
    }

    [Fact]
    public async Task Blocking_connect_to_a_virtual_ip_without_a_server_gets_ECONNREFUSED_at_once()
    {
        await using var node = await SingleNode.StartAsync(output);
        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client],
            ["python3", "-c", PythonConnect, VirtualIps.Server, "81"]);
        Assert.True(result.ExitCode == 0, result.Describe());
        var parts = result.StdOut.Trim().Split(' ');
        Assert.True(parts[0] == "ECONNREFUSED", result.Describe());
        Assert.True(double.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture) < 0.5,
            $"connect took {parts[1]} s to be refused");
    }
}
