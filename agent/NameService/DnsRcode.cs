namespace AppSwitch.Agent.NameService;

/// <summary>Response codes (RFC 1035 §4.1.1).</summary>
public enum DnsRcode : byte { NoError = 0, FormErr = 1, ServFail = 2, NxDomain = 3, NotImp = 4, Refused = 5 }
