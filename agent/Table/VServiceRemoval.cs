namespace AppSwitch.Agent.Table;

/// <summary>The outcome of deleting a vservice on this node.</summary>
public enum VServiceRemoval
{
    Removed,
    NotFound,
    /// <summary>Another node owns it: vservices are deleted on their owner.</summary>
    OwnedElsewhere,
}
