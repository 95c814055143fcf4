using System.IO.Pipelines;
using AppSwitch.Agent.L7;

namespace AppSwitch.Fuzz.Targets;

/// <summary>What the HTTP relay reads from an app (requests) or a server (responses): heads by
/// <see cref="HttpHeadReader.ReadAsync"/>, then the body framing each implies, for every head on a kept-alive
/// connection. The input's first byte picks the side (even: requests, odd: responses) and the pipe's segment size.</summary>
internal sealed class HttpHeadTarget : IFuzzTarget
{
    public string Name => "http-head";

    public IEnumerable<byte[]> Seeds()
    {
        yield return [0, .. "GET /api/v1/items?x=1 HTTP/1.1\r\nHost: web:8080\r\nUser-Agent: curl/7.88.1\r\nAccept: */*\r\n\r\n"u8];
        yield return [2, .. "POST /upload HTTP/1.1\r\nHost: web\r\nContent-Length: 5\r\n\r\nhello\r\n\r\nGET / HTTP/1.1\r\nHost: web\r\nConnection: close\r\n\r\n"u8];
        yield return [4, .. "PUT /x HTTP/1.1\r\nHost: web\r\nTransfer-Encoding: chunked\r\nCookie: user=beta\r\n\r\n"u8];
        yield return [1, .. "HTTP/1.1 200 OK\r\nServer: nginx/1.22.1\r\nContent-Type: text/html\r\nContent-Length: 615\r\nConnection: keep-alive\r\n\r\n"u8];
        yield return [3, .. "HTTP/1.1 503 Service Unavailable\r\nTransfer-Encoding: chunked\r\n\r\n"u8];
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.Length == 0) return;
        var request = (input[0] & 1) == 0;
        var segment = 16 << (input[0] >> 1 & 7); // 16 bytes to 2 KiB: heads split across reads
        var reader = PipeReader.Create(new MemoryStream(input[1..].ToArray()), new StreamPipeReaderOptions(bufferSize: segment, minimumReadSize: Math.Min(segment, 16)));
        for (var heads = 0; heads < 64; heads++)
        {
            var result = HttpHeadReader.ReadAsync(reader, request, CancellationToken.None).AsTask().GetAwaiter().GetResult();
            if (result.Status != HttpHeadReader.HeadStatus.Ok || result.Head is null) return;
            var framing = request ? BodyFraming.ForRequest(result.Head, out _) : BodyFraming.ForResponse(result.Head, "GET", out _);
            if (framing is null) return; // the relay answers 400 / 502 and closes
        }
    }
}
