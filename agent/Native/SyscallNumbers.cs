using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

/// <summary>Syscall numbers and the seccomp audit architecture of the machine the agent runs on.</summary>
internal static class SyscallNumbers
{
    private static readonly bool IsArm64 = RuntimeInformation.ProcessArchitecture == Architecture.Arm64;

    public static readonly int Bind = IsArm64 ? 200 : 49;
    public static readonly int Listen = IsArm64 ? 201 : 50;
    public static readonly int Connect = IsArm64 ? 203 : 42;
    public static readonly int GetSockName = IsArm64 ? 204 : 51;
    public static readonly int GetPeerName = IsArm64 ? 205 : 52;
    public static readonly int SendTo = IsArm64 ? 206 : 44;
    public static readonly int SendMsg = IsArm64 ? 211 : 46;
    public static readonly int SendMmsg = IsArm64 ? 269 : 307;

    public static readonly long Kcmp = IsArm64 ? 272 : 312;
    public static readonly long Seccomp = IsArm64 ? 277 : 317;
    public static readonly long Bpf = IsArm64 ? 280 : 321;

    // The same numbers on every architecture (the unified syscall table).
    public const long PidfdOpen = 434;
    public const long PidfdGetfd = 438;

    /// <summary>AUDIT_ARCH_X86_64 or AUDIT_ARCH_AARCH64, as seccomp_data.arch reports it.</summary>
    public static readonly uint AuditArch = IsArm64 ? 0xC00000B7u : 0xC000003Eu;
}
