using AppSwitch.Cli.Output;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class CliJsonYamlFormattingTests
{
    private static readonly ServerRecord Server = new()
    {
        NodeId = "node1", Cluster = "appswitch", AppId = "0a1b2c3d", Proto = "tcp",
        ServiceAddr = "198.18.0.1:80", Ipv4Addr = "10.77.0.10:40000", Inode = 42,
    };

    [Fact]
    public void JsonIsAKubectlStyleList() => Assert.Equal(
        """
        {
            "apiVersion": "v1",
            "kind": "List",
            "items": [
                {
                    "nodeId": "node1",
                    "cluster": "appswitch",
                    "appId": "0a1b2c3d",
                    "proto": "tcp",
                    "serviceAddr": "198.18.0.1:80",
                    "ipv4Addr": "10.77.0.10:40000",
                    "inode": 42
                }
            ]
        }

        """,
        JsonListWriter.Format([Server], ApiJsonContext.Default.ServerRecord));

    [Fact]
    public void AnEmptyJsonListStillHasItems() => Assert.Equal(
        "{\n    \"apiVersion\": \"v1\",\n    \"kind\": \"List\",\n    \"items\": []\n}\n",
        JsonListWriter.Format<ServerRecord>([], ApiJsonContext.Default.ServerRecord));

    [Fact]
    public void YamlShowsTheSameObject() => Assert.Equal(
        """
        apiVersion: v1
        kind: List
        items:
        - appId: 0a1b2c3d
          name: web
          nodeId: node1
          cluster: appswitch
          appIp: 198.18.0.1
          driver: user
          labels:
            zone: default
            tier: web
          pid: 4242
          command:
          - nginx
          - "-g"
          - daemon off;
          started: "2026-01-02T03:04:05+00:00"
          protocol: tcp
          egress: deny except 10.0.0.0/8:443

        """,
        YamlWriter.FromJson(JsonListWriter.Format([CliTableFormattingTests.Web], ApiJsonContext.Default.AppRecord)));

    [Fact]
    public void EmptyCollectionsAreWrittenInline() => Assert.Equal(
        "apiVersion: v1\nkind: List\nitems: []\n",
        YamlWriter.FromJson(JsonListWriter.Format<AppRecord>([], ApiJsonContext.Default.AppRecord)));

    [Theory]
    [InlineData("plain", "plain")]
    [InlineData("10.77.0.10:40000", "10.77.0.10:40000")]
    [InlineData("", "\"\"")]
    [InlineData("true", "\"true\"")]
    [InlineData("No", "\"No\"")]
    [InlineData("null", "\"null\"")]
    [InlineData("8080", "\"8080\"")]
    [InlineData("1.5", "\"1.5\"")]
    [InlineData("1e3", "\"1e3\"")]
    [InlineData("0x1F", "\"0x1F\"")]
    [InlineData("1:30", "\"1:30\"")]
    [InlineData("2026-01-02", "\"2026-01-02\"")]
    [InlineData("-g", "\"-g\"")]
    [InlineData("a: b", "\"a: b\"")]
    [InlineData("a #b", "\"a #b\"")]
    [InlineData(" lead", "\" lead\"")]
    [InlineData("say \"hi\"\n", "\"say \\\"hi\\\"\\n\"")]
    [InlineData("*star", "\"*star\"")]
    [InlineData("daemon off;", "daemon off;")]
    [InlineData("n", "\"n\"")]
    public void StringsAreQuotedOnlyWhenAReaderWouldMisreadThem(string value, string expected) =>
        Assert.Equal(expected, YamlWriter.QuoteIfNeeded(value));

    [Fact]
    public void NestedSequencesAndMappingsIndent() => Assert.Equal(
        "a:\n- - 1\n  - 2\n- k: v\n  m:\n    k2: true\nb: {}\n",
        YamlWriter.FromJson("""{"a":[[1,2],{"k":"v","m":{"k2":true}}],"b":{}}"""));
}
