using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>The HTTP clients relay tests run under `ax run` in a node: curl and a python script; a non-zero exit fails the test.</summary>
public static class RelayClients
{
    public static async Task<string> CurlAsync(SingleNode node, params string[] args)
    {
        var result = await node.Shell.RunUnderAxAsync([], ["curl", "-sS", "--max-time", "60", .. args], TimeSpan.FromSeconds(90));
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut;
    }

    public static async Task<string> PythonAsync(SingleNode node, string script, params string[] args)
    {
        var result = await node.Shell.RunUnderAxAsync([], ["python3", "-c", script, .. args], TimeSpan.FromSeconds(120));
        Assert.True(result.ExitCode == 0, result.Describe());
        return result.StdOut;
    }
}
