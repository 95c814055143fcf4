using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Https;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// HTTPS on the REST port (--api-cert/--api-key, PEM) and, with --api-client-ca, client certificates: a client whose
/// certificate chains to that CA needs no token. Certificates are optional in the handshake so that probes and
/// token clients still connect; one that is presented but does not chain to the CA fails the handshake.
/// </summary>
internal sealed class RestPortTls(X509Certificate2 server, X509Certificate2Collection? clientCas)
{
    public bool VerifiesClients => clientCas is not null;

    /// <summary>Loads the files; throws <see cref="InvalidOperationException"/> with one line when one is unusable.</summary>
    public static RestPortTls Load(string certFile, string keyFile, string? clientCaFile)
    {
        X509Certificate2 server;
        try
        {
            server = X509Certificate2.CreateFromPemFile(certFile, keyFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException or ArgumentException)
        {
            throw new InvalidOperationException($"cannot load the REST port's certificate {certFile} with key {keyFile}: {e.Message}", e);
        }
        if (clientCaFile is null) return new RestPortTls(server, null);
        var cas = new X509Certificate2Collection();
        try
        {
            cas.ImportFromPemFile(clientCaFile);
        }
        catch (Exception e) when (e is CryptographicException or IOException or UnauthorizedAccessException)
        {
            throw new InvalidOperationException($"cannot load --api-client-ca {clientCaFile}: {e.Message}", e);
        }
        if (cas.Count == 0) throw new InvalidOperationException($"--api-client-ca {clientCaFile} holds no certificate");
        return new RestPortTls(server, cas);
    }

    public HttpsConnectionAdapterOptions Options() => new()
    {
        ServerCertificate = server,
        ClientCertificateMode = clientCas is null ? ClientCertificateMode.NoCertificate : ClientCertificateMode.AllowCertificate,
        ClientCertificateValidation = (certificate, _, _) => ChainsToClientCa(certificate),
        CheckCertificateRevocation = false,
    };

    /// <summary>True when <paramref name="certificate"/> chains to one of the --api-client-ca certificates (only those).</summary>
    public bool ChainsToClientCa(X509Certificate2 certificate)
    {
        if (clientCas is null) return false;
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(clientCas);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.ApplicationPolicy.Add(new Oid("1.3.6.1.5.5.7.3.2")); // clientAuth, when the certificate restricts its use
        return chain.Build(certificate);
    }
}
