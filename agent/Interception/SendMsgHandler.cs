using System.Buffers;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.Interception;

/// <summary>
/// sendmsg(fd, msg, flags) and sendmmsg(fd, vec, vlen, flags), trapped only under `ax run --trap-sendmsg` (the filter
/// cannot look into msg_name, so it traps every one). Without a destination (a connected or TCP socket: nearly every
/// call) the call is continued after one 12-byte read of the app's memory, without borrowing the fd. With one, each
/// distinct destination — every one of a sendmmsg vector, since the lock's sendmsg program runs per message and refuses
/// an undecided one — goes through <see cref="AddressedSend"/> as sendto's would, then the kernel runs the call. The
/// agent never sends a sendmsg itself: where the kernel cannot apply a decision the call runs as if it were not trapped.
/// </summary>
internal sealed class SendMsgHandler(AddressedSend sends)
{
    public void Handle(SyscallContext call, bool vector)
    {
        var names = vector ? VectorNames(call) : SingleName(call);
        if (names.Count == 0) { call.Continue(); return; }

        using var sender = sends.Open(call, call.FdArg(0), (int)call.Arg(vector ? 3 : 2));
        if (sender is null) return;
        Span<byte> raw = stackalloc byte[MessageHeaders.MaxNameRead];
        var decided = new HashSet<(UInt128, UInt128)>();
        foreach (var name in names)
        {
            var address = raw[..name.ReadLength];
            // Unreadable: the kernel cannot read it either (EFAULT for that message), or the app mapped it meanwhile and the
            // lock's program refuses a destination nobody decided. Two names holding one address need one decision.
            if (call.ReadMemory(name.Pointer, address).IsError || !decided.Add(Key(address))) continue;
            var step = sends.Decide(call, sender, Errno.None, address, dataLength: null, canCopy: false, out _);
            if (step == AddressedSend.Step.Answered) return;
        }
        call.Continue();
    }

    private static readonly List<MessageHeaders.Name> None = [];

    /// <summary>The name of sendmsg's msghdr: none (continue) or one.</summary>
    private static List<MessageHeaders.Name> SingleName(SyscallContext call)
    {
        Span<byte> fields = stackalloc byte[MessageHeaders.NameFieldsSize];
        // Not checked against pid reuse: what is read here only ever leads to CONTINUE or to reads that are checked.
        if (ProcessAccess.ReadMemory(call.Tid, call.Arg(1), fields).IsError) return None; // the kernel's EFAULT
        // A negative length is the kernel's EINVAL to give.
        return MessageHeaders.TryGetName(fields, out var name) == Errno.None && name is { } found ? [found] : None;
    }

    /// <summary>
    /// The distinct names of sendmmsg's vector (at most <see cref="MessageHeaders.MaxVector"/> entries).
    /// Of a vector that is not readable whole, the entries before the first unreadable one: the kernel sends those, then stops.
    /// </summary>
    private static List<MessageHeaders.Name> VectorNames(SyscallContext call)
    {
        var count = MessageHeaders.VectorLength(call.Arg(2));
        if (count == 0) return None;
        var length = count * MessageHeaders.VectorEntrySize;
        var vector = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            if (ProcessAccess.ReadMemory(call.Tid, call.Arg(1), vector.AsSpan(0, length)).IsError)
            {
                count = ReadablePrefix(call, vector.AsSpan(0, length));
                length = count * MessageHeaders.VectorEntrySize;
            }
            var names = new List<MessageHeaders.Name>();
            MessageHeaders.DistinctNames(vector.AsSpan(0, length), count, names);
            return names;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(vector);
        }
    }

    /// <summary>Reads the entries one by one up to the first unreadable one: how many were read.</summary>
    private static int ReadablePrefix(SyscallContext call, Span<byte> vector)
    {
        var count = 0;
        for (var offset = 0; offset < vector.Length; offset += MessageHeaders.VectorEntrySize, count++)
        {
            var entry = vector.Slice(offset, MessageHeaders.VectorEntrySize);
            if (ProcessAccess.ReadMemory(call.Tid, call.Arg(1) + (ulong)offset, entry).IsError) break;
        }
        return count;
    }

    /// <summary>A sockaddr of up to 32 bytes as a value (zero-padded; the length distinguishes a short one).</summary>
    private static (UInt128, UInt128) Key(ReadOnlySpan<byte> address)
    {
        Span<byte> padded = stackalloc byte[32];
        padded.Clear();
        address.CopyTo(padded);
        padded[31] = (byte)address.Length; // MaxNameRead (28) leaves the last bytes free
        return (System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(padded),
            System.Buffers.Binary.BinaryPrimitives.ReadUInt128LittleEndian(padded[16..]));
    }
}
