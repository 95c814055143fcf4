using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace AppSwitch.Agent.Kubernetes.Config;

/// <summary>PEM certificates and keys from files or base64 `-data` fields, with errors that name the source.</summary>
internal static class CertificateFiles
{
    public static X509Certificate2Collection LoadAuthorities(string pem, string source)
    {
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(pem);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{source}: not a PEM certificate ({e.Message})", e);
        }
        if (collection.Count == 0) throw new KubeConfigException($"{source}: no PEM certificate in it");
        return collection;
    }

    public static X509Certificate2 LoadClientCertificate(string certificatePem, string keyPem, string source)
    {
        try
        {
            return X509Certificate2.CreateFromPem(certificatePem, keyPem);
        }
        catch (CryptographicException e)
        {
            throw new KubeConfigException($"{source}: client certificate or key unreadable ({e.Message})", e);
        }
    }

    public static string ReadText(string path, string what)
    {
        try
        {
            return File.ReadAllText(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new KubeConfigException($"cannot read {what} {path}: {e.Message}", e);
        }
    }

    public static string DecodeBase64(string data, string what)
    {
        try
        {
            return System.Text.Encoding.UTF8.GetString(Convert.FromBase64String(data));
        }
        catch (FormatException e)
        {
            throw new KubeConfigException($"{what} is not valid base64", e);
        }
    }
}
