using System.Collections.Concurrent;
using System.Diagnostics.Metrics;

namespace AppSwitch.Agent.Metrics.Export;

/// <summary>What the Prometheus text format calls a metric's type.</summary>
internal enum MetricType { Counter, Gauge, Histogram }
