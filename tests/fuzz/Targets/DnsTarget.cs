using AppSwitch.Agent.NameService;

namespace AppSwitch.Fuzz.Targets;

/// <summary>What an app sends the agent's DNS server: a query over UDP (<see cref="DnsCodec.DecodeQuery"/>),
/// or several over TCP with two-byte lengths (<see cref="DnsTcpFraming.ReadAsync"/>). The input's first byte
/// picks the transport (even: UDP, odd: TCP).</summary>
internal sealed class DnsTarget : IFuzzTarget
{
    public string Name => "dns";

    public IEnumerable<byte[]> Seeds()
    {
        // A query as `dig web.ax A` and `dig web.default.svc.cluster.local AAAA` send it (EDNS OPT record included).
        byte[] a = [0x12, 0x34, 0x01, 0x20, 0, 1, 0, 0, 0, 0, 0, 1, 3, (byte)'w', (byte)'e', (byte)'b', 2, (byte)'a', (byte)'x', 0, 0, 1, 0, 1,
            0, 0, 0x29, 0x04, 0xd0, 0, 0, 0, 0, 0, 0];
        byte[] aaaa = [0xbe, 0xef, 0x01, 0x00, 0, 1, 0, 0, 0, 0, 0, 0, 3, (byte)'w', (byte)'e', (byte)'b', 7, .. "default"u8, 3, .. "svc"u8,
            7, .. "cluster"u8, 5, .. "local"u8, 0, 0, 28, 0, 1];
        yield return [0, .. a];
        yield return [0, .. aaaa];
        yield return [1, 0, (byte)a.Length, .. a, 0, (byte)aaaa.Length, .. aaaa];
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        if ((input[0] & 1) == 0)
        {
            Decode(input[1..]);
            return;
        }
        using var stream = new MemoryStream(input[1..].ToArray());
        try
        {
            while (DnsTcpFraming.ReadAsync(stream, CancellationToken.None).GetAwaiter().GetResult() is { } message) Decode(message);
        }
        catch (EndOfStreamException) { } // DnsServer closes the connection
    }

    private static void Decode(ReadOnlySpan<byte> message)
    {
        try
        {
            var query = DnsCodec.DecodeQuery(message);
            DnsCodec.EncodeFailure(query, DnsRcode.NxDomain); // the answer the server builds from what it decoded
        }
        catch (DnsDecodeException) { } // answered FORMERR when the id can be read, else dropped
    }
}
