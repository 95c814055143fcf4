namespace AppSwitch.Agent.L7;

/// <summary>How a message's body is delimited (RFC 9112 §6.3).</summary>
internal readonly record struct BodyFraming(BodyKind Kind, long Length)
{
    public static readonly BodyFraming None = new(BodyKind.Length, 0);

    public bool HasBody => Kind != BodyKind.Length || Length > 0;

    /// <summary>A request's framing, or null with the reason it is refused (400).</summary>
    public static BodyFraming? ForRequest(HttpHead request, out string? problem)
    {
        problem = null;
        if (request.Has("Transfer-Encoding"))
        {
            if (request.Has("Content-Length")) problem = "both Transfer-Encoding and Content-Length";
            else if (!LastCodingIsChunked(request)) problem = "Transfer-Encoding without chunked last";
            return problem is null ? new BodyFraming(BodyKind.Chunked, 0) : null;
        }
        return ContentLength(request, out problem) is { } length ? new BodyFraming(BodyKind.Length, length) : problem is null ? None : null;
    }

    /// <summary>A response's framing given the request's method; null with a reason when the upstream sent nonsense.</summary>
    public static BodyFraming? ForResponse(HttpHead response, string requestMethod, out string? problem)
    {
        problem = null;
        var status = response.StatusCode;
        if (requestMethod == "HEAD" || status is (>= 100 and < 200) or 204 or 304) return None;
        if (response.Has("Transfer-Encoding"))
            return LastCodingIsChunked(response) ? new BodyFraming(BodyKind.Chunked, 0) : new BodyFraming(BodyKind.UntilClose, 0);
        if (ContentLength(response, out problem) is { } length) return new BodyFraming(BodyKind.Length, length);
        return problem is null ? new BodyFraming(BodyKind.UntilClose, 0) : null;
    }

    private static bool LastCodingIsChunked(HttpHead head) =>
        head.Get("Transfer-Encoding")!.Split(',', StringSplitOptions.TrimEntries).Last().Equals("chunked", StringComparison.OrdinalIgnoreCase);

    private static long? ContentLength(HttpHead head, out string? problem)
    {
        problem = null;
        var value = head.Get("Content-Length");
        if (value is null) return null;
        // Repeated fields (joined with ", ") must all agree.
        var values = value.Split(',', StringSplitOptions.TrimEntries).Distinct().ToList();
        if (values.Count == 1 && values[0].Length is > 0 and <= 18 && values[0].All(char.IsAsciiDigit)) return long.Parse(values[0]);
        problem = $"bad Content-Length \"{value}\"";
        return null;
    }
}
