using AppSwitch.Tests.Infrastructure;
using Xunit;
using Xunit.Abstractions;
using static AppSwitch.Tests.Infrastructure.RealPrograms;

namespace AppSwitch.Tests.Integration;

/// <summary>Clients that connect with non-blocking sockets (EINPROGRESS, then poll) reach a virtual IP.</summary>
public sealed class NonBlockingClientTests(ITestOutputHelper output)
{
    private const string NodeClient = """
        const http = require('http');
        http.get({ host: process.argv[1], port: 80, path: '/' }, res => {
            let body = '';
            res.on('data', d => body += d);
            res.on('end', () => { console.log(res.statusCode + ' ' + body); process.exit(0); });
        }).on('error', e => { console.log('error ' + e.code); process.exit(1); });
        """;

    private const string PythonAsyncioClient = """
        import asyncio, sys
        async def main(host):
            reader, writer = await asyncio.open_connection(host, 80)
            writer.write(b"GET / HTTP/1.0\r\nHost: " + host.encode() + b"\r\n\r\n")
            await writer.drain()
            data = await reader.read()
            writer.close()
            head, _, body = data.partition(b"\r\n\r\n")
            print(head.split(b"\r\n")[0].split(b" ")[1].decode(), body.decode())
        asyncio.run(main(sys.argv[1]))
        """;

    [Fact]
    public async Task Nodejs_http_get_gets_200() =>
        await AssertClientGets200(["node", "-e", NodeClient, VirtualIps.Server]);

    [Fact]
    public async Task Python_asyncio_client_gets_200() =>
        await AssertClientGets200(["python3", "-c", PythonAsyncioClient, VirtualIps.Server]);

    private async Task AssertClientGets200(string[] client)
    {
        await using var node = await SingleNode.StartAsync(output);
        var root = DocumentRoot(node.Network.Temp, "www", ("index.html", "non-blocking"));
        var server = node.Shell.StartUnderAx(["--ip", VirtualIps.Server], PythonHttpServer(root));
        await node.Shell.WaitForServerAsync($"{VirtualIps.Server}:80", server: server);

        var result = await node.Shell.RunUnderAxAsync(["--ip", VirtualIps.Client], client);
        Assert.True(result.ExitCode == 0, result.Describe() + "\n" + server.Describe());
        Assert.Equal("200 non-blocking", result.StdOut.Trim());
    }
}
