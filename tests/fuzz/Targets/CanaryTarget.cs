using System.Text;

namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// Not a decoder: the harness's own check that what the fuzzer must report is reported. An input starting with
/// "crash" throws, "hang" never returns, "oom" allocates without bound; anything else returns. Not listed (make fuzz
/// never runs it); `dotnet out/fuzz/app/AppSwitch.Fuzz.dll canary -timeout=5 -artifact_prefix=DIR/ FILE` must
/// exit non-zero and leave crash-, timeout- or oom- in DIR.
/// </summary>
internal sealed class CanaryTarget : IFuzzTarget
{
    public string Name => "canary";

    public IEnumerable<byte[]> Seeds() => [Encoding.ASCII.GetBytes("fine")];

    public void Run(ReadOnlySpan<byte> input)
    {
        if (input.StartsWith("crash"u8)) throw new InvalidOperationException("canary: a crash on purpose");
        if (input.StartsWith("hang"u8)) Thread.Sleep(Timeout.Infinite);
        if (input.StartsWith("oom"u8))
        {
            var hoard = new List<byte[]>();
            while (true) hoard.Add(new byte[1 << 20]);
        }
    }
}
