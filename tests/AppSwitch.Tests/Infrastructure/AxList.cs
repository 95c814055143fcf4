using System.Text.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>The JSON `ax get … -o json` prints: {"kind":"List","items":[…]} with camelCase fields.</summary>
public sealed record AxList<T>
{
    public required string Kind { get; init; }
    public required List<T> Items { get; init; }

    private static readonly JsonSerializerOptions Options = new(JsonSerializerDefaults.Web);

    public static AxList<T> Parse(string json)
    {
        try
        {
            return JsonSerializer.Deserialize<AxList<T>>(json, Options)
                   ?? throw new FormatException("`null` is not a list");
        }
        catch (JsonException e)
        {
            throw new FormatException($"cannot parse `ax get -o json` output as a List of {typeof(T).Name}: {e.Message}", e);
        }
    }
}

/// <summary>The resources `ax get` lists (and GET /api/v1/RESOURCE serves), with the record type of each.</summary>
public static class AxResources
{
    public const string Apps = "apps";
    public const string Servers = "servers";
    public const string Sockets = "sockets";
    public const string Proxies = "proxies";
    public const string Nodes = "nodes";
    public const string VServices = "vservices";

    public static string NameOf<T>() =>
        typeof(T) == typeof(AppRecord) ? Apps
        : typeof(T) == typeof(ServerRecord) ? Servers
        : typeof(T) == typeof(SocketRecord) ? Sockets
        : typeof(T) == typeof(ProxyRecord) ? Proxies
        : typeof(T) == typeof(NodeRecord) ? Nodes
        : typeof(T) == typeof(VServiceRecord) ? VServices
        : throw new ArgumentException($"no `ax get` resource for {typeof(T).Name}");
}
