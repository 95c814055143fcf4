namespace AppSwitch.Agent.NameService;

/// <summary>Record types the server answers itself.</summary>
public static class DnsType
{
    public const ushort A = 1;
    public const ushort Aaaa = 28;
    public const ushort Any = 255;
}

/// <summary>Response codes (RFC 1035 §4.1.1).</summary>
public enum DnsRcode : byte { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 }

/// <summary>
/// One decoded query: its header fields and its single question. <see cref="Question"/> is the question's
/// wire form, echoed in the answer as it came.
/// </summary>
public sealed record DnsQuery(ushort Id, bool RecursionDesired, byte Opcode, string Name, ushort Type, ushort Class, byte[] Question);
