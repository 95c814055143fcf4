namespace AppSwitch.Agent.NameService;

/// <summary>The only exception <see cref="DnsCodec"/> throws: the bytes are not a DNS query we can answer.</summary>
public sealed class DnsDecodeException(string message) : Exception(message);
