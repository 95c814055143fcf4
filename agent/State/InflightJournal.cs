using System.IO.MemoryMappedFiles;
using System.Text;
using AppSwitch.Agent.Native;

namespace AppSwitch.Agent.State;

/// <summary>
/// The calls the agent is handling right now, in a memory-mapped file (&lt;socket-dir&gt;/inflight.journal).
/// A call the agent received but had not answered when it was killed would otherwise hang its thread forever:
/// the kernel never hands a received notification out again. Stores into a shared mapping outlive the process
/// (they are in the page cache), so the next agent finds such calls here and finishes them. Recording costs a
/// few memory stores per call.
/// </summary>
internal sealed unsafe class InflightJournal : IDisposable
{
    public const int SlotCount = 1024;
    private const int SlotSize = 128; // id 8, app 8, tid 4, nr 4, arch 4, pad 4, args 48
    private readonly MemoryMappedFile _file;
    private readonly MemoryMappedViewAccessor _view;
    private readonly byte* _base;
    private readonly Stack<int> _free = new();
    private readonly Lock _lock = new();

    public readonly record struct Entry(string AppId, Seccomp.Notification Notification);

    public InflightJournal(string socketDir)
    {
        Path = System.IO.Path.Combine(socketDir, "inflight.journal");
        _file = MemoryMappedFile.CreateFromFile(Path, FileMode.OpenOrCreate, null, SlotCount * SlotSize, MemoryMappedFileAccess.ReadWrite);
        _view = _file.CreateViewAccessor(0, SlotCount * SlotSize);
        byte* p = null;
        _view.SafeMemoryMappedViewHandle.AcquirePointer(ref p);
        _base = p + _view.PointerOffset;
        for (var i = SlotCount - 1; i >= 0; i--) _free.Push(i);
    }

    public string Path { get; }

    /// <summary>Every call recorded by the previous agent (read before the first <see cref="ClearAll"/>).</summary>
    public List<Entry> ReadAll()
    {
        var entries = new List<Entry>();
        for (var i = 0; i < SlotCount; i++)
        {
            var slot = _base + i * SlotSize;
            var id = Volatile.Read(ref *(ulong*)slot);
            if (id == 0) continue;
            var n = new Seccomp.Notification { Id = id, Pid = *(uint*)(slot + 16), Nr = *(int*)(slot + 20), Arch = *(uint*)(slot + 24) };
            for (var a = 0; a < 6; a++) n.Args[a] = *(ulong*)(slot + 32 + 8 * a);
            entries.Add(new Entry(Encoding.ASCII.GetString(slot + 8, 8).TrimEnd('\0'), n));
        }
        return entries;
    }

    public void ClearAll() => new Span<byte>(_base, SlotCount * SlotSize).Clear();

    /// <summary>A slot for one call at a time; -1 when all are taken (the call is then simply not journaled).</summary>
    public int Acquire()
    {
        lock (_lock) return _free.Count > 0 ? _free.Pop() : -1;
    }

    public void Release(int slot)
    {
        if (slot < 0) return;
        Clear(slot);
        lock (_lock) _free.Push(slot);
    }

    public void Record(int slot, string appId, in Seccomp.Notification n)
    {
        if (slot < 0) return;
        var p = _base + slot * SlotSize;
        *(ulong*)p = 0;
        var app = new Span<byte>(p + 8, 8);
        app.Clear();
        Encoding.ASCII.GetBytes(appId.AsSpan(0, Math.Min(8, appId.Length)), app);
        *(uint*)(p + 16) = n.Pid;
        *(int*)(p + 20) = n.Nr;
        *(uint*)(p + 24) = n.Arch;
        for (var a = 0; a < 6; a++) *(ulong*)(p + 32 + 8 * a) = n.Args[a];
        Volatile.Write(ref *(ulong*)p, n.Id); // the id last: a slot with an id is complete
    }

    public void Clear(int slot)
    {
        if (slot >= 0) Volatile.Write(ref *(ulong*)(_base + slot * SlotSize), 0UL);
    }

    public void Dispose()
    {
        _view.SafeMemoryMappedViewHandle.ReleasePointer();
        _view.Dispose();
        _file.Dispose();
    }
}
