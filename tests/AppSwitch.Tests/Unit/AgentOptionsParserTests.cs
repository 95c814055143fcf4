using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Common.CommandLine;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class AgentOptionsParserTests
{
    private static readonly NetworkInterfaceInfo[] Machine =
    [
        new("lo", true, true, [IPAddress.Loopback]),
        new("eth0", false, false, [IPAddress.Parse("10.0.0.5")]),
        new("v6only", true, false, [IPAddress.Parse("fd00::1")]),
        new("eth1", true, false, [IPAddress.Parse("fe80::1"), IPAddress.Parse("10.77.0.10")]),
    ];

    private static AgentOptionsParser Parser(IReadOnlyList<NetworkInterfaceInfo>? interfaces = null) =>
        new(new NodeAddressResolver(() => interfaces ?? Machine), () => "node-a");

    private static AgentOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
        Parser().Parse(args, env ?? new Dictionary<string, string>());

    private static string Error(string[] args, Dictionary<string, string>? env = null) =>
        Assert.Throws<UsageException>(() => Parse(args, env)).Message;

    [Fact]
    public void DefaultsFollowAppSwitch()
    {
        var options = Parse([]);
        Assert.Equal("node-a", options.NodeName);
        Assert.Equal("appswitch", options.Cluster);
        Assert.Equal(IPAddress.Parse("10.77.0.10"), options.NodeAddress);
        Assert.Equal("40000-60000", options.Ports.ToString());
        Assert.Equal(6664, options.RestPort);
        Assert.False(options.Clean);
        Assert.Equal("user", options.Driver);
        Assert.Equal("/var/run/appswitch", options.SocketDir);
        Assert.Equal("/run/appswitch-admin", options.AdminSocketDir);
        Assert.Null(options.ApiTokenFile);
        Assert.Equal(LogLevel.Information, options.LogLevel);
    }

    [Fact]
    public void EveryFlagIsRead()
    {
        using var token = new TokenFile("secret\n");
        var options = Parse([
            "--node-interface", "10.1.2.3", "--node-name", "n1", "--cluster=c1", "--ports", "7000,8000-8010",
            "--rest-port", "0", "--clean", "--driver", "user", "--socket-dir", "/tmp/ax", "--log-level", "debug",
            "--admin-socket-dir", "/tmp/ax-admin", "--api-token-file", token.Path,
        ]);
        Assert.Equal(IPAddress.Parse("10.1.2.3"), options.NodeAddress);
        Assert.Equal("n1", options.NodeName);
        Assert.Equal("c1", options.Cluster);
        Assert.Equal(12, options.Ports.Count);
        Assert.Equal(0, options.RestPort);
        Assert.True(options.Clean);
        Assert.Equal("/tmp/ax", options.SocketDir);
        Assert.Equal("/tmp/ax-admin", options.AdminSocketDir);
        Assert.Equal(token.Path, options.ApiTokenFile);
        Assert.Equal(LogLevel.Debug, options.LogLevel);
    }

    [Fact]
    public void EnvironmentFillsInAndFlagsWin()
    {
        var env = new Dictionary<string, string>
        {
            ["AX_NODE_NAME"] = "env-node", ["AX_CLUSTER"] = "env-cluster", ["AX_REST_PORT"] = "7000",
            ["AX_CLEAN"] = "true", ["AX_PORTS"] = "5000-5001", ["AX_SOCKET_DIR"] = "/tmp/env",
            ["AX_ADMIN_SOCKET_DIR"] = "/tmp/env-admin",
            ["AX_NODE_INTERFACE"] = "eth0", ["AX_LOG_LEVEL"] = "warning", ["AX_DRIVER"] = "user",
        };
        var fromEnv = Parse([], env);
        Assert.Equal("env-node", fromEnv.NodeName);
        Assert.Equal("env-cluster", fromEnv.Cluster);
        Assert.Equal(7000, fromEnv.RestPort);
        Assert.True(fromEnv.Clean);
        Assert.Equal(2, fromEnv.Ports.Count);
        Assert.Equal("/tmp/env", fromEnv.SocketDir);
        Assert.Equal("/tmp/env-admin", fromEnv.AdminSocketDir);
        Assert.Equal(IPAddress.Parse("10.0.0.5"), fromEnv.NodeAddress);
        Assert.Equal(LogLevel.Warning, fromEnv.LogLevel);

        var flagged = Parse(["--node-name", "flag-node", "--rest-port", "8000", "--clean=false", "--node-interface", "eth1"], env);
        Assert.Equal("flag-node", flagged.NodeName);
        Assert.Equal(8000, flagged.RestPort);
        Assert.False(flagged.Clean);
        Assert.Equal(IPAddress.Parse("10.77.0.10"), flagged.NodeAddress);
    }

    [Fact]
    public void TheHttpRelayIdleTimeoutIsOneMinuteUnlessSetByFlagOrEnvironment()
    {
        Assert.Equal(TimeSpan.FromSeconds(60), Parse([]).HttpRelayIdleTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(1500), Parse(["--http-relay-idle-timeout", "1500ms"]).HttpRelayIdleTimeout);
        Assert.Equal(TimeSpan.FromMinutes(2), Parse([], new Dictionary<string, string> { ["AX_HTTP_RELAY_IDLE_TIMEOUT"] = "2m" }).HttpRelayIdleTimeout);
        Assert.Equal(TimeSpan.Zero, Parse(["--http-relay-idle-timeout", "0"]).HttpRelayIdleTimeout);
    }

    [Fact]
    public void TheHandshakeTimeoutIsTenSecondsUnlessSetAndNeverZero()
    {
        Assert.Equal(TimeSpan.FromSeconds(10), Parse([]).HandshakeTimeout);
        Assert.Equal(TimeSpan.FromMilliseconds(2500), Parse(["--handshake-timeout", "2500ms"]).HandshakeTimeout);
        Assert.Equal(TimeSpan.FromSeconds(3), Parse([], new Dictionary<string, string> { ["AX_HANDSHAKE_TIMEOUT"] = "3s" }).HandshakeTimeout);
        Assert.Equal("invalid value \"0\" for --handshake-timeout: must be longer than zero", Error(["--handshake-timeout", "0"]));
    }

    [Fact]
    public void AxOptsAddsOptionsThatTheCommandLineOverrides()
    {
        var env = new Dictionary<string, string> { ["AX_OPTS"] = "  --cluster  from-opts\t--rest-port 9000 " };
        var options = Parse(["--rest-port", "9001"], env);
        Assert.Equal("from-opts", options.Cluster);
        Assert.Equal(9001, options.RestPort);
    }

    [Fact]
    public void XdsFlagsAndTheirEnvironmentForms()
    {
        Assert.False(Parse([]).Xds.Enabled);
        var fromEnv = Parse([], new Dictionary<string, string>
        {
            ["AX_XDS_ADDRESS"] = "istiod.istio-system.svc:15010", ["AX_XDS_CLUSTER_ID"] = "east", ["AX_XDS_NAMESPACE"] = "shop",
        }).Xds;
        Assert.Equal(("istiod.istio-system.svc:15010", "east", "shop"), (fromEnv.Address, fromEnv.ClusterId, fromEnv.Namespace));
        var flagsWin = Parse(["--xds-address", "10.0.0.9:15012", "--xds-cluster-id", "west"],
            new Dictionary<string, string> { ["AX_XDS_ADDRESS"] = "istiod:15010" }).Xds;
        Assert.Equal(("10.0.0.9:15012", "west"), (flagsWin.Address, flagsWin.ClusterId));
    }

    [Fact]
    public void AnInterfaceNameGivesItsFirstIPv4Address() =>
        Assert.Equal(IPAddress.Parse("10.77.0.10"), Parse(["--node-interface", "eth1"]).NodeAddress);

    [Fact]
    public void WithoutAnUsableInterfaceTheNodeAddressIsLoopback() =>
        Assert.Equal(IPAddress.Loopback,
            Parser([new("lo", true, true, [IPAddress.Loopback])]).Parse([], new Dictionary<string, string>()).NodeAddress);

    [Theory]
    [InlineData("invalid value \"nope0\" for --node-interface: no such interface (have: lo, eth0, v6only, eth1)", "--node-interface", "nope0")]
    [InlineData("invalid value \"v6only\" for --node-interface: interface v6only has no IPv4 address", "--node-interface", "v6only")]
    [InlineData("invalid value \"fd00::1\" for --node-interface: not an IPv4 address (IPv6 node addresses are not supported)", "--node-interface=fd00::1")]
    [InlineData("invalid value \"x\" for --rest-port: not a port number", "--rest-port", "x")]
    [InlineData("invalid value \"-1\" for --rest-port: not a port number", "--rest-port", "-1")]
    [InlineData("invalid value \"65536\" for --rest-port: not a port number", "--rest-port", "65536")]
    [InlineData("invalid value \"1-\" for --ports: '1-' is not a port or port range (1-65535)", "--ports", "1-")]
    [InlineData("the kernel driver is not available in this build; use --driver user", "--driver", "kernel")]
    [InlineData("invalid value \"fast\" for --driver: must be user or kernel", "--driver", "fast")]
    [InlineData("invalid value \"loud\" for --log-level: must be trace, debug, info, warning or error", "--log-level", "loud")]
    [InlineData("invalid value \"a b\" for --node-name: use 1-253 letters, digits, '-', '.' or '_'", "--node-name", "a b")]
    [InlineData("unknown flag --neighbours", "--neighbours", "10.0.0.1")]
    [InlineData("invalid value \"60\" for --http-relay-idle-timeout: '60' has no unit ms, s, m or h (e.g. 60s)", "--http-relay-idle-timeout", "60")]
    [InlineData("invalid value \"-5s\" for --http-relay-idle-timeout: '-5s' is not a duration (a whole number with ms, s, m or h, e.g. 60s)",
        "--http-relay-idle-timeout=-5s")]
    [InlineData("invalid value \"25h\" for --http-relay-idle-timeout: '25h' is longer than 24h", "--http-relay-idle-timeout", "25h")]
    [InlineData("flag --cluster needs a value", "--cluster")]
    [InlineData("invalid value \"istiod\" for --xds-address: must be HOST:PORT (like istiod.istio-system.svc:15012)", "--xds-address", "istiod")]
    [InlineData("invalid value \"istiod:0\" for --xds-address: must be HOST:PORT (like istiod.istio-system.svc:15012)", "--xds-address", "istiod:0")]
    [InlineData("invalid value \"a b:15010\" for --xds-address: must be HOST:PORT (like istiod.istio-system.svc:15012)", "--xds-address", "a b:15010")]
    [InlineData("invalid value \"/nonexistent/root.pem\" for --xds-ca-cert: no such file", "--xds-ca-cert", "/nonexistent/root.pem")]
    [InlineData("invalid value \"a/b\" for --xds-cluster-id: must be letters, digits, '-', '_' or '.'", "--xds-cluster-id", "a/b")]
    [InlineData("invalid value \"Default\" for --xds-namespace: must be a namespace name (lowercase letters, digits, '-')", "--xds-namespace", "Default")]
    [InlineData("unexpected argument \"extra\" (ax daemon takes only options)", "extra")]
    public void BadValuesAreNamed(string message, params string[] args) => Assert.Equal(message, Error(args));

    [Fact]
    public void BadEnvironmentValuesNameTheVariable()
    {
        Assert.Equal("invalid value \"off\" for AX_REST_PORT: not a port number",
            Error([], new Dictionary<string, string> { ["AX_REST_PORT"] = "off" }));
        Assert.Equal("the kernel driver is not available in this build; use --driver user",
            Error([], new Dictionary<string, string> { ["AX_DRIVER"] = "kernel" }));
    }

    [Fact]
    public void AnUnreadableOrEmptyTokenFileIsRefusedAtStart()
    {
        Assert.StartsWith("invalid value \"/nonexistent/token\" for --api-token-file: cannot read /nonexistent/token: ",
            Error(["--api-token-file", "/nonexistent/token"]));
        using var empty = new TokenFile(" \n");
        Assert.Equal($"invalid value \"{empty.Path}\" for --api-token-file: {empty.Path} holds no token (it is empty)",
            Error(["--api-token-file", empty.Path]));
    }

    [Fact]
    public void Tls_files_go_together()
    {
        using var pem = new TokenFile("not checked until the agent loads it");
        Assert.Equal("--api-cert and --api-key go together (the REST port's HTTPS certificate and its key)",
            Error(["--api-cert", pem.Path]));
        Assert.Equal("--api-client-ca needs --api-cert and --api-key (client certificates need HTTPS)",
            Error(["--api-client-ca", pem.Path]));
        Assert.StartsWith("invalid value \"/nonexistent/ca.pem\" for --api-client-ca: cannot read /nonexistent/ca.pem",
            Error(["--api-client-ca", "/nonexistent/ca.pem"]));
        var options = Parse(["--api-cert", pem.Path, "--api-key", pem.Path, "--api-client-ca", pem.Path]);
        Assert.Equal((pem.Path, pem.Path, pem.Path), (options.ApiCertFile, options.ApiKeyFile, options.ApiClientCaFile));
    }

    private sealed class TokenFile : IDisposable
    {
        public TokenFile(string content) => File.WriteAllText(Path, content);
        public string Path { get; } = System.IO.Path.GetTempFileName();
        public void Dispose() => File.Delete(Path);
    }

    [Fact]
    public void ASocketDirectoryTooLongForSunPathIsRefused() =>
        Assert.Contains("too long for a Unix socket path", Error(["--socket-dir", "/" + new string('d', 100)]));

    [Fact]
    public void HelpCarriesTheUsage()
    {
        var help = Assert.Throws<HelpRequestedException>(() => Parse(["--help"]));
        Assert.Equal(0, help.ExitCode);
        Assert.StartsWith("Usage: ax daemon [options]\n", help.Message);
        foreach (var flag in new[] { "--node-interface", "--node-name", "--cluster", "--ports", "--rest-port", "--clean", "--driver", "--socket-dir", "--admin-socket-dir", "--api-token-file", "--log-level" })
            Assert.Contains(flag, help.Message);
        Assert.Contains("env AX_NODE_INTERFACE", help.Message);
    }

    [Fact]
    public void TheSocketLockIsOnByDefaultInItsOwnCgroup()
    {
        var options = Parse([]);
        Assert.True(options.SocketLock);
        Assert.Equal("appswitch-agent", options.SocketLockCgroup);
        var set = Parse(["--socket-lock=false"], new Dictionary<string, string> { ["AX_SOCKET_LOCK_CGROUP"] = "ax-node" });
        Assert.False(set.SocketLock);
        Assert.Equal("ax-node", set.SocketLockCgroup);
    }

    [Theory]
    [InlineData("a/b")]
    [InlineData("..")]
    [InlineData("")]
    public void ASocketLockCgroupIsOneDirectoryName(string name) =>
        Assert.Contains("use one cgroup directory name", Error(["--socket-lock-cgroup", name]));

    [Fact]
    public void PreserveClientIpIsOnByDefaultAndTurnsOffByFlagOrEnvironment()
    {
        Assert.True(Parse([]).PreserveClientIp);
        Assert.False(Parse(["--preserve-client-ip=false"]).PreserveClientIp);
        Assert.False(Parse([], new Dictionary<string, string> { ["AX_PRESERVE_CLIENT_IP"] = "false" }).PreserveClientIp);
        Assert.True(Parse(["--preserve-client-ip=true"], new Dictionary<string, string> { ["AX_PRESERVE_CLIENT_IP"] = "false" }).PreserveClientIp);
    }
}
