using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using AppSwitch.Agent.Kubernetes.Connection;
using k8s;
using AppSwitch.Tests.Infrastructure;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>Where the agent finds its API server: the pod's ServiceAccount files, a kubeconfig, or flags — and the errors when it cannot.</summary>
public sealed class KubeConnectionTests(Xunit.Abstractions.ITestOutputHelper output) : IAsyncLifetime
{
    private readonly TempDirectory _dir = new();
    private FakeKubeApiServer _server = null!;

    public async Task InitializeAsync() => _server = await FakeKubeApiServer.StartAsync();

    public async Task DisposeAsync()
    {
        await _server.DisposeAsync();
        _dir.Dispose();
    }

    private string ServiceAccountDir(string token, bool withCa = true)
    {
        var dir = _dir.NewSubdirectory("serviceaccount-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(Path.Combine(dir, "token"), token + "\n");
        File.WriteAllText(Path.Combine(dir, "namespace"), "kube-system");
        if (withCa) File.WriteAllText(Path.Combine(dir, "ca.crt"), _server.AuthorityPem);
        return dir;
    }

    private Dictionary<string, string> PodEnvironment() => new()
    {
        ["KUBERNETES_SERVICE_HOST"] = "127.0.0.1",
        ["KUBERNETES_SERVICE_PORT"] = _server.Url.Port.ToString(),
    };

    [Fact]
    public async Task In_cluster_settings_reach_the_api_server_with_the_service_account_token_and_ca()
    {
        _server.Put(KubeObjects.Pods, KubeObjects.Pod("a", "10.1.0.1", null));
        var connection = InClusterConfig.Load(PodEnvironment(), ServiceAccountDir(_server.Token));

        Assert.Equal(new Uri($"https://127.0.0.1:{_server.Url.Port}"), connection.Server);
        Assert.Equal("kube-system", connection.Namespace);
        using var client = connection.CreateClient();
        var pods = await client.CoreV1.ListNamespacedPodAsync("default");
        Assert.Equal("a", pods.Items.Single().Metadata.Name);
    }

    [Fact]
    public async Task A_rotated_service_account_token_is_picked_up_from_the_file()
    {
        var dir = ServiceAccountDir(_server.Token);
        using var client = InClusterConfig.Load(PodEnvironment(), dir).CreateClient();
        await client.CoreV1.ListNamespacedPodAsync("default");

        _server.Token = "rotated-token";
        File.WriteAllText(Path.Combine(dir, "token"), "rotated-token");
        File.SetLastWriteTimeUtc(Path.Combine(dir, "token"), DateTime.UtcNow.AddSeconds(5));

        await client.CoreV1.ListNamespacedPodAsync("default");
        Assert.Equal(["fake-token", "rotated-token"], _server.Tokens("list", KubeObjects.Pods));
    }

    [Fact]
    public void In_cluster_without_a_token_file_says_which_file_is_missing()
    {
        var dir = _dir.NewSubdirectory("empty-sa");
        var error = Assert.Throws<KubeConnectionException>(() => InClusterConfig.Load(PodEnvironment(), dir));
        Assert.Equal($"in-cluster token {dir}/token is missing (is automountServiceAccountToken off?)", error.Message);
    }

    [Fact]
    public void In_cluster_brackets_an_ipv6_service_host()
    {
        var environment = new Dictionary<string, string> { ["KUBERNETES_SERVICE_HOST"] = "fd00::1", ["KUBERNETES_SERVICE_PORT"] = "6443" };
        Assert.Equal("https://[fd00::1]:6443/", InClusterConfig.Load(environment, ServiceAccountDir("t")).Server.ToString());
    }

    [Fact]
    public async Task A_kubeconfig_current_context_with_a_ca_file_relative_to_it_works()
    {
        var dir = _dir.NewSubdirectory("kube");
        File.WriteAllText(Path.Combine(dir, "ca.pem"), _server.AuthorityPem);
        var path = Path.Combine(dir, "config");
        File.WriteAllText(path, $$"""
            apiVersion: v1
            kind: Config
            preferences: {}
            current-context: dev
            clusters:
            - name: other
              cluster: {server: https://192.0.2.1:6443}
            - name: local
              cluster:
                server: {{_server.Url}}
                certificate-authority: ca.pem
            users:
            - name: agent
              user:
                token: {{_server.Token}}
            contexts:
            - name: prod
              context: {cluster: other, user: agent}
            - name: dev
              context:
                cluster: local
                user: agent
                namespace: team-a
            """);

        var connection = KubeConnectionResolver.LoadKubeconfig(path);

        Assert.Equal("team-a", connection.Namespace);
        Assert.Equal($"kubeconfig {path} (context dev)", connection.Source);
        using var client = connection.CreateClient();
        Assert.Empty((await client.CoreV1.ListNamespacedServiceAsync("default")).Items);
        Assert.Equal([_server.Token], _server.Tokens("list", KubeObjects.Services));
    }

    [Fact]
    public async Task A_kubeconfig_with_inline_data_gives_the_ca_client_certificate_and_token()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        using var clientCert = new CertificateRequest("CN=system:node:node-1", key, HashAlgorithmName.SHA256)
            .CreateSelfSigned(DateTimeOffset.UtcNow.AddDays(-1), DateTimeOffset.UtcNow.AddDays(1));
        static string B64(string text) => Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes(text));
        var path = Path.Combine(_dir.Path, "inline.yaml");
        File.WriteAllText(path, $$"""
            current-context: c
            clusters: [{name: k, cluster: {server: "{{_server.Url}}", certificate-authority-data: {{B64(_server.AuthorityPem)}} } }]
            users: [{name: u, user: {token: abc, client-certificate-data: {{B64(clientCert.ExportCertificatePem())}}, client-key-data: {{B64(key.ExportPkcs8PrivateKeyPem())}} } }]
            contexts: [{name: c, context: {cluster: k, user: u} }]
            """);

        var connection = KubeConnectionResolver.LoadKubeconfig(path);

        Assert.Equal("abc", connection.Configuration.AccessToken);
        Assert.Equal("CN=fake-kube-ca", connection.Configuration.SslCaCerts!.Single().Subject);
        Assert.Equal(B64(clientCert.ExportCertificatePem()), connection.Configuration.ClientCertificateData);
        Assert.Equal(B64(key.ExportPkcs8PrivateKeyPem()), connection.Configuration.ClientCertificateKeyData);
        Assert.False(connection.Configuration.SkipTlsVerify);
        _server.Token = "abc";
        using var client = connection.CreateClient();
        Assert.Empty((await client.CoreV1.ListNamespacedPodAsync("default")).Items);
    }

    [Theory]
    // The texts after the path are KubernetesClient's own.
    [InlineData("current-context: nope\ncontexts: []\n", "CurrentContext: nope not found in contexts")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: []\n", "Cluster not found for context")]
    [InlineData("current-context: c\ncontexts: [{name: c, context: {cluster: k, user: u}}]\nclusters: [{name: k, cluster: {server: 'https://127.0.0.1:1'}}]\n" +
                "users: [{name: u, user: {tokenFile: token}}]\n", "User: u does not have appropriate auth credentials")]
    [InlineData("current-context: [\n", "not valid YAML at line 2")]
    public void A_broken_kubeconfig_is_explained(string yaml, string expected)
    {
        var path = Path.Combine(_dir.Path, "broken-" + Guid.NewGuid().ToString("N")[..6]);
        File.WriteAllText(path, yaml);
        var error = Assert.Throws<KubeConnectionException>(() => KubeConnectionResolver.LoadKubeconfig(path));
        output.WriteLine(error.Message);
        Assert.StartsWith($"kubeconfig {path}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void Url_and_token_flags_override_the_in_cluster_server_and_token_but_keep_its_ca()
    {
        var environment = PodEnvironment();
        var connection = KubeConnectionResolver.Resolve(new KubeSettings { Url = "https://10.0.0.5:6443", Token = "flag-token" },
            environment, ServiceAccountDir("pod-token"));

        Assert.Equal(new Uri("https://10.0.0.5:6443"), connection.Server);
        Assert.Equal("flag-token", connection.Configuration.AccessToken);
        Assert.Null(connection.Configuration.TokenProvider);
        Assert.NotNull(connection.Configuration.SslCaCerts);
    }

    [Fact]
    public void KUBECONFIG_is_used_when_no_flag_names_a_kubeconfig_and_wins_over_in_cluster()
    {
        var path = Path.Combine(_dir.Path, "from-env");
        File.WriteAllText(path, "current-context: c\ncontexts: [{name: c, context: {cluster: k}}]\nclusters: [{name: k, cluster: {server: 'https://127.0.0.1:1234', insecure-skip-tls-verify: true}}]\n");
        var environment = PodEnvironment();
        environment["KUBECONFIG"] = $"/nonexistent/config:{path}";

        var connection = KubeConnectionResolver.Resolve(new KubeSettings(), environment, ServiceAccountDir("t"));

        Assert.Equal(new Uri("https://127.0.0.1:1234"), connection.Server);
        Assert.True(connection.Configuration.SkipTlsVerify);
    }

    [Fact]
    public void Outside_a_pod_with_no_settings_the_error_says_what_to_give()
    {
        var error = Assert.Throws<KubeConnectionException>(() => KubeConnectionResolver.Resolve(new KubeSettings(), new Dictionary<string, string>()));
        Assert.Equal("no Kubernetes API server: not in a pod (KUBERNETES_SERVICE_HOST unset) and neither --kubeconfig, KUBECONFIG nor --kubernetes-url given",
            error.Message);
        Assert.Equal("--kubernetes-url 'localhost:8080' is not an http(s) URL",
            Assert.Throws<KubeConnectionException>(() => KubeConnectionResolver.Resolve(new KubeSettings { Url = "localhost:8080" }, new Dictionary<string, string>())).Message);
    }
}
