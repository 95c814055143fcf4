namespace AppSwitch.Agent.Table;

/// <summary>How a vservice picks a backend per connection.</summary>
public enum LbType
{
    Random,
    RoundRobin,
}
