using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using AppSwitch.Agent.Kubernetes.Config;

namespace AppSwitch.Agent.Kubernetes.Client;

/// <summary>The TLS side of a connection: trust the configured CA only (or nothing when insecure), present the client certificate.</summary>
internal static class KubeHttpHandler
{
    public static SocketsHttpHandler Create(KubeConnection connection)
    {
        var handler = new SocketsHttpHandler
        {
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(1),
            ConnectTimeout = TimeSpan.FromSeconds(10),
            // Keep-alive pings notice a dead API server behind a silent watch.
            KeepAlivePingDelay = TimeSpan.FromSeconds(30),
            KeepAlivePingTimeout = TimeSpan.FromSeconds(10),
        };
        if (connection.ClientCertificate is { } client)
            handler.SslOptions.ClientCertificates = new X509CertificateCollection { client };
        if (connection.InsecureSkipTlsVerify)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        else if (connection.CertificateAuthorities is { } roots)
            handler.SslOptions.RemoteCertificateValidationCallback = (_, certificate, _, errors) => ChainsTo(roots, certificate, errors);
        return handler;
    }

    private static bool ChainsTo(X509Certificate2Collection roots, X509Certificate? certificate, SslPolicyErrors errors)
    {
        if (certificate is null || errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch)) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        return chain.Build(certificate as X509Certificate2 ?? X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
    }
}
