using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Unmodified HTTP servers on a virtual IP, reached by unmodified clients, all under `ax run`.</summary>
public sealed class HttpThroughVirtualIpTests(ITestOutputHelper output)
{
    private static readonly string[] ServerIp = ["--ip", VirtualIps.Server];
    private static readonly string[] ClientIp = ["--ip", VirtualIps.Client];

    [Fact]
    public async Task Curl_under_ax_gets_200_from_python_http_server_on_a_virtual_ip()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "hello from the virtual ip"));
        var server = node.Shell.StartUnderAx(ServerIp, PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        var status = await node.Shell.RunUnderAxAsync(ClientIp, CurlStatus($"http://{VirtualIps.Server}:80/"));
        Assert.True(status.ExitCode == 0 && status.StdOut == "200", status.Describe() + "\n" + server.Describe());

        var body = await node.Shell.RunUnderAxAsync(ClientIp, CurlBodyAndStatus($"http://{VirtualIps.Server}/index.html"));
        Assert.True(body.ExitCode == 0, body.Describe());
        Assert.Equal("hello from the virtual ip\n200", body.StdOut);
    }

    [Fact]
    public async Task Two_servers_on_one_virtual_ip_both_receive_requests()
    {
        await using var node = await SingleNode.StartAsync(output);
        var rootA = DocumentRoot(node.Network.Temp, "a", ("who", "A"));
        var rootB = DocumentRoot(node.Network.Temp, "b", ("who", "B"));
        var serverA = node.Shell.StartUnderAx(ServerIp, PythonHttpServer(rootA));
        var serverB = node.Shell.StartUnderAx(ServerIp, PythonHttpServer(rootB));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", count: 2);

        // One curl, 40 transfers; http.server speaks HTTP/1.0 and closes, so each is a new connect.
        const int requests = 40;
        string[] curl = ["curl", "-sS", "-w", "\n", .. Enumerable.Repeat($"http://{VirtualIps.Server}/who", requests)];
        var result = await node.Shell.RunUnderAxAsync(ClientIp, curl, TimeSpan.FromSeconds(60));
        Assert.True(result.ExitCode == 0, result.Describe());
        var answers = result.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.Equal(requests, answers.Length);
        var a = answers.Count(x => x == "A");
        var b = answers.Count(x => x == "B");
        Assert.True(a + b == requests && a > 0 && b > 0,
            $"expected both servers to answer: A={a} B={b} of {requests}\n{serverA.Describe()}\n{serverB.Describe()}");
    }

    [Fact]
    public async Task Server_listening_on_ipv6_any_is_reached_by_an_ipv4_client()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "dual stack"));
        var server = node.Shell.StartUnderAx(ServerIp, PythonHttpServer(root, bind: "::"));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        var result = await node.Shell.RunUnderAxAsync(ClientIp, CurlBodyAndStatus($"http://{VirtualIps.Server}:80/"));
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + server.Describe());
        Assert.Equal("dual stack\n200", result.StdOut);
    }

    [Fact]
    public async Task Forking_nginx_with_workers_serves_on_a_virtual_ip()
    {
        await using var node = await SingleNode.StartAsync(output);
        var temp = node.Network.Temp;
        var root = DocumentRoot(temp, "www", ("index.html", "nginx behind a virtual ip"));
        var conf = NginxConfig(temp, root);
        var nginx = node.Shell.StartUnderAx(ServerIp, ["nginx", "-e", Path.Combine(temp.Path, "nginx-error.log"), "-c", conf, "-g", "daemon off;"]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: nginx);

        // Several connections, so that more than one worker (forked after listen) accepts.
        for (var i = 0; i < 4; i++)
        {
            var result = await node.Shell.RunUnderAxAsync(ClientIp, CurlBodyAndStatus($"http://{VirtualIps.Server}/"));
            Assert.True(result.ExitCode == 0, result.Describe() + "\n" + nginx.Describe() + ReadIfExists(Path.Combine(temp.Path, "nginx-error.log")));
            Assert.Equal("nginx behind a virtual ip\n200", result.StdOut);
        }
    }

    [Fact]
    public async Task Static_busybox_httpd_and_wget_work_under_ax()
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "static busybox"));
        var httpd = node.Shell.StartUnderAx(ServerIp, ["busybox", "httpd", "-f", "-p", "80", "-h", root]);
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: httpd);

        var wget = await node.Shell.RunUnderAxAsync(ClientIp, ["busybox", "wget", "-q", "-O", "-", $"http://{VirtualIps.Server}/"]);
        Assert.True(wget.ExitCode == 0, wget.Describe() + "\n" + httpd.Describe());
        Assert.Equal("static busybox", wget.StdOut);
    }

    private static string ReadIfExists(string file) => File.Exists(file) ? "\n--- nginx error log ---\n" + File.ReadAllText(file) : "";
}
