namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// A hostname a DNS cluster needs resolved, and how often: again after <see cref="Refresh"/> (dns_refresh_rate), or
/// after the answer's TTL when <see cref="RespectTtl"/> (respect_dns_ttl, which istiod sets).
/// </summary>
public sealed record XdsDnsName(string Host, TimeSpan Refresh, bool RespectTtl);
