using System.Net;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Routing;
using AppSwitch.Common.CommandLine;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>`ax daemon --egress allow|deny --egress-allow CIDR[:PORTS],…`: the flags' parsing and the decision they make.</summary>
public class EgressPolicyTests
{
    private static AgentOptions Parse(string[] args, Dictionary<string, string>? env = null) =>
        new AgentOptionsParser(new NodeAddressResolver(() => [new("eth0", false, false, [IPAddress.Parse("10.77.0.10")])]), () => "n")
            .Parse(args, env ?? new Dictionary<string, string>());

    private static bool Allows(EgressPolicy policy, string address, int port) => policy.Allows(IPAddress.Parse(address), port);

    [Fact]
    public void By_default_every_address_is_allowed()
    {
        var policy = Parse([]).Egress;
        Assert.False(policy.Deny);
        Assert.Equal("allow", policy.ToString());
        Assert.True(Allows(policy, "192.0.2.1", 443));
        Assert.True(Allows(policy, "2001:db8::1", 80));
    }

    [Fact]
    public void Deny_without_an_allow_list_refuses_everything()
    {
        var policy = Parse(["--egress", "deny"]).Egress;
        Assert.Equal("deny", policy.ToString());
        Assert.False(Allows(policy, "192.0.2.1", 443));
        Assert.False(Allows(policy, "::ffff:192.0.2.1", 443));
        Assert.False(Allows(policy, "2001:db8::1", 443));
    }

    [Fact]
    public void The_allow_list_opens_networks_ports_and_port_ranges()
    {
        var policy = Parse(["--egress=deny", "--egress-allow", "10.0.0.0/8:443, 192.0.2.7 ,198.51.100.0/24:8000-8100,[2001:db8::/32]:53,fd00::/8"]).Egress;
        Assert.Equal("deny except 10.0.0.0/8:443,192.0.2.7/32,198.51.100.0/24:8000-8100,[2001:db8::/32]:53,fd00::/8", policy.ToString());
        Assert.True(Allows(policy, "10.1.2.3", 443));
        Assert.False(Allows(policy, "10.1.2.3", 80));
        Assert.False(Allows(policy, "11.0.0.1", 443));
        Assert.True(Allows(policy, "192.0.2.7", 1));
        Assert.False(Allows(policy, "192.0.2.8", 1));
        Assert.True(Allows(policy, "198.51.100.9", 8000));
        Assert.True(Allows(policy, "198.51.100.9", 8100));
        Assert.False(Allows(policy, "198.51.100.9", 8101));
        Assert.True(Allows(policy, "2001:db8:1::5", 53));
        Assert.False(Allows(policy, "2001:db8:1::5", 54));
        Assert.True(Allows(policy, "fd12::1", 9));
        Assert.False(Allows(policy, "fe80::1", 9));
    }

    [Fact]
    public void V4_mapped_destinations_and_networks_are_decided_as_IPv4()
    {
        var policy = EgressPolicy.Parse("deny", "10.0.0.0/8:443,::ffff:192.0.2.0/120");
        Assert.True(Allows(policy, "::ffff:10.9.9.9", 443));
        Assert.False(Allows(policy, "::ffff:10.9.9.9", 80));
        Assert.True(Allows(policy, "192.0.2.200", 5));
        Assert.True(Allows(policy, "::ffff:192.0.2.200", 5));
        Assert.False(Allows(policy, "192.0.3.1", 5));
        // An IPv6 network never covers IPv4 destinations and the reverse.
        Assert.False(Allows(EgressPolicy.Parse("deny", "::/0"), "192.0.2.1", 1));
        Assert.False(Allows(EgressPolicy.Parse("deny", "0.0.0.0/0"), "2001:db8::1", 1));
        Assert.True(Allows(EgressPolicy.Parse("deny", "0.0.0.0/0"), "::ffff:192.0.2.1", 1));
    }

    [Fact]
    public void The_environment_forms_are_read()
    {
        var policy = Parse([], new Dictionary<string, string> { ["AX_EGRESS"] = "deny", ["AX_EGRESS_ALLOW"] = "192.0.2.0/24:80" }).Egress;
        Assert.Equal("deny except 192.0.2.0/24:80", policy.ToString());
    }

    [Theory]
    [InlineData("invalid value \"block\" for --egress: must be allow or deny", "--egress", "block")]
    [InlineData("invalid value \"10.0.0.1/8\" for --egress-allow: egress rule '10.0.0.1/8': '10.0.0.1/8' is not a CIDR (address/prefix length, no bits set after the prefix)",
        "--egress", "deny", "--egress-allow", "10.0.0.1/8")]
    [InlineData("invalid value \"10.0.0.0/33\" for --egress-allow: egress rule '10.0.0.0/33': '10.0.0.0/33' is not a CIDR (address/prefix length, no bits set after the prefix)",
        "--egress", "deny", "--egress-allow", "10.0.0.0/33")]
    [InlineData("invalid value \"example.com:443\" for --egress-allow: egress rule 'example.com:443': 'example.com' is not an IP address or CIDR",
        "--egress", "deny", "--egress-allow", "example.com:443")]
    [InlineData("invalid value \"10.0.0.0/8:\" for --egress-allow: egress rule '10.0.0.0/8:': no port after ':'", "--egress", "deny", "--egress-allow", "10.0.0.0/8:")]
    [InlineData("invalid value \"10.0.0.0/8:0\" for --egress-allow: egress rule '10.0.0.0/8:0': '0' is not a port or port range (1-65535)",
        "--egress", "deny", "--egress-allow", "10.0.0.0/8:0")]
    [InlineData("invalid value \"10.0.0.0/8:90-80\" for --egress-allow: egress rule '10.0.0.0/8:90-80': port range '90-80' ends before it starts",
        "--egress", "deny", "--egress-allow", "10.0.0.0/8:90-80")]
    [InlineData("invalid value \"10.0.0.0/8,,192.0.2.1\" for --egress-allow: empty egress rule in '10.0.0.0/8,,192.0.2.1'",
        "--egress", "deny", "--egress-allow", "10.0.0.0/8,,192.0.2.1")]
    [InlineData("invalid value \"[2001:db8::/32\" for --egress-allow: egress rule '[2001:db8::/32': a '[' without ']'",
        "--egress", "deny", "--egress-allow", "[2001:db8::/32")]
    [InlineData("invalid value \"2001:db8::/32:443\" for --egress-allow: egress rule '2001:db8::/32:443': '2001:db8::/32:443' is not a CIDR (address/prefix length, no bits set after the prefix)",
        "--egress", "deny", "--egress-allow", "2001:db8::/32:443")]
    [InlineData("--egress-allow needs --egress deny (with allow, everything is allowed already)", "--egress-allow", "192.0.2.0/24")]
    public void Bad_values_are_one_line_usage_errors(string message, params string[] args) =>
        Assert.Equal(message, Assert.Throws<UsageException>(() => Parse(args)).Message);
}
