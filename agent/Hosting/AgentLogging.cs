using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace AppSwitch.Agent.Hosting;

/// <summary>One line per entry on stderr with a UTC timestamp; ASP.NET and hosting chatter only from warnings up.</summary>
internal static class AgentLogging
{
    public static void Configure(ILoggingBuilder logging, LogLevel level)
    {
        logging.ClearProviders();
        logging.SetMinimumLevel(level);
        // Framework categories log every request and start-up step at Information; nobody running a node agent wants that.
        logging.AddFilter("Microsoft", level > LogLevel.Warning ? level : LogLevel.Warning);
        logging.AddFilter("System", level > LogLevel.Warning ? level : LogLevel.Warning);
        logging.AddConsole(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.UseUtcTimestamp = true;
            o.TimestampFormat = "yyyy-MM-ddTHH:mm:ss.fffZ ";
            o.IncludeScopes = false;
            o.ColorBehavior = Console.IsErrorRedirected ? LoggerColorBehavior.Disabled : LoggerColorBehavior.Default;
        });
    }
}
