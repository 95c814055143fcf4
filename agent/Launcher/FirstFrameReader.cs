using System.Net.Sockets;

namespace AppSwitch.Agent.Launcher;

/// <summary>
/// Reads a launcher's first frame (RUN: bytes only; fds sent with it are dropped by the kernel unread) without a thread
/// of its own: a connection that has said nothing yet costs a socket and a small buffer, so a flood of half-open
/// clients ties up no threads. The caller's token ends the wait (the handshake timeout, an eviction, shutdown).
/// </summary>
internal static class FirstFrameReader
{
    public static async Task<(FrameType Type, byte[] Payload)> ReadAsync(Socket socket, CancellationToken token)
    {
        var header = new byte[4];
        var got = await FillAsync(socket, header, token);
        if (got < header.Length)
            throw new LauncherProtocolException(got == 0 ? "the launcher closed the connection" : "truncated frame");
        var length = LauncherConnection.CheckedLength(header);
        var body = new byte[Math.Min(length, LauncherConnection.InitialBodyBuffer)];
        var done = 0;
        while (done < length)
        {
            if (done == body.Length) Array.Resize(ref body, (int)Math.Min(length, 2L * body.Length));
            var n = await FillAsync(socket, body.AsMemory(done), token);
            if (n == 0) throw new LauncherProtocolException("truncated frame");
            done += n;
        }
        return ((FrameType)body[0], body[1..]);
    }

    /// <summary>Reads until the buffer is full or the stream ends; the count read.</summary>
    private static async Task<int> FillAsync(Socket socket, Memory<byte> buffer, CancellationToken token)
    {
        var done = 0;
        while (done < buffer.Length)
        {
            var n = await socket.ReceiveAsync(buffer[done..], SocketFlags.None, token);
            if (n == 0) break;
            done += n;
        }
        return done;
    }
}
