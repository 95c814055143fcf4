using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;
using AppSwitch.Fuzz.Targets;
using SharpFuzz.Common;

namespace AppSwitch.Fuzz;

/// <summary>
/// Runs one target under libFuzzer in this process (Driver/libaxfuzz.c, built by fuzz.sh next to this assembly):
/// SharpFuzz's instrumented branches count into libFuzzer's extra counters, and libFuzzer calls
/// <see cref="OneInput"/> for every input. An exception that escapes the target prints and ends the process
/// through <c>exit</c>, where libFuzzer saves the input as crash-SHA1; libFuzzer's own -timeout and
/// -rss_limit_mb save slow and memory-hungry inputs (timeout-, oom-).
/// </summary>
internal static unsafe partial class LibFuzzerDriver
{
    private const string Library = "axfuzz";
    private static IFuzzTarget? _target;

    /// <summary>Gives instrumented code a trace map outside libFuzzer (seeds, replay): without one, the first
    /// instrumented branch writes through a null pointer.</summary>
    public static void UseScratchMap() => Trace.SharedMem = (byte*)NativeMemory.AllocZeroed(1 << 16);

    /// <summary>libFuzzer's command line: flags (-runs=N, -max_total_time=S, ...) and corpus folders.</summary>
    public static int Run(IFuzzTarget target, string[] libFuzzerArgs)
    {
        _target = target;
        Trace.SharedMem = ax_fuzz_counters();
        // argv as C strings; libFuzzer keeps pointers into it for the whole run, so it is never freed.
        string[] args = ["AppSwitch.Fuzz-" + target.Name, .. libFuzzerArgs];
        var argv = (byte**)NativeMemory.AllocZeroed((nuint)(args.Length + 1), (nuint)sizeof(byte*));
        for (var i = 0; i < args.Length; i++) argv[i] = (byte*)Marshal.StringToCoTaskMemUTF8(args[i]);
        var argc = args.Length;
        return LLVMFuzzerRunDriver(&argc, &argv, &OneInput);
    }

    [UnmanagedCallersOnly(CallConvs = [typeof(CallConvCdecl)])]
    private static int OneInput(byte* data, nuint size)
    {
        Trace.PrevLocation = 0; // each input's edges start from the same place: the same input, the same map
        try
        {
            _target!.Run(new ReadOnlySpan<byte>(data, checked((int)size)));
        }
        catch (Exception e)
        {
            Console.Error.WriteLine($"fuzz: {_target!.Name}: exception escaped the target:\n{e}");
            Console.Error.Flush();
            ax_fuzz_fail(); // does not return
        }
        return 0;
    }

    [LibraryImport(Library)]
    private static partial int LLVMFuzzerRunDriver(int* argc, byte*** argv, delegate* unmanaged[Cdecl]<byte*, nuint, int> callback);

    [LibraryImport(Library)]
    private static partial byte* ax_fuzz_counters();

    [LibraryImport(Library)]
    private static partial void ax_fuzz_fail();
}
