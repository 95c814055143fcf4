using System.Net;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>kube-daemonset.yaml and deploy/: what seed 003 requires of the DaemonSet, least-privilege RBAC, the CRD, the examples.</summary>
public sealed class ManifestTests
{
    private static JsonObject DaemonSet => Manifests.Find(Manifests.DaemonSetFile, "DaemonSet");
    private static JsonNode PodSpec => DaemonSet["spec"]!["template"]!["spec"]!;
    private static JsonNode Container => PodSpec["containers"]![0]!;

    public static TheoryData<string> Files() => [.. Manifests.All().Select(f => Path.GetRelativePath(RepoLayout.RepoRoot, f))];

    [Theory]
    [MemberData(nameof(Files))]
    public void Every_manifest_parses_and_every_document_names_its_api_version_kind_and_name(string file)
    {
        var documents = Manifests.Load(Path.Combine(RepoLayout.RepoRoot, file));
        Assert.NotEmpty(documents);
        Assert.All(documents, d =>
        {
            Assert.Matches("^[a-z0-9.]+(/v[0-9a-z]+)?$|^v1$", d.Text("apiVersion"));
            Assert.Matches("^[A-Z][A-Za-z]+$", d.Text("kind"));
            Assert.Matches("^[a-z0-9][a-z0-9.-]*$", d.Text("metadata.name"));
        });
    }

    [Fact]
    public void The_daemonset_runs_privileged_in_the_host_network_and_pid_namespaces_as_seed_003_says()
    {
        Assert.Equal(("kube-appswitch", "kube-system"), (DaemonSet.Text("metadata.name"), DaemonSet.Text("metadata.namespace")));
        Assert.Equal("true", PodSpec.Text("hostNetwork"));
        Assert.Equal("true", PodSpec.Text("hostPID"));
        Assert.Equal("true", Container.Text("securityContext.privileged"));
        Assert.Equal("appswitch/ax", Container.Text("image"));
        Assert.Equal(DaemonSet.Text("spec.selector.matchLabels.name"), DaemonSet.Text("spec.template.metadata.labels.name"));
    }

    [Fact]
    public void The_host_s_usr_bin_and_var_run_appswitch_are_mounted()
    {
        var hostPaths = HostPathVolumes(PodSpec);
        var mounts = Container.Array("volumeMounts").ToDictionary(m => m.Text("name"), m => m.Text("mountPath"));

        Assert.Equal("/var/run/appswitch", mounts[hostPaths["/var/run/appswitch"]]);
        Assert.Equal("/host/usr/bin", mounts[hostPaths["/usr/bin"]]);
    }

    private static Dictionary<string, string> HostPathVolumes(JsonNode podSpec) =>
        podSpec.Array("volumes").Where(v => v!["hostPath"] is not null).ToDictionary(v => v.Text("hostPath.path"), v => v.Text("name"));

    [Fact]
    public void The_admin_directory_is_mounted_by_the_daemonset_and_by_no_example_pod()
    {
        var mounts = Container.Array("volumeMounts").ToDictionary(m => m.Text("name"), m => m.Text("mountPath"));
        Assert.Equal("/run/appswitch-admin", mounts[HostPathVolumes(PodSpec)["/run/appswitch-admin"]]);

        foreach (var example in Directory.GetFiles(Path.Combine(Manifests.DeployDir, "examples"), "*.yaml"))
            foreach (var document in Manifests.Load(example))
            {
                var text = document.ToJsonString();
                Assert.DoesNotContain("appswitch-admin", text);
            }
    }

    [Fact]
    public void The_rest_token_comes_from_a_secret_the_agent_reads_as_its_token_file()
    {
        var tokenFile = Container.Array("env").Single(e => e.Text("name") == "AX_API_TOKEN_FILE").Text("value");
        var secretVolume = PodSpec.Array("volumes").Single(v => v!["secret"] is not null);
        Assert.Equal("appswitch-api-token", secretVolume.Text("secret.secretName"));
        var mount = Container.Array("volumeMounts").Single(m => m.Text("name") == secretVolume.Text("name"));
        Assert.Equal(Path.Combine(mount.Text("mountPath"), "token"), tokenFile);
        Assert.Equal("true", mount.Text("readOnly"));
    }

    [Fact]
    public void Liveness_and_readiness_probe_the_agent_s_rest_port()
    {
        var restPort = Container.Array("env").Single(e => e.Text("name") == "AX_REST_PORT").Text("value");
        foreach (var probe in new[] { "livenessProbe", "readinessProbe" })
        {
            Assert.Equal("6664", Container.Text($"{probe}.httpGet.port"));
            Assert.Equal("/healthz", Container.Text($"{probe}.httpGet.path"));
        }
        Assert.Equal("6664", restPort);
    }

    [Fact]
    public void Prometheus_scrapes_metrics_on_the_named_rest_port_without_the_token()
    {
        var restPort = Container.Array("env").Single(e => e.Text("name") == "AX_REST_PORT").Text("value");
        var annotations = DaemonSet["spec"]!["template"]!["metadata"]!["annotations"]!;
        Assert.Equal(("true", restPort, "/metrics"), ((string?)annotations["prometheus.io/scrape"], (string?)annotations["prometheus.io/port"],
            (string?)annotations["prometheus.io/path"]));
        var port = Container.Array("ports").Single(p => p.Text("name") == "http-metrics");
        Assert.Equal((restPort, "TCP"), (port.Text("containerPort"), port.Text("protocol")));
        // The annotations promise a scrape without credentials: the REST port must serve /metrics to anyone.
        Assert.Contains("/metrics", AppSwitch.Agent.Api.Access.ApiAccessMiddleware.OpenPaths);
    }

    [Fact]
    public void The_daemon_accepts_the_daemonset_s_arguments()
    {
        var options = ParseDaemonSetArguments();

        Assert.Equal(("kubernetes", "kubernetes", true), (options.DiscoveryAdapter, options.RulesAdapter, options.GossipAutoDiscover));
        Assert.Equal(["spec.nodeName", "status.hostIP"],
            Container.Array("env").Where(e => e!["valueFrom"]?["fieldRef"] is not null).Select(e => e.Text("valueFrom.fieldRef.fieldPath")));
    }

    [Fact]
    public void The_gossip_key_comes_from_the_appswitch_gossip_secret_and_the_daemon_takes_it_from_the_environment()
    {
        var keyEnv = Container.Array("env").Single(e => e.Text("name") == "AX_GOSSIP_KEY");
        Assert.Equal(("appswitch-gossip", "key"), (keyEnv.Text("valueFrom.secretKeyRef.name"), keyEnv.Text("valueFrom.secretKeyRef.key")));

        var key = Convert.ToBase64String(System.Security.Cryptography.RandomNumberGenerator.GetBytes(32)) + "\n"; // as `base64` prints it
        Assert.Equal(Convert.FromBase64String(key.Trim()), ParseDaemonSetArguments(("AX_GOSSIP_KEY", key)).GossipKey);
    }

    /// <summary>The container's args as `ax daemon` parses them on a node at 10.0.0.5, with the env the pod gets.</summary>
    private static AgentOptions ParseDaemonSetArguments(params (string Name, string Value)[] moreEnvironment)
    {
        var environment = new Dictionary<string, string> { ["AX_NODE_INTERFACE"] = "10.0.0.5", ["AX_REST_PORT"] = "6664" };
        foreach (var (name, value) in moreEnvironment) environment[name] = value;
        return new AgentOptionsParser(new NodeAddressResolver(() => [new("eth0", true, false, [IPAddress.Parse("10.0.0.5")])]), () => "node-1")
            .Parse(Container.Texts("args").ToArray(), environment);
    }

    [Fact]
    public void Rbac_grants_exactly_read_access_to_what_the_agent_watches_and_writes_only_rule_status()
    {
        var role = Manifests.Find(Manifests.DaemonSetFile, "ClusterRole", "appswitch");
        var grants = role.Array("rules").SelectMany(rule =>
            from apiGroup in rule.Texts("apiGroups")
            from resource in rule.Texts("resources")
            select (Resource: apiGroup.Length == 0 ? resource : $"{resource}.{apiGroup}", Verbs: string.Join(",", rule.Texts("verbs").Order())))
            .ToDictionary(g => g.Resource, g => g.Verbs);

        // The README's list ("RBAC is read-only (get, list, watch) on services, endpoints, …"), not the code's table.
        var watched = new[]
        {
            "services", "endpoints", "endpointslices.discovery.k8s.io", "pods", "replicationcontrollers", "nodes",
            "replicasets.apps", "deployments.apps", "statefulsets.apps", "daemonsets.apps", "routingrules.amalgam8.io",
        };
        var expected = watched.ToDictionary(r => r, _ => "get,list,watch");
        expected["routingrules/status.amalgam8.io"] = "patch,update";
        Assert.Equal(expected.OrderBy(e => e.Key), grants.OrderBy(e => e.Key));

        var binding = Manifests.Find(Manifests.DaemonSetFile, "ClusterRoleBinding", "appswitch");
        var account = Manifests.Find(Manifests.DaemonSetFile, "ServiceAccount");
        Assert.Equal("appswitch", binding.Text("roleRef.name"));
        Assert.Equal((account.Text("metadata.name"), account.Text("metadata.namespace")),
            (binding.Text("subjects.0.name"), binding.Text("subjects.0.namespace")));
        Assert.Equal(account.Text("metadata.name"), PodSpec.Text("serviceAccountName"));
    }

    [Fact]
    public void The_crd_defines_routingrules_amalgam8_io_as_the_client_reads_it()
    {
        var crd = Manifests.Find(Path.Combine(Manifests.DeployDir, "routingrules-crd.yaml"), "CustomResourceDefinition");
        Assert.Equal(KubeResources.RoutingRules.RbacName, crd.Text("metadata.name"));
        Assert.Equal(RoutingRule.Group, crd.Text("spec.group"));
        Assert.Equal(("RoutingRule", RoutingRule.Plural, "routingrule", "Namespaced"),
            (crd.Text("spec.names.kind"), crd.Text("spec.names.plural"), crd.Text("spec.names.singular"), crd.Text("spec.scope")));
        var version = crd["spec"]!["versions"]![0]!;
        Assert.Equal((RoutingRule.Version, "true", "true"), (version.Text("name"), version.Text("served"), version.Text("storage")));
        Assert.NotNull(version["subresources"]!["status"]);
        var spec = version["schema"]!["openAPIV3Schema"]!["properties"]!["spec"]!;
        Assert.Equal(["destination"], spec.Texts("required"));
        Assert.Equal(["id", "priority", "tags", "destination", "match", "route", "actions"], spec["properties"]!.AsObject().Select(p => p.Key));
        Assert.Equal(["valid", "invalid"], version["schema"]!["openAPIV3Schema"]!["properties"]!["status"]!["properties"]!["state"].Texts("enum"));
    }

    [Fact]
    public void The_nginx_example_is_seed_003_s_pod_under_ax_run()
    {
        var pod = Manifests.Find(Path.Combine(Manifests.DeployDir, "examples", "nginx-pod.yaml"), "Pod", "nginx");
        var container = pod["spec"]!["containers"]![0]!;

        Assert.Equal(["/usr/bin/ax", "run", "--ip", "1.1.1.1", "nginx", "-g", "daemon off;"], container.Texts("command"));
        var hostPaths = pod["spec"].Array("volumes").ToDictionary(v => v.Text("name"), v => v.Text("hostPath.path"));
        Assert.Equal(["/usr/bin/ax:/usr/bin/ax", "/var/run/appswitch:/var/run/appswitch"],
            container.Array("volumeMounts").Select(m => $"{hostPaths[m.Text("name")]}:{m.Text("mountPath")}").Order());
    }

    [Fact]
    public void The_helloworld_example_yields_v1_and_v2_tags_and_an_http_port()
    {
        var file = Path.Combine(Manifests.DeployDir, "examples", "helloworld.yaml");
        var service = Manifests.Find(file, "Service", "helloworld");
        Assert.Equal(("http", "TCP"), (service.Text("spec.ports.0.name"), service.Text("spec.ports.0.protocol")));

        var deployments = Manifests.Load(file).Where(d => d.Text("kind") == "Deployment").ToList();
        Assert.Equal(["helloworld-v1", "helloworld-v2"], deployments.Select(d => d.Text("metadata.name")));
        Assert.All(deployments, d =>
        {
            Assert.Equal("2", d.Text("spec.replicas"));
            Assert.Equal(VersionTag.FromName(d.Text("metadata.name")), d.Text("spec.template.metadata.labels.version"));
            Assert.Equal(service.Text("spec.selector.app"), d.Text("spec.template.metadata.labels.app"));
            Assert.Equal(["/usr/bin/ax", "run"], d["spec"]!["template"]!["spec"]!["containers"]![0].Texts("command").Take(2));
        });
    }

    [Fact]
    public void The_rule_examples_are_a_weighted_route_and_a_header_match_on_services_that_exist()
    {
        var weighted = Manifests.Find(Path.Combine(Manifests.DeployDir, "examples", "rule-weighted.yaml"), "RoutingRule");
        var header = Manifests.Find(Path.Combine(Manifests.DeployDir, "examples", "rule-header.yaml"), "RoutingRule");

        Assert.Equal($"{RoutingRule.Group}/{RoutingRule.Version}", weighted.Text("apiVersion"));
        Assert.Equal("helloworld", weighted.Text("spec.destination"));
        var weights = weighted["spec"]!["route"].Array("backends").Select(b => b!["weight"]?.GetValue<string>()).ToList();
        Assert.Equal(["0.25", null], weights);

        Assert.Equal("reviews", header.Text("spec.destination"));
        var cookie = new Regex(header.Text("spec.match.headers.Cookie"));
        Assert.Matches(cookie, "theme=dark; user=jason");
        Assert.Matches(cookie, "user=jason");
        Assert.DoesNotMatch(cookie, "user=jasonx2; theme=dark");
        Assert.Equal(["version=v2"], header["spec"]!["route"]!["backends"]![0].Texts("tags"));
    }

    [Fact]
    public async Task The_image_entry_installs_ax_on_the_host_then_runs_the_daemon_with_the_pod_s_arguments()
    {
        using var dir = new TempDirectory();
        var prefix = dir.NewSubdirectory("opt-appswitch");
        var hostBin = dir.NewSubdirectory("host-usr-bin");
        Directory.CreateDirectory(Path.Combine(prefix, "bin"));
        var fakeAx = Path.Combine(prefix, "bin", "ax");
        await File.WriteAllTextAsync(fakeAx, "#!/bin/sh\necho \"ax $*\"\n");
        File.SetUnixFileMode(fakeAx, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        var daemonSetArgs = Container.Texts("args").ToArray();

        var result = await CommandRunner.RunAsync(Path.Combine(Manifests.DeployDir, "entrypoint.sh"), daemonSetArgs,
            new Dictionary<string, string> { ["AX_PREFIX"] = prefix, ["AX_HOST_BIN"] = hostBin });

        Assert.True(result.ExitCode == 0, result.Describe());
        Assert.Equal("ax daemon " + string.Join(" ", daemonSetArgs), result.StdOut.Trim());
        Assert.Equal(await File.ReadAllTextAsync(fakeAx), await File.ReadAllTextAsync(Path.Combine(hostBin, "ax")));
        Assert.True(File.GetUnixFileMode(Path.Combine(hostBin, "ax")).HasFlag(UnixFileMode.OtherExecute));
        Assert.Equal(["ax"], Directory.GetFiles(hostBin).Select(Path.GetFileName));
        var dockerfile = await File.ReadAllTextAsync(Path.Combine(Manifests.DeployDir, "Dockerfile"));
        Assert.Contains("ENTRYPOINT [\"/opt/appswitch/entrypoint.sh\"]", dockerfile);
        Assert.Contains("COPY --from=build /src/out/ /opt/appswitch/", dockerfile);
    }
}
