namespace AppSwitch.Agent.Configuration;

/// <summary>
/// `--socket-group NAME|GID`: the group that may use the agent's Unix sockets besides root. Names are looked up
/// in /etc/group (the agent runs on the host or in a privileged pod, where groups are local); a number is taken
/// as it is, like chgrp does.
/// </summary>
public static class SocketGroup
{
    public const string GroupFile = "/etc/group";

    /// <summary>The group id, or the one-line reason the text names no group.</summary>
    public static bool TryResolve(string text, out int gid, out string reason, string groupFile = GroupFile)
    {
        gid = -1;
        reason = "";
        if (text.Length == 0)
        {
            reason = "give a group name or a numeric gid";
            return false;
        }
        if (text.All(char.IsAsciiDigit))
        {
            // (gid_t)-1 means "unchanged" to chown: not a group.
            if (uint.TryParse(text, out var number) && number < uint.MaxValue && number <= int.MaxValue)
            {
                gid = (int)number;
                return true;
            }
            reason = "not a valid gid";
            return false;
        }
        try
        {
            foreach (var line in File.ReadLines(groupFile))
            {
                // name:password:gid:members
                var fields = line.Split(':');
                if (fields.Length >= 3 && fields[0] == text && int.TryParse(fields[2], out var found) && found >= 0)
                {
                    gid = found;
                    return true;
                }
            }
        }
        catch (IOException e)
        {
            reason = $"cannot read {groupFile}: {e.Message}";
            return false;
        }
        catch (UnauthorizedAccessException e)
        {
            reason = $"cannot read {groupFile}: {e.Message}";
            return false;
        }
        reason = $"no such group (not in {groupFile})";
        return false;
    }

    public static string? Explain(string text) => TryResolve(text, out _, out var reason) ? null : reason;
}
