using AppSwitch.Common.CommandLine;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class OptionSetTests
{
    private static OptionSet Options() => new()
    {
        new("name") { ShortName = 'n', EnvironmentVariable = "T_NAME", DefaultValue = "anon", Help = "a name" },
        new("verbose", OptionKind.Bool) { ShortName = 'v', EnvironmentVariable = "T_VERBOSE" },
        new("count", OptionKind.Int) { DefaultValue = "3" },
        new("port", OptionKind.Int) { Validate = OptionValues.Port(allowZero: true) },
        new("ip"),
    };

    private static readonly Dictionary<string, string> NoEnv = new();

    [Theory]
    [InlineData("--name", "x")]
    [InlineData("--name=x")]
    [InlineData("-n", "x")]
    [InlineData("-n=x")]
    [InlineData("-nx")]
    public void AllSpellingsOfAValueAreAccepted(params string[] args)
    {
        var parsed = Options().Parse(args);
        Assert.Equal("x", parsed.GetString("name"));
        Assert.Equal(ValueSource.Flag, parsed.SourceOf("name"));
    }

    [Fact]
    public void ABooleanStandsAloneAndTakesAnExplicitValueOnlyAfterEquals()
    {
        Assert.True(Options().Parse(["--verbose"]).GetBool("verbose"));
        Assert.True(Options().Parse(["-v"]).GetBool("verbose"));
        Assert.False(Options().Parse(["--verbose=false"]).GetBool("verbose"));
        Assert.True(Options().Parse(["--verbose=1"]).GetBool("verbose"));

        // `--verbose false`: "false" is a positional, as in pflag.
        var parsed = Options().Parse(["--verbose", "false"]);
        Assert.True(parsed.GetBool("verbose"));
        Assert.Equal(["false"], parsed.Positionals);
    }

    [Fact]
    public void FlagBeatsEnvironmentBeatsDefault()
    {
        var env = new Dictionary<string, string> { ["T_NAME"] = "from-env" };
        Assert.Equal("anon", Options().Parse([], NoEnv).GetString("name"));
        Assert.Equal(ValueSource.Default, Options().Parse([], NoEnv).SourceOf("name"));
        Assert.Equal("from-env", Options().Parse([], env).GetString("name"));
        Assert.Equal(ValueSource.Environment, Options().Parse([], env).SourceOf("name"));
        Assert.Equal("from-flag", Options().Parse(["--name", "from-flag"], env).GetString("name"));
    }

    [Fact]
    public void AnEmptyEnvironmentVariableCountsAsUnset()
    {
        var env = new Dictionary<string, string> { ["T_NAME"] = "" };
        Assert.Equal("anon", Options().Parse([], env).GetString("name"));
    }

    [Fact]
    public void TheLastOccurrenceOfAFlagWins() =>
        Assert.Equal("b", Options().Parse(["--name", "a", "--name=b"]).GetString("name"));

    [Fact]
    public void OptionsAndPositionalsMayBeMixedByDefault()
    {
        var parsed = Options().Parse(["get", "--name", "x", "apps", "-v"]);
        Assert.Equal(["get", "apps"], parsed.Positionals);
        Assert.Equal(0, parsed.FirstPositionalIndex);
        Assert.True(parsed.GetBool("verbose"));
    }

    [Fact]
    public void DoubleDashEndsTheOptions()
    {
        var parsed = Options().Parse(["--name", "x", "--", "--verbose", "-n"]);
        Assert.Equal(["--verbose", "-n"], parsed.Positionals);
        Assert.Equal(3, parsed.FirstPositionalIndex);
        Assert.False(parsed.GetBool("verbose"));
    }

    [Fact]
    public void StopModeEndsAtTheFirstPositionalAndReportsItsIndex()
    {
        var parsed = Options().Parse(["-v", "--name", "x", "cmd", "--name", "y"], mode: ParseMode.StopAtFirstPositional);
        Assert.Equal(3, parsed.FirstPositionalIndex);
        Assert.Equal(["cmd", "--name", "y"], parsed.Positionals);
        Assert.Equal("x", parsed.GetString("name"));
    }

    [Fact]
    public void StopModeWithATrailingDoubleDashHasNoPositional()
    {
        var parsed = Options().Parse(["-v", "--"], mode: ParseMode.StopAtFirstPositional);
        Assert.Equal(-1, parsed.FirstPositionalIndex);
        Assert.Empty(parsed.Positionals);
    }

    [Fact]
    public void ALoneDashIsAPositional() =>
        Assert.Equal(["-"], Options().Parse(["-"]).Positionals);

    [Theory]
    [InlineData("unknown flag --foo", "--foo")]
    [InlineData("unknown flag --foo", "--foo=1")]
    [InlineData("unknown flag -x", "-x")]
    [InlineData("unknown flag -vx", "-vx")]
    [InlineData("flag --ip needs a value", "--ip")]
    [InlineData("flag -n needs a value", "-n")]
    [InlineData("invalid value \"x\" for --port: not a port number", "--port", "x")]
    [InlineData("invalid value \"70000\" for --port: not a port number", "--port=70000")]
    [InlineData("invalid value \"many\" for --count: not an integer", "--count", "many")]
    [InlineData("invalid value \"maybe\" for --verbose: not a boolean (use true or false)", "--verbose=maybe")]
    public void MistakesGiveOneLineMessages(string message, params string[] args)
    {
        var error = Assert.Throws<UsageException>(() => Options().Parse(args));
        Assert.Equal(message, error.Message);
        Assert.Equal(2, error.ExitCode);
    }

    [Fact]
    public void ABadEnvironmentValueNamesTheVariable()
    {
        var env = new Dictionary<string, string> { ["T_VERBOSE"] = "sometimes" };
        var error = Assert.Throws<UsageException>(() => Options().Parse([], env));
        Assert.Equal("invalid value \"sometimes\" for T_VERBOSE: not a boolean (use true or false)", error.Message);
    }

    [Fact]
    public void HelpStopsParsing()
    {
        var parsed = Options().Parse(["--name", "x", "--help", "--nonsense"]);
        Assert.True(parsed.HelpRequested);
        Assert.True(Options().Parse(["-h"]).HelpRequested);
    }

    [Fact]
    public void IntegersAreRead()
    {
        Assert.Equal(3, Options().Parse([]).GetInt("count"));
        Assert.Equal(0, Options().Parse(["--port", "0"]).GetInt("port"));
        Assert.Null(Options().Parse([]).GetString("port"));
    }

    [Fact]
    public void ReadingAnUndeclaredOptionIsAProgrammingError() =>
        Assert.Throws<ArgumentException>(() => Options().Parse([]).GetString("nope"));

    [Fact]
    public void DeclaringAnOptionTwiceIsRefused()
    {
        var options = new OptionSet { new("a") };
        Assert.Throws<ArgumentException>(() => options.Add(new OptionSpec("a")));
        Assert.Throws<ArgumentException>(() => options.Add(new OptionSpec("help")));
    }

    [Fact]
    public void UsageListsEveryOptionWithDefaultAndEnvironment()
    {
        var usage = new OptionSet
        {
            new("name") { ShortName = 'n', ValueName = "NAME", EnvironmentVariable = "T_NAME", DefaultValue = "anon", Help = "a name" },
            new("verbose", OptionKind.Bool) { Help = "talk more" },
        }.FormatUsage("t [options]", "Does things.");

        Assert.Equal(
            "Usage: t [options]\n" +
            "\n" +
            "Does things.\n" +
            "\n" +
            "Options:\n" +
            "  -n, --name NAME   a name (default anon; env T_NAME)\n" +
            "      --verbose     talk more\n" +
            "  -h, --help        show this help\n",
            usage);
    }
}
