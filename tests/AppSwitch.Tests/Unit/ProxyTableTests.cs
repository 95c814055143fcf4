using AppSwitch.Cli.Output;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class ProxyTableTests
{
    private static readonly ProxyRecord Relay = new()
    {
        Id = "expose-b0000001-80", Proto = "tcp", Listener = "10.77.0.12:8080",
        Dialers = "10.77.0.11:40000 (app b0000001 port 80 on n1)", State = "listening", NodeId = "n2",
        Connections = 12, Active = 1, Refused = 2, BytesIn = 300, BytesOut = 4096,
    };

    [Fact]
    public void ProxiesShowIdProtoListenerAndDialers()
    {
        Assert.Equal(
            "ID                   PROTO   LISTENER          DIALERS\n" +
            "expose-b0000001-80   tcp     10.77.0.12:8080   10.77.0.11:40000 (app b0000001 port 80 on n1)\n",
            ProxyTable.Definition.Format([Relay], wide: false));
    }

    [Fact]
    public void WideProxiesAddStateAndCounters()
    {
        var text = ProxyTable.Definition.Format([Relay with { State = "failed: address in use" }], wide: true);
        var lines = text.Split('\n');
        Assert.EndsWith("STATE                    CONNECTIONS   ACTIVE   REFUSED   BYTESIN   BYTESOUT   FAILURES", lines[0]);
        Assert.EndsWith("failed: address in use   12            1        2         300       4096       -", lines[1]);
    }

    [Fact]
    public void WideHttpRelayShowsItsFailuresByCause()
    {
        var relay = Relay with { Id = "http-relay", Proto = "http", Failures = new() { ["client-stalled"] = 2, ["upstream@10.77.0.11:40000"] = 1 } };
        var lines = ProxyTable.Definition.Format([relay], wide: true).Split('\n');
        Assert.EndsWith("FAILURES", lines[0]);
        Assert.EndsWith("4096       client-stalled=2,upstream@10.77.0.11:40000=1", lines[1]);
    }
}
