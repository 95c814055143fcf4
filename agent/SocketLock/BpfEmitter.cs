namespace AppSwitch.Agent.SocketLock;

/// <summary>
/// A tiny eBPF assembler: the few instruction forms the socket lock's programs use, with named labels for forward
/// jumps. Encoding as in the kernel's Documentation/bpf/standardization/instruction-set.rst (8 bytes per slot:
/// opcode, dst|src&lt;&lt;4, 16-bit offset, 32-bit immediate; a 64-bit immediate load takes two slots).
/// </summary>
internal sealed class BpfEmitter
{
    public const int R0 = 0, R1 = 1, R2 = 2, R3 = 3, R4 = 4, R5 = 5, R6 = 6, R7 = 7, R10 = 10;

    public enum Size : byte { Word = 0x00, Half = 0x08, Byte = 0x10, Double = 0x18 }

    private const byte ClassLd = 0x00, ClassLdx = 0x01, ClassSt = 0x02, ClassStx = 0x03, ClassJmp = 0x05, ClassAlu64 = 0x07;
    private const byte ModeImm = 0x00, ModeMem = 0x60;
    private const byte SourceK = 0x00, SourceX = 0x08;
    private const byte OpAdd = 0x00, OpOr = 0x40, OpAnd = 0x50, OpRsh = 0x70, OpMov = 0xb0, OpJeq = 0x10, OpJgt = 0x20, OpJne = 0x50,
        OpCall = 0x80, OpExit = 0x90;
    private const byte PseudoMapFd = 1;

    private readonly List<(byte Op, byte Regs, short Off, int Imm)> _slots = [];
    private readonly Dictionary<string, int> _labels = [];
    private readonly List<(int Slot, string Label)> _jumps = [];

    public void MovReg(int dst, int src) => Emit(ClassAlu64 | OpMov | SourceX, dst, src, 0, 0);
    public void MovImm(int dst, int imm) => Emit(ClassAlu64 | OpMov | SourceK, dst, 0, 0, imm);
    public void AddImm(int dst, int imm) => Emit(ClassAlu64 | OpAdd | SourceK, dst, 0, 0, imm);
    public void OrImm(int dst, int imm) => Emit(ClassAlu64 | OpOr | SourceK, dst, 0, 0, imm);
    public void AndImm(int dst, int imm) => Emit(ClassAlu64 | OpAnd | SourceK, dst, 0, 0, imm);
    /// <summary>dst &gt;&gt;= imm (logical).</summary>
    public void RshImm(int dst, int imm) => Emit(ClassAlu64 | OpRsh | SourceK, dst, 0, 0, imm);

    /// <summary>dst = 64-bit constant (two slots).</summary>
    public void LoadImm64(int dst, ulong value) => LoadImm64(dst, 0, value);

    /// <summary>dst = the map whose fd is <paramref name="mapFd"/> (the verifier turns the fd into the map).</summary>
    public void LoadMap(int dst, int mapFd) => LoadImm64(dst, PseudoMapFd, (uint)mapFd);

    /// <summary>dst = *(size*)(src + off).</summary>
    public void Load(Size size, int dst, int src, short off) => Emit((byte)(ClassLdx | ModeMem | (byte)size), dst, src, off, 0);

    /// <summary>*(size*)(dst + off) = src.</summary>
    public void Store(Size size, int dst, short off, int src) => Emit((byte)(ClassStx | ModeMem | (byte)size), dst, src, off, 0);

    /// <summary>*(size*)(dst + off) = imm.</summary>
    public void StoreImm(Size size, int dst, short off, int imm) => Emit((byte)(ClassSt | ModeMem | (byte)size), dst, 0, off, imm);

    public void Call(int helper) => Emit(ClassJmp | OpCall, 0, 0, 0, helper);
    public void Exit() => Emit(ClassJmp | OpExit, 0, 0, 0, 0);

    /// <summary>r0 = value; exit.</summary>
    public void Return(int value)
    {
        MovImm(R0, value);
        Exit();
    }

    public void JumpAlways(string label) => Jump(ClassJmp, 0, 0, 0, label); // BPF_JA
    public void JumpIfEqual(int dst, int src, string label) => Jump(ClassJmp | OpJeq | SourceX, dst, src, 0, label);
    public void JumpIfNotEqual(int dst, int src, string label) => Jump(ClassJmp | OpJne | SourceX, dst, src, 0, label);
    /// <summary>Jumps when dst &gt; src (unsigned): the bounds check of direct packet access.</summary>
    public void JumpIfGreater(int dst, int src, string label) => Jump(ClassJmp | OpJgt | SourceX, dst, src, 0, label);
    public void JumpIfNotEqualImm(int dst, int imm, string label) => Jump(ClassJmp | OpJne | SourceK, dst, 0, imm, label);
    public void JumpIfEqualImm(int dst, int imm, string label) => Jump(ClassJmp | OpJeq | SourceK, dst, 0, imm, label);

    /// <summary>Places <paramref name="label"/> at the next instruction.</summary>
    public void Label(string label) => _labels.Add(label, _slots.Count);

    /// <summary>The program as the kernel takes it; every jump resolved.</summary>
    public byte[] ToBytes()
    {
        foreach (var (slot, label) in _jumps)
        {
            if (!_labels.TryGetValue(label, out var target))
                throw new InvalidOperationException($"BPF label {label} is never placed");
            _slots[slot] = _slots[slot] with { Off = checked((short)(target - slot - 1)) };
        }
        var bytes = new byte[_slots.Count * 8];
        for (var i = 0; i < _slots.Count; i++)
        {
            var (op, regs, off, imm) = _slots[i];
            bytes[i * 8] = op;
            bytes[i * 8 + 1] = regs;
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8 + 2), off);
            BitConverter.TryWriteBytes(bytes.AsSpan(i * 8 + 4), imm);
        }
        return bytes;
    }

    private void LoadImm64(int dst, int src, ulong value)
    {
        Emit(ClassLd | ModeImm | (byte)Size.Double, dst, src, 0, unchecked((int)(uint)value));
        Emit(0, 0, 0, 0, unchecked((int)(uint)(value >> 32)));
    }

    private void Jump(int op, int dst, int src, int imm, string label)
    {
        _jumps.Add((_slots.Count, label));
        Emit(op, dst, src, 0, imm);
    }

    private void Emit(int op, int dst, int src, short off, int imm) =>
        _slots.Add(((byte)op, (byte)(dst | src << 4), off, imm));
}
