namespace AppSwitch.Fuzz.Targets;

/// <summary>
/// One decoder of outside bytes under the fuzzer. <see cref="Run"/> feeds it one input and swallows only the
/// exceptions the decoder documents for bad input (what its caller catches): anything else escapes and libFuzzer
/// records it as a crash.
/// </summary>
internal interface IFuzzTarget
{
    /// <summary>The name `make fuzz` and the seed folders use (tests/fuzz/seeds/NAME).</summary>
    string Name { get; }

    /// <summary>Real messages for the seed corpus, made with the agent's own encoders.</summary>
    IEnumerable<byte[]> Seeds();

    void Run(ReadOnlySpan<byte> input);
}
