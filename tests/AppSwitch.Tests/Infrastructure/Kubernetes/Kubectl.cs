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

    public Task<CommandResult> RunAsync(params string[] args) =>
        CommandRunner.RunAsync("kubectl", ["--kubeconfig", _kubeconfig, "--cache-dir", _cacheDir, .. args],
            new Dictionary<string, string> { ["HOME"] = _temp.Path, ["KUBECONFIG"] = _kubeconfig }, Timeout);

    /// <summary>`kubectl apply -f FILE` of the given manifest text (written to a file of the test's directory first).</summary>
    public Task<CommandResult> ApplyAsync(string manifest, params string[] args) =>
        RunAsync(["apply", "-f", _temp.WriteFile($"kubectl/manifest-{Interlocked.Increment(ref _files)}.yaml", manifest), .. args]);
}
