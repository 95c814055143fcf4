namespace AppSwitch.Agent.NameService;

/// <summary>
/// One decoded query: its header fields and its single question. <see cref="Question"/> is the question's
/// wire form, echoed in the answer as it came.
/// </summary>
public sealed record DnsQuery(ushort Id, bool RecursionDesired, byte Opcode, string Name, ushort Type, ushort Class, byte[] Question);
