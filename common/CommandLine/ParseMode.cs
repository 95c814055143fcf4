namespace AppSwitch.Common.CommandLine;

public enum ParseMode
{
    /// <summary>Options and positional arguments may be mixed (`ax get apps -o wide`).</summary>
    Interspersed,

    /// <summary>
    /// The first positional argument ends the options: it and everything after it belong to a command
    /// that is run (`ax run --ip 1.1.1.1 nginx -g 'daemon off;'`).
    /// </summary>
    StopAtFirstPositional,
}
