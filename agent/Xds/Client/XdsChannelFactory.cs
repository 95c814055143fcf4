using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Grpc.Core;
using Grpc.Net.Client;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// The gRPC channel to istiod: plaintext h2c (15010) or, with a CA file, TLS whose server certificate must chain to
/// that CA alone (15012). The ServiceAccount token goes only over TLS, as `authorization: Bearer`, with `clusterid`.
/// </summary>
public static class XdsChannelFactory
{
    public static GrpcChannel Create(XdsSettings settings)
    {
        var tls = settings.CaCertFile is not null;
        var handler = new SocketsHttpHandler { EnableMultipleHttp2Connections = false, ConnectTimeout = TimeSpan.FromSeconds(10) };
        if (tls)
        {
            var roots = new X509Certificate2Collection();
            roots.ImportFromPemFile(settings.CaCertFile!);
            handler.SslOptions = new SslClientAuthenticationOptions
            {
                RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(certificate, errors, roots),
            };
        }
        return GrpcChannel.ForAddress($"{(tls ? "https" : "http")}://{settings.Address}", new GrpcChannelOptions
        {
            HttpHandler = handler,
            MaxReceiveMessageSize = 64 * 1024 * 1024, // a mesh's full CDS can be large
        });
    }

    /// <summary>The call headers: the token (re-read each connect: it is rotated) over TLS only, and the cluster id.</summary>
    public static Metadata Headers(XdsSettings settings)
    {
        var headers = new Metadata { { "clusterid", settings.ClusterId } };
        if (settings.CaCertFile is not null && File.Exists(settings.TokenFile))
            headers.Add("authorization", "Bearer " + File.ReadAllText(settings.TokenFile).Trim());
        return headers;
    }

    private static bool ChainsTo(X509Certificate? certificate, SslPolicyErrors errors, X509Certificate2Collection roots)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
