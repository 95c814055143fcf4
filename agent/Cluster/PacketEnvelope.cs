using System.Security.Cryptography;
using System.Text;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The envelope around every datagram and TCP frame:
/// <code>
/// plain:     [version=1][kind=0][cluster len u8][cluster][message]
/// encrypted: [version=1][kind=1][nonce 12][AES-GCM([cluster len u8][cluster][message])][tag 16]
/// </code>
/// The first two bytes are the associated data of the encryption. The cluster name is checked after
/// authentication, so a keyless node cannot even learn it. With a keyring (<see cref="UseKeys"/>) the primary key
/// seals and every key is tried on open, primary first: the wire format does not change with rotation.
/// </summary>
internal sealed class PacketEnvelope : IDisposable
{
    public const byte ProtocolVersion = 1;
    private const byte KindPlain = 0, KindEncrypted = 1;
    public const int NonceSize = 12, TagSize = 16, HeaderSize = 2;

    private readonly byte[] _cluster;
    /// <summary>Primary first; null when the cluster is not encrypted. Replaced under the lock (AesGcm is not thread-safe).</summary>
    private AesGcm[]? _ciphers;
    private readonly Lock _aesLock = new();

    public PacketEnvelope(string clusterName, byte[]? key)
    {
        _cluster = Encoding.UTF8.GetBytes(clusterName);
        if (_cluster.Length is 0 or > 255) throw new ArgumentException("cluster name must be 1 to 255 bytes");
        if (key is not null) _ciphers = [new AesGcm(key, TagSize)];
    }

    public bool Encrypted => _ciphers is not null;

    /// <summary>Seals with the first key from now on and opens with any of them. Only for an encrypted envelope:
    /// a cluster does not switch between plain and encrypted while running.</summary>
    public void UseKeys(IReadOnlyList<byte[]> primaryFirst)
    {
        if (_ciphers is null) throw new InvalidOperationException("the envelope is not encrypted");
        if (primaryFirst.Count == 0) throw new ArgumentException("at least one key");
        var next = primaryFirst.Select(k => new AesGcm(k, TagSize)).ToArray();
        AesGcm[] old;
        lock (_aesLock) (old, _ciphers) = (_ciphers, next);
        foreach (var cipher in old) cipher.Dispose();
    }

    /// <summary>Bytes the envelope adds to a message.</summary>
    public int Overhead => HeaderSize + 1 + _cluster.Length + (_ciphers is null ? 0 : NonceSize + TagSize);

    /// <summary>Wraps a message; <paramref name="headroom"/> bytes are left free at the start (a frame length).</summary>
    public byte[] Seal(ReadOnlySpan<byte> message, int headroom = 0)
    {
        int plainLength = 1 + _cluster.Length + message.Length;
        var packet = new byte[headroom + Overhead + message.Length];
        var header = packet.AsSpan(headroom, HeaderSize);
        header[0] = ProtocolVersion;
        if (_ciphers is null)
        {
            header[1] = KindPlain;
            WritePlain(packet.AsSpan(headroom + HeaderSize, plainLength), message);
            return packet;
        }
        header[1] = KindEncrypted;
        var nonce = packet.AsSpan(headroom + HeaderSize, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        var cipher = packet.AsSpan(headroom + HeaderSize + NonceSize, plainLength);
        var tag = packet.AsSpan(headroom + HeaderSize + NonceSize + plainLength, TagSize);
        WritePlain(cipher, message); // encrypted in place
        lock (_aesLock) _ciphers[0].Encrypt(nonce, cipher, cipher, tag, header);
        return packet;
    }

    private void WritePlain(Span<byte> target, ReadOnlySpan<byte> message)
    {
        target[0] = (byte)_cluster.Length;
        _cluster.CopyTo(target[1..]);
        message.CopyTo(target[(1 + _cluster.Length)..]);
    }

    /// <summary>
    /// Checks and unwraps a datagram or frame. On success <paramref name="message"/> is the message bytes (a slice
    /// of <paramref name="packet"/>, or of a new array when decrypted). <paramref name="foreignCluster"/> names the
    /// other cluster on <see cref="OpenStatus.WrongCluster"/>. Never throws on garbage.
    /// </summary>
    public OpenStatus Open(ArraySegment<byte> packet, out ArraySegment<byte> message, out string? foreignCluster)
    {
        message = default;
        foreignCluster = null;
        var span = packet.AsSpan();
        if (span.Length < HeaderSize + 2) return OpenStatus.Malformed;
        if (span[0] != ProtocolVersion) return OpenStatus.UnsupportedVersion;
        ArraySegment<byte> plain;
        switch (span[1])
        {
            case KindPlain:
                if (_ciphers is not null) return OpenStatus.NotEncrypted;
                plain = packet.Slice(HeaderSize);
                break;
            case KindEncrypted:
            {
                if (_ciphers is null) return OpenStatus.KeyMissing;
                int plainLength = span.Length - HeaderSize - NonceSize - TagSize;
                if (plainLength < 2) return OpenStatus.Malformed;
                var buffer = new byte[plainLength];
                if (!TryDecrypt(span, plainLength, buffer)) return OpenStatus.AuthFailed;
                plain = buffer;
                break;
            }
            default: return OpenStatus.Malformed;
        }
        var plainSpan = plain.AsSpan();
        int clusterLength = plainSpan[0];
        if (clusterLength == 0 || 1 + clusterLength >= plainSpan.Length) return OpenStatus.Malformed;
        var cluster = plainSpan.Slice(1, clusterLength);
        if (!cluster.SequenceEqual(_cluster))
        {
            foreignCluster = Encoding.UTF8.GetString(cluster);
            return OpenStatus.WrongCluster;
        }
        message = plain.Slice(1 + clusterLength);
        return OpenStatus.Ok;
    }

    private bool TryDecrypt(ReadOnlySpan<byte> packet, int plainLength, byte[] buffer)
    {
        lock (_aesLock)
        {
            foreach (var cipher in _ciphers!)
            {
                try
                {
                    cipher.Decrypt(packet.Slice(HeaderSize, NonceSize), packet.Slice(HeaderSize + NonceSize, plainLength),
                        packet.Slice(HeaderSize + NonceSize + plainLength, TagSize), buffer, packet[..HeaderSize]);
                    return true;
                }
                catch (CryptographicException) { } // another key of the ring may have sealed it
            }
        }
        return false;
    }

    public void Dispose()
    {
        lock (_aesLock)
            foreach (var cipher in _ciphers ?? []) cipher.Dispose();
    }
}
