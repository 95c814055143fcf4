using System.Collections.Concurrent;
using System.Net;
using AppSwitch.Agent.NameService;
using AppSwitch.Agent.Xds.Translation;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// Resolves the hostnames of accepted DNS clusters (Istio ServiceEntries with `resolution: DNS`) through the agent's
/// own upstreams — `--dns-servers`, else the node's nameservers, what the agent's DNS server forwards to — and keeps
/// the answers fresh: each name again after its cluster's dns_refresh_rate, or after the answer's TTL when the cluster
/// says respect_dns_ttl (at least 1 s). A failed lookup keeps the last answer (as Envoy does) and is retried at the
/// refresh rate. <see cref="Changed"/> fires when a name's addresses change, so the view is rebuilt.
/// </summary>
public sealed partial class XdsHostResolver : IAsyncDisposable
{
    private static readonly TimeSpan MinimumRefresh = TimeSpan.FromSeconds(1);
    private readonly DnsForwarder _forwarder;
    private readonly ILogger _logger;
    private readonly ConcurrentDictionary<string, Entry> _names = new(StringComparer.OrdinalIgnoreCase);
    private readonly SemaphoreSlim _wake = new(0);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public XdsHostResolver(DnsForwarder forwarder, ILogger logger)
    {
        _forwarder = forwarder;
        _logger = logger;
        _loop = Task.Run(LoopAsync);
    }

    /// <summary>Raised (on the resolver's task) when a name's addresses changed.</summary>
    public event Action? Changed;

    /// <summary>The addresses of <paramref name="host"/> as last resolved; null before the first answer.</summary>
    public IReadOnlyList<IPAddress>? Addresses(string host) => _names.TryGetValue(host, out var entry) ? entry.Addresses : null;

    /// <summary>Why the last lookup of <paramref name="host"/> failed, or null.</summary>
    public string? Error(string host) => _names.TryGetValue(host, out var entry) ? entry.Error : null;

    /// <summary>The names the accepted clusters need, each with its refresh; names no longer wanted are forgotten.</summary>
    public void Want(IEnumerable<XdsDnsName> names)
    {
        var wanted = names.GroupBy(n => n.Host, StringComparer.OrdinalIgnoreCase)
            .ToDictionary(g => g.Key, g => g.MinBy(n => n.Refresh)!, StringComparer.OrdinalIgnoreCase);
        foreach (var host in _names.Keys.Where(h => !wanted.ContainsKey(h)).ToList()) _names.TryRemove(host, out _);
        var added = false;
        foreach (var (host, name) in wanted)
        {
            if (_names.TryGetValue(host, out var entry)) entry.Name = name;
            else added |= _names.TryAdd(host, new Entry(name));
        }
        if (added) _wake.Release();
    }

    private async Task LoopAsync()
    {
        while (!_stop.IsCancellationRequested)
        {
            var now = DateTimeOffset.UtcNow;
            var changed = false;
            foreach (var entry in _names.Values.Where(e => e.Due <= now).ToList())
                changed |= await ResolveAsync(entry);
            if (changed) Changed?.Invoke();
            var next = _names.Values.Select(e => e.Due).DefaultIfEmpty(DateTimeOffset.UtcNow + TimeSpan.FromMinutes(1)).Min();
            var wait = next - DateTimeOffset.UtcNow;
            try
            {
                if (wait > TimeSpan.Zero) await _wake.WaitAsync(wait, _stop.Token);
            }
            catch (OperationCanceledException) { return; }
        }
    }

    // True when the addresses changed.
    private async Task<bool> ResolveAsync(Entry entry)
    {
        var host = entry.Name.Host;
        var id = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        string? error;
        IReadOnlyList<(IPAddress Address, uint Ttl)> records = [];
        try
        {
            var answer = await _forwarder.ForwardAsync(DnsAddressLookup.EncodeQuery(id, host), overTcp: false, _stop.Token);
            if (answer is null) error = $"no answer from {string.Join(", ", _forwarder.Upstreams)}";
            else
            {
                var (rcode, addresses) = DnsAddressLookup.DecodeAnswer(answer, id);
                records = addresses;
                error = rcode != DnsRcode.NoError ? rcode.ToString().ToUpperInvariant() : addresses.Count == 0 ? "no A record" : null;
            }
        }
        catch (Exception e) when (e is DnsDecodeException or ArgumentException)
        {
            error = e.Message;
        }
        catch (OperationCanceledException)
        {
            return false;
        }

        var refresh = entry.Name.RespectTtl && error is null ? TimeSpan.FromSeconds(records.Min(r => r.Ttl)) : entry.Name.Refresh;
        entry.Due = DateTimeOffset.UtcNow + (refresh < MinimumRefresh ? MinimumRefresh : refresh);
        if (error is not null)
        {
            if (entry.Error != error) LogLookupFailed(host, error, entry.Addresses is null ? "none yet" : string.Join(", ", entry.Addresses));
            entry.Error = error;
            return false;
        }
        entry.Error = null;
        var resolved = records.Select(r => r.Address).Distinct().Order(Comparer<IPAddress>.Create((a, b) => string.CompareOrdinal(a.ToString(), b.ToString()))).ToList();
        if (entry.Addresses is { } previous && previous.SequenceEqual(resolved)) return false;
        LogResolved(host, string.Join(", ", resolved));
        entry.Addresses = resolved;
        return true;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try { await _loop; } catch (OperationCanceledException) { }
        _stop.Dispose();
        _wake.Dispose();
    }

    private sealed class Entry(XdsDnsName name)
    {
        public XdsDnsName Name { get; set; } = name;
        public volatile IReadOnlyList<IPAddress>? Addresses;
        public volatile string? Error;
        public DateTimeOffset Due { get; set; } = DateTimeOffset.MinValue;
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "xDS: ServiceEntry host {Host} resolves to {Addresses}")]
    private partial void LogResolved(string host, string addresses);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS: cannot resolve ServiceEntry host {Host}: {Error}; keeping {Addresses}")]
    private partial void LogLookupFailed(string host, string error, string addresses);
}
