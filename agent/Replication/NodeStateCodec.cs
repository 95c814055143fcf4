using System.Buffers;
using System.Net;
using System.Text.Json;
using AppSwitch.Agent.Launcher;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.Replication;

/// <summary>
/// The entries a node owns (its apps and their servers, its vservices), as it publishes them to the cluster, and
/// the decoding of another node's publication into replica entries. Sockets stay local: only servers matter
/// to other nodes. Vservices and apps' expose mappings were added later as optional fields: older publications
/// decode with none.
/// </summary>
public static class NodeStateCodec
{
    public const int Version = 1;
    /// <summary>A node publishing more than this is refused (a corrupt or hostile peer).</summary>
    public const int MaxBytes = 4 << 20;

    public static byte[] Encode(IEnumerable<AppEntry> apps, IEnumerable<ServerEntry> servers, IEnumerable<VServiceEntry>? vservices = null,
        IReadOnlyList<Rule>? rules = null, string? egress = null)
    {
        // Written into a buffer of our own (garbage once copied out), not SerializeToUtf8Bytes: its pooled buffers grow
        // to the state's size and ArrayPool.Shared keeps them (per thread and core) after each publication.
        var buffer = new ArrayBufferWriter<byte>(4096);
        using (var writer = new Utf8JsonWriter(buffer)) JsonSerializer.Serialize(writer, Published(apps, servers, vservices, rules, egress), PublishedStateJsonContext.Default.PublishedState);
        return buffer.WrittenSpan.ToArray();
    }

    private static PublishedState Published(IEnumerable<AppEntry> apps, IEnumerable<ServerEntry> servers, IEnumerable<VServiceEntry>? vservices,
        IReadOnlyList<Rule>? rules, string? egress) =>
        new()
        {
            Apps = apps.Select(a => new PublishedApp
            {
                Id = a.Id, Name = a.Name, Ip = a.VirtualIp?.ToString(), Labels = new(a.Labels), Pid = a.Pid,
                Protocol = a.Protocol == AppProtocol.Default ? null : a.Protocol, Command = a.Command.ToList(), Started = a.Started,
                Expose = a.Expose.Count == 0 ? null : a.Expose.Select(m => m.ToString()).ToList(),
                Egress = egress,
            }).ToList(),
            Servers = servers.Select(s => new PublishedServer
            {
                AppId = s.App.Id, Proto = s.Transport == Transport.Tcp ? "tcp" : "udp",
                Virtual = s.Virtual.ToString(), Node = s.Node.ToString(), Inode = s.Inode,
            }).ToList(),
            VServices = vservices?.Select(v => v.ToSpec()).ToList(),
            Rules = rules is { Count: > 0 } ? rules.ToList() : null,
        };

    /// <summary>Replica entries of <paramref name="from"/>'s publication; FormatException when it is not one.</summary>
    public static (IReadOnlyList<AppEntry> Apps, IReadOnlyList<ServerEntry> Servers) Decode(ReadOnlySpan<byte> bytes, RemoteNodeRef from) =>
        Decode(bytes, from, out _);

    /// <summary>Replica entries of <paramref name="from"/>'s publication, its vservices included.</summary>
    public static (IReadOnlyList<AppEntry> Apps, IReadOnlyList<ServerEntry> Servers) Decode(ReadOnlySpan<byte> bytes, RemoteNodeRef from,
        out IReadOnlyList<VServiceEntry> vservices) => Decode(bytes, from, out vservices, out _);

    /// <summary>Replica entries of <paramref name="from"/>'s publication, its vservices and Amalgam8 rules included.</summary>
    public static (IReadOnlyList<AppEntry> Apps, IReadOnlyList<ServerEntry> Servers) Decode(ReadOnlySpan<byte> bytes, RemoteNodeRef from,
        out IReadOnlyList<VServiceEntry> vservices, out IReadOnlyList<Rule> rules)
    {
        if (bytes.Length > MaxBytes) throw new FormatException($"state of {from.Name} is {bytes.Length} bytes, over {MaxBytes}");
        PublishedState? state;
        try
        {
            state = JsonSerializer.Deserialize(bytes, PublishedStateJsonContext.Default.PublishedState);
        }
        catch (JsonException e)
        {
            throw new FormatException($"state of {from.Name} is not valid JSON: {e.Message}", e);
        }
        if (state is null || state.V != Version) throw new FormatException($"state of {from.Name} has version {state?.V}, expected {Version}");

        var apps = new Dictionary<string, AppEntry>();
        foreach (var a in state.Apps ?? [])
        {
            if (string.IsNullOrEmpty(a?.Id)) throw new FormatException($"state of {from.Name}: an app without an id");
            // JSON nulls inside lists and maps the model declares without them (labels are matched, commands shown).
            if (a.Labels?.Values.Any(v => v is null) == true || a.Command?.Any(c => c is null) == true)
                throw new FormatException($"state of {from.Name}: app {a.Id} has a null label or command word");
            apps[a.Id] = new AppEntry
            {
                Id = a.Id, Name = a.Name ?? "", VirtualIp = a.Ip is null ? null : ParseAddress(a.Ip, from),
                Labels = a.Labels ?? [], Pid = a.Pid, Protocol = AppProtocol.IsKnown(a.Protocol) ? a.Protocol!.ToLowerInvariant() : AppProtocol.Default, Command = a.Command ?? [], Started = a.Started, RemoteNode = from,
                Expose = DecodeExpose(a.Expose, from), RemoteEgress = a.Egress,
            };
        }
        var servers = new List<ServerEntry>();
        foreach (var s in state.Servers ?? [])
        {
            if (s?.AppId is null || !apps.TryGetValue(s.AppId, out var app))
                throw new FormatException($"state of {from.Name}: a server of unknown app '{s?.AppId}'");
            servers.Add(new ServerEntry
            {
                App = app,
                Transport = s.Proto switch
                {
                    "tcp" => Transport.Tcp,
                    "udp" => Transport.Udp,
                    _ => throw new FormatException($"state of {from.Name}: unknown protocol '{s.Proto}'"),
                },
                Virtual = ParseEndPoint(s.Virtual, from), Node = ParseEndPoint(s.Node, from), Inode = s.Inode,
            });
        }
        vservices = DecodeVServices(state.VServices, from);
        rules = DecodeRules(state.Rules, from);
        return (apps.Values.ToList(), servers);
    }

    private static List<VServiceEntry> DecodeVServices(List<VServiceSpec>? specs, RemoteNodeRef from)
    {
        var vservices = new List<VServiceEntry>();
        foreach (var spec in specs ?? [])
        {
            if (spec is null) throw new FormatException($"state of {from.Name}: a null vservice");
            vservices.Add(VServiceEntry.FromSpec(spec, from, out var error)
                          ?? throw new FormatException($"state of {from.Name}: vservice '{spec.Name}': {error}"));
        }
        return vservices;
    }

    /// <summary>A node's rules pass the same checks as rules created here (a bad one refuses the whole publication).</summary>
    private static List<Rule> DecodeRules(List<Rule>? rules, RemoteNodeRef from)
    {
        var problems = RuleValidator.CheckBatch((rules ?? []).Select((r, i) => (i, r)).ToList());
        if (problems.Count > 0) throw new FormatException($"state of {from.Name}: {problems[0]}");
        return rules ?? [];
    }

    private static IReadOnlyList<Launcher.ExposeMapping> DecodeExpose(List<string>? expose, RemoteNodeRef from) =>
        expose is null or { Count: 0 } ? []
        : Launcher.ExposeMapping.TryParseList(string.Join(',', expose), out var mappings, out var reason) ? mappings
        : throw new FormatException($"state of {from.Name}: bad expose mapping: {reason}");

    private static IPAddress ParseAddress(string text, RemoteNodeRef from) =>
        IPAddress.TryParse(text, out var address) ? address : throw new FormatException($"state of {from.Name}: bad address '{text}'");

    private static IPEndPoint ParseEndPoint(string? text, RemoteNodeRef from) =>
        text is not null && IPEndPoint.TryParse(text, out var endPoint) && endPoint.Port > 0
            ? endPoint : throw new FormatException($"state of {from.Name}: bad endpoint '{text}'");
}
