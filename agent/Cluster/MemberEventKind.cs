namespace AppSwitch.Agent.Cluster;

public enum MemberEventKind
{
    /// <summary>A member was seen for the first time, or came back after being dead or having left.</summary>
    Joined,
    /// <summary>A member's application state (new version) or address changed.</summary>
    Updated,
    /// <summary>A member failed a probe; its state is kept until it is declared dead or refutes.</summary>
    Suspect,
    /// <summary>A suspected member refuted the suspicion.</summary>
    Alive,
    /// <summary>A member was declared dead; its state is gone (the snapshot in the event has none).</summary>
    Dead,
    /// <summary>A member left gracefully; its state is gone.</summary>
    Left,
}
