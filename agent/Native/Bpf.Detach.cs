using System.Runtime.InteropServices;

namespace AppSwitch.Agent.Native;

internal static unsafe partial class Bpf
{
    private const int CmdProgDetach = 9;

    /// <summary>
    /// Detaches the program attached with flags 0 (one per type) of <paramref name="attachType"/> from the cgroup;
    /// ENOENT when there is none.
    /// </summary>
    public static SysResult DetachFromCgroup(int cgroupFd, int attachType)
    {
        var attr = new ProgAttachAttr { TargetFd = (uint)cgroupFd, AttachType = (uint)attachType };
        return Call(CmdProgDetach, &attr);
    }
}
