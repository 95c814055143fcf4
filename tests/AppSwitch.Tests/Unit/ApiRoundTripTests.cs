using System.Net;
using System.Net.Sockets;
using AppSwitch.Agent.Api;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Paths;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>The REST endpoints on a Unix socket, read by the CLI: what `ax get` shows is what the table holds.</summary>
public sealed class ApiRoundTripTests : IAsyncLifetime
{
    private readonly string _dir = Path.Combine(Path.GetTempPath(), "ax-api-" + Guid.NewGuid().ToString("N")[..8]);
    private readonly ServiceTable _table = new(new NodeIdentity("node1", "appswitch", IPAddress.Parse("10.77.0.10")));
    private WebApplication? _app;

    public async Task InitializeAsync()
    {
        Directory.CreateDirectory(_dir);
        var builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions());
        builder.WebHost.UseKestrelCore().ConfigureKestrel(k => k.ListenUnixSocket(AdminSocketDirectory.ApiSocket(_dir)));
        builder.Services.AddRoutingCore();
        builder.Services.AddSingleton(_table);
        _app = builder.Build();
        _app.UseMiddleware<ApiErrorMiddleware>();
        _app.MapHealthEndpoint();
        _app.MapTableEndpoints();
        await _app.StartAsync();
    }

    public async Task DisposeAsync()
    {
        if (_app is not null) await _app.DisposeAsync();
        Directory.Delete(_dir, recursive: true);
    }

    private Task<(int Code, string Out, string Err)> Ax(params string[] args) =>
        CliApplicationTests.RunAsync(["--admin-socket-dir", _dir, .. args]);

    [Fact]
    public async Task AppsServersAndSocketsComeThroughTheApi()
    {
        var app = new AppEntry
        {
            Id = "0a1b2c3d", Name = "web", VirtualIp = IPAddress.Parse("198.18.0.1"), Pid = 4242,
            Labels = new Dictionary<string, string> { ["zone"] = "default" }, Command = ["nginx"],
        };
        _table.AddApp(app);
        _table.AddServer(new ServerEntry
        {
            App = app, Transport = Transport.Tcp, Virtual = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 80),
            Node = new IPEndPoint(IPAddress.Parse("10.77.0.10"), 40000), Inode = 77,
        });
        _table.AddSocket(new SocketEntry
        {
            App = app, Inode = 77, Transport = Transport.Tcp, Family = AddressFamily.InterNetwork,
            VirtualLocal = new IPEndPoint(IPAddress.Any, 80), Service = new IPEndPoint(IPAddress.Parse("198.18.0.1"), 80), NodeLocal = new IPEndPoint(IPAddress.Parse("10.77.0.10"), 40000),
            State = SocketState.Listening, Backlog = 511,
        });

        var apps = await Ax("get", "apps");
        Assert.Equal(0, apps.Code);
        Assert.Equal(
            "NAME   APPID      NODEID   CLUSTER     APPIP        DRIVER   LABELS         ZONES\n" +
            "web    0a1b2c3d   node1    appswitch   198.18.0.1   user     zone=default   [zone==default]\n",
            apps.Out);

        var servers = await Ax("get", "server", "-o", "wide");
        Assert.Equal(
            "NODEID   CLUSTER     APPID      PROTO   SERVICEADDR     IPV4ADDR           INODE\n" +
            "node1    appswitch   0a1b2c3d   tcp     198.18.0.1:80   10.77.0.10:40000   77\n",
            servers.Out);

        var sockets = await Ax("get", "sockets", "-o", "json");
        Assert.Contains("\"state\": \"listening\"", sockets.Out);
        Assert.Contains("\"backlog\": 511", sockets.Out);
    }

    [Fact]
    public async Task AnEmptyTableSaysNoResourcesFound()
    {
        var (code, stdout, stderr) = await Ax("get", "apps");
        Assert.Equal(0, code);
        Assert.Equal("", stdout);
        Assert.Equal("No resources found.\n", stderr);
    }

    [Fact]
    public async Task ErrorsAreJson()
    {
        using var http = new HttpClient(new SocketsHttpHandler
        {
            ConnectCallback = async (_, cancel) =>
            {
                var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
                await socket.ConnectAsync(new UnixDomainSocketEndPoint(AdminSocketDirectory.ApiSocket(_dir)), cancel);
                return new NetworkStream(socket, ownsSocket: true);
            },
        })
        { BaseAddress = new Uri("http://agent") };

        Assert.Equal("ok", await http.GetStringAsync("/healthz"));

        var missing = await http.GetAsync("/api/v1/nothing");
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
        Assert.Equal("application/json", missing.Content.Headers.ContentType?.MediaType);
        Assert.Equal("""{"error":"no such resource: /api/v1/nothing"}""", await missing.Content.ReadAsStringAsync());

        var wrongMethod = await http.DeleteAsync("/api/v1/apps");
        Assert.Equal(HttpStatusCode.MethodNotAllowed, wrongMethod.StatusCode);
        Assert.Equal("""{"error":"method not allowed: DELETE /api/v1/apps"}""", await wrongMethod.Content.ReadAsStringAsync());
    }
}
