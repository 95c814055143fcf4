using AppSwitch.Common.CommandLine;

namespace AppSwitch.Cli.Commands;

/// <summary>The positionals of `ax create|delete vservice NAME`: the resource type, then exactly one name.</summary>
internal static class VServiceArguments
{
    public static string Name(ParsedOptions parsed, string verb, string usageLine)
    {
        var positionals = parsed.Positionals;
        if (positionals.Count == 0) throw new UsageException($"{verb} needs a resource type: vservice (usage: {usageLine})");
        if (positionals[0] is not ("vservice" or "vservices"))
            throw new UsageException($"unknown resource type \"{positionals[0]}\" for {verb} (have: vservice)");
        if (positionals.Count == 1) throw new UsageException($"{verb} vservice needs a NAME (usage: {usageLine})");
        if (positionals.Count > 2) throw new UsageException($"unexpected argument \"{positionals[2]}\" (usage: {usageLine})");
        return positionals[1];
    }
}
