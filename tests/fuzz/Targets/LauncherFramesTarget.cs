using System.Buffers.Binary;
using AppSwitch.Agent.Launcher;

namespace AppSwitch.Fuzz.Targets;

/// <summary>What `ax run` sends the agent's launcher socket: length-prefixed frames read by
/// <see cref="LauncherConnection.ReadFrame"/>, RUN payloads decoded by <see cref="RunRequest.Decode"/>.</summary>
internal sealed class LauncherFramesTarget : IFuzzTarget
{
    public string Name => "launcher-frames";

    public IEnumerable<byte[]> Seeds()
    {
        var run = LauncherRunTarget.EncodeRun(["curl", "-s", "http://web:8080/"], ["PATH=/usr/bin:/bin", "HOME=/root", "AX_NEW_NETNS=true"]);
        yield return Frame(FrameType.Run, run);
        yield return [.. Frame(FrameType.Run, run), .. Frame(FrameType.Ready, [])];
        yield return Frame(FrameType.Listener, [1, 0, 0, 0, 0]);
    }

    private static byte[] Frame(FrameType type, byte[] payload)
    {
        var frame = new byte[5 + payload.Length];
        BinaryPrimitives.WriteUInt32LittleEndian(frame, (uint)(1 + payload.Length));
        frame[4] = (byte)type;
        payload.CopyTo(frame, 5);
        return frame;
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        using var feed = new SocketFeed(input);
        var connection = new LauncherConnection(feed.Reader);
        try
        {
            while (true)
            {
                var (type, payload) = connection.ReadFrame();
                if (type == FrameType.Run) RunRequest.Decode(payload);
            }
        }
        catch (LauncherProtocolException e) when (!e.Message.Contains("timed out", StringComparison.Ordinal))
        {
            // The end of the stream or a refused frame: the launcher endpoint answers an ERROR frame.
        }
    }
}
