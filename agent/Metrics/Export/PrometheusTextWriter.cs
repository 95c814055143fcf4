using System.Globalization;
using System.Text;

namespace AppSwitch.Agent.Metrics.Export;

/// <summary>
/// Writes metrics in the Prometheus text exposition format 0.0.4: HELP and TYPE lines, one sample per line, histograms
/// as cumulative _bucket{le=…} series with _sum and _count. Escapes as the format requires: backslash and newline in
/// HELP; backslash, double quote and newline in label values.
/// </summary>
internal sealed class PrometheusTextWriter
{
    public const string ContentType = "text/plain; version=0.0.4; charset=utf-8";

    private readonly StringBuilder _text = new();

    public void Write(InstrumentSeries instrument)
    {
        var name = instrument.Name;
        if (instrument.Instrument.Description is { Length: > 0 } help)
            _text.Append("# HELP ").Append(name).Append(' ').Append(EscapeHelp(help)).Append('\n');
        _text.Append("# TYPE ").Append(name).Append(' ').Append(instrument.Type switch
        {
            MetricType.Counter => "counter",
            MetricType.Histogram => "histogram",
            _ => "gauge",
        }).Append('\n');
        foreach (var series in instrument.Snapshot())
        {
            if (instrument.Type != MetricType.Histogram)
            {
                Sample(name, series.Labels, null, series.Value);
                continue;
            }
            var counts = series.BucketCounts();
            long cumulative = 0;
            for (var i = 0; i < counts.Length; i++)
            {
                cumulative += counts[i];
                var le = i < series.Bounds!.Length ? Number(series.Bounds[i]) : "+Inf";
                Sample(name + "_bucket", series.Labels, le, cumulative);
            }
            Sample(name + "_sum", series.Labels, null, series.Sum);
            Sample(name + "_count", series.Labels, null, cumulative);
        }
    }

    public override string ToString() => _text.ToString();

    private void Sample(string name, LabelSet labels, string? le, double value)
    {
        _text.Append(name);
        var first = true;
        foreach (var (label, labelValue) in labels.Pairs().Concat(le is null ? [] : [("le", le)]))
        {
            _text.Append(first ? '{' : ',').Append(label).Append("=\"").Append(EscapeLabelValue(labelValue)).Append('"');
            first = false;
        }
        if (!first) _text.Append('}');
        _text.Append(' ').Append(Number(value)).Append('\n');
    }

    internal static string Number(double value) => value switch
    {
        double.PositiveInfinity => "+Inf",
        double.NegativeInfinity => "-Inf",
        double.NaN => "NaN",
        _ => value.ToString("R", CultureInfo.InvariantCulture),
    };

    internal static string EscapeHelp(string help) => help.Replace("\\", @"\\").Replace("\n", @"\n");

    internal static string EscapeLabelValue(string value) => value.Replace("\\", @"\\").Replace("\"", "\\\"").Replace("\n", @"\n");
}
