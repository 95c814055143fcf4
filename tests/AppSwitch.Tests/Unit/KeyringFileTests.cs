using System.Net;
using System.Security.Cryptography;
using AppSwitch.Agent.Cluster;
using AppSwitch.Agent.Configuration;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.State;
using AppSwitch.Tests.Infrastructure;
using Microsoft.Extensions.Logging;
using Xunit;

namespace AppSwitch.Tests.Unit;

/// <summary>keyring.json and the start-up choice between it and `--gossip-key`, on real files.</summary>
public sealed class KeyringFileTests : IDisposable
{
    private readonly TempDirectory _dir = new();
    private readonly RecordingLogger<KeyringFileTests> _log = new();

    private KeyringFile File => KeyringFile.NextTo(new StateFile(_dir.Path));

    private AgentOptions Options(byte[]? key) => new()
    {
        NodeName = "n1", NodeAddress = IPAddress.Parse("10.77.0.11"), Ports = PortRanges.Parse("40000-60000"),
        SocketDir = _dir.Path, GossipKey = key,
    };

    [Fact]
    public void A_saved_keyring_comes_back_as_it_was_and_only_the_agent_can_read_it()
    {
        byte[] primary = RandomNumberGenerator.GetBytes(32), other = RandomNumberGenerator.GetBytes(16);
        File.Save(new KeyringState(7, "n2", primary, [other, primary]));

        Assert.Equal(Path.Combine(_dir.Path, "keyring.json"), File.Path);
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, System.IO.File.GetUnixFileMode(File.Path));
        var loaded = File.Load()!;
        Assert.Equal((7UL, "n2", 2), (loaded.Version, loaded.Origin, loaded.Keys.Count));
        Assert.Equal(primary, loaded.Primary);
        Assert.True(loaded.Contains(other) && loaded.Contains(primary));
    }

    [Fact]
    public void The_saved_keyring_wins_over_the_flag_and_says_so_when_the_flag_s_key_is_not_in_it()
    {
        byte[] saved = RandomNumberGenerator.GetBytes(32), flag = RandomNumberGenerator.GetBytes(32);
        File.Save(new KeyringState(3, "n2", saved, [saved]));

        var chosen = KeyringStartup.Choose(Options(flag), File, _log)!;
        Assert.Equal(saved, chosen.Primary);
        Assert.Contains(_log.Lines, l => l.StartsWith("Warning: Gossip keyring: --gossip-key is not in the saved keyring", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_a_saved_keyring_the_flag_seeds_version_0_and_nothing_is_written()
    {
        var flag = RandomNumberGenerator.GetBytes(32);
        var chosen = KeyringStartup.Choose(Options(flag), File, _log)!;
        Assert.Equal((0UL, 1), (chosen.Version, chosen.Keys.Count));
        Assert.Equal(flag, chosen.Primary);
        Assert.False(System.IO.File.Exists(File.Path));
        Assert.DoesNotContain(_log.Lines, l => l.StartsWith("Warning", StringComparison.Ordinal));
    }

    [Fact]
    public void Without_any_key_gossip_is_clear_text_and_a_warning_says_what_to_set()
    {
        Assert.Null(KeyringStartup.Choose(Options(null), File, _log));
        var warning = Assert.Single(_log.Lines);
        Assert.Equal("Warning: Gossip is NOT encrypted: anyone who can send UDP/TCP to port 7946 can join cluster appswitch and announce servers; " +
                     "set --gossip-key (AX_GOSSIP_KEY, base64 of 32 random bytes) on every node", warning);
    }

    [Fact]
    public void A_corrupt_keyring_falls_back_to_the_flag_and_without_one_refuses_to_start_in_clear_text()
    {
        System.IO.File.WriteAllText(File.Path, "{\"version\": 1, \"origin\": \"n1\", \"primary\": \"!!\", \"keys\": []}");
        var flag = RandomNumberGenerator.GetBytes(32);
        Assert.Equal(flag, KeyringStartup.Choose(Options(flag), File, _log)!.Primary);
        Assert.Contains(_log.Lines, l => l.StartsWith("Error: Gossip keyring: ", StringComparison.Ordinal) && l.Contains("keyring.json"));

        Assert.Throws<InvalidDataException>(() => KeyringStartup.Choose(Options(null), File, _log));
    }

    public void Dispose() => _dir.Dispose();
}
