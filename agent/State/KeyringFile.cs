using System.Text.Json;
using System.Text.Json.Serialization;
using AppSwitch.Agent.Cluster;

namespace AppSwitch.Agent.State;

/// <summary>
/// The gossip keyring as `ax keys` last left it (keyring.json next to state.json, mode 0600): a restarted agent
/// comes back with the keys the cluster uses now, not the `--gossip-key` it was first given. Written atomically.
/// </summary>
public sealed class KeyringFile(string path)
{
    public const string FileName = "keyring.json";

    public string Path { get; } = path;

    /// <summary>The keyring file in the directory of the agent's state file (it follows that file if it moves).</summary>
    public static KeyringFile NextTo(StateFile state) => new(System.IO.Path.Combine(System.IO.Path.GetDirectoryName(state.Path)!, FileName));

    /// <summary>The saved keyring, or null when there is none; throws <see cref="InvalidDataException"/> when it is unreadable.</summary>
    public KeyringState? Load()
    {
        if (!File.Exists(Path)) return null;
        try
        {
            var saved = JsonSerializer.Deserialize(File.ReadAllBytes(Path), SavedKeyringJsonContext.Default.SavedKeyring)
                        ?? throw new InvalidDataException($"{Path} is empty");
            var state = new KeyringState(saved.Version, saved.Origin, Convert.FromBase64String(saved.Primary),
                saved.Keys.Select(Convert.FromBase64String).ToList());
            return state.Problem() is { } problem ? throw new InvalidDataException($"{Path}: {problem}") : state;
        }
        catch (Exception e) when (e is JsonException or FormatException or ArgumentNullException)
        {
            throw new InvalidDataException($"{Path} is not a valid keyring: {e.Message}", e);
        }
    }

    public void Save(KeyringState state)
    {
        var saved = new SavedKeyring(state.Version, state.Origin, Convert.ToBase64String(state.Primary),
            [.. state.Keys.Select(Convert.ToBase64String)]);
        var temporary = Path + ".tmp";
        using (var stream = new FileStream(temporary, new FileStreamOptions
        {
            Mode = FileMode.Create, Access = FileAccess.Write, Share = FileShare.None,
            UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite, // keys: the agent's user only
        }))
            JsonSerializer.Serialize(stream, saved, SavedKeyringJsonContext.Default.SavedKeyring);
        File.Move(temporary, Path, overwrite: true);
    }
}
