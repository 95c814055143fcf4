using System.Buffers.Binary;
using System.Net;
using System.Text;
using AppSwitch.Common.Net;

namespace AppSwitch.Agent.Table;

/// <summary>
/// The IPv4 block (`--ip-pool`, default 198.19.0.0/16) that named apps without `--ip` get their virtual IP from.
/// The choice starts at a hash of the node and app id, so two nodes assigning at the same moment almost never
/// start at the same address, and walks on past every address the replicated table shows in use.
/// </summary>
public sealed class VirtualIpPool
{
    public const string Default = "198.19.0.0/16";

    private readonly uint _network;
    private readonly int _prefix;

    private VirtualIpPool(uint network, int prefix)
    {
        _network = network;
        _prefix = prefix;
    }

    public override string ToString() => $"{ToAddress(_network)}/{_prefix}";

    /// <summary>Usable host addresses (the network and broadcast addresses are left out for blocks of 4 and more).</summary>
    private uint Size => _prefix >= 31 ? 1u << (32 - _prefix) : (1u << (32 - _prefix)) - 2;
    private uint First => _prefix >= 31 ? _network : _network + 1;

    public static VirtualIpPool Parse(string text) =>
        TryParse(text, out var pool, out var reason) ? pool : throw new FormatException(reason);

    public static bool TryParse(string text, out VirtualIpPool pool, out string reason)
    {
        pool = null!;
        var slash = text.IndexOf('/');
        if (slash < 0 || !Ipv4Literal.TryParse(text[..slash], out var address)
            || !int.TryParse(text[(slash + 1)..], System.Globalization.NumberStyles.None, null, out var prefix) || prefix is < 8 or > 32)
        {
            reason = "not an IPv4 block A.B.C.D/N (N from 8 to 32)";
            return false;
        }
        var value = BinaryPrimitives.ReadUInt32BigEndian(address.GetAddressBytes());
        var mask = prefix == 32 ? uint.MaxValue : ~(uint.MaxValue >> prefix);
        if ((value & mask) != value)
        {
            reason = $"{text} has host bits set (the block starts at {ToAddress(value & mask)})";
            return false;
        }
        var first = value >> 24;
        if (first is 0 or 127 || first >= 224)
        {
            reason = "a loopback, multicast or reserved block cannot hold virtual IPs";
            return false;
        }
        pool = new VirtualIpPool(value, prefix);
        reason = "";
        return true;
    }

    /// <summary>A free address for the app, or null when every address of the pool is in use.</summary>
    public IPAddress? Assign(string nodeName, string appId, Func<IPAddress, bool> inUse)
    {
        var start = Fnv1a(nodeName + "/" + appId) % Size;
        for (uint i = 0; i < Size; i++)
        {
            var candidate = ToAddress(First + (start + i) % Size);
            if (!inUse(candidate)) return candidate;
        }
        return null;
    }

    public bool Contains(IPAddress address)
    {
        var bytes = address.MapToIPv4().GetAddressBytes();
        var value = BinaryPrimitives.ReadUInt32BigEndian(bytes);
        var mask = _prefix == 32 ? uint.MaxValue : ~(uint.MaxValue >> _prefix);
        return (value & mask) == _network;
    }

    // Stable across processes and versions (string.GetHashCode is randomised per process).
    private static uint Fnv1a(string text)
    {
        var hash = 2166136261u;
        foreach (var b in Encoding.UTF8.GetBytes(text)) hash = (hash ^ b) * 16777619u;
        return hash;
    }

    private static IPAddress ToAddress(uint value)
    {
        var bytes = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(bytes, value);
        return new IPAddress(bytes);
    }
}
