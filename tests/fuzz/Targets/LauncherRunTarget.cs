using AppSwitch.Agent.Launcher;

namespace AppSwitch.Fuzz.Targets;

/// <summary>The RUN payload alone (argv and environment of the app to start), without the socket.</summary>
internal sealed class LauncherRunTarget : IFuzzTarget
{
    public string Name => "launcher-run";

    public IEnumerable<byte[]> Seeds()
    {
        yield return EncodeRun(["curl", "-s", "http://web:8080/"], ["PATH=/usr/bin:/bin", "HOME=/root"]);
        yield return EncodeRun(["nginx", "-g", "daemon off;"], ["AX_NEW_NETNS=false", "LANG=C.UTF-8", "X=ä€"]);
        yield return EncodeRun([], []);
    }

    /// <summary>A RUN payload as the launcher writes it (docs/launcher-protocol.md).</summary>
    public static byte[] EncodeRun(string[] args, string[] environment)
    {
        var w = new PayloadWriter();
        w.Byte(LauncherConnection.Version);
        w.UInt32((uint)args.Length);
        foreach (var a in args) w.String(a);
        w.UInt32((uint)environment.Length);
        foreach (var e in environment) w.String(e);
        return w.ToArray();
    }

    public void Run(ReadOnlySpan<byte> input)
    {
        try { RunRequest.Decode(input); }
        catch (LauncherProtocolException) { }
    }
}
