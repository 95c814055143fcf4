using AppSwitch.Fuzz.Targets;

namespace AppSwitch.Fuzz;

/// <summary>
/// `AppSwitch.Fuzz TARGET [libFuzzer flags and corpus folders]` runs one target under libFuzzer in this process
/// (<see cref="LibFuzzerDriver"/>; the instrumented copy made by fuzz.sh);
/// `AppSwitch.Fuzz seeds DIR` writes every target's seed corpus (DIR/TARGET/N) from the agent's own encoders;
/// `AppSwitch.Fuzz replay TARGET FILE...` runs inputs once outside libFuzzer (a crash prints its exception).
/// </summary>
public static class Program
{
    private static readonly IFuzzTarget[] Targets =
    [
        new LauncherFramesTarget(), new LauncherRunTarget(), new GossipPacketTarget(), new GossipStreamTarget(),
        new GossipMessageTarget(), new DnsTarget(), RuleDocumentTarget.Json, RuleDocumentTarget.Yaml, new HttpHeadTarget(),
        new KubeWatchTarget(), new XdsTarget(), new GossipStateTarget(), new RestBodyTarget(),
    ];

    public static int Main(string[] args)
    {
        if (args is not [_, ..] || Find(args[0]) is null) LibFuzzerDriver.UseScratchMap();
        switch (args)
        {
            case ["list"]:
                foreach (var t in Targets) Console.WriteLine(t.Name);
                return 0;
            case ["seeds", var dir]:
                foreach (var t in Targets)
                {
                    var folder = Directory.CreateDirectory(Path.Combine(dir, t.Name)).FullName;
                    var n = 0;
                    foreach (var seed in t.Seeds()) File.WriteAllBytes(Path.Combine(folder, $"seed-{n++:D2}"), seed);
                }
                return 0;
            case ["replay", var name, .. var files] when Find(name) is { } target:
                foreach (var file in files) target.Run(File.ReadAllBytes(file));
                Console.WriteLine($"{name}: {files.Length} inputs, no crash");
                return 0;
            case [var name, .. var libFuzzerArgs] when Find(name) is { } target:
                return LibFuzzerDriver.Run(target, libFuzzerArgs);
            default:
                Console.Error.WriteLine($"usage: AppSwitch.Fuzz list | seeds DIR | replay TARGET FILE... | TARGET [libFuzzer flags] CORPUS...; targets: {string.Join(", ", Targets.Select(t => t.Name))}");
                return 2;
        }
    }

    private static IFuzzTarget? Find(string name) =>
        Targets.FirstOrDefault(t => t.Name == name) ?? (name == "canary" ? new CanaryTarget() : null);
}
