using AppSwitch.Agent.Native;
using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// Maps made only so that a program under test can name them (the verifier checks their key and value sizes), closed
/// on Dispose; <see cref="AssertVerifierAccepts"/> loads a program and closes it again.
/// </summary>
public sealed class ScratchBpfMaps : IDisposable
{
    private readonly List<int> _fds = [];

    public int Create(int type, int keySize, int valueSize, int maxEntries, string name)
    {
        var fd = Bpf.CreateMap(type, keySize, valueSize, maxEntries, name).Fd;
        _fds.Add(fd);
        return fd;
    }

    /// <summary>The kernel loads the program (else the assertion shows the verifier's log).</summary>
    public static void AssertVerifierAccepts(int progType, int attachType, byte[] program, string name)
    {
        var fd = Bpf.LoadProgram(progType, attachType, program, name, out var log);
        Assert.True(!fd.IsError, $"{name} (attach type {attachType}): {fd.Error}\n{log}");
        Libc.Close(fd.Fd);
    }

    public void Dispose()
    {
        foreach (var fd in _fds) Libc.Close(fd);
    }
}
