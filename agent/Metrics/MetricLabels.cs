using System.Globalization;

namespace AppSwitch.Agent.Metrics;

/// <summary>Label values made once, so that recording a measurement allocates nothing (a tag value is an object).</summary>
public static class MetricLabels
{
    private static readonly string[] StatusCodes = Enumerable.Range(0, 600).Select(c => c.ToString(CultureInfo.InvariantCulture)).ToArray();

    /// <summary>An HTTP status code as a label value; "other" outside 100-599 (a bounded label either way).</summary>
    public static string StatusCode(int status) => status is >= 100 and < 600 ? StatusCodes[status] : "other";

    public static KeyValuePair<string, object?> Tag(string name, string value) => new(name, value);
}
