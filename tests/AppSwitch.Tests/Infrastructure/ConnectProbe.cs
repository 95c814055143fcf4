using System.Globalization;
using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// One blocking TCP connect that prints how it ended as the app saw it: "connected" or the errno's name
/// (ECONNREFUSED, ENETUNREACH, ...). A failing curl only says "exit 7", whatever the cause. An address with a
/// colon (`::ffff:10.0.0.1`) is connected from an AF_INET6 socket.
/// </summary>
public static class ConnectProbe
{
    private const string Script = """
        import errno, socket, sys
        s = socket.socket(socket.AF_INET6 if ":" in sys.argv[1] else socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.connect((sys.argv[1], int(sys.argv[2])))
            print("connected")
        except OSError as e:
            print(errno.errorcode.get(e.errno, e.errno))
        """;

    public static string[] Command(string host, int port) =>
        ["python3", "-c", Script, host, port.ToString(CultureInfo.InvariantCulture)];

    public static void AssertOutcome(CommandResult result, string expected) =>
        Assert.True(result.ExitCode == 0 && result.StdOut.Trim() == expected, $"expected {expected}: " + result.Describe());
}
