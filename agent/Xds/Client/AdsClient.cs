using System.Net;
using AppSwitch.Agent.Xds.Translation;
using AppSwitch.Common.Model;
using Envoy.Config.Core.V3;
using Envoy.Service.Discovery.V3;
using Grpc.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// The agent's ADS client (state of the world over one StreamAggregatedResources stream): subscribes to CDS and LDS
/// (wildcard), then to EDS for the clusters and RDS for the listeners it accepted; ACKs every response it applied
/// whole and NACKs (last accepted version, the response's nonce, error_detail with the reasons) one that refused
/// something, the rest applying. On a broken stream it keeps the last good config, waits (exponential backoff with
/// jitter) and reconnects, resubscribing with the versions it holds. It only dials out: no listener of its own.
/// </summary>
public sealed partial class AdsClient : BackgroundService
{
    private readonly XdsSettings _settings;
    private readonly XdsRegistry _registry;
    private readonly ILogger<AdsClient> _logger;
    private readonly Node _node;
    private readonly XdsConfigStore _store = new();
    private readonly Dictionary<string, TypeState> _types = XdsTypeUrls.All.ToDictionary(t => t, _ => new TypeState());
    private readonly XdsBackoff _backoff;
    private readonly XdsServerTrust? _trust;
    private readonly XdsHostResolver? _hosts;
    private readonly Lock _gate = new(); // the store: the stream's reader applies, the host resolver rebuilds
    private string? _lastError;
    private DateTimeOffset? _connectedSince;
    private string _state = "connecting";

    /// <param name="dnsUpstreams">Where ServiceEntry hostnames are resolved (the agent's DNS upstreams); none: such clusters never warm.</param>
    public AdsClient(XdsSettings settings, string nodeName, IPAddress nodeAddress, XdsRegistry registry, ILogger<AdsClient> logger,
        XdsBackoff? backoff = null, IReadOnlyList<IPEndPoint>? dnsUpstreams = null)
    {
        _settings = settings;
        _registry = registry;
        _logger = logger;
        _node = XdsNodeIdentity.Build(settings, nodeName, nodeAddress);
        _backoff = backoff ?? new XdsBackoff(TimeSpan.FromMilliseconds(500), TimeSpan.FromSeconds(30));
        _trust = settings.CaCertFile is null ? null : new XdsServerTrust(settings.CaCertFile);
        if (dnsUpstreams is { Count: > 0 })
        {
            _hosts = new XdsHostResolver(new NameService.DnsForwarder(dnsUpstreams, TimeSpan.FromSeconds(2)), logger);
            _hosts.Changed += Rebuild;
        }
        Publish();
    }

    public override async Task StopAsync(CancellationToken cancellationToken)
    {
        await base.StopAsync(cancellationToken);
        if (_hosts is not null) await _hosts.DisposeAsync();
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var channel = XdsChannelFactory.Create(_settings, _trust);
        var client = new AggregatedDiscoveryService.AggregatedDiscoveryServiceClient(channel);
        while (!stoppingToken.IsCancellationRequested)
        {
            try
            {
                await RunStreamAsync(client, stoppingToken);
                _lastError = "the server closed the stream";
            }
            catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception e) when (e is RpcException or IOException or HttpRequestException or InvalidOperationException or XdsTokenException)
            {
                _lastError = Describe(e);
            }
            var delay = _backoff.Next();
            var wasConnected = _state == "connected";
            _state = "backoff";
            _connectedSince = null;
            Publish();
            if (wasConnected) LogStreamLost(_settings.Address!, _lastError, delay.TotalMilliseconds);
            else LogConnectFailed(_settings.Address!, _lastError, delay.TotalMilliseconds);
            try { await Task.Delay(delay, stoppingToken); }
            catch (OperationCanceledException) { return; }
        }
    }

    /// <summary>One sentence for the log and `ax get xds`: a refused certificate says why rather than "SSL failed".</summary>
    private string Describe(Exception e)
    {
        if (_trust?.LastRefusal is { } refusal) return refusal; // gRPC reports it as "Internal: Error starting gRPC call…"
        return e is RpcException rpc ? $"{rpc.StatusCode}: {rpc.Status.Detail}" : e.Message;
    }

    private async Task RunStreamAsync(AggregatedDiscoveryService.AggregatedDiscoveryServiceClient client, CancellationToken ct)
    {
        _state = "connecting";
        Publish();
        _trust?.Forget();
        using var call = client.StreamAggregatedResources(XdsChannelFactory.Headers(_settings), cancellationToken: ct);
        try
        {
            await SubscribeAndServeAsync(call, ct);
        }
        catch (Exception e) when (!ct.IsCancellationRequested && e is RpcException { StatusCode: StatusCode.Cancelled } or IOException or InvalidOperationException)
        {
            // A write can lose the race with istiod refusing the call (a bad token): the write fails as "Cancelled" or
            // "the call is complete" while the server's own status is already in the response. That is the reason.
            if (await ServerStatusAsync(call) is { } status) throw new RpcException(status);
            throw;
        }
    }

    /// <summary>The status istiod ended the call with, if it sent one (null: the stream broke without a status).</summary>
    private static async Task<Status?> ServerStatusAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call)
    {
        using var wait = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        try
        {
            while (await call.ResponseStream.MoveNext(wait.Token)) { }
            return null;
        }
        catch (RpcException e) when (e.StatusCode != StatusCode.Cancelled)
        {
            return e.Status;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException or IOException or InvalidOperationException)
        {
            return null;
        }
    }

    private async Task SubscribeAndServeAsync(AsyncDuplexStreamingCall<DiscoveryRequest, DiscoveryResponse> call, CancellationToken ct)
    {
        foreach (var state in _types.Values) state.Nonce = null; // nonces belong to one stream
        var first = true;
        foreach (var typeUrl in XdsTypeUrls.All)
        {
            var names = NamesFor(typeUrl);
            if (!XdsTypeUrls.IsWildcard(typeUrl) && names.Count == 0) continue;
            await call.RequestStream.WriteAsync(Request(typeUrl, names, first));
            _types[typeUrl].Subscribed = names;
            first = false;
        }

        await foreach (var response in call.ResponseStream.ReadAllAsync(ct))
        {
            if (_state != "connected")
            {
                _state = "connected";
                _connectedSince = DateTimeOffset.UtcNow;
                _lastError = null;
                _backoff.Reset();
                LogConnected(_settings.Address!);
            }
            await HandleAsync(call.RequestStream, response);
        }
    }

    private async Task HandleAsync(IClientStreamWriter<DiscoveryRequest> requests, DiscoveryResponse response)
    {
        if (!_types.TryGetValue(response.TypeUrl, out var state))
        {
            LogUnexpectedType(response.TypeUrl);
            return;
        }
        state.Nonce = response.Nonce;
        IReadOnlyList<XdsRefusal> refused;
        lock (_gate) refused = _store.Apply(response);
        var request = Request(response.TypeUrl, state.Subscribed, first: false);
        request.ResponseNonce = response.Nonce;
        if (refused.Count == 0)
        {
            state.Acked = response.VersionInfo;
            request.VersionInfo = response.VersionInfo;
        }
        else
        {
            state.Nacks++;
            request.VersionInfo = state.Acked ?? "";
            request.ErrorDetail = new Google.Rpc.Status
            {
                Code = (int)StatusCode.InvalidArgument,
                Message = string.Join("; ", refused.Select(r => r.ToString())),
            };
            LogRefused(XdsTypeUrls.Short(response.TypeUrl), response.VersionInfo, request.ErrorDetail.Message);
        }
        await requests.WriteAsync(request);
        Rebuild();
        if (response.TypeUrl == XdsTypeUrls.Cluster) lock (_gate) _hosts?.Want(_store.DnsNames.ToList());

        // A new set of clusters or listeners changes which endpoints and routes to ask for.
        var dependent = response.TypeUrl switch
        {
            XdsTypeUrls.Cluster => XdsTypeUrls.Endpoint,
            XdsTypeUrls.Listener => XdsTypeUrls.Route,
            _ => null,
        };
        if (dependent is not null)
        {
            var names = NamesFor(dependent);
            var child = _types[dependent];
            if (!names.SequenceEqual(child.Subscribed))
            {
                var subscribe = Request(dependent, names, first: false);
                subscribe.ResponseNonce = child.Nonce ?? "";
                await requests.WriteAsync(subscribe);
                child.Subscribed = names;
            }
        }
        Publish();
    }

    /// <summary>The accepted config, with the ServiceEntry hosts as last resolved, into force (and the status).</summary>
    private void Rebuild()
    {
        lock (_gate) _registry.Replace(new XdsConfig(_store.View(_hosts is null ? null : _hosts.Addresses), Rules()));
    }

    private List<AppSwitch.Common.Rules.Rule> Rules()
    {
        var rules = new List<AppSwitch.Common.Rules.Rule>();
        foreach (var config in _store.Routes.Values.OrderBy(r => r.Name, StringComparer.Ordinal))
            rules.AddRange(RouteTranslator.Translate(config, out _) ?? []);
        return rules;
    }

    private IReadOnlyList<string> NamesFor(string typeUrl) => typeUrl switch
    {
        XdsTypeUrls.Endpoint => _store.EndpointNames,
        XdsTypeUrls.Route => _store.RouteNames,
        _ => [], // wildcard
    };

    private DiscoveryRequest Request(string typeUrl, IReadOnlyList<string> names, bool first)
    {
        var request = new DiscoveryRequest { TypeUrl = typeUrl, VersionInfo = _types[typeUrl].Acked ?? "" };
        request.ResourceNames.AddRange(names);
        if (first) request.Node = _node;
        return request;
    }

    private void Publish()
    {
        lock (_gate) _registry.Report(Status());
    }

    private XdsStatusRecord Status() => new()
    {
        Outbound = _registry.Config.View.Egress.ModeName,
        OutboundSource = _registry.Config.View.Egress.Source,
        State = _state,
        Server = _settings.Address,
        NodeId = _node.Id,
        LastError = _lastError,
        ConnectedSince = _connectedSince,
        Types = [.. _types.Select(t => new XdsTypeRecord(XdsTypeUrls.Short(t.Key), t.Value.Acked, t.Value.Nonce, Count(t.Key), t.Value.Nacks))],
        Refused = [.. _store.Refused.Select(r => new XdsRefusalRecord(XdsTypeUrls.Short(r.TypeUrl), r.Name, r.Reason))],
    };

    private int Count(string typeUrl) => typeUrl switch
    {
        XdsTypeUrls.Cluster => _store.ClusterCount,
        XdsTypeUrls.Endpoint => _store.EndpointCount,
        XdsTypeUrls.Listener => _store.ListenerCount,
        _ => _store.Routes.Count,
    };

    private sealed class TypeState
    {
        public string? Acked;
        public string? Nonce;
        public int Nacks;
        public IReadOnlyList<string> Subscribed = [];
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "xDS: connected to {Server}")]
    private partial void LogConnected(string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS: stream to {Server} lost ({Error}); last good config kept, reconnecting in {DelayMs:F0} ms")]
    private partial void LogStreamLost(string server, string? error, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS: cannot connect to {Server}: {Error}; retrying in {DelayMs:F0} ms")]
    private partial void LogConnectFailed(string server, string? error, double delayMs);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS: NACK {Type} version {Version}: {Reasons}")]
    private partial void LogRefused(string type, string version, string reasons);

    [LoggerMessage(Level = LogLevel.Warning, Message = "xDS: a response of type {Type}, which was not asked for, ignored")]
    private partial void LogUnexpectedType(string type);
}
