namespace AppSwitch.Agent.Routing;

/// <summary>
/// AppSwitch's zones: a client reaches a server only if they share at least one label (key and value).
/// A server without labels is open to every client; a client without labels reaches only such servers.
/// </summary>
internal static class LabelAccess
{
    public static bool Allows(IReadOnlyDictionary<string, string> client, IReadOnlyDictionary<string, string> server)
    {
        if (server.Count == 0) return true;
        foreach (var (key, value) in client)
            if (server.TryGetValue(key, out var serverValue) && serverValue == value) return true;
        return false;
    }
}
