using System.Net;
using System.Text.Json;
using AppSwitch.Agent.Api;
using AppSwitch.Agent.Cluster;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Json;
using AppSwitch.Common.Model;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// The REST API's JSON request bodies, read as their handlers read them: POST /api/v1/vservices
/// (VServiceSpec, VServiceEntry.FromSpec, ServiceTable.AddVService) and POST /api/v1/keys/OPERATION (KeyRequest,
/// GossipOptions.ParseKey). The first byte picks the endpoint. Rule documents (POST/PUT /api/v1/rules) are the
/// rules-json and rules-yaml targets.
/// </summary>
internal sealed class RestBodyTarget : IFuzzTarget
{
    public string Name => "rest-json";

    private const byte VService = 0, Key = 1;

    public IEnumerable<byte[]> Seeds()
    {
        // What `ax create vservice` and `ax key install` send (the CLI serializes with the same context).
        yield return Body(VService, JsonSerializer.SerializeToUtf8Bytes(
            new VServiceSpec { Name = "front", Ip = "198.18.9.1", Backends = ["198.18.1.1", "198.18.1.2"], LbType = "RoundRobin", Ports = [new(80, 8080), new(443, 8443)] },
            ApiJsonContext.Default.VServiceSpec));
        yield return Body(VService, """{"name":"db","ip":"fd00::5","backends":["10.0.0.7"],"ports":[{"vport":5432,"aport":5432}],"lbType":"Random","external":true,"sourceIp":"10.77.0.11"}"""u8.ToArray());
        yield return Body(Key, JsonSerializer.SerializeToUtf8Bytes(new KeyRequest { Key = Convert.ToBase64String(new byte[32]) }, ApiJsonContext.Default.KeyRequest));
        yield return Body(Key, """{"key":"AAECAwQFBgcICQoLDA0ODw=="}"""u8.ToArray());
    }

    private static byte[] Body(byte endpoint, byte[] json) => [endpoint, .. json];

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.IsEmpty) return;
        using var body = new MemoryStream(input[1..].ToArray());
        if (input[0] % 2 == VService) CreateVService(body);
        else ChangeKey(body);
    }

    /// <summary>VServiceEndpoints.CreateAsync up to the answer: 400 on bad JSON or a bad definition, 409 on a conflict.</summary>
    private static void CreateVService(Stream body)
    {
        VServiceSpec? spec;
        try { spec = JsonSerializer.DeserializeAsync(body, ApiJsonContext.Default.VServiceSpec).AsTask().GetAwaiter().GetResult(); }
        catch (JsonException) { return; }
        if (spec is null || VServiceEntry.FromSpec(spec, owner: null, out _) is not { } vservice) return;
        var table = new ServiceTable(new NodeIdentity("node-a", "appswitch", IPAddress.Parse("10.77.0.11")));
        if (table.AddVService(vservice, out _)) _ = table.VServiceRecords().First(r => r.Name == vservice.Name);
    }

    /// <summary>KeyEndpoints.ChangeAsync's reading of the key: 400 on bad JSON or a bad key.</summary>
    private static void ChangeKey(Stream body)
    {
        try
        {
            var request = JsonSerializer.DeserializeAsync(body, ApiJsonContext.Default.KeyRequest).AsTask().GetAwaiter().GetResult();
            GossipOptions.ParseKey(request?.Key ?? throw new ArgumentException("the request names no key"));
        }
        catch (Exception e) when (e is JsonException or ArgumentException) { }
    }
}
