using System.Collections.Concurrent;
using System.Security.Cryptography;
using AppSwitch.Agent.Cluster;
using AppSwitch.Tests.Infrastructure;
using Xunit;

namespace AppSwitch.Tests.Unit.Cluster;

/// <summary>
/// The gossip keyring on in-process members over loopback (fast intervals): Serf's rotation (install, use,
/// remove) replicated to every member with no member ever suspected, the refusals, and that a member holding only
/// a removed key is locked out.
/// </summary>
[Collection(ClusterCollection.Name)]
public class GossipKeyringTests
{
    private static readonly TimeSpan Deadline = TestCluster.Deadline;
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(5);

    private static byte[] NewKey() => RandomNumberGenerator.GetBytes(32);

    private static async Task<List<TestMember>> StartEncryptedAsync(TestCluster cluster, byte[] key,
        ConcurrentDictionary<string, KeyringState> saved, params string[] names)
    {
        var members = new List<TestMember>();
        foreach (var name in names)
        {
            var options = TestCluster.FastOptions(name, key: key);
            options.KeyringAnnounceInterval = TimeSpan.FromMilliseconds(500);
            options.KeyringChanged = state => saved[name] = state;
            var member = await cluster.StartAsync(options);
            if (members.Count > 0) Assert.Equal(1, await member.Node.JoinAsync([members[0].Address]));
            members.Add(member);
        }
        await Eventually.UntilAsync(() => members.All(m => m.AliveCount == members.Count), Deadline, "the members to see each other",
            () => TestCluster.Describe(members));
        return members;
    }

    private static string Keys(KeyringListing listing) =>
        string.Join(" ", listing.Keys.Select(k => $"{Convert.ToBase64String(k.Key)[..6]}{(k.Primary ? "*" : "")}={k.Members}/{listing.Members}"));

    [Fact]
    public async Task Install_use_remove_rotates_the_key_on_every_member_and_nobody_is_suspected()
    {
        await using var cluster = new TestCluster();
        byte[] oldKey = NewKey(), newKey = NewKey();
        var saved = new ConcurrentDictionary<string, KeyringState>();
        var members = await StartEncryptedAsync(cluster, oldKey, saved, "a", "b", "c");
        var a = members[0];
        Assert.Empty(saved); // seeds are nobody's change: nothing is taken from another member, nothing saved
        // Who holds which key is learnt from the members' periodic notices.
        await Eventually.UntilAsync(() => a.Node.Keyring.List() is { Members: 3, Keys: [{ Primary: true, Members: 3 }] } listing
                                          && listing.Keys[0].Key.SequenceEqual(oldKey),
            Deadline, "a to count the key on all three", () => Keys(a.Node.Keyring.List()));

        var installed = await a.Node.Keyring.InstallAsync(newKey, Wait);
        Assert.True(installed is { Members: 3, Acknowledged: 3 }, string.Join(",", installed.Missing));
        await Eventually.UntilAsync(() => a.Node.Keyring.List().Keys.Count(k => k.Members == 3) == 2, Deadline,
            "both keys on all three", () => Keys(a.Node.Keyring.List()));

        var used = await a.Node.Keyring.UseAsync(newKey, Wait);
        Assert.Equal(3, used.Acknowledged);
        foreach (var m in members) Assert.True(m.Node.Keyring.Current!.Primary.SequenceEqual(newKey), $"{m.Name}'s primary");

        var removed = await a.Node.Keyring.RemoveAsync(oldKey, Wait);
        Assert.Equal(3, removed.Acknowledged);
        foreach (var m in members)
        {
            var state = m.Node.Keyring.Current!;
            Assert.True(state.Keys.Count == 1 && state.Keys[0].SequenceEqual(newKey), $"{m.Name} holds {state.Keys.Count} keys");
            Assert.Equal(removed.State.Version, saved[m.Name].Version); // every member persisted the last version
        }

        // Traffic keeps flowing under the new key alone: a new state reaches everyone.
        a.Node.SetLocalState("after rotation"u8.ToArray());
        await Eventually.UntilAsync(() => members.All(m => m.View("a")!.State.Span.SequenceEqual("after rotation"u8)), Deadline,
            "a's new state to reach all");
        Assert.All(members, m => Assert.DoesNotContain(m.Events, e => e.Kind is MemberEventKind.Suspect or MemberEventKind.Dead or MemberEventKind.Left));
        Assert.All(members, m => Assert.Equal(0, m.Node.Counters.AuthFailures));

        // A member that kept only the removed key is locked out.
        var stale = await cluster.StartAsync(TestCluster.FastOptions("stale", key: oldKey));
        using (var give = new CancellationTokenSource(TimeSpan.FromSeconds(1)))
            await Assert.ThrowsAnyAsync<OperationCanceledException>(() => stale.Node.JoinAsync([a.Address], give.Token));
        Assert.True(a.Node.Counters.AuthFailures > 0, a.Node.Counters.ToString());
        Assert.Null(a.View("stale"));
        Assert.Single(stale.Node.Members());
    }

    [Fact]
    public async Task A_member_that_missed_a_change_takes_the_newer_keyring_from_the_periodic_notices()
    {
        await using var cluster = new TestCluster();
        byte[] oldKey = NewKey(), newKey = NewKey();
        var saved = new ConcurrentDictionary<string, KeyringState>();
        var members = await StartEncryptedAsync(cluster, oldKey, saved, "a", "b", "c");
        var c = members[2];
        c.Isolated = true; // c hears nothing of the install
        var installed = await members[0].Node.Keyring.InstallAsync(newKey, TimeSpan.FromMilliseconds(300));
        Assert.Equal(["c"], installed.Missing);
        Assert.False(c.Node.Keyring.Current!.Contains(newKey));

        c.Isolated = false;
        await Eventually.UntilAsync(() => c.Node.Keyring.Current!.Contains(newKey), Deadline, "c to take the new keyring",
            () => TestCluster.Describe(members));
        Assert.Equal(installed.State.Version, saved["c"].Version);
    }

    [Fact]
    public async Task Refused_changes_say_why_and_change_nothing()
    {
        await using var cluster = new TestCluster();
        byte[] key = NewKey(), other = NewKey();
        var members = await StartEncryptedAsync(cluster, key, new(), "a", "b");
        var keyring = members[0].Node.Keyring;
        var version = keyring.Current!.Version;

        var primary = await Assert.ThrowsAsync<KeyringException>(() => keyring.RemoveAsync(key, Wait));
        Assert.Equal(KeyringRefusal.PrimaryKey, primary.Reason);
        var unknown = await Assert.ThrowsAsync<KeyringException>(() => keyring.UseAsync(other, Wait));
        Assert.Equal(KeyringRefusal.NotInstalled, unknown.Reason);
        Assert.Equal(version, keyring.Current!.Version);

        var plain = await cluster.StartAsync("plain");
        Assert.False(plain.Node.Keyring.Enabled);
        var notEncrypted = await Assert.ThrowsAsync<KeyringException>(() => plain.Node.Keyring.InstallAsync(other, Wait));
        Assert.Equal(KeyringRefusal.NotEncrypted, notEncrypted.Reason);
    }

    [Fact]
    public void A_newer_version_wins_and_the_origin_breaks_ties()
    {
        var key = NewKey();
        var v1 = new KeyringState(1, "b", key, [key]);
        Assert.True(new KeyringState(2, "a", key, [key]).IsNewerThan(v1));
        Assert.True(new KeyringState(1, "c", key, [key]).IsNewerThan(v1));
        Assert.False(new KeyringState(1, "a", key, [key]).IsNewerThan(v1));
        Assert.NotNull(new KeyringState(1, "a", NewKey(), [key]).Problem());
        Assert.NotNull(new KeyringState(1, "a", key, [key, key]).Problem());
        Assert.Null(v1.Problem());
    }
}
