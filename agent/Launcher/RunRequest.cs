namespace AppSwitch.Agent.Launcher;

/// <summary>The RUN frame: the launcher's arguments after `run` and its AX_* environment.</summary>
internal sealed record RunRequest(IReadOnlyList<string> Args, IReadOnlyDictionary<string, string> Environment)
{
    public static RunRequest Decode(ReadOnlySpan<byte> payload)
    {
        var reader = new PayloadReader(payload);
        var version = reader.Byte();
        if (version != LauncherConnection.Version)
            throw new LauncherProtocolException($"launcher protocol version {version} is not supported (this agent speaks {LauncherConnection.Version}); use the ax that came with this agent");
        var args = new string[reader.Count()];
        for (var i = 0; i < args.Length; i++) args[i] = reader.String();
        var envCount = reader.Count();
        var env = new Dictionary<string, string>(StringComparer.Ordinal);
        for (var i = 0; i < envCount; i++)
        {
            var entry = reader.String();
            var eq = entry.IndexOf('=');
            if (eq > 0) env[entry[..eq]] = entry[(eq + 1)..];
        }
        reader.End();
        return new RunRequest(args, env);
    }
}
