using System.Text.Json;
using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.State;

/// <summary>
/// &lt;admin-dir&gt;/state.wal: why an answered bind, listen or app start survives `kill -9` although the state file is
/// written later, off the session thread. Each change of this node's own entries is appended here as one JSON line
/// (one write(2) into the page cache, like the state file itself) before the call that made it is answered. A
/// restarted agent loads state.json and replays state.wal.old, then state.wal over it. The state writer rotates the
/// log (state.wal → state.wal.old) before it takes its snapshot and deletes the rotated log once the snapshot landed:
/// every change is in the snapshot, or in a log the next start replays, at every moment.
/// </summary>
internal sealed class StateWriteAheadLog(string adminDir, ILogger logger) : ITableWriteAhead, IDisposable
{
    private readonly Lock _lock = new();
    private FileStream? _stream;
    private bool _failureLogged;

    public string Path { get; } = System.IO.Path.Combine(adminDir, "state.wal");
    public string RotatedPath => Path + ".old";

    public void Record(in TableChange change)
    {
        if (ToSaved(change) is not { } saved) return;
        var line = JsonSerializer.SerializeToUtf8Bytes(saved, SavedChangeJsonContext.Default.SavedChange);
        lock (_lock)
        {
            try
            {
                _stream ??= Open();
                // One write: a line, then its end (a torn last line is skipped at replay).
                Span<byte> buffer = line.Length < 4096 ? stackalloc byte[line.Length + 1] : new byte[line.Length + 1];
                line.CopyTo(buffer);
                buffer[^1] = (byte)'\n';
                _stream.Write(buffer);
                _failureLogged = false;
            }
            catch (IOException e)
            {
                // The change is still in the next state write; only a crash before it would lose it.
                if (!_failureLogged) logger.LogWarning("Cannot append to {Path}: {Error}", Path, e.Message);
                _failureLogged = true;
            }
        }
    }

    private FileStream Open() => new(Path, new FileStreamOptions
    {
        Mode = FileMode.Append, Access = FileAccess.Write, Share = FileShare.Read, BufferSize = 0,
        UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite,
    });

    /// <summary>Starts a new log; the changes so far go to the rotated one (appended to it when a failed write left one).</summary>
    public void Rotate()
    {
        lock (_lock)
        {
            _stream?.Dispose();
            _stream = null;
            if (!File.Exists(Path)) return;
            if (!File.Exists(RotatedPath))
            {
                File.Move(Path, RotatedPath);
                return;
            }
            using (var rotated = new FileStream(RotatedPath, FileMode.Append, FileAccess.Write))
                rotated.Write(File.ReadAllBytes(Path));
            File.Delete(Path);
        }
    }

    /// <summary>After a state write that covers every change of the rotated log.</summary>
    public void DropRotated() => File.Delete(RotatedPath);

    /// <summary>Both logs gone (`--clean`).</summary>
    public void Clear()
    {
        lock (_lock)
        {
            _stream?.Dispose();
            _stream = null;
            File.Delete(Path);
            File.Delete(RotatedPath);
        }
    }

    /// <summary>Applies the logged changes, oldest first, to what state.json held; returns how many.</summary>
    public int ReplayOnto(SavedState state)
    {
        var replay = new StateReplay(state);
        var replayed = 0;
        foreach (var path in new[] { RotatedPath, Path })
        {
            if (!File.Exists(path)) continue;
            foreach (var line in File.ReadAllLines(path))
            {
                SavedChange? change;
                try { change = JsonSerializer.Deserialize(line, SavedChangeJsonContext.Default.SavedChange); }
                catch (JsonException) { change = null; }
                if (change is null || !replay.Apply(change))
                {
                    logger.LogWarning("Skipping a damaged line of {Path}", path);
                    continue;
                }
                replayed++;
            }
        }
        replay.Finish();
        return replayed;
    }

    private static SavedChange? ToSaved(in TableChange change) => change.Kind switch
    {
        TableChangeKind.App => new SavedChange { Op = SavedChange.App, SavedApp = StateFile.ToSaved(change.App!) },
        TableChangeKind.AppRemoved => new SavedChange { Op = SavedChange.AppRemoved, AppId = change.AppId },
        TableChangeKind.Socket => new SavedChange { Op = SavedChange.Socket, SavedSocket = StateFile.ToSaved(change.Socket!) },
        TableChangeKind.SocketRemoved => new SavedChange { Op = SavedChange.SocketRemoved, Inode = change.Inode },
        // One vservice per record, not the whole list: restoring or creating N vservices writes O(N) bytes, not O(N²).
        TableChangeKind.VService => new SavedChange { Op = SavedChange.VService, SavedVService = change.VService!.ToSpec() },
        TableChangeKind.VServiceRemoved => new SavedChange { Op = SavedChange.VServiceRemoved, VServiceName = change.VServiceName },
        // The batch alone, not all of this node's rules: creating R rules one by one writes O(R) bytes, not O(R²).
        TableChangeKind.RulesPut => new SavedChange { Op = SavedChange.RulesPut, SavedRules = change.Rules!.ToList() },
        TableChangeKind.RulesRemoved => new SavedChange { Op = SavedChange.RulesRemoved, RuleIds = change.RuleIds!.ToList() },
        _ => null,
    };

    public void Dispose()
    {
        lock (_lock) _stream?.Dispose();
    }
}
