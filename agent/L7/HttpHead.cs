using System.Text;

namespace AppSwitch.Agent.L7;

/// <summary>
/// The start line and header fields of an HTTP/1.x request or response, as received (order and spelling kept) so
/// that the relay forwards what it does not change byte for byte in meaning.
/// </summary>
internal sealed class HttpHead(string first, string second, string third, List<KeyValuePair<string, string>> fields)
{
    /// <summary>Request: method; response: version.</summary>
    public string First { get; set; } = first;
    /// <summary>Request: target (path and query); response: status code.</summary>
    public string Second { get; set; } = second;
    /// <summary>Request: version; response: reason phrase.</summary>
    public string Third { get; set; } = third;
    public List<KeyValuePair<string, string>> Fields { get; } = fields;

    public string Method => First;
    public string Target => Second;
    public string RequestVersion => Third;
    public string ResponseVersion => First;
    public int StatusCode => int.TryParse(Second, out var code) ? code : 0;

    /// <summary>Every value of a field, joined as RFC 9110 allows (Cookie with "; "); null when absent.</summary>
    public string? Get(string name)
    {
        string? joined = null;
        foreach (var (key, value) in Fields)
        {
            if (!key.Equals(name, StringComparison.OrdinalIgnoreCase)) continue;
            var separator = name.Equals("Cookie", StringComparison.OrdinalIgnoreCase) ? "; " : ", ";
            joined = joined is null ? value : joined + separator + value;
        }
        return joined;
    }

    public bool Has(string name) => Fields.Exists(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>True when a comma-separated field (Connection, Transfer-Encoding …) lists <paramref name="token"/>.</summary>
    public bool HasToken(string name, string token)
    {
        foreach (var (key, value) in Fields)
            if (key.Equals(name, StringComparison.OrdinalIgnoreCase))
                foreach (var part in value.Split(','))
                    if (part.Trim().Equals(token, StringComparison.OrdinalIgnoreCase)) return true;
        return false;
    }

    public void Remove(string name) => Fields.RemoveAll(f => f.Key.Equals(name, StringComparison.OrdinalIgnoreCase));

    /// <summary>Drops the hop-by-hop fields (RFC 9110 §7.6.1), including those the Connection field names.</summary>
    public void RemoveHopByHop()
    {
        foreach (var (key, value) in Fields.Where(f => f.Key.Equals("Connection", StringComparison.OrdinalIgnoreCase)).ToList())
            foreach (var named in value.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries))
                if (!named.Equals("close", StringComparison.OrdinalIgnoreCase) && !named.Equals("keep-alive", StringComparison.OrdinalIgnoreCase)
                    && !named.Equals("Transfer-Encoding", StringComparison.OrdinalIgnoreCase))
                    Remove(named);
        foreach (var name in (string[])["Connection", "Keep-Alive", "Proxy-Connection", "TE", "Upgrade", "Proxy-Authenticate", "Proxy-Authorization"])
            Remove(name);
    }

    public byte[] Encode()
    {
        var text = new StringBuilder(256);
        text.Append(First).Append(' ').Append(Second);
        if (Third.Length > 0 || First.StartsWith("HTTP/", StringComparison.Ordinal)) text.Append(' ').Append(Third);
        text.Append("\r\n");
        foreach (var (key, value) in Fields) text.Append(key).Append(": ").Append(value).Append("\r\n");
        text.Append("\r\n");
        return Encoding.Latin1.GetBytes(text.ToString());
    }
}
