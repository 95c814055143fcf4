using AppSwitch.Cli.Output;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class CliTableFormattingTests
{
    internal static readonly AppRecord Web = new()
    {
        AppId = "0a1b2c3d", Name = "web", NodeId = "node1", Cluster = "appswitch", AppIp = "198.18.0.1",
        Labels = new Dictionary<string, string> { ["zone"] = "default", ["tier"] = "web" },
        Pid = 4242, Command = ["nginx", "-g", "daemon off;"],
        Started = new DateTimeOffset(2026, 1, 2, 3, 4, 5, TimeSpan.Zero), Egress = "deny except 10.0.0.0/8:443",
    };

    internal static readonly AppRecord Client = new()
    {
        AppId = "ffee0011", NodeId = "node1", Cluster = "appswitch", AppIp = "10.77.0.10",
        Labels = new Dictionary<string, string>(), Pid = 7, Command = ["curl", "-I", "198.18.0.1"],
    };

    [Fact]
    public void AppsTableLaysOutColumnsThreeSpacesApart()
    {
        var text = AppTable.Definition.Format([Web, Client], wide: false);
        Assert.Equal(
            "NAME     APPID      NODEID   CLUSTER     APPIP        DRIVER   LABELS                  ZONES\n" +
            "web      0a1b2c3d   node1    appswitch   198.18.0.1   user     tier=web,zone=default   [tier==web zone==default]\n" +
            "<none>   ffee0011   node1    appswitch   10.77.0.10   user     <none>                  []\n",
            text);
    }

    [Fact]
    public void WideAppsAddPidEgressAndCommand()
    {
        var text = AppTable.Definition.Format([Web], wide: true);
        Assert.Equal(
            "NAME   APPID      NODEID   CLUSTER     APPIP        DRIVER   LABELS                  ZONES                       PID    EGRESS                       COMMAND\n" +
            "web    0a1b2c3d   node1    appswitch   198.18.0.1   user     tier=web,zone=default   [tier==web zone==default]   4242   deny except 10.0.0.0/8:443   nginx -g 'daemon off;'\n",
            text);
    }

    [Fact]
    public void ServersTable()
    {
        ServerRecord server = new()
        {
            NodeId = "node1", Cluster = "appswitch", AppId = "0a1b2c3d", Proto = "tcp",
            ServiceAddr = "198.18.0.1:80", Ipv4Addr = "10.77.0.10:40000", Inode = 123456,
        };
        Assert.Equal(
            "NODEID   CLUSTER     APPID      PROTO   SERVICEADDR     IPV4ADDR\n" +
            "node1    appswitch   0a1b2c3d   tcp     198.18.0.1:80   10.77.0.10:40000\n",
            ServerTable.Definition.Format([server], wide: false));
        Assert.Equal(
            "NODEID   CLUSTER     APPID      PROTO   SERVICEADDR     IPV4ADDR           INODE\n" +
            "node1    appswitch   0a1b2c3d   tcp     198.18.0.1:80   10.77.0.10:40000   123456\n",
            ServerTable.Definition.Format([server], wide: true));
    }

    [Fact]
    public void SocketsTableShowsNoneForEmptyCells()
    {
        SocketRecord socket = new()
        {
            Id = "s1", NodeId = "node1", AppId = "0a1b2c3d", Inode = 99, Proto = "tcp", Flags = 0,
            BindIp = "0.0.0.0:80", NodeAddr = "10.77.0.10:40000", State = "listening", Backlog = 511,
        };
        Assert.Equal(
            "ID   NODEID   APPID      INODE   PROTO   FLAGS   BINDIP       BACKLOG\n" +
            "s1   node1    0a1b2c3d   99      tcp     0       0.0.0.0:80   511\n",
            SocketTable.Definition.Format([socket], wide: false));
        Assert.Equal(
            "ID   NODEID   APPID      INODE   PROTO   FLAGS   BINDIP       BACKLOG   STATE       NODEADDR           PEERADDR\n" +
            "s1   node1    0a1b2c3d   99      tcp     0       0.0.0.0:80   511       listening   10.77.0.10:40000   <none>\n",
            SocketTable.Definition.Format([socket], wide: true));
    }

    [Fact]
    public void AnEmptyTableIsReportedOnStderr()
    {
        var stdout = new StringWriter();
        var stderr = new StringWriter();
        ListPrinter.Print<AppRecord>([], OutputFormat.Table, AppTable.Definition,
            AppSwitch.Common.Json.ApiJsonContext.Default.AppRecord, stdout, stderr);
        Assert.Equal("", stdout.ToString());
        Assert.Equal("No resources found.\n", stderr.ToString().Replace("\r\n", "\n"));
    }

    [Theory]
    [InlineData(new[] { "a", "b c", "", "it's" }, "a 'b c' '' 'it'\\''s'")]
    [InlineData(new[] { "python3", "-m", "http.server", "8080" }, "python3 -m http.server 8080")]
    public void CommandsAreShownAsShellWords(string[] argv, string expected) =>
        Assert.Equal(expected, CommandLineText.Join(argv));
}
