using System.Buffers.Binary;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// Where the destination of a sendmsg/sendmmsg is, read from the app's struct msghdr / struct mmsghdr (64-bit layout:
/// msg_name at 0, msg_namelen at 8; an mmsghdr is the msghdr and msg_len, 64 bytes). The app's memory is untrusted:
/// every length is bounded here, and what the agent reads is only what decides, never what the kernel then uses.
/// </summary>
internal static class MessageHeaders
{
    /// <summary>msg_name and msg_namelen: the only fields of a msghdr the agent reads.</summary>
    public const int NameFieldsSize = 12;
    /// <summary>sizeof(struct mmsghdr).</summary>
    public const int VectorEntrySize = 64;
    /// <summary>UIO_MAXIOV: sendmmsg sends at most that many messages of a longer vector.</summary>
    public const int MaxVector = 1024;
    /// <summary>sizeof(struct sockaddr_storage): the kernel truncates a longer msg_namelen to it.</summary>
    public const int SockaddrStorageSize = 128;
    /// <summary>The most of a name the agent copies: sockaddr_in6 (what udp(v6)_sendmsg reads of it).</summary>
    public static readonly int MaxNameRead = SockAddr.Inet6Size;

    /// <summary>A destination of the call: where in the app it is and its length as the kernel takes it (clamped to sockaddr_storage).</summary>
    public readonly record struct Name(ulong Pointer, int Length)
    {
        /// <summary>How many bytes of it the agent copies.</summary>
        public int ReadLength => Math.Min(Length, MaxNameRead);
    }

    /// <summary>
    /// The name of one msghdr (its first <see cref="NameFieldsSize"/> bytes at least) as ___sys_sendmsg takes it: none
    /// (null, false) for a NULL msg_name or a zero length; EINVAL for a negative length; EFAULT for fewer bytes than the fields.
    /// </summary>
    public static Errno TryGetName(ReadOnlySpan<byte> header, out Name? name)
    {
        name = null;
        if (header.Length < NameFieldsSize) return Errno.EFAULT;
        var pointer = BinaryPrimitives.ReadUInt64LittleEndian(header);
        var length = BinaryPrimitives.ReadInt32LittleEndian(header[8..]);
        if (pointer == 0) return Errno.None; // the kernel ignores the length then
        if (length < 0) return Errno.EINVAL;
        if (length > 0) name = new Name(pointer, Math.Min(length, SockaddrStorageSize));
        return Errno.None;
    }

    /// <summary>How many mmsghdr entries of a sendmmsg the kernel looks at: vlen, at most <see cref="MaxVector"/>.</summary>
    public static int VectorLength(ulong vlen) => (int)Math.Min((uint)vlen, (uint)MaxVector); // vlen is an unsigned int

    /// <summary>
    /// The distinct names of an mmsghdr vector's first <paramref name="count"/> entries (at most as many as
    /// <paramref name="vector"/> holds), in order, into <paramref name="names"/> (cleared first); up to the first malformed
    /// one, where the kernel stops too (its error). Returns how many entries were looked at.
    /// </summary>
    public static int DistinctNames(ReadOnlySpan<byte> vector, int count, List<Name> names)
    {
        names.Clear();
        count = Math.Clamp(count, 0, Math.Min(MaxVector, vector.Length / VectorEntrySize));
        var seen = new HashSet<Name>();
        for (var i = 0; i < count; i++)
        {
            if (TryGetName(vector.Slice(i * VectorEntrySize, VectorEntrySize), out var name) != Errno.None) return i;
            if (name is { } found && seen.Add(found)) names.Add(found);
        }
        return count;
    }
}
