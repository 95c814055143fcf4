using System.Security.Cryptography;
using System.Text;

namespace AppSwitch.Agent.Api.Access;

/// <summary>
/// The REST port's bearer token, read from --api-token-file and read again whenever the file's modification time or
/// size changes (a rotated Secret works without a restart; the old token stops working at once). Tokens are compared
/// as SHA-256 digests in constant time, so neither the content nor the length leaks through timing.
/// </summary>
internal sealed class ApiTokenFile(string path)
{
    private readonly Lock _lock = new();
    private (DateTime Modified, long Length) _seen;
    private byte[]? _digest;

    public string Path => path;

    /// <summary>Checks the file at start-up: a one-line problem, or null when it holds a token.</summary>
    public static string? Explain(string path)
    {
        try
        {
            return Read(path) is null ? $"{path} holds no token (it is empty)" : null;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot read {path}: {e.Message}";
        }
    }

    /// <summary>True when <paramref name="presented"/> is the token the file holds now; false when the file is unreadable.</summary>
    public bool Matches(string presented)
    {
        var expected = Current();
        if (expected is null) return false;
        return CryptographicOperations.FixedTimeEquals(expected, SHA256.HashData(Encoding.UTF8.GetBytes(presented)));
    }

    private byte[]? Current()
    {
        try
        {
            var info = new FileInfo(path);
            var stamp = (info.LastWriteTimeUtc, info.Length);
            lock (_lock)
            {
                if (_digest is null || stamp != _seen)
                {
                    _digest = Read(path) is { } token ? SHA256.HashData(Encoding.UTF8.GetBytes(token)) : null;
                    _seen = stamp;
                }
                return _digest;
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            lock (_lock) _digest = null;
            return null;
        }
    }

    // Editors and `kubectl create secret --from-file` leave a trailing newline: it is not part of the token.
    private static string? Read(string path) => File.ReadAllText(path).Trim() is { Length: > 0 } token ? token : null;
}
