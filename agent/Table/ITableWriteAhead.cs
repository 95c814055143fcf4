namespace AppSwitch.Agent.Table;

/// <summary>
/// Records a change of this node's own entries durably (past an agent crash) on the changing thread, before the call
/// that made it is answered; the full state file is written later, off that thread. Must be cheap: one append.
/// </summary>
public interface ITableWriteAhead
{
    void Record(in TableChange change);
}
