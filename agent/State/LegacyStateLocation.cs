namespace AppSwitch.Agent.State;

/// <summary>
/// Agents before the admin directory kept state.json and inflight.journal in the socket directory, which pods mount
/// (a root pod could edit them). At start-up they are moved into the admin directory, so an upgraded agent still
/// takes its apps back and nothing of the state stays where pods can reach it.
/// </summary>
internal static class LegacyStateLocation
{
    public static readonly string[] FileNames = ["state.json", "inflight.journal"];

    /// <summary>Moves the files found in <paramref name="socketDir"/>; returns the names moved.</summary>
    public static IReadOnlyList<string> MoveToAdminDirectory(string socketDir, string adminDir)
    {
        var moved = new List<string>();
        if (Path.GetFullPath(socketDir) == Path.GetFullPath(adminDir)) return moved;
        foreach (var name in FileNames)
        {
            var legacy = Path.Combine(socketDir, name);
            if (!File.Exists(legacy)) continue;
            var current = Path.Combine(adminDir, name);
            if (File.Exists(current))
            {
                // The admin directory's copy is the newer one: the legacy file only lingers where pods can write it.
                File.Delete(legacy);
                continue;
            }
            File.Move(legacy, current);
            moved.Add(name);
        }
        return moved;
    }
}
