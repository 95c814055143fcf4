using AppSwitch.Agent.Routing;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class LabelAccessTests
{
    private static Dictionary<string, string> Labels(string spec) =>
        spec.Split(',', StringSplitOptions.RemoveEmptyEntries).Select(kv => kv.Split('=')).ToDictionary(kv => kv[0], kv => kv[1]);

    [Theory]
    [InlineData("zone=default", "zone=default", true)]
    [InlineData("zone=test", "zone=prod", false)]
    [InlineData("zone=test,team=a", "zone=prod,team=a", true)]   // one shared label is enough
    [InlineData("zone=prod", "role=prod", false)]                // same value, other key
    [InlineData("", "zone=prod", false)]                         // a client without labels reaches no labelled server
    [InlineData("", "", true)]                                   // a server without labels is open to all
    [InlineData("zone=test", "", true)]
    public void ClientReachesServerOnlyThroughASharedLabel(string client, string server, bool allowed)
    {
        Assert.Equal(allowed, LabelAccess.Allows(Labels(client), Labels(server)));
    }
}
