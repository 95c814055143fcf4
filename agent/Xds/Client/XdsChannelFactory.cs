using System.Net.Security;
using Grpc.Core;
using Grpc.Net.Client;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// The gRPC channel to istiod: plaintext h2c (15010) or, with a CA file, TLS whose server certificate must chain to
/// that CA alone (15012). The ServiceAccount token goes only over TLS, as `authorization: Bearer`, with `clusterid`.
/// </summary>
public static class XdsChannelFactory
{
    /// <param name="trust">Set exactly when <see cref="XdsSettings.CaCertFile"/> is: it judges istiod's certificate.</param>
    public static GrpcChannel Create(XdsSettings settings, XdsServerTrust? trust)
    {
        var tls = trust is not null;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (tls)
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => trust!.Validate(certificate, errors),
            };
        return GrpcChannel.ForAddress($"{(tls ? "https" : "http")}://{settings.Address}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 * 1024 * 1024, // a mesh's full CDS can be large
        });
    }

    /// <summary>
    /// The call headers: the cluster id and, over TLS only, the token as istio-proxy sends it (`authorization: Bearer`),
    /// re-read at each connect because the kubelet rotates it.
    /// </summary>
    /// <exception cref="XdsTokenException">TLS is on and the token file is missing, unreadable or empty.</exception>
    public static Metadata Headers(XdsSettings settings)
    {
        var headers = new Metadata { { "clusterid", settings.ClusterId } };
        if (settings.CaCertFile is not null) headers.Add("authorization", "Bearer " + ReadToken(settings.TokenFile));
        return headers;
    }

    private static string ReadToken(string file)
    {
        string token;
        try
        {
            token = File.ReadAllText(file).Trim();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var why = e is FileNotFoundException or DirectoryNotFoundException ? "no such file" : e.Message;
            throw new XdsTokenException($"cannot read the ServiceAccount token {file} (--xds-token-file): {why}");
        }
        if (token.Length == 0 || token.Any(char.IsWhiteSpace))
            throw new XdsTokenException($"the ServiceAccount token {file} (--xds-token-file) is empty or not one token");
        return token;
    }
}
