namespace AppSwitch.Common.CommandLine;

/// <summary>How an option's value is read: booleans may stand alone (`--clean`), the others need a value.</summary>
public enum OptionKind
{
    String,
    Bool,
    Int,
}
