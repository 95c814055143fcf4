namespace AppSwitch.Common.CommandLine;

/// <summary>Where an option's value came from; the order is the precedence (flag beats environment beats default).</summary>
public enum ValueSource
{
    None,
    Default,
    Environment,
    Flag,
}
