namespace AppSwitch.Agent.Table;

/// <summary>One change of the table (the entry it concerns, when it is one of this node's own).</summary>
public readonly record struct TableChange(TableChangeKind Kind, AppEntry? App = null, SocketEntry? Socket = null, string? AppId = null, ulong Inode = 0,
    VServiceEntry? VService = null, string? VServiceName = null)
{
    public static readonly TableChange Derived = new(TableChangeKind.Derived);
    public static readonly TableChange Rules = new(TableChangeKind.Rules);
}
