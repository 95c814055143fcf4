using System.Net;

namespace AppSwitch.Agent.NameService;

/// <summary>What the server does with a question: answer from the service table, or forward it.</summary>
public abstract record DnsDecision
{
    public sealed record Answer(DnsRcode Rcode, IReadOnlyList<IPAddress> Addresses) : DnsDecision;
    public sealed record Forward : DnsDecision;
}
