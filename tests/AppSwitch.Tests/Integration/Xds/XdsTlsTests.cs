using System.Net;
using AppSwitch.Agent.Xds;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using AppSwitch.Tests.Infrastructure.Xds;
using Xunit;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;

namespace AppSwitch.Tests.Integration.Xds;

/// <summary>
/// The ADS client against the stand-in serving TLS on loopback as istiod's 15012 does, with a CA this test made and a
/// bearer token it checks: the right CA and token get the config; a certificate from another CA, a missing token file
/// and a token the server refuses each leave the client disconnected with one precise log line and the same sentence
/// in its status (what `ax get xds` prints), and nothing applied.
/// </summary>
public sealed class XdsTlsTests : IDisposable
{
    private const string Token = "eyJhbGciOiJSUzI1NiJ9.istio-ca.token";
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(20);

    private readonly TempDirectory _dir = new();
    private readonly TestCertificates _istioCa = TestCertificates.Create("istio-ca");
    private readonly TestCertificates _otherCa = TestCertificates.Create("some-other-ca");
    private readonly XdsRegistry _registry = new();
    private readonly RecordingLogger<AdsClient> _log = new();

    [Fact]
    public async Task WithIstiosCaAndTheTokenTheConfigIsAppliedAndTheTokenSentAsIstioProxySendsIt()
    {
        await using var pilot = await StartPilotAsync();
        await using var client = await StartClientAsync(pilot, CaFile(_istioCa), TokenFile(Token + "\n"));

        await Eventually.UntilAsync(() => _registry.Status.Types.All(t => t.AckedVersion is not null), Wait, "every type ACKed over TLS");
        Assert.Equal(("connected", null), (_registry.Status.State, _registry.Status.LastError));
        Assert.Single(_registry.Config.Rules);
        Assert.All(pilot.Requests, r => Assert.Equal(("Bearer " + Token, "Kubernetes"), (r.Authorization, r.ClusterId)));
        Assert.Empty(pilot.RefusedCalls);
    }

    [Fact]
    public async Task ACertificateFromAnotherCaIsRefusedWithOneLineSayingWhy()
    {
        await using var pilot = await StartPilotAsync();
        var caFile = CaFile(_otherCa);
        await using var client = await StartClientAsync(pilot, caFile, TokenFile(Token));

        await Eventually.UntilAsync(() => _log.Lines.Count > 0, Wait, "the client gives up on the handshake");
        var expected = $"TLS: istiod's certificate (CN=kube-apiserver, issued by CN=istio-ca) does not chain to the CA in {caFile} (--xds-ca-cert): ";
        Assert.StartsWith(expected, _registry.Status.LastError);
        Assert.Matches($"^Warning: xDS: cannot connect to {Regex(pilot.Address)}: {Regex(expected)}.+; retrying in \\d+ ms$", _log.Lines[0]);
        Assert.Empty(pilot.Requests); // not one request (and so not the token) went to a server it does not trust
        Assert.Empty(_registry.Config.Rules);

        // The CA file is read at each handshake: Istio's root put in its place is trusted on the next reconnect.
        File.Copy(CaFile(_istioCa), caFile, overwrite: true);
        await Eventually.UntilAsync(() => _registry.Status.State == "connected", Wait, "connected with the rotated root");
    }

    [Fact]
    public async Task AMissingTokenFileIsAClearErrorAndNoCallIsMade()
    {
        await using var pilot = await StartPilotAsync();
        var missing = Path.Combine(_dir.Path, "istio-token");
        await using var client = await StartClientAsync(pilot, CaFile(_istioCa), missing);

        await Eventually.UntilAsync(() => _log.Lines.Count > 0, Wait, "the client reports the token");
        var expected = $"cannot read the ServiceAccount token {missing} (--xds-token-file): no such file";
        Assert.Equal(expected, _registry.Status.LastError);
        Assert.Matches($"^Warning: xDS: cannot connect to {Regex(pilot.Address)}: {Regex(expected)}; retrying in \\d+ ms$", _log.Lines[0]);
        Assert.Empty(pilot.Requests);
        Assert.Empty(pilot.RefusedCalls);

        // An empty token (a volume not yet projected) is refused the same way.
        File.WriteAllText(missing, "\n");
        await Eventually.UntilAsync(() => _registry.Status.LastError!.EndsWith("is empty or not one token", StringComparison.Ordinal), Wait, "empty token");
        File.WriteAllText(missing, Token);
        await Eventually.UntilAsync(() => _registry.Status.State == "connected", Wait, "the projected token is read on the next attempt");
    }

    [Fact]
    public async Task ATokenTheServerRefusesLeavesTheClientUnauthenticated()
    {
        await using var pilot = await StartPilotAsync();
        await using var client = await StartClientAsync(pilot, CaFile(_istioCa), TokenFile("a-stolen-or-expired-token"));

        // The refusal races the client's first write (which can fail as "Cancelled"): the very first attempt's error
        // must still be istiod's own status.
        const string refused = "Unauthenticated: authentication failure: the bearer token is not valid";
        await Eventually.UntilAsync(() => _registry.Status.LastError is not null, Wait, "the first attempt's error");
        Assert.Equal(refused, _registry.Status.LastError);
        Assert.Equal("Bearer a-stolen-or-expired-token", pilot.RefusedCalls[0]);
        Assert.Empty(pilot.Requests);
        Assert.Empty(_registry.Config.Rules);
    }

    public void Dispose()
    {
        _istioCa.Dispose();
        _otherCa.Dispose();
        _dir.Dispose();
    }

    private async Task<StandInPilot> StartPilotAsync()
    {
        var pilot = await StandInPilot.StartAsync(certificate: _istioCa.Server, token: Token);
        pilot.Set(XdsTypeUrls.Cluster, EdsCluster("reviews", 9080), EdsCluster("reviews", 9080, "v1"), EdsCluster("reviews", 9080, "v2"));
        pilot.Set(XdsTypeUrls.Endpoint, Assignment(ClusterName("reviews", 9080, "v1"), IPEndPoint.Parse("198.18.0.11:9080")),
            Assignment(ClusterName("reviews", 9080, "v2"), IPEndPoint.Parse("198.18.0.12:9080")));
        pilot.Set(XdsTypeUrls.Listener, ApiListener("reviews", 9080));
        pilot.Set(XdsTypeUrls.Route, RouteConfig("reviews", 9080, Weighted("reviews", 9080, ("v1", 80), ("v2", 20))));
        return pilot;
    }

    private async Task<RunningClient> StartClientAsync(StandInPilot pilot, string caFile, string tokenFile)
    {
        var client = new AdsClient(new XdsSettings { Address = pilot.Address, CaCertFile = caFile, TokenFile = tokenFile }, "node-a",
            IPAddress.Parse("10.0.0.5"), _registry, _log, new XdsBackoff(TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(400)));
        await client.StartAsync(CancellationToken.None);
        return new RunningClient(client);
    }

    private string CaFile(TestCertificates ca)
    {
        var path = Path.Combine(_dir.Path, $"{ca.Authority.GetNameInfo(System.Security.Cryptography.X509Certificates.X509NameType.SimpleName, false)}.pem");
        File.WriteAllText(path, ca.AuthorityPem);
        return path;
    }

    private string TokenFile(string content)
    {
        var path = Path.Combine(_dir.Path, "token");
        File.WriteAllText(path, content);
        return path;
    }

    private static string Regex(string text) => System.Text.RegularExpressions.Regex.Escape(text);

    private sealed class RunningClient(AdsClient client) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await client.StopAsync(CancellationToken.None);
            client.Dispose();
        }
    }
}
