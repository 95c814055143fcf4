using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AppSwitch.Agent.Metrics.Export;

/// <summary>
/// Listens to the agent's meter (a <see cref="MeterListener"/>: no OpenTelemetry SDK, see the README's "Metrics"):
/// sums counters, buckets histograms as measurements arrive, and reads the observable instruments at each scrape.
/// </summary>
internal sealed class MetricsCollector : IDisposable
{
    private readonly MeterListener _listener = new();
    private readonly ConcurrentDictionary<Instrument, InstrumentSeries> _instruments = new();
    private readonly Lock _scrapeLock = new();

    public MetricsCollector(string meterName = AgentMetrics.MeterName)
    {
        _listener.InstrumentPublished = (instrument, listener) =>
        {
            if (instrument.Meter.Name != meterName) return;
            var series = _instruments.GetOrAdd(instrument, i => new InstrumentSeries(i));
            listener.EnableMeasurementEvents(instrument, series);
        };
        _listener.MeasurementsCompleted = (instrument, _) => _instruments.TryRemove(instrument, out InstrumentSeries? _);
        _listener.SetMeasurementEventCallback<long>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<int>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.SetMeasurementEventCallback<double>((_, value, tags, state) => ((InstrumentSeries)state!).Record(value, tags));
        _listener.Start();
    }

    /// <summary>Every metric in the Prometheus text exposition format (version 0.0.4).</summary>
    public string Scrape()
    {
        lock (_scrapeLock)
        {
            var instruments = _instruments.Values.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
            foreach (var instrument in instruments) instrument.BeginObservation();
            _listener.RecordObservableInstruments();
            var text = new PrometheusTextWriter();
            foreach (var instrument in instruments) text.Write(instrument);
            return text.ToString();
        }
    }

    public void Dispose() => _listener.Dispose();
}
