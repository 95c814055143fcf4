using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Native;
using AppSwitch.Common.CommandLine;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// Issue 3, point 3: property-based tests (FsCheck) for every decoder of outside input the agent has — the
/// launcher's frames and RUN payload, socket addresses read from applications, the option parser and the
/// parsers behind it (daemon flags, `ax run` flags, port ranges, labels, socket group). Each throws nothing
/// but its documented exception on any input, and gives back what its encoder wrote.
/// </summary>
public class DecoderPropertyTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(1000);

    private static void Holds<T>(Gen<T> inputs, Action<T> property, int runs = 1000) =>
        Check.One(Runs.WithMaxTest(runs), Prop.ForAll(inputs.ToArbitrary(), property));

    private static void OnlyThrows<TException>(Action action) where TException : Exception
    {
        try { action(); }
        catch (TException) { }
    }

    // ---- generators ----

    private static readonly Gen<byte> AnyByte = Gen.Choose(0, 255).Select(i => (byte)i);

    private static Gen<byte[]> Bytes(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => AnyByte.ArrayOf(n));

    /// <summary>Any UTF-16 text, lone surrogates included (what a hostile peer could make of bytes).</summary>
    private static readonly Gen<char> AnyChar = Gen.Frequency(
        (6, Gen.Choose(0x20, 0x7e).Select(i => (char)i)),
        (2, Gen.Elements('-', '=', ',', '/', ':', '.', '_', ' ', '\t', '\0', '\n')),
        (1, Gen.Choose(0, 0xffff).Select(i => (char)i)));

    private static Gen<string> Text(int maxLength) =>
        Gen.Choose(0, maxLength).SelectMany(n => AnyChar.ArrayOf(n)).Select(cs => new string(cs));

    /// <summary>Arguments made of the given fragments (flag names, values) and random text, in any order.</summary>
    private static Gen<string[]> Arguments(params string[] fragments) =>
        Gen.Choose(0, 8).SelectMany(n => Gen.Frequency(
                (3, Gen.Elements(fragments)),
                (2, Gen.Elements(fragments).SelectMany(f => Text(6).Select(t => f + "=" + t))),
                (2, Text(12)),
                (1, Gen.Elements("--", "-", "-h", "--help", "", "=", "--=", "-=")))
            .ArrayOf(n));

    /// <summary>What the launcher sends in strings: whatever survives UTF-8 (lone surrogates become U+FFFD).</summary>
    private static string ThroughUtf8(string s) => Encoding.UTF8.GetString(Encoding.UTF8.GetBytes(s));

    // ---- the launcher protocol ----

    private static byte[] EncodeRun(byte version, IReadOnlyList<string> args, IEnumerable<string> env)
    {
        var w = new PayloadWriter();
        w.Byte(version);
        w.UInt32((uint)args.Count);
        foreach (var a in args) w.String(a);
        var entries = env.ToList();
        w.UInt32((uint)entries.Count);
        foreach (var e in entries) w.String(e);
        return w.ToArray();
    }

    [Fact]
    public void Run_decoder_throws_only_protocol_errors_on_arbitrary_bytes()
    {
        Holds(Bytes(200), bytes => OnlyThrows<LauncherProtocolException>(() => RunRequest.Decode(bytes)), runs: 5000);
        // Mostly-valid prefixes reach deeper: a version byte of 1 followed by arbitrary bytes.
        Holds(Bytes(200), bytes => OnlyThrows<LauncherProtocolException>(() => RunRequest.Decode([1, .. bytes])), runs: 5000);
    }

    [Fact]
    public void Run_decoder_throws_only_protocol_errors_on_corrupted_valid_payloads()
    {
        var payloads =
            from args in Text(10).ArrayOf()
            from env in Text(10).ArrayOf()
            from position in Gen.Choose(0, 1000)
            from value in AnyByte
            from cut in Gen.Choose(0, 3)
            select (Payload: EncodeRun(1, args, env), Position: position, Value: value, Cut: cut);
        Holds(payloads, p =>
        {
            var bytes = p.Payload;
            if (bytes.Length > 0) bytes[p.Position % bytes.Length] = p.Value;
            if (p.Cut > 0 && bytes.Length > 0) bytes = bytes[..(p.Position % bytes.Length)];
            OnlyThrows<LauncherProtocolException>(() => RunRequest.Decode(bytes));
        }, runs: 5000);
    }

    [Fact]
    public void Run_decoder_gives_back_what_the_launcher_encoded()
    {
        var keys = Text(8).Where(k => k.Length > 0 && !k.Contains('='));
        var requests =
            from args in Text(16).ArrayOf()
            from env in Gen.Zip(keys, Text(16)).ListOf()
            select (Args: args, Env: env);
        Holds(requests, r =>
        {
            var decoded = RunRequest.Decode(EncodeRun(1, r.Args, r.Env.Select(kv => kv.Item1 + "=" + kv.Item2)));
            Assert.Equal(r.Args.Select(ThroughUtf8), decoded.Args);
            var expected = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var (k, v) in r.Env) expected[ThroughUtf8(k)] = ThroughUtf8(v); // the last entry of a key wins
            Assert.Equal(expected.OrderBy(e => e.Key, StringComparer.Ordinal), decoded.Environment.OrderBy(e => e.Key, StringComparer.Ordinal));
        });
    }

    [Fact]
    public void Frame_reader_throws_only_protocol_errors_on_arbitrary_streams()
    {
        // Valid frames, garbage and lengths near the limits, glued together, then the end of the stream.
        var header = Gen.Elements(0u, 1u, 5u, 100u, (uint)LauncherConnection.MaxFrame, (uint)LauncherConnection.MaxFrame + 1, uint.MaxValue)
            .Select(n => { var b = new byte[4]; BinaryPrimitives.WriteUInt32LittleEndian(b, n); return b; });
        var validFrame = Gen.Choose(0, 255).SelectMany(type => Bytes(20).Select(p =>
        {
            var b = new byte[5 + p.Length];
            BinaryPrimitives.WriteUInt32LittleEndian(b, (uint)(1 + p.Length));
            b[4] = (byte)type;
            p.CopyTo(b, 5);
            return b;
        }));
        var streams = Gen.OneOf(header, validFrame, Bytes(40)).ListOf().Select(parts => parts.SelectMany(p => p).ToArray());

        var path = Path.Combine(Path.GetTempPath(), $"ax-frames-{Guid.NewGuid():N}.sock");
        using var listener = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        listener.Bind(new UnixDomainSocketEndPoint(path));
        listener.Listen(1);
        try
        {
            Holds(streams, stream =>
            {
                using var client = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                client.Connect(new UnixDomainSocketEndPoint(path));
                using var server = listener.Accept();
                server.Blocking = true;
                server.ReceiveTimeout = 5000;
                client.Send(stream);
                client.Shutdown(SocketShutdown.Send);
                var connection = new LauncherConnection(server);
                var frames = 0;
                try
                {
                    while (true)
                    {
                        var (_, payload) = connection.ReadFrame();
                        Assert.True(payload.Length < LauncherConnection.MaxFrame);
                        Assert.True(++frames <= stream.Length / 5, "more frames than the stream can hold");
                    }
                }
                catch (LauncherProtocolException e)
                {
                    Assert.DoesNotContain("timed out", e.Message); // the stream ended: the reader must say so, not wait
                }
            }, runs: 300);
        }
        finally
        {
            File.Delete(path);
        }
    }

    // ---- socket addresses read from applications ----

    [Fact]
    public void Sockaddr_decoder_never_throws_and_accepts_only_inet_addresses_of_a_sufficient_length()
    {
        var raws = Gen.OneOf(
            Bytes(SockAddr.MaxSize),
            // The right families with any length and content.
            from family in Gen.Elements(AF.INET, AF.INET6, AF.UNIX, 0, 0xffff)
            from rest in Bytes(SockAddr.MaxSize - 2)
            select (byte[])[(byte)family, (byte)(family >> 8), .. rest]);
        Holds(raws, raw =>
        {
            // Both ways: a decoder that refuses everything must fail too. sockaddr_in is 16 bytes, sockaddr_in6 24 (RFC 2553).
            var family = raw.Length < 2 ? -1 : raw[0] | raw[1] << 8;
            var valid = family == AF.INET && raw.Length >= 16 || family == AF.INET6 && raw.Length >= 24;
            Assert.Equal(valid, SockAddr.TryDecode(raw, out var endPoint));
            if (!valid) return;
            Assert.Equal(family == AF.INET ? AddressFamily.InterNetwork : AddressFamily.InterNetworkV6, endPoint.AddressFamily);
            Assert.Equal(raw[2] << 8 | raw[3], endPoint.Port);
        }, runs: 5000);
    }

    [Fact]
    public void Sockaddr_encoding_round_trips_in_both_families()
    {
        var v4 = from b in AnyByte.ArrayOf(4) from port in Gen.Choose(0, 65535) select new IPEndPoint(new IPAddress(b), port);
        var v6 = from b in AnyByte.ArrayOf(16)
                 from port in Gen.Choose(0, 65535)
                 from scope in Gen.Choose(0, int.MaxValue)
                 select new IPEndPoint(new IPAddress(b, scope), port);
        var buffer = new byte[SockAddr.MaxSize];

        Holds(v4, endPoint =>
        {
            var n = SockAddr.Encode(endPoint, AF.INET, buffer);
            Assert.Equal(SockAddr.InetSize, n);
            Assert.True(SockAddr.TryDecode(buffer.AsSpan(0, n), out var back));
            Assert.Equal(endPoint, back);
            // In an AF_INET6 socket the same endpoint is v4-mapped.
            n = SockAddr.Encode(endPoint, AF.INET6, buffer);
            Assert.True(SockAddr.TryDecode(buffer.AsSpan(0, n), out var mapped));
            Assert.True(mapped.Address.IsIPv4MappedToIPv6);
            Assert.Equal(endPoint, new IPEndPoint(mapped.Address.MapToIPv4(), mapped.Port));
        });
        Holds(v6, endPoint =>
        {
            if (endPoint.Address.IsIPv4MappedToIPv6) return; // encoded as AF_INET6 it stays mapped; covered above
            var n = SockAddr.Encode(endPoint, AF.INET6, buffer);
            Assert.Equal(SockAddr.Inet6Size, n);
            Assert.True(SockAddr.TryDecode(buffer.AsSpan(0, n), out var back));
            Assert.Equal(endPoint, back);
            Assert.Equal(endPoint.Address.ScopeId, back.Address.ScopeId);
        });
    }

    // ---- the option parser and the parsers behind it ----

    private static OptionSet SampleOptions() => new()
    {
        new("name") { ShortName = 'n', EnvironmentVariable = "T_NAME", DefaultValue = "anon" },
        new("verbose", OptionKind.Bool) { ShortName = 'v' },
        new("count", OptionKind.Int) { ShortName = 'c' },
        new("port", OptionKind.Int) { Validate = OptionValues.Port(allowZero: false) },
        new("label") { Validate = v => v.Contains(' ') ? "no spaces" : null },
    };

    [Fact]
    public void Option_parser_throws_only_usage_errors()
    {
        var env = Gen.Elements("", "x", "true", "12", " ").Select(v => new Dictionary<string, string> { ["T_NAME"] = v });
        var inputs = from args in Arguments("--name", "-n", "--verbose", "-v", "--count", "-c", "--port", "--label", "-nx", "-vx", "-c1", "--nope", "-z")
                     from e in env
                     from stop in Gen.Elements(ParseMode.Interspersed, ParseMode.StopAtFirstPositional)
                     select (Args: args, Env: e, Mode: stop);
        Holds(inputs, i => OnlyThrows<UsageException>(() =>
        {
            var parsed = SampleOptions().Parse(i.Args, i.Env, i.Mode);
            // What a command then reads must not fail either (values were checked while parsing).
            parsed.GetString("name");
            parsed.GetBool("verbose");
            if (parsed.GetString("count") is not null) parsed.GetInt("count");
            Assert.True(parsed.FirstPositionalIndex < i.Args.Length);
        }), runs: 5000);
    }

    [Fact]
    public void Option_parser_reads_back_values_in_every_spelling()
    {
        // A value for --name in one of its spellings, a boolean and an int, then positionals after `--`.
        var nameSpellings = from value in Text(10)
                            from spelling in Gen.Choose(0, 4)
                            select (Value: value, Args: spelling switch
                            {
                                0 => new[] { "--name", value },
                                1 => ["--name=" + value],
                                2 => ["-n", value],
                                3 => ["-n=" + value],
                                _ => value.Length > 0 && value[0] != '=' ? ["-n" + value] : ["-n", value],
                            });
        var inputs = from name in nameSpellings
                     from verbose in Gen.Elements(("--verbose", true), ("-v", true), ("--verbose=false", false), ("--verbose=T", true), ("--verbose=0", false))
                     from count in Gen.Choose(-100000, 100000)
                     from rest in Text(8).ArrayOf()
                     from order in Gen.Choose(0, 1)
                     select (Name: name, Verbose: verbose, Count: count, Positionals: rest, Order: order);
        Holds(inputs, i =>
        {
            string[] countArgs = ["--count", i.Count.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            string[] flags = i.Order == 0 ? [.. i.Name.Args, i.Verbose.Item1, .. countArgs] : [.. countArgs, i.Verbose.Item1, .. i.Name.Args];
            var parsed = SampleOptions().Parse([.. flags, "--", .. i.Positionals]);
            Assert.Equal(i.Name.Value, parsed.GetString("name"));
            Assert.Equal(i.Verbose.Item2, parsed.GetBool("verbose"));
            Assert.Equal(i.Count, parsed.GetInt("count"));
            Assert.Equal(i.Positionals, parsed.Positionals);
            Assert.False(parsed.HelpRequested);
        });
    }

    [Fact]
    public void Daemon_options_throw_only_usage_errors()
    {
        var parser = new AgentOptionsParser(new NodeAddressResolver(() =>
            [new NetworkInterfaceInfo("lo", true, true, [IPAddress.Loopback]), new NetworkInterfaceInfo("eth0", true, false, [IPAddress.Parse("10.0.0.5")])]),
            () => "node-a");
        var args = Arguments("--node-interface", "--node-name", "--cluster", "--ports", "--rest-port", "--clean", "--driver",
            "--socket-dir", "--socket-group", "--log-level", "--dns", "--dns-domain", "--dns-servers", "--ip-pool", "eth0", "10.0.0.5",
            "40000-40010", "0", "65536", "root", "kernel", "user", "debug", "198.19.0.0/16", "10.0.0.1:53", "a.b", "false");
        var env = Gen.Elements("AX_OPTS", "AX_PORTS", "AX_REST_PORT", "AX_CLEAN", "AX_SOCKET_GROUP", "AX_NODE_INTERFACE")
            .SelectMany(k => Text(10).Select(v => new Dictionary<string, string> { [k] = v }));
        Holds(Gen.Zip(args, env), i => OnlyThrows<UsageException>(() => parser.Parse(i.Item1, i.Item2)), runs: 5000);
    }

    [Fact]
    public void Run_plans_throw_only_usage_errors_and_point_at_the_command()
    {
        var args = Arguments("--ip", "--name", "--labels", "--user", "--new-netns", "--interface", "--socket-dir", "--dns-override",
            "--trap-sendmsg", "198.18.0.1", "web", "a=b,c=d", "nobody", "false", "ax0", "curl", "true");
        var env = Gen.Elements("", "false", "true", "maybe").Select(v => new Dictionary<string, string> { ["AX_NEW_NETNS"] = v });
        Holds(Gen.Zip(args, env), i => OnlyThrows<UsageException>(() =>
        {
            var plan = RunPlanParser.Parse(i.Item1, i.Item2);
            Assert.InRange(plan.CommandIndex, 0, i.Item1.Length - 1);
            Assert.True(plan.Interface.Length == 0 || plan.NewNetns);
        }), runs: 5000);
    }

    [Fact]
    public void Port_ranges_throw_only_format_errors_and_round_trip()
    {
        var texts = Gen.Frequency(
            (3, Gen.Elements("0", "1", "9", "65535", "65536", "-", ",", " ", "+", "40000", "007", "-1")
                .ListOf().Select(parts => string.Concat(parts))),
            (1, Text(20)));
        Holds(texts, text => OnlyThrows<FormatException>(() =>
        {
            var ranges = PortRanges.Parse(text);
            Assert.True(ranges.Count > 0);
            Assert.InRange(ranges.PortAt(0), 1, 65535);
            Assert.InRange(ranges.PortAt(ranges.Count - 1), 1, 65535);
        }), runs: 5000);

        var valid = Gen.Choose(1, 65535).SelectMany(low => Gen.Choose(low, Math.Min(65535, low + 500)).Select(high => (low, high)))
            .NonEmptyListOf();
        Holds(valid, list =>
        {
            var text = string.Join(',', list.Select(r => r.low == r.high ? $"{r.low}" : $"{r.low}-{r.high}"));
            var ranges = PortRanges.Parse(text);
            Assert.Equal(text, ranges.ToString());
            Assert.Equal(list.Sum(r => r.high - r.low + 1), ranges.Count);
            Assert.Equal(list[0].low, ranges.PortAt(0));
            Assert.Equal(list[^1].high, ranges.PortAt(ranges.Count - 1));
            Assert.Equal(text, PortRanges.Parse(ranges.ToString()).ToString());
        });
    }

    [Fact]
    public void Label_lists_never_throw_and_round_trip()
    {
        Holds(Gen.OneOf(Text(30), Gen.Elements("a=b", "=", ",", "a/b=c", "x.y/z=1", "-a=b", "a=-b", "a==b").ListOf().Select(p => string.Join(',', p))),
            text =>
            {
                var ok = LabelListParser.TryParse(text, out var labels, out var reason);
                Assert.True(ok ? reason.Length == 0 : reason.Length > 0 && labels is not null);
            }, runs: 5000);

        var alnum = Gen.Elements("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789".ToCharArray());
        var middle = Gen.Elements("abcXYZ019-_.".ToCharArray());
        var name = from first in alnum
                   from mid in Gen.Choose(0, 20).SelectMany(n => middle.ArrayOf(n))
                   from last in alnum
                   from single in Gen.Elements(true, false)
                   select single ? first.ToString() : first + new string(mid) + last;
        var prefix = Gen.Elements("", "example.com/", "a/", "k8s.io/");
        var label = from p in prefix from k in name from v in Gen.OneOf(name, Gen.Constant("")) select (Key: p + k, Value: v);
        Holds(label.ListOf(), labels =>
        {
            var unique = labels.GroupBy(l => l.Key).Select(g => g.First()).ToList();
            var text = string.Join(',', unique.Select(l => $"{l.Key}={l.Value}"));
            Assert.True(LabelListParser.TryParse(text, out var parsed, out var reason), reason);
            Assert.Equal(unique.ToDictionary(l => l.Key, l => l.Value), parsed);
        });
    }

    [Fact]
    public void Socket_groups_never_throw()
    {
        var groupFile = Path.GetTempFileName();
        File.WriteAllText(groupFile, "root:x:0:\nstaff:x:50:alice,bob\nbroken line\n::\nodd:x:notanumber:\n");
        try
        {
            Holds(Gen.OneOf(Text(12), Gen.Elements("root", "staff", "odd", "", "0", "4294967295", "4294967294", "99999999999", "-1")),
                text =>
                {
                    var ok = SocketGroup.TryResolve(text, out var gid, out var reason, groupFile);
                    Assert.True(ok ? gid >= 0 && reason.Length == 0 : gid == -1 && reason.Length > 0);
                    if (ok && text == "staff") Assert.Equal(50, gid);
                    if (text == "odd") Assert.False(ok);
                }, runs: 3000);
        }
        finally
        {
            File.Delete(groupFile);
        }
    }
}
