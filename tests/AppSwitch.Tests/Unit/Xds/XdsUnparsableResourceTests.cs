using AppSwitch.Agent.Xds.Client;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Xunit;

namespace AppSwitch.Tests.Unit.Xds;

/// <summary>
/// Resources whose bytes do not parse are refused (a NACK naming them) and the rest of the stream goes on. Found by
/// the xds fuzz target: a route whose weight wrapper claims more bytes than its message holds made Google.Protobuf
/// throw InvalidOperationException out of the store, and the ADS client dropped the whole stream and reconnected.
/// </summary>
public sealed class XdsUnparsableResourceTests
{
    /// <summary>A length-delimited field: tag (wire type 2), length, contents.</summary>
    private static byte[] Field(int number, params byte[][] contents)
    {
        byte[] body = [.. contents.SelectMany(c => c)];
        return [(byte)(number << 3 | 2), (byte)body.Length, .. body];
    }

    private static byte[] Text(string s) => System.Text.Encoding.ASCII.GetBytes(s);

    /// <summary>RouteConfiguration "8080" → virtual host → route "/" → weighted clusters → one cluster weight whose
    /// weight (field 2, a UInt32Value) says 5 bytes while its cluster weight ends after 2 (08 64: value 100).</summary>
    private static byte[] RouteWithOverlongWeight()
    {
        byte[] clusterWeight = [.. Field(1, Text("reviews")), 0x12, 0x05, 0x08, 0x64];
        var routeAction = Field(3, Field(1, clusterWeight));           // RouteAction.weighted_clusters.clusters
        var route = Field(3, Field(1, Field(1, Text("/"))), Field(2, routeAction)); // match.prefix, route
        var virtualHost = Field(2, Field(1, Text("reviews")), Field(2, Text("reviews")), route);
        return [.. Field(1, Text("8080")), .. virtualHost];
    }

    [Fact]
    public void A_route_whose_bytes_do_not_parse_is_refused_and_the_store_goes_on()
    {
        var store = new XdsConfigStore();
        var response = new DiscoveryResponse { TypeUrl = XdsTypeUrls.Route, VersionInfo = "1", Nonce = "n1" };
        response.Resources.Add(new Any { TypeUrl = XdsTypeUrls.Route, Value = ByteString.CopyFrom(RouteWithOverlongWeight()) });

        var refusal = Assert.Single(store.Apply(response));

        Assert.Equal(XdsTypeUrls.Route, refusal.TypeUrl);
        Assert.StartsWith("cannot be parsed: ", refusal.Reason);
        Assert.Empty(store.Routes);
    }
}
