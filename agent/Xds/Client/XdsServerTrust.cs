using System.Net.Security;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AppSwitch.Agent.Xds.Client;

/// <summary>
/// Decides whether istiod's TLS certificate is trusted: it must chain to the roots in --xds-ca-cert alone (not the
/// system store) and name the host dialled. The CA file is read at every handshake, so a rotated Istio root is picked
/// up on the next reconnect. A refusal is kept as one precise sentence for the log and `ax get xds`.
/// </summary>
public sealed class XdsServerTrust(string caCertFile)
{
    /// <summary>Why the last handshake was refused; null after one that was accepted.</summary>
    public string? LastRefusal { get; private set; }

    /// <summary>Called before each connect attempt: a refusal belongs to the attempt that saw it.</summary>
    public void Forget() => LastRefusal = null;

    public bool Validate(X509Certificate? certificate, SslPolicyErrors errors)
    {
        LastRefusal = Refusal(certificate, errors);
        return LastRefusal is null;
    }

    private string? Refusal(X509Certificate? presented, SslPolicyErrors errors)
    {
        if (presented is null) return "TLS: istiod presented no certificate";
        using var certificate = X509CertificateLoader.LoadCertificate(presented.GetRawCertData());
        var who = $"istiod's certificate ({certificate.Subject}, issued by {certificate.Issuer})";
        if (errors.HasFlag(SslPolicyErrors.RemoteCertificateNameMismatch))
            return $"TLS: {who} does not name the host dialled";
        var roots = new X509Certificate2Collection();
        try
        {
            roots.ImportFromPemFile(caCertFile);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or CryptographicException)
        {
            return $"TLS: cannot read the CA file {caCertFile} (--xds-ca-cert): {e.Message}";
        }
        if (roots.Count == 0) return $"TLS: the CA file {caCertFile} (--xds-ca-cert) holds no PEM certificate";
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.CustomTrustStore.AddRange(roots);
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        if (chain.Build(certificate)) return null;
        var status = string.Join(", ", chain.ChainStatus.Select(s => s.Status).Distinct());
        return $"TLS: {who} does not chain to the CA in {caCertFile} (--xds-ca-cert): {status}";
    }
}
