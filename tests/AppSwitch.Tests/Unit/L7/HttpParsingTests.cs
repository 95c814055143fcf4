using System.IO.Pipelines;
using System.Text;
using AppSwitch.Agent.L7;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AppSwitch.Tests.Unit.L7;

/// <summary>The relay's HTTP/1.1 message heads, framing and body streaming, on in-memory pipes.</summary>
public sealed class HttpParsingTests
{
    private static PipeReader Reader(string text) => PipeReader.Create(new MemoryStream(Encoding.Latin1.GetBytes(text)));

    private static HttpHeadReader.Result Read(string text, bool request = true) =>
        HttpHeadReader.ReadAsync(Reader(text), request, CancellationToken.None).AsTask().GetAwaiter().GetResult();

    [Fact]
    public void A_request_head_keeps_its_fields_and_joins_repeated_cookies()
    {
        var result = Read("\r\nGET /a?b=1 HTTP/1.1\r\nHost: x\r\nCookie: a=1\r\ncookie: user=jason\r\nX-Empty:\r\n\r\nnext");
        Assert.Equal(HttpHeadReader.HeadStatus.Ok, result.Status);
        var head = result.Head!;
        Assert.Equal(("GET", "/a?b=1", "HTTP/1.1"), (head.Method, head.Target, head.RequestVersion));
        Assert.Equal("a=1; user=jason", head.Get("COOKIE"));
        Assert.Equal("", head.Get("X-Empty"));
        Assert.Null(head.Get("Missing"));
    }

    [Theory]
    [InlineData("GET /\r\n\r\n", "bad request line")]
    [InlineData("GET / HTTP/2\r\n\r\n", "bad request line")]
    [InlineData("GET / HTTP/1.1\r\nHost : x\r\n\r\n", "bad header line")]
    [InlineData("GET / HTTP/1.1\r\nA: b\r\n folded\r\n\r\n", "bad header line")]
    [InlineData("GET / HTTP/1.1\r\nA: b\nB: c\r\n\r\n", "bare CR or LF")]
    [InlineData("GET / HTTP/1.1\r\nHost: x\r\n", "closed inside a head")]
    public void Malformed_heads_are_refused_with_the_reason(string text, string reason)
    {
        var result = Read(text);
        Assert.Equal(HttpHeadReader.HeadStatus.Malformed, result.Status);
        Assert.Contains(reason, result.Problem);
    }

    [Fact]
    public void A_head_over_64_KiB_is_too_large_whether_or_not_it_ends()
    {
        const int readmeLimit = 65_536; // README: "431 for a head over 64 KiB"
        var field = "X-Big: " + new string('a', readmeLimit) + "\r\n";
        Assert.Equal(HttpHeadReader.HeadStatus.TooLarge, Read("GET / HTTP/1.1\r\n" + field + "\r\n").Status);
        Assert.Equal(HttpHeadReader.HeadStatus.TooLarge, Read("GET / HTTP/1.1\r\n" + field).Status);
    }

    [Fact]
    public void A_head_of_60_KiB_is_read_whole()
    {
        var value = new string('a', 60 * 1024);
        var result = Read("GET / HTTP/1.1\r\nHost: x\r\nX-Big: " + value + "\r\n\r\n");
        Assert.Equal(HttpHeadReader.HeadStatus.Ok, result.Status);
        Assert.Equal(value, result.Head!.Get("X-Big"));
    }

    [Fact]
    public void A_closed_connection_between_requests_is_the_end_not_an_error() =>
        Assert.Equal(HttpHeadReader.HeadStatus.End, Read("").Status);

    [Theory]
    [InlineData("Content-Length: 5", "Length", 5L)]
    [InlineData("Content-Length: 5\r\nContent-Length: 5", "Length", 5L)]
    [InlineData("Transfer-Encoding: gzip, chunked", "Chunked", 0L)]
    [InlineData("X: y", "Length", 0L)]
    public void Request_framing_follows_the_fields(string fields, string kind, long length)
    {
        var framing = BodyFraming.ForRequest(Read($"POST / HTTP/1.1\r\n{fields}\r\n\r\n").Head!, out var problem);
        Assert.Null(problem);
        Assert.Equal(new BodyFraming(Enum.Parse<BodyKind>(kind), length), framing);
    }

    [Theory]
    [InlineData("Content-Length: 5\r\nTransfer-Encoding: chunked", "both")]
    [InlineData("Transfer-Encoding: chunked, gzip", "chunked last")]
    [InlineData("Content-Length: 5\r\nContent-Length: 6", "bad Content-Length")]
    [InlineData("Content-Length: -1", "bad Content-Length")]
    public void Ambiguous_request_framing_is_refused(string fields, string reason)
    {
        Assert.Null(BodyFraming.ForRequest(Read($"POST / HTTP/1.1\r\n{fields}\r\n\r\n").Head!, out var problem));
        Assert.Contains(reason, problem);
    }

    [Theory]
    [InlineData("HTTP/1.1 204 No Content\r\nContent-Length: 9", "GET", "Length", 0L)]
    [InlineData("HTTP/1.1 200 OK\r\nContent-Length: 9", "HEAD", "Length", 0L)]
    [InlineData("HTTP/1.0 200 OK", "GET", "UntilClose", 0L)]
    [InlineData("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked", "GET", "Chunked", 0L)]
    public void Response_framing_depends_on_status_and_method(string head, string method, string kind, long length) =>
        Assert.Equal(new BodyFraming(Enum.Parse<BodyKind>(kind), length),
            BodyFraming.ForResponse(Read(head + "\r\n\r\n", request: false).Head!, method, out _));

    [Fact]
    public async Task A_chunked_body_passes_through_unchanged_and_the_next_pipelined_request_stays_in_the_pipe()
    {
        const string body = "5;ext=1\r\nhello\r\n10\r\n0123456789abcdef\r\n0\r\nTrailer: t\r\n\r\n";
        var reader = Reader(body + "GET /next HTTP/1.1\r\n\r\n");
        var copy = new MemoryStream();
        using var idle = new IdleDeadline(TimeSpan.Zero, CancellationToken.None);
        await BodyCopier.CopyAsync(new BodyEnds(reader, RelayPeer.Client, copy, RelayPeer.Client, idle), new BodyFraming(BodyKind.Chunked, 0));
        Assert.Equal(body, Encoding.Latin1.GetString(copy.ToArray()));
        Assert.Equal("/next", (await HttpHeadReader.ReadAsync(reader, true, CancellationToken.None)).Head!.Target);
    }

    [Theory]
    [InlineData("zz\r\n", "bad chunk size", "UpstreamBodyMalformed")]
    [InlineData("5\r\nhello!\r\n0\r\n\r\n", "longer than its size", "UpstreamBodyMalformed")]
    [InlineData("5\r\nhel", "ended", "UpstreamClosed")]
    public async Task Bad_chunked_bodies_stop_the_connection_as_a_failure_of_their_sender(string body, string reason, string failure)
    {
        using var idle = new IdleDeadline(TimeSpan.Zero, CancellationToken.None);
        var instance = RelayPeer.Upstream(new System.Net.IPEndPoint(System.Net.IPAddress.Loopback, 9));
        var error = await Assert.ThrowsAsync<RelayFailureException>(() =>
            BodyCopier.CopyAsync(new BodyEnds(Reader(body), instance, new MemoryStream(), RelayPeer.Client, idle), new BodyFraming(BodyKind.Chunked, 0)));
        Assert.Contains(reason, error.Message);
        Assert.Equal((Enum.Parse<RelayFailure>(failure), instance.Instance), (error.Failure, error.Instance));
    }

    [Fact]
    public void Any_bytes_give_a_head_or_a_clear_refusal_never_an_exception()
    {
        var lines = Gen.Elements("GET / HTTP/1.1", "HTTP/1.1 200 OK", "Host: x", "A:b", " x", ":", "\r", "\n", "", "\u00ff\u0000", "Content-Length: 1");
        var inputs = Gen.ListOf(lines).Select(l => string.Join("\r\n", l) + "\r\n\r\n");
        Check.One(Config.QuickThrowOnFailure.WithMaxTest(2000), Prop.ForAll(inputs.ToArbitrary(), (string text) =>
        {
            foreach (var request in new[] { true, false })
            {
                var result = Read(text, request);
                if (result.Status == HttpHeadReader.HeadStatus.Ok) _ = result.Head!.Encode();
                else if (result.Status != HttpHeadReader.HeadStatus.End && string.IsNullOrEmpty(result.Problem)) return false;
            }
            return true;
        }));
    }
}
