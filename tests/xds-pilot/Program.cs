using System.Globalization;
using System.Net;
using System.Runtime.InteropServices;
using AppSwitch.Agent.Xds.Client;
using AppSwitch.Tests.Infrastructure.Xds;
using Envoy.Config.Route.V3;
using static AppSwitch.Tests.Infrastructure.Xds.IstioResources;
using EnvoyRoute = Envoy.Config.Route.V3.Route;

// The stand-in Pilot (tests/AppSwitch.Tests/Infrastructure/Xds) as a program: serves ADS on --socket (agents in node
// namespaces reach it through socat) and takes Istio-shaped changes as lines on stdin, answering each with one line
// on stdout, "ok TYPE VERSION" (the version the agents will ACK) or "error: …". Commands:
//   service NAME PORT SUBSET=IP…           clusters outbound|PORT|SUBSET|NAME.default.svc.cluster.local + endpoints + listener
//   weighted NAME PORT SUBSET=WEIGHT…      route: weighted split over subsets
//   header NAME PORT HEADER=VALUE SUBSET OTHERWISE   route: exact header match → SUBSET, else OTHERWISE
//   many COUNT PORT                        COUNT more services svc-I (two subsets, one endpoint each) with a weighted route
//   quit
var socket = args.Length == 2 && args[0] == "--socket" ? args[1] : null;
if (socket is null)
{
    Console.Error.WriteLine("usage: xds-pilot --socket PATH   (then commands on stdin; see Program.cs)");
    return 2;
}
// SIGTERM ends the program (Kestrel's host would only stop serving while stdin is still read).
using var onTerm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, _ => Environment.Exit(0));
await using var pilot = await StandInPilot.StartAsync(socket);
Console.WriteLine($"ready {socket}");
var services = new Dictionary<string, (int Port, List<(string Subset, IPEndPoint Endpoint)> Subsets)>(StringComparer.Ordinal);
var routes = new Dictionary<string, RouteConfiguration>(StringComparer.Ordinal);

while (Console.ReadLine() is { } line)
{
    var words = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
    if (words.Length == 0) continue;
    try
    {
        switch (words[0])
        {
            case "quit":
                return 0;
            case "service" when words.Length >= 4:
                services[words[1]] = (int.Parse(words[2], CultureInfo.InvariantCulture),
                    [.. words[3..].Select(Pair).Select(p => (p.Key, new IPEndPoint(IPAddress.Parse(p.Value), int.Parse(words[2], CultureInfo.InvariantCulture))))]);
                PushServices();
                Console.WriteLine($"ok Cluster {pilot.VersionOf(XdsTypeUrls.Cluster)}");
                break;
            case "weighted" when words.Length >= 4:
            {
                var port = int.Parse(words[2], CultureInfo.InvariantCulture);
                var split = words[3..].Select(Pair).Select(p => (p.Key, uint.Parse(p.Value, CultureInfo.InvariantCulture))).ToArray();
                routes[words[1]] = RouteConfig(words[1], port, Weighted(words[1], port, split));
                PushRoutes();
                break;
            }
            case "header" when words.Length == 6:
            {
                var port = int.Parse(words[2], CultureInfo.InvariantCulture);
                var (header, value) = Pair(words[3]);
                var matched = ToSubset("header", words[1], port, words[4]);
                matched.Match.Headers.Add(new HeaderMatcher
                {
                    Name = header,
                    StringMatch = new Envoy.Type.Matcher.V3.StringMatcher { Exact = value },
                });
                routes[words[1]] = RouteConfig(words[1], port, matched, ToSubset("default", words[1], port, words[5]));
                PushRoutes();
                break;
            }
            case "many" when words.Length == 3:
            {
                var count = int.Parse(words[1], CultureInfo.InvariantCulture);
                var port = int.Parse(words[2], CultureInfo.InvariantCulture);
                var start = services.Count;
                for (var i = start; i < start + count; i++)
                {
                    var name = $"svc-{i}";
                    services[name] = (port, [("v1", new IPEndPoint(IPAddress.Parse($"198.19.{i / 250}.{1 + (i % 250)}"), port)),
                        ("v2", new IPEndPoint(IPAddress.Parse($"198.19.{128 + i / 250}.{1 + (i % 250)}"), port))]);
                    routes[name] = RouteConfig(name, port, Weighted(name, port, ("v1", 90), ("v2", 10)));
                }
                PushServices();
                PushRoutes();
                break;
            }
            default:
                Console.WriteLine($"error: unknown command or wrong arguments: {line}");
                break;
        }
    }
    catch (FormatException e)
    {
        Console.WriteLine($"error: {e.Message} in: {line}");
    }
}
return 0;

void PushServices()
{
    pilot.Set(XdsTypeUrls.Cluster, [.. services.SelectMany(s => new[] { EdsCluster(s.Key, s.Value.Port) }
        .Concat(s.Value.Subsets.Select(v => EdsCluster(s.Key, s.Value.Port, v.Subset))))]);
    pilot.Set(XdsTypeUrls.Endpoint, [.. services.SelectMany(s => new[] { Assignment(ClusterName(s.Key, s.Value.Port), [.. s.Value.Subsets.Select(v => v.Endpoint)]) }
        .Concat(s.Value.Subsets.Select(v => Assignment(ClusterName(s.Key, s.Value.Port, v.Subset), v.Endpoint))))]);
    pilot.Set(XdsTypeUrls.Listener, [.. services.Select(s => ApiListener(s.Key, s.Value.Port))]);
}

void PushRoutes()
{
    pilot.Set(XdsTypeUrls.Route, [.. routes.Values]);
    Console.WriteLine($"ok RouteConfiguration {pilot.VersionOf(XdsTypeUrls.Route)}");
}

static KeyValuePair<string, string> Pair(string word)
{
    var eq = word.IndexOf('=');
    if (eq <= 0) throw new FormatException($"'{word}' is not KEY=VALUE");
    return new(word[..eq], word[(eq + 1)..]);
}
