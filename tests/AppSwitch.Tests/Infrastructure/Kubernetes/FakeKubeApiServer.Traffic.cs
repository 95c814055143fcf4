using Microsoft.AspNetCore.Http;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// What the clients cost the API server: every request counted with the bytes of its body and of the answer (watch
/// streams included, as they flow), so that replication through the API server can be compared with gossip.
/// </summary>
public sealed partial class FakeKubeApiServer
{
    private long _trafficRequests;
    private long _trafficBytesIn;
    private long _trafficBytesOut;

    /// <summary>Requests so far, bytes received (request bodies) and sent (answers and watch events), all clients together.</summary>
    public (long Requests, long BytesIn, long BytesOut) Traffic =>
        (Interlocked.Read(ref _trafficRequests), Interlocked.Read(ref _trafficBytesIn), Interlocked.Read(ref _trafficBytesOut));

    private async Task CountedAsync(HttpContext context)
    {
        Interlocked.Increment(ref _trafficRequests);
        var body = context.Response.Body;
        context.Response.Body = new CountingStream(body, n => Interlocked.Add(ref _trafficBytesOut, n));
        context.Request.Body = new CountingStream(context.Request.Body, n => Interlocked.Add(ref _trafficBytesIn, n));
        try
        {
            await HandleAsync(context);
        }
        finally
        {
            context.Response.Body = body;
        }
    }

    /// <summary>Passes reads and writes through and reports their sizes.</summary>
    private sealed class CountingStream(Stream inner, Action<long> count) : Stream
    {
        public override bool CanRead => inner.CanRead;
        public override bool CanSeek => false;
        public override bool CanWrite => inner.CanWrite;
        public override long Length => throw new NotSupportedException();
        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }
        public override void Flush() => inner.Flush();
        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);
        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();
        public override void SetLength(long value) => throw new NotSupportedException();

        public override int Read(byte[] buffer, int offset, int size)
        {
            var read = inner.Read(buffer, offset, size);
            count(read);
            return read;
        }

        public override async ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            var read = await inner.ReadAsync(buffer, cancellationToken);
            count(read);
            return read;
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int size, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, size), cancellationToken).AsTask();

        public override void Write(byte[] buffer, int offset, int size)
        {
            count(size);
            inner.Write(buffer, offset, size);
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            count(buffer.Length);
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task WriteAsync(byte[] buffer, int offset, int size, CancellationToken cancellationToken) =>
            WriteAsync(buffer.AsMemory(offset, size), cancellationToken).AsTask();
    }
}
