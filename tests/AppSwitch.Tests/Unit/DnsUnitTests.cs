using System.Buffers.Binary;
using System.Net;
using System.Text;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The agent's DNS parts: the wire codec (property-tested), the name resolver over the table, the IP pool, the settings.</summary>
public class DnsUnitTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(5000);
    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);
    private static readonly Gen<byte[]> AnyBytes = Gen.Choose(0, 80).SelectMany(n => AnyByte.ArrayOf(n));
    private static readonly Gen<string> Label = Gen.Choose(1, 12).SelectMany(n => Gen.Elements("abcXYZ019-_".ToCharArray()).ArrayOf(n)).Select(c => new string(c));
    private static readonly Gen<string> Name = Gen.Choose(1, 4).SelectMany(n => Label.ArrayOf(n)).Select(l => string.Join(".", l));

    private static void OnlyDecodeErrors(byte[] bytes)
    {
        try { DnsCodec.DecodeQuery(bytes); }
        catch (DnsDecodeException) { }
    }

    /// <summary>A query as resolvers send it: id, RD, one question.</summary>
    private static byte[] Query(ushort id, string name, ushort type)
    {
        var bytes = new List<byte>();
        bytes.AddRange([(byte)(id >> 8), (byte)id, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0]);
        foreach (var label in name.Split('.'))
        {
            bytes.Add((byte)label.Length);
            bytes.AddRange(Encoding.ASCII.GetBytes(label));
        }
        bytes.AddRange([0, (byte)(type >> 8), (byte)type, 0, 1]);
        return [.. bytes];
    }

    [Fact]
    public void Decoder_throws_only_decode_errors_on_arbitrary_and_corrupted_bytes()
    {
        Check.One(Runs, Prop.ForAll(AnyBytes.ToArbitrary(), OnlyDecodeErrors));
        var corrupted =
            from name in Name
            from position in Gen.Choose(0, 200)
            from value in AnyByte
            from cut in Gen.Choose(0, 2)
            select (Bytes: Query(7, name, DnsType.A), Position: position, Value: value, Cut: cut);
        Check.One(Runs, Prop.ForAll(corrupted.ToArbitrary(), c =>
        {
            var bytes = c.Bytes;
            bytes[c.Position % bytes.Length] = c.Value;
            if (c.Cut > 0) bytes = bytes[..(c.Position % bytes.Length)];
            OnlyDecodeErrors(bytes);
        }));
    }

    [Fact]
    public void Decoder_reads_back_the_question_and_answers_carry_it_with_the_addresses()
    {
        var cases =
            from id in Gen.Choose(0, 65535)
            from name in Name
            from type in Gen.Elements(DnsType.A, DnsType.Aaaa, (ushort)15)
            from count in Gen.Choose(0, 5)
            select (Id: (ushort)id, Name: name, Type: type, Count: count);
        Check.One(Runs.WithMaxTest(1000), Prop.ForAll(cases.ToArbitrary(), c =>
        {
            var query = DnsCodec.DecodeQuery(Query(c.Id, c.Name, c.Type));
            Assert.Equal(c.Name.ToLowerInvariant(), query.Name);
            Assert.Equal(c.Type, query.Type);
            Assert.True(query.RecursionDesired);

            var addresses = Enumerable.Range(1, c.Count).Select(i => IPAddress.Parse($"198.19.0.{i}")).ToList();
            var answer = DnsCodec.EncodeAnswer(query, DnsRcode.NoError, addresses, 5);
            Assert.Equal(c.Id, BinaryPrimitives.ReadUInt16BigEndian(answer));
            Assert.Equal(0x8000, BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(2)) & 0x800F); // a response, NOERROR
            Assert.Equal(c.Count, BinaryPrimitives.ReadUInt16BigEndian(answer.AsSpan(6)));
            var records = answer.AsSpan(12 + query.Question.Length);
            for (var i = 0; i < c.Count; i++)
                Assert.Equal(addresses[i], new IPAddress(records.Slice(i * 16 + 12, 4)));
        }));
    }

    [Fact]
    public void Decoder_refuses_responses_several_questions_and_pointer_loops()
    {
        var response = Query(1, "web", DnsType.A);
        response[2] |= 0x80;
        Assert.Contains("response", Assert.Throws<DnsDecodeException>(() => DnsCodec.DecodeQuery(response)).Message);
        var two = Query(1, "web", DnsType.A);
        two[5] = 2;
        Assert.Contains("2 questions", Assert.Throws<DnsDecodeException>(() => DnsCodec.DecodeQuery(two)).Message);
        byte[] loop = [0, 1, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xC0, 12, 0, 1, 0, 1];
        Assert.Contains("loop", Assert.Throws<DnsDecodeException>(() => DnsCodec.DecodeQuery(loop)).Message);
    }

    [Fact]
    public void Resolver_answers_app_and_vservice_names_of_any_node_and_leaves_the_rest_to_the_forwarder()
    {
        var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
        table.AddApp(new AppEntry { Id = "a1", Name = "web", VirtualIp = IPAddress.Parse("198.19.0.1") });
        table.AddApp(new AppEntry { Id = "a2", Name = "noip" });
        var nodeB = new RemoteNodeRef("node-b", IPAddress.Parse("10.77.0.12"));
        table.ReplaceRemote(nodeB, [new AppEntry { Id = "b1", Name = "web", VirtualIp = IPAddress.Parse("198.19.0.2"), RemoteNode = nodeB }], []);
        var spec = new VServiceSpec { Name = "front", Ip = "198.18.9.1", Backends = ["198.19.0.1"], Ports = [new VServicePort(80, 80)] };
        Assert.True(table.AddVService(VServiceEntry.FromSpec(spec, null, out _)!, out _));
        var resolver = new DnsNameResolver(table, new AppSwitch.Agent.Kubernetes.KubernetesRegistry(), "AppSwitch.Local.");

        var web = Assert.IsType<DnsDecision.Answer>(resolver.Decide("web.appswitch.local", DnsType.A));
        Assert.Equal(DnsRcode.NoError, web.Rcode);
        Assert.Equal(["198.19.0.1", "198.19.0.2"], web.Addresses.Select(a => a.ToString()).Order());
        Assert.Equal(["198.18.9.1"], Assert.IsType<DnsDecision.Answer>(resolver.Decide("front", DnsType.A)).Addresses.Select(a => a.ToString()));
        var v6 = Assert.IsType<DnsDecision.Answer>(resolver.Decide("web", DnsType.Aaaa));
        Assert.True(v6.Rcode == DnsRcode.NoError && v6.Addresses.Count == 0);
        Assert.Equal(DnsRcode.NxDomain, Assert.IsType<DnsDecision.Answer>(resolver.Decide("noip.appswitch.local", DnsType.A)).Rcode);
        Assert.Equal(DnsRcode.NxDomain, Assert.IsType<DnsDecision.Answer>(resolver.Decide("a.web.appswitch.local", DnsType.A)).Rcode);
        Assert.IsType<DnsDecision.Forward>(resolver.Decide("example.com", DnsType.A));
        Assert.IsType<DnsDecision.Forward>(resolver.Decide("unknown", DnsType.A));
        Assert.IsType<DnsDecision.Forward>(resolver.Decide("web.example.com", DnsType.A));

        table.RemoveRemote("node-b");
        Assert.Equal(["198.19.0.1"], Assert.IsType<DnsDecision.Answer>(resolver.Decide("web", DnsType.A)).Addresses.Select(a => a.ToString()));
    }

    [Theory]
    [InlineData("198.19.0.0/16", null)]
    [InlineData("10.1.2.0/24", null)]
    [InlineData("198.19.0.1/16", "host bits set (the block starts at 198.19.0.0)")]
    [InlineData("198.19.0.0", "not an IPv4 block")]
    [InlineData("198.19.0.0/33", "not an IPv4 block")]
    [InlineData("198.19.0.0/+8", "not an IPv4 block")]
    [InlineData("127.0.0.0/8", "loopback")]
    [InlineData("224.0.0.0/8", "multicast")]
    public void Pool_blocks_are_checked(string text, string? error)
    {
        var ok = VirtualIpPool.TryParse(text, out var pool, out var reason);
        if (error is null) Assert.True(ok && pool.ToString() == text, reason);
        else Assert.True(!ok && reason.Contains(error), reason);
    }

    [Fact]
    public void Pool_skips_used_addresses_and_network_and_broadcast_and_runs_out()
    {
        var pool = VirtualIpPool.Parse("198.19.7.0/29");
        var used = new HashSet<IPAddress>();
        for (var i = 0; i < 6; i++)
        {
            var ip = pool.Assign("node-a", $"app{i}", used.Contains);
            Assert.NotNull(ip);
            Assert.True(pool.Contains(ip) && !ip.Equals(IPAddress.Parse("198.19.7.0")) && !ip.Equals(IPAddress.Parse("198.19.7.7")), ip.ToString());
            Assert.True(used.Add(ip), $"{ip} given twice");
        }
        Assert.Null(pool.Assign("node-a", "app6", used.Contains));
        // The starting point depends on node and app, and is the same every time.
        var big = VirtualIpPool.Parse(VirtualIpPool.Default);
        Assert.Equal(big.Assign("n1", "abc", _ => false), big.Assign("n1", "abc", _ => false));
        Assert.NotEqual(big.Assign("n1", "abc", _ => false), big.Assign("n2", "abc", _ => false));
    }

    [Fact]
    public void Settings_read_nameservers_and_check_flags()
    {
        var upstreams = DnsSettings.NameserversOf("# comment\nnameserver 10.0.0.2\nnameserver ::1\nsearch x\n nameserver   10.0.0.3 \n");
        Assert.Equal(["10.0.0.2:53", "10.0.0.3:53"], upstreams.Select(u => u.ToString()));
        Assert.Equal(["10.0.0.2:53", "127.0.0.1:5353"], DnsSettings.ParseServers("10.0.0.2, 127.0.0.1:5353").Select(u => u.ToString()));
        Assert.Null(DnsSettings.ExplainServers("10.0.0.2,10.0.0.3:53"));
        Assert.NotNull(DnsSettings.ExplainServers("10.0.0.2:0"));
        Assert.NotNull(DnsSettings.ExplainServers("dns.example"));
        Assert.NotNull(DnsSettings.ExplainServers(","));
        Assert.Null(DnsSettings.ExplainDomain("cluster.local."));
        Assert.NotNull(DnsSettings.ExplainDomain("-bad.local"));
        Assert.NotNull(DnsSettings.ExplainDomain("a..b"));
        Assert.Contains("search appswitch.local", DnsSettings.AppResolvConf("appswitch.local"));
    }
}
