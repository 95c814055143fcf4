using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AppSwitch.Agent.Metrics.Export;

/// <summary>The series of one instrument, keyed by their labels.</summary>
internal sealed class InstrumentSeries
{
    /// <summary>Used when a histogram gives no bucket advice (OpenTelemetry's defaults).</summary>
    private static readonly double[] DefaultBounds = [0, 5, 10, 25, 50, 75, 100, 250, 500, 750, 1000, 2500, 5000, 7500, 10000];

    private readonly ConcurrentDictionary<LabelSet, Series> _series = new();
    private readonly double[]? _bounds;

    public InstrumentSeries(Instrument instrument)
    {
        Instrument = instrument;
        Type = TypeOf(instrument);
        if (Type == MetricType.Histogram)
            _bounds = (instrument as Histogram<double>)?.Advice?.HistogramBucketBoundaries?.ToArray()
                      ?? (instrument as Histogram<long>)?.Advice?.HistogramBucketBoundaries?.Select(b => (double)b).ToArray()
                      ?? DefaultBounds;
    }

    public Instrument Instrument { get; }
    public MetricType Type { get; }
    public string Name => Instrument.Name;

    /// <summary>Observable instruments report their current value at each scrape: a series they stop reporting goes away.</summary>
    public void BeginObservation()
    {
        if (Instrument.IsObservable) _series.Clear();
    }

    public void Record(double value, ReadOnlySpan<KeyValuePair<string, object?>> tags)
    {
        var labels = LabelSet.From(tags);
        if (!_series.TryGetValue(labels, out var series)) series = _series.GetOrAdd(labels, l => new Series(l, _bounds));
        if (Instrument.IsObservable) series.Set(value);
        else if (Type == MetricType.Histogram) series.Observe(value);
        else if (Type == MetricType.Gauge && !IsUpDown(Instrument)) series.Set(value);
        else series.Add(value);
    }

    public IReadOnlyList<Series> Snapshot() =>
        _series.Values.OrderBy(s => s.Labels.Value1, StringComparer.Ordinal).ThenBy(s => s.Labels.Value2, StringComparer.Ordinal).ToList();

    private static MetricType TypeOf(Instrument instrument)
    {
        var definition = instrument.GetType().IsGenericType ? instrument.GetType().GetGenericTypeDefinition() : instrument.GetType();
        if (definition == typeof(Counter<>) || definition == typeof(ObservableCounter<>)) return MetricType.Counter;
        if (definition == typeof(Histogram<>)) return MetricType.Histogram;
        return MetricType.Gauge; // Gauge, ObservableGauge, UpDownCounter, ObservableUpDownCounter
    }

    private static bool IsUpDown(Instrument instrument) =>
        instrument.GetType().IsGenericType && instrument.GetType().GetGenericTypeDefinition() == typeof(UpDownCounter<>);
}
