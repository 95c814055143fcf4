using System.Buffers.Binary;
using System.Text;
using AppSwitch.Agent.Launcher;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class LauncherProtocolTests
{
    private static byte[] RunPayload(byte version, string[] args, string[] env)
    {
        var w = new PayloadWriter();
        w.Byte(version);
        w.UInt32((uint)args.Length);
        foreach (var a in args) w.String(a);
        w.UInt32((uint)env.Length);
        foreach (var e in env) w.String(e);
        return w.ToArray();
    }

    [Fact]
    public void DecodesArgumentsAndEnvironment()
    {
        var request = RunRequest.Decode(RunPayload(1, ["--ip", "198.18.0.1", "--", "curl", "-I", "ünï"], ["AX_SOCKET_DIR=/tmp/x=y", "POD_NAME=web-1"]));
        Assert.Equal(["--ip", "198.18.0.1", "--", "curl", "-I", "ünï"], request.Args);
        Assert.Equal("/tmp/x=y", request.Environment["AX_SOCKET_DIR"]);
        Assert.Equal("web-1", request.Environment["POD_NAME"]);
    }

    [Fact]
    public void RejectsAnotherVersionWithAMessageNamingBoth()
    {
        var e = Assert.Throws<LauncherProtocolException>(() => RunRequest.Decode(RunPayload(9, ["true"], [])));
        Assert.Contains("version 9", e.Message);
        Assert.Contains("speaks 1", e.Message);
    }

    [Fact]
    public void RejectsTrailingBytesAndHugeCounts()
    {
        var payload = RunPayload(1, ["true"], []);
        Assert.Throws<LauncherProtocolException>(() => RunRequest.Decode([.. payload, 0]));
        var huge = new byte[5];
        huge[0] = 1;
        BinaryPrimitives.WriteUInt32LittleEndian(huge.AsSpan(1), uint.MaxValue);
        Assert.Throws<LauncherProtocolException>(() => RunRequest.Decode(huge));
    }

    [Fact]
    public void EveryTruncationAndRandomCorruptionIsAProtocolErrorNeverACrash()
    {
        var payload = RunPayload(1, ["--ip", "198.18.0.1", "python3", "-m", "http.server"], ["AX_X=1"]);
        for (var cut = 0; cut < payload.Length; cut++)
            Assert.Throws<LauncherProtocolException>(() => RunRequest.Decode(payload.AsSpan(0, cut)));

        var random = new Random(1234);
        for (var i = 0; i < 5000; i++)
        {
            var corrupt = (byte[])payload.Clone();
            corrupt[random.Next(corrupt.Length)] = (byte)random.Next(256);
            try { RunRequest.Decode(corrupt); }
            catch (LauncherProtocolException) { }
        }
    }
}
