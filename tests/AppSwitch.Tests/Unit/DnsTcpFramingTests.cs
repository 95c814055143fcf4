using AppSwitch.Agent.NameService;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>DNS over TCP frames (RFC 1035 §4.2.2): a big-endian u16 length, then the message.</summary>
public sealed class DnsTcpFramingTests
{
    [Fact]
    public async Task Messages_sent_back_to_back_are_read_one_by_one_then_null_at_the_end()
    {
        // Two queries in one segment (a pipelining client), then the client closes.
        using var stream = new MemoryStream([0, 3, 1, 2, 3, 0, 1, 9]);
        Assert.Equal([1, 2, 3], await DnsTcpFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Equal([9], await DnsTcpFraming.ReadAsync(stream, CancellationToken.None));
        Assert.Null(await DnsTcpFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Theory]
    [InlineData(new byte[] { 0 })]          // inside the length
    [InlineData(new byte[] { 0, 4, 1, 2 })] // inside the message
    public async Task A_stream_that_ends_inside_a_frame_is_truncated(byte[] bytes)
    {
        using var stream = new MemoryStream(bytes);
        await Assert.ThrowsAsync<EndOfStreamException>(() => DnsTcpFraming.ReadAsync(stream, CancellationToken.None));
    }

    [Fact]
    public async Task A_written_frame_reads_back_as_the_message()
    {
        using var stream = new MemoryStream();
        await DnsTcpFraming.WriteAsync(stream, new byte[300], CancellationToken.None);
        Assert.Equal([1, 44], stream.ToArray()[..2]); // 300 = 0x012C, big-endian
        stream.Position = 0;
        Assert.Equal(300, (await DnsTcpFraming.ReadAsync(stream, CancellationToken.None))!.Length);
    }
}
