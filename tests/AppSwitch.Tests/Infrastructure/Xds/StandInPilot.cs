using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using System.Threading.Channels;
using AppSwitch.Agent.Xds.Client;
using Envoy.Service.Discovery.V3;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Tests.Infrastructure.Xds;

/// <summary>
/// A stand-in for istiod's xDS server (Grpc.AspNetCore, h2c on 127.0.0.1 and optionally a Unix socket): ADS state of
/// the world with real Envoy v3 messages, resources held in memory per type and pushed to every open stream on change.
/// It answers as Istio's ShouldRespond does (a NACK or a stale nonce gets nothing; an ACK gets a response only when
/// new names were asked for) and records every request, so tests assert ACK/NACK, nonce and version. Like istiod's
/// 15012 it can serve TLS with a certificate the test's CA signed and demand `authorization: Bearer TOKEN`, refusing
/// any other caller with Unauthenticated before reading a request.
/// </summary>
public sealed class StandInPilot : AggregatedDiscoveryService.AggregatedDiscoveryServiceBase, IAsyncDisposable
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, Dictionary<string, Any>> _resources = XdsTypeUrls.All.ToDictionary(t => t, _ => new Dictionary<string, Any>(StringComparer.Ordinal));
    private readonly Dictionary<string, int> _versions = XdsTypeUrls.All.ToDictionary(t => t, _ => 0);
    private readonly List<PilotStream> _streams = [];
    private readonly ConcurrentQueue<RecordedRequest> _requests = new();
    private readonly ConcurrentQueue<string?> _refusedCalls = new();
    private WebApplication? _app;
    private int _streamIds;
    private X509Certificate2? _certificate;
    private string? _token;

    public int Port { get; private set; }
    public string? UnixSocket { get; private set; }

    /// <summary>host:port for --xds-address.</summary>
    public string Address => $"127.0.0.1:{Port}";

    /// <summary>Every request received, in order, across streams (a restart keeps the record).</summary>
    public IReadOnlyList<RecordedRequest> Requests => [.. _requests];

    /// <summary>The authorization header of every call refused for a wrong or missing bearer token.</summary>
    public IReadOnlyList<string?> RefusedCalls => [.. _refusedCalls];

    public int OpenStreams
    {
        get { lock (_gate) return _streams.Count; }
    }

    /// <param name="certificate">Serve TLS with it (istiod's 15012) instead of h2c (15010).</param>
    /// <param name="token">The only bearer token accepted; null: no authentication (as 15010).</param>
    public static async Task<StandInPilot> StartAsync(string? unixSocket = null, X509Certificate2? certificate = null, string? token = null)
    {
        var pilot = new StandInPilot { UnixSocket = unixSocket, _certificate = certificate, _token = token };
        await pilot.ServeAsync(0);
        return pilot;
    }

    /// <summary>Stops serving (open streams break: the agents see istiod go away); resources are kept.</summary>
    public async Task StopAsync()
    {
        if (_app is null) return;
        using (var grace = new CancellationTokenSource(TimeSpan.FromSeconds(2))) await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        _app = null;
        lock (_gate) _streams.Clear();
        if (UnixSocket is not null) File.Delete(UnixSocket);
    }

    /// <summary>Serves again on the same port (and socket): a restarted istiod.</summary>
    public Task RestartAsync() => ServeAsync(Port);

    /// <summary>Replaces one type's whole set (a push of a new version to every stream subscribed to it).</summary>
    public void Set(string typeUrl, params IMessage[] resources)
    {
        lock (_gate)
        {
            _resources[typeUrl] = resources.ToDictionary(Name, Any.Pack, StringComparer.Ordinal);
            _versions[typeUrl]++;
            foreach (var stream in _streams) stream.PushIfSubscribed(typeUrl, this);
        }
    }

    /// <summary>Adds or replaces resources of one type by name, keeping the others.</summary>
    public void Upsert(string typeUrl, params IMessage[] resources)
    {
        lock (_gate)
        {
            foreach (var resource in resources) _resources[typeUrl][Name(resource)] = Any.Pack(resource);
            _versions[typeUrl]++;
            foreach (var stream in _streams) stream.PushIfSubscribed(typeUrl, this);
        }
    }

    public string VersionOf(string typeUrl)
    {
        lock (_gate) return Version(typeUrl);
    }

    public override async Task StreamAggregatedResources(IAsyncStreamReader<DiscoveryRequest> requestStream,
        IServerStreamWriter<DiscoveryResponse> responseStream, ServerCallContext context)
    {
        var authorization = context.RequestHeaders.GetValue("authorization");
        if (_token is not null && authorization != "Bearer " + _token)
        {
            _refusedCalls.Enqueue(authorization);
            throw new RpcException(new Status(StatusCode.Unauthenticated, "authentication failure: the bearer token is not valid"));
        }
        var stream = new PilotStream(Interlocked.Increment(ref _streamIds), context.RequestHeaders);
        lock (_gate) _streams.Add(stream);
        var writer = Task.Run(async () =>
        {
            await foreach (var response in stream.Outbox.Reader.ReadAllAsync(context.CancellationToken))
                await responseStream.WriteAsync(response);
        });
        try
        {
            await foreach (var request in requestStream.ReadAllAsync(context.CancellationToken))
            {
                if (stream.Requests == 0 && request.Node is null)
                    throw new RpcException(new Status(StatusCode.InvalidArgument, "missing node information"));
                lock (_gate) stream.Handle(request, this, _requests);
            }
        }
        finally
        {
            lock (_gate) _streams.Remove(stream);
            stream.Outbox.Writer.TryComplete();
            try { await writer; } catch (OperationCanceledException) { }
        }
    }

    public async ValueTask DisposeAsync() => await StopAsync();

    private async Task ServeAsync(int port)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions());
        builder.Logging.ClearProviders();
        builder.Services.AddGrpc();
        builder.Services.AddSingleton(this);
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.Listen(IPAddress.Loopback, port, Configure);
            if (UnixSocket is not null)
            {
                File.Delete(UnixSocket);
                k.ListenUnixSocket(UnixSocket, Configure);
            }
        });
        var app = builder.Build();
        app.MapGrpcService<StandInPilot>();
        await app.StartAsync();
        _app = app;
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses
            .First(a => a.Contains("://127.0.0.1", StringComparison.Ordinal));
        Port = new Uri(address).Port;
    }

    private void Configure(ListenOptions listen)
    {
        listen.Protocols = HttpProtocols.Http2;
        if (_certificate is not null) listen.UseHttps(_certificate);
    }

    // Caller holds _gate.
    private string Version(string typeUrl) => $"v{_versions[typeUrl]}";

    // Caller holds _gate: the resources of a type a stream asked for (wildcard types: all of them).
    private DiscoveryResponse Response(string typeUrl, IReadOnlyCollection<string> names, string nonce)
    {
        var response = new DiscoveryResponse { TypeUrl = typeUrl, VersionInfo = Version(typeUrl), Nonce = nonce };
        foreach (var (name, any) in _resources[typeUrl].OrderBy(r => r.Key, StringComparer.Ordinal))
            if (XdsTypeUrls.IsWildcard(typeUrl) || names.Contains(name)) response.Resources.Add(any);
        return response;
    }

    private static string Name(IMessage resource) => resource switch
    {
        Envoy.Config.Cluster.V3.Cluster c => c.Name,
        Envoy.Config.Endpoint.V3.ClusterLoadAssignment a => a.ClusterName,
        Envoy.Config.Listener.V3.Listener l => l.Name,
        Envoy.Config.Route.V3.RouteConfiguration r => r.Name,
        _ => throw new ArgumentException($"not an xDS resource: {resource.Descriptor.FullName}"),
    };

    /// <summary>One ADS stream's state, as Istio keeps it per connection (pkg/xds/server.go).</summary>
    private sealed class PilotStream(int id, Metadata headers)
    {
        private readonly Dictionary<string, (string Nonce, HashSet<string> Names)> _watched = new(StringComparer.Ordinal);
        private int _nonces;

        public Channel<DiscoveryResponse> Outbox { get; } = Channel.CreateUnbounded<DiscoveryResponse>();
        public int Requests { get; private set; }

        public void Handle(DiscoveryRequest request, StandInPilot pilot, ConcurrentQueue<RecordedRequest> record)
        {
            Requests++;
            var kind = request.ErrorDetail is not null ? RequestKind.Nack
                : request.ResponseNonce.Length == 0 || !_watched.ContainsKey(request.TypeUrl) ? RequestKind.Initial
                : request.ResponseNonce != _watched[request.TypeUrl].Nonce ? RequestKind.Stale
                : RequestKind.Ack;
            record.Enqueue(new RecordedRequest(id, kind, request.Clone(), headers.GetValue("authorization"), headers.GetValue("clusterid")));
            var names = request.ResourceNames.ToHashSet(StringComparer.Ordinal);
            switch (kind)
            {
                case RequestKind.Nack or RequestKind.Stale:
                    return;
                case RequestKind.Ack:
                    var before = _watched[request.TypeUrl].Names;
                    _watched[request.TypeUrl] = (_watched[request.TypeUrl].Nonce, names);
                    if (XdsTypeUrls.IsWildcard(request.TypeUrl) ? names.SetEquals(before) : names.IsSubsetOf(before)) return;
                    break;
            }
            Send(request.TypeUrl, names, pilot);
        }

        public void PushIfSubscribed(string typeUrl, StandInPilot pilot)
        {
            if (_watched.TryGetValue(typeUrl, out var watched)) Send(typeUrl, watched.Names, pilot);
        }

        private void Send(string typeUrl, HashSet<string> names, StandInPilot pilot)
        {
            var nonce = $"{pilot.Version(typeUrl)}-{id}-{++_nonces}";
            _watched[typeUrl] = (nonce, names);
            Outbox.Writer.TryWrite(pilot.Response(typeUrl, names, nonce));
        }
    }
}

public enum RequestKind { Initial, Ack, Nack, Stale }

/// <summary>A request the stand-in received: on which stream, how it classified it, and the call's auth headers.</summary>
public sealed record RecordedRequest(int Stream, RequestKind Kind, DiscoveryRequest Request, string? Authorization, string? ClusterId)
{
    public string Type => XdsTypeUrls.Short(Request.TypeUrl);
}
