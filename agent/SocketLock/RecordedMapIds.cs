using System.Globalization;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// The ids of BPF maps an agent made, recorded as "KEY ID" lines in a file of the admin directory, so that the next
/// agent finds the same maps again (<see cref="Find"/>) while programs that use them are still attached. Used by the
/// socket lock's maps and the client-address sender VIPs.
/// </summary>
internal static class RecordedMapIds
{
    /// <summary>The recorded id of each key; empty when nothing is recorded yet. Lines that do not parse are skipped.</summary>
    public static Dictionary<string, uint> Read(string path)
    {
        var ids = new Dictionary<string, uint>(StringComparer.Ordinal);
        try
        {
            foreach (var line in File.ReadLines(path))
            {
                var parts = line.Split(' ', 2);
                if (parts.Length == 2 && uint.TryParse(parts[1], NumberStyles.None, CultureInfo.InvariantCulture, out var id)) ids[parts[0]] = id;
            }
        }
        catch (IOException) { } // none yet (FileNotFoundException and DirectoryNotFoundException are IOExceptions)
        return ids;
    }

    /// <summary>Records the ids (owner-only file, replaced whole); a failure only costs the next agent its inheritance (it makes new maps).</summary>
    public static void Write(string path, params (string Key, uint Id)[] ids)
    {
        try
        {
            var temporary = path + ".tmp";
            File.WriteAllText(temporary, string.Concat(ids.Select(e => $"{e.Key} {e.Id}\n")));
            File.SetUnixFileMode(temporary, UnixFileMode.UserRead | UnixFileMode.UserWrite);
            File.Move(temporary, path, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>An fd of the live map with this id if it is the one we made (name and shape; ids restart at boot), else -1.</summary>
    public static int Find(uint id, string name, int keySize, int valueSize)
    {
        if (id == 0) return -1;
        using var map = OwnedFd.From(Bpf.MapFdById(id), out _);
        if (map is null) return -1;
        if (Bpf.InfoOfMap(map.Fd) is { } info && info.Name == name && info.KeySize == keySize && info.ValueSize == valueSize) return map.Release();
        return -1;
    }
}
