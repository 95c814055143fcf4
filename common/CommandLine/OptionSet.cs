using System.Collections;

namespace AppSwitch.Common.CommandLine;

/// <summary>
/// The options of one command and a kubectl/pflag-style parser for them:
/// `--flag value`, `--flag=value`, `-f value`, `-f=value`, `-fvalue`, booleans as `--flag` or `--flag=false`,
/// `--` ends the options. Environment variables fill in what the command line leaves out; defaults the rest.
/// `-h`/`--help` is always understood.
/// </summary>
public sealed class OptionSet : IEnumerable<OptionSpec>
{
    private readonly List<OptionSpec> _specs = [];
    private readonly Dictionary<string, OptionSpec> _byName = new(StringComparer.Ordinal);
    private readonly Dictionary<char, OptionSpec> _byShortName = [];

    public void Add(OptionSpec spec)
    {
        if (spec.Name is "help" || spec.ShortName is 'h')
            throw new ArgumentException("--help/-h is built in", nameof(spec));
        if (!_byName.TryAdd(spec.Name, spec))
            throw new ArgumentException($"option --{spec.Name} declared twice", nameof(spec));
        if (spec.ShortName is { } c && !_byShortName.TryAdd(c, spec))
            throw new ArgumentException($"short option -{c} declared twice", nameof(spec));
        _specs.Add(spec);
    }

    public IReadOnlyList<OptionSpec> Specs => _specs;

    public IEnumerator<OptionSpec> GetEnumerator() => _specs.GetEnumerator();
    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>Parses <paramref name="args"/>; throws <see cref="UsageException"/> with a one-line message on any mistake.</summary>
    /// <param name="environment">Environment variables to fall back on (null: none).</param>
    public ParsedOptions Parse(
        IReadOnlyList<string> args,
        IReadOnlyDictionary<string, string>? environment = null,
        ParseMode mode = ParseMode.Interspersed)
    {
        var values = new Dictionary<string, (string, ValueSource)>(StringComparer.Ordinal);
        var positionals = new List<string>();
        var firstPositional = -1;
        var help = false;

        for (var i = 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (arg == "--")
            {
                if (i + 1 < args.Count && firstPositional < 0) firstPositional = i + 1;
                positionals.AddRange(args.Skip(i + 1));
                break;
            }
            // A lone "-" conventionally means stdin: it is an argument, not an option.
            if (arg.Length < 2 || arg[0] != '-')
            {
                if (firstPositional < 0) firstPositional = i;
                if (mode == ParseMode.StopAtFirstPositional)
                {
                    positionals.AddRange(args.Skip(i));
                    break;
                }
                positionals.Add(arg);
                continue;
            }
            if (arg is "--help" or "-h")
            {
                help = true;
                break;
            }

            var (spec, inlineValue, shown) = arg[1] == '-' ? MatchLong(arg) : MatchShort(arg);
            string value;
            if (inlineValue is not null)
            {
                value = inlineValue;
            }
            else if (spec.Kind == OptionKind.Bool)
            {
                // Like pflag: a boolean never takes the next argument, so `--clean false` is not `--clean=false`.
                value = "true";
            }
            else if (i + 1 < args.Count)
            {
                value = args[++i];
            }
            else
            {
                throw new UsageException($"flag {shown} needs a value");
            }
            Check(spec, value, spec.LongForm);
            values[spec.Name] = (value, ValueSource.Flag);
        }

        foreach (var spec in _specs)
        {
            if (values.ContainsKey(spec.Name)) continue;
            if (spec.EnvironmentVariable is { } variable
                && environment is not null
                && environment.TryGetValue(variable, out var fromEnv)
                && fromEnv.Length > 0)
            {
                Check(spec, fromEnv, variable);
                values[spec.Name] = (fromEnv, ValueSource.Environment);
            }
            else if (spec.DefaultValue is { } fallback)
            {
                values[spec.Name] = (fallback, ValueSource.Default);
            }
        }

        return new ParsedOptions(_byName, values, positionals, firstPositional, help);
    }

    private (OptionSpec Spec, string? InlineValue, string Shown) MatchLong(string arg)
    {
        var equals = arg.IndexOf('=');
        var name = equals < 0 ? arg[2..] : arg[2..equals];
        var shown = "--" + name;
        if (!_byName.TryGetValue(name, out var spec)) throw new UsageException($"unknown flag {shown}");
        return (spec, equals < 0 ? null : arg[(equals + 1)..], shown);
    }

    private (OptionSpec Spec, string? InlineValue, string Shown) MatchShort(string arg)
    {
        var shown = arg[..2];
        if (!_byShortName.TryGetValue(arg[1], out var spec)) throw new UsageException($"unknown flag {shown}");
        if (arg.Length == 2) return (spec, null, shown);
        if (arg[2] == '=') return (spec, arg[3..], shown);
        // `-ojson`; bundled booleans (`-ab`) are not supported, so `-vx` is a mistake rather than a guess.
        if (spec.Kind == OptionKind.Bool) throw new UsageException($"unknown flag {arg}");
        return (spec, arg[2..], shown);
    }

    private static void Check(OptionSpec spec, string value, string source)
    {
        var reason = spec.Validate?.Invoke(value) ?? OptionValues.CheckKind(spec.Kind, value);
        if (reason is not null) throw UsageException.InvalidValue(source, value, reason);
    }

    /// <summary>Usage text for `--help`: the usage line, an optional description, and one line per option.</summary>
    public string FormatUsage(string usageLine, string? description = null) =>
        UsageFormatter.Format(usageLine, description, _specs);
}
