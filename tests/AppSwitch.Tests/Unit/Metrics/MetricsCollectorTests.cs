using System.Diagnostics.Metrics;
using AppSwitch.Agent.Metrics.Export;
using Xunit;

namespace AppSwitch.Tests.Unit.Metrics;

/// <summary>
/// The agent's own Prometheus exporter: what a scrape writes for counters, gauges and histograms, checked against
/// the text exposition format 0.0.4 (HELP/TYPE lines, cumulative le buckets with _sum and _count, escaping).
/// </summary>
public sealed class MetricsCollectorTests : IDisposable
{
    // A meter name of its own: listeners are process-wide and tests run in parallel.
    private readonly string _meterName = $"AppSwitch.Tests.{Guid.NewGuid():N}";
    private readonly Meter _meter;
    private readonly MetricsCollector _collector;

    public MetricsCollectorTests()
    {
        _meter = new Meter(_meterName);
        _collector = new MetricsCollector(_meterName);
    }

    public void Dispose()
    {
        _collector.Dispose();
        _meter.Dispose();
    }

    [Fact]
    public void A_counter_sums_per_label_set_whatever_the_order_of_its_labels()
    {
        var calls = _meter.CreateCounter<long>("t_calls_total", null, "Calls by kind");
        calls.Add(2, new("syscall", "connect"), new("outcome", "ok"));
        calls.Add(3, new("outcome", "ok"), new("syscall", "connect"));
        calls.Add(1, new("syscall", "bind"), new("outcome", "EADDRINUSE"));

        Assert.Equal("""
            # HELP t_calls_total Calls by kind
            # TYPE t_calls_total counter
            t_calls_total{outcome="EADDRINUSE",syscall="bind"} 1
            t_calls_total{outcome="ok",syscall="connect"} 5

            """.Replace("\r", ""), _collector.Scrape());
    }

    [Fact]
    public void A_histogram_writes_cumulative_buckets_up_to_inf_with_sum_and_count()
    {
        var duration = _meter.CreateHistogram<double>("t_duration_seconds", "s", "Time",
            advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [1, 10] });
        foreach (var seconds in new[] { 0.5, 1, 5, 20 }) duration.Record(seconds); // 1 is in le="1": bounds are inclusive

        Assert.Equal("""
            # HELP t_duration_seconds Time
            # TYPE t_duration_seconds histogram
            t_duration_seconds_bucket{le="1"} 2
            t_duration_seconds_bucket{le="10"} 3
            t_duration_seconds_bucket{le="+Inf"} 4
            t_duration_seconds_sum 26.5
            t_duration_seconds_count 4

            """.Replace("\r", ""), _collector.Scrape());
    }

    [Fact]
    public void Observable_gauges_are_read_at_each_scrape_and_a_series_no_longer_reported_disappears()
    {
        var states = new Dictionary<string, int> { ["alive"] = 3, ["suspect"] = 1 };
        _meter.CreateObservableGauge("t_members", () => states.Select(s => new Measurement<int>(s.Value, new KeyValuePair<string, object?>("state", s.Key))));

        Assert.Contains("t_members{state=\"alive\"} 3\nt_members{state=\"suspect\"} 1\n", _collector.Scrape());
        states.Remove("suspect");
        states["alive"] = 4;
        var second = _collector.Scrape();
        Assert.Equal("# TYPE t_members gauge\nt_members{state=\"alive\"} 4\n", second);
    }

    [Fact]
    public void Help_and_label_values_are_escaped_as_the_format_requires()
    {
        var counter = _meter.CreateCounter<long>("t_escaped_total", null, "a \\ backslash\nand a newline");
        counter.Add(1, new KeyValuePair<string, object?>("v", "say \"hi\"\\\n"));

        Assert.Equal("# HELP t_escaped_total a \\\\ backslash\\nand a newline\n# TYPE t_escaped_total counter\n" +
                     "t_escaped_total{v=\"say \\\"hi\\\"\\\\\\n\"} 1\n", _collector.Scrape());
    }

    [Fact]
    public void Instruments_of_other_meters_are_not_exported()
    {
        using var other = new Meter(_meterName + ".other");
        other.CreateCounter<long>("t_other_total").Add(1);
        _meter.CreateCounter<long>("t_mine_total").Add(1);

        Assert.Equal("# TYPE t_mine_total counter\nt_mine_total 1\n", _collector.Scrape());
    }
}
