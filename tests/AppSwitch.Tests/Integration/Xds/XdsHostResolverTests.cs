using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Tests.Infrastructure;
using Microsoft.Extensions.Logging.Abstractions;
using Xunit;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// The resolver of ServiceEntry hostnames against a real DNS server (the tests' stub, on loopback; no root): the
/// first answer, the next one after the refresh when the server's answer changes, NXDOMAIN kept as the reason.
/// </summary>
public sealed class XdsHostResolverTests : IAsyncLifetime
{
    private const string Api = "api.example.com";
    private static readonly string StubServer = Path.Combine(RepoLayout.HelpersDir, "dns_stub_server.py");
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(60);
    private readonly TempDirectory _files = new();
    private RunningProcess? _server;
    private int _port;

    private string AnswerFile => Path.Combine(_files.Path, "answer");

    public async Task InitializeAsync()
    {
        File.WriteAllText(AnswerFile, "198.51.100.7");
        // A free port: taken from the kernel, then handed to the stub (another taker in between: try the next one).
        for (var attempt = 0; _server is null; attempt++)
        {
            using (var probe = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp))
            {
                probe.Bind(new IPEndPoint(IPAddress.Loopback, 0));
                _port = ((IPEndPoint)probe.LocalEndPoint!).Port;
            }
            var server = RunningProcess.Start("python3", [StubServer, "--port", _port.ToString(), Api, "@" + AnswerFile]);
            await Eventually.UntilAsync(() => server.StdOut.Contains("ready") || server.HasExited, Wait, "the stub DNS server to start");
            if (!server.HasExited) _server = server;
            else if (attempt == 3) throw new InvalidOperationException("the stub DNS server did not start: " + server.Describe());
            else await server.DisposeAsync();
        }
    }

    public async Task DisposeAsync()
    {
        if (_server is not null) await _server.DisposeAsync();
        _files.Dispose();
    }

    [Fact]
    public async Task A_name_is_resolved_then_followed_when_its_answer_changes()
    {
        await using var resolver = new XdsHostResolver(new DnsForwarder([new IPEndPoint(IPAddress.Loopback, _port)], TimeSpan.FromSeconds(2)), NullLogger.Instance);
        var changes = 0;
        resolver.Changed += () => Interlocked.Increment(ref changes);
        resolver.Want([new XdsDnsName(Api, TimeSpan.FromSeconds(1), RespectTtl: false)]);
        await Eventually.UntilAsync(() => resolver.Addresses(Api) is [var a] && a.Equals(IPAddress.Parse("198.51.100.7")), Wait, "the first answer");

        File.WriteAllText(AnswerFile, "198.51.100.8");
        await Eventually.UntilAsync(() => resolver.Addresses(Api) is [var a] && a.Equals(IPAddress.Parse("198.51.100.8")), Wait,
            "the changed answer after a refresh", () => $"addresses: {string.Join(", ", resolver.Addresses(Api) ?? [])}");
        await Eventually.UntilAsync(() => Volatile.Read(ref changes) == 2, Wait, "one change event per new answer");
    }

    [Fact]
    public async Task A_name_the_server_does_not_know_has_no_addresses_and_says_why()
    {
        await using var resolver = new XdsHostResolver(new DnsForwarder([new IPEndPoint(IPAddress.Loopback, _port)], TimeSpan.FromSeconds(2)), NullLogger.Instance);
        resolver.Want([new XdsDnsName("nowhere.example.com", TimeSpan.FromSeconds(1), RespectTtl: true)]);
        await Eventually.UntilAsync(() => resolver.Error("nowhere.example.com") is not null, Wait, "the lookup to fail");
        Assert.Equal("NXDOMAIN", resolver.Error("nowhere.example.com"));
        Assert.Null(resolver.Addresses("nowhere.example.com"));
    }
}
