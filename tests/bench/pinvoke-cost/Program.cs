using System.Runtime.InteropServices;
using Tmds.Linux;

// The per-call cost of a libc call through Tmds.LibC (netstandard2.0 DllImport: a runtime IL stub with SetLastError)
// against the source-generated LibraryImport the agent used before, on the same fd in one process. Thread CPU time
// (not wall time: the shared machine preempts), blocks of N calls alternating, median and minimum of the blocks.
// The connect path makes ~25 such calls (getsockopts of the copied options, socket, connect, fcntl, pread, close).
const int N = 500_000, Blocks = 21;

unsafe
{
    var fd = LibC.socket(LibC.AF_INET, LibC.SOCK_STREAM, 0);
    Compare("getsockopt(SO_TYPE)",
        () => { int v = 0, len = sizeof(int); Own.GetSockOpt(fd, LibC.SOL_SOCKET, LibC.SO_TYPE, &v, &len); },
        () => { int v = 0; socklen_t len = sizeof(int); LibC.getsockopt(fd, LibC.SOL_SOCKET, LibC.SO_TYPE, &v, &len); });
    Compare("close(-1), EBADF", () => Own.Close(-1), () => LibC.close(-1));
    LibC.close(fd);
}

static void Compare(string call, Action own, Action tmds)
{
    for (var i = 0; i < 3; i++) { NsPerCall(own); NsPerCall(tmds); } // tiering
    List<double> ours = [], theirs = [];
    for (var i = 0; i < Blocks; i++)
    {
        if (i % 2 == 0) { ours.Add(NsPerCall(own)); theirs.Add(NsPerCall(tmds)); }
        else { theirs.Add(NsPerCall(tmds)); ours.Add(NsPerCall(own)); }
    }
    Console.WriteLine($"{call}: LibraryImport {Median(ours):F1} ns (min {ours.Min():F1}), Tmds.LibC {Median(theirs):F1} ns (min {theirs.Min():F1}) per call");
}

static double NsPerCall(Action call)
{
    var start = Own.ThreadCpuNs();
    for (var i = 0; i < N; i++) call();
    return (Own.ThreadCpuNs() - start) / N;
}

static double Median(List<double> values) => values.Order().ElementAt(values.Count / 2);

internal static unsafe partial class Own
{
    [LibraryImport("libc", EntryPoint = "getsockopt", SetLastError = true)]
    public static partial int GetSockOpt(int fd, int level, int name, void* value, int* len);

    [LibraryImport("libc", EntryPoint = "close", SetLastError = true)]
    public static partial int Close(int fd);

    [LibraryImport("libc", EntryPoint = "clock_gettime")]
    private static partial int ClockGetTime(int clock, long* timespec);

    private const int ClockThreadCpuTime = 3; // CLOCK_THREAD_CPUTIME_ID

    public static double ThreadCpuNs()
    {
        var ts = stackalloc long[2];
        ClockGetTime(ClockThreadCpuTime, ts);
        return ts[0] * 1e9 + ts[1];
    }
}
