using System.Buffers.Binary;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Native;
using FsCheck;
using FsCheck.Fluent;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>
/// The msghdr/mmsghdr reader of `ax run --trap-sendmsg` (<see cref="MessageHeaders"/>): the app's memory is untrusted, so
/// garbage of any length gives bounded names, never an exception; well-formed headers give what the kernel takes.
/// </summary>
public class MessageHeadersTests
{
    private static readonly Config Runs = Config.QuickThrowOnFailure.WithMaxTest(2000);
    private static readonly Gen<byte[]> Garbage =
        Gen.Choose(0, 3 * MessageHeaders.VectorEntrySize + 7).SelectMany(n => Gen.Choose(0, 255).Select(b => (byte)b).ArrayOf(n));

    private static byte[] Header(ulong pointer, int length)
    {
        var header = new byte[MessageHeaders.VectorEntrySize];
        BinaryPrimitives.WriteUInt64LittleEndian(header, pointer);
        BinaryPrimitives.WriteInt32LittleEndian(header.AsSpan(8), length);
        return header;
    }

    [Fact]
    public void Garbage_gives_bounded_names_or_an_error_never_an_exception()
    {
        Check.One(Runs, Prop.ForAll(Garbage.ToArbitrary(), Gen.Choose(-5, 5000).ToArbitrary(), (bytes, count) =>
        {
            var error = MessageHeaders.TryGetName(bytes, out var name);
            Assert.True(error is Errno.None or Errno.EINVAL or Errno.EFAULT);
            Assert.True(name is null || name.Value.Pointer != 0 && name.Value.Length is > 0 and <= MessageHeaders.SockaddrStorageSize
                && name.Value.ReadLength <= MessageHeaders.MaxNameRead);
            var names = new List<MessageHeaders.Name> { new(1, 1) };
            var looked = MessageHeaders.DistinctNames(bytes, count, names);
            Assert.InRange(looked, 0, Math.Min(bytes.Length / MessageHeaders.VectorEntrySize, MessageHeaders.MaxVector));
            Assert.True(names.Count <= looked && names.Distinct().Count() == names.Count);
            Assert.All(names, n => Assert.True(n.Pointer != 0 && n.Length is > 0 and <= MessageHeaders.SockaddrStorageSize));
        }));
    }

    [Theory]
    [InlineData(0UL, 16, null)] // msg_name NULL: no destination, whatever the length
    [InlineData(0UL, -1, null)]
    [InlineData(0x7000UL, 0, null)] // a zero length: the kernel ignores the pointer
    [InlineData(0x7000UL, 16, 16)]
    [InlineData(0x7000UL, 28, 28)]
    [InlineData(0x7000UL, 4096, 128)] // truncated to sockaddr_storage, as ___sys_sendmsg does
    public void A_header_gives_the_name_the_kernel_takes(ulong pointer, int length, int? expected)
    {
        Assert.Equal(Errno.None, MessageHeaders.TryGetName(Header(pointer, length), out var name));
        Assert.Equal(expected, name?.Length);
        if (name is { } found) Assert.Equal(Math.Min(expected!.Value, 28), found.ReadLength);
    }

    [Fact]
    public void A_negative_length_and_a_short_header_are_errors()
    {
        Assert.Equal(Errno.EINVAL, MessageHeaders.TryGetName(Header(0x7000, -1), out _));
        Assert.Equal(Errno.EFAULT, MessageHeaders.TryGetName(new byte[MessageHeaders.NameFieldsSize - 1], out _));
    }

    [Fact]
    public void A_vector_gives_each_distinct_name_once_and_stops_at_a_malformed_entry()
    {
        byte[] vector = [.. Header(0x7000, 16), .. Header(0, 0), .. Header(0x7000, 16), .. Header(0x8000, 16), .. Header(0x9000, -3),
            .. Header(0xa000, 16)];
        var names = new List<MessageHeaders.Name>();
        Assert.Equal(4, MessageHeaders.DistinctNames(vector, 6, names));
        Assert.Equal([new(0x7000, 16), new(0x8000, 16)], names);
        Assert.Equal(2, MessageHeaders.DistinctNames(vector, 2, names)); // vlen bounds it
        Assert.Equal([new(0x7000, 16)], names);
        // The buffer bounds it too: three whole entries and a part of the fourth.
        Assert.Equal(3, MessageHeaders.DistinctNames(vector.AsSpan(0, 3 * MessageHeaders.VectorEntrySize + 5), 100_000, names));
    }

    [Theory]
    [InlineData(0UL, 0)]
    [InlineData(2UL, 2)]
    [InlineData(1024UL, 1024)]
    [InlineData(1025UL, 1024)]
    [InlineData(0xffff_ffffUL, 1024)]
    [InlineData(0x1_0000_0002UL, 2)] // vlen is an unsigned int: the register's high half is not part of it
    public void The_vector_length_is_bounded_like_the_kernels(ulong vlen, int expected) =>
        Assert.Equal(expected, MessageHeaders.VectorLength(vlen));
}
