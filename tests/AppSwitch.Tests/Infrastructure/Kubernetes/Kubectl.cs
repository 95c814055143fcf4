namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// The real kubectl (/usr/bin/kubectl, Debian package `kubectl`) pointed at the API server stand-in by a kubeconfig of
/// its own: the stand-in's loopback URL, its CA (kubectl verifies the server certificate) and its bearer token. The
/// discovery cache lives in the test's directory, not the user's ~/.kube.
/// </summary>
public sealed class Kubectl
{
    public static readonly TimeSpan Timeout = TimeSpan.FromSeconds(60);

    private readonly string _kubeconfig;
    private readonly string _cacheDir;
    private readonly TempDirectory _temp;
    private int _files;

    public Kubectl(FakeKubeApiServer api, TempDirectory temp)
    {
        _temp = temp;
        var ca = temp.WriteFile("kubectl/ca.pem", api.AuthorityPem);
        _cacheDir = temp.NewSubdirectory("kubectl/cache");
        _kubeconfig = temp.WriteFile("kubectl/config", $$"""
            apiVersion: v1
            kind: Config
            current-context: test
            clusters:
            - name: stand-in
              cluster: {server: "{{api.Url.ToString().TrimEnd('/')}}", certificate-authority: {{ca}}}
            users:
            - name: user
              user: {token: {{api.Token}}}
            contexts:
            - name: test
              context: {cluster: stand-in, user: user, namespace: default}
            """);
    }

    public async Task<CommandResult> RunAsync(params string[] args)
    {
        await SupportedVersion.Value;
        return await CommandRunner.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, "--cache-dir", _cacheDir, .. args],
            new Dictionary<string, string> { ["HOME"] = _temp.Path, ["KUBECONFIG"] = _kubeconfig }, Timeout);
    }

    /// <summary>
    /// The stand-in serves what kubectl 1.27+ reads (OpenAPI v3, server-side field validation); older ones (Debian 12's
    /// kubernetes-client is 1.20) need a protobuf /openapi/v2 and fail with a bare "the server could not find the
    /// requested resource". Say so once instead. Tested with 1.32.4.
    /// </summary>
    private static readonly Lazy<Task> SupportedVersion = new(async () =>
    {
        var version = await CommandRunner.RunAsync("kubectl", ["version", "--client", "-o", "json"]);
        var client = version.ExitCode == 0 ? System.Text.Json.Nodes.JsonNode.Parse(version.StdOut)?["clientVersion"] : null;
        var minor = int.TryParse(((string?)client?["minor"])?.TrimEnd('+'), out var m) ? m : 0;
        if ((string?)client?["major"] != "1" || minor < 27)
            throw new InvalidOperationException($"these tests need kubectl 1.27 or newer (found {(string?)client?["gitVersion"] ?? version.Describe()}); " +
                "install the `kubectl` package from pkgs.k8s.io");
    });

    /// <summary>`kubectl apply -f FILE` of the given manifest text (written to a file of the test's directory first).</summary>
    public Task<CommandResult> ApplyAsync(string manifest, params string[] args) =>
        RunAsync(["apply", "-f", _temp.WriteFile($"kubectl/manifest-{Interlocked.Increment(ref _files)}.yaml", manifest), .. args]);
}
