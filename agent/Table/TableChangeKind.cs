namespace AppSwitch.Agent.Table;

/// <summary>What a change of the table was about, as the write-ahead log records it.</summary>
public enum TableChangeKind
{
    /// <summary>An app of this node was added or changed in place (<see cref="TableChange.App"/>).</summary>
    App,
    /// <summary>An app of this node left with everything it owned (<see cref="TableChange.AppId"/>).</summary>
    AppRemoved,
    /// <summary>A bound socket of this node was added or changed (<see cref="TableChange.Socket"/>: bound, listening).</summary>
    Socket,
    /// <summary>A bound socket of this node was closed (<see cref="TableChange.Inode"/>).</summary>
    SocketRemoved,
    /// <summary>A vservice of this node was added (<see cref="TableChange.VService"/>).</summary>
    VService,
    /// <summary>A vservice of this node was deleted (<see cref="TableChange.VServiceName"/>).</summary>
    VServiceRemoved,
    /// <summary>Rules of this node were created or replaced (<see cref="TableChange.Rules"/>: those alone).</summary>
    RulesPut,
    /// <summary>Rules of this node were deleted (<see cref="TableChange.RuleIds"/>).</summary>
    RulesRemoved,
    /// <summary>Nothing this node saves: a replica of another node, a derived index (servers follow their sockets).</summary>
    Derived,
}
