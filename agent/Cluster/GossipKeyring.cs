using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Cluster;

/// <summary>
/// The node's gossip keyring and its replication, as Serf's: <c>install</c> adds a key on every member,
/// <c>use</c> makes it the primary everywhere, <c>remove</c> deletes it everywhere (never the primary). A change
/// makes a new <see cref="KeyringState"/> version here, which every member adopts from the <see cref="KeyringNotice"/>s
/// gossiped (sealed with the keys in force, so only members can read or send one). Each notice also says which keys
/// its sender holds: that is how a change is acknowledged and how <see cref="List"/> counts holders.
/// </summary>
public sealed class GossipKeyring
{
    private static readonly TimeSpan AcknowledgePoll = TimeSpan.FromMilliseconds(50);

    private readonly string _self;
    private readonly PacketEnvelope _envelope;
    private readonly BroadcastQueue _broadcasts;
    private readonly Func<IReadOnlyList<string>> _liveOthers;
    private readonly Action<KeyringState>? _changed;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly SemaphoreSlim _changes = new(1, 1);
    /// <summary>The latest keyring each other member reported (by name).</summary>
    private readonly Dictionary<string, KeyringNotice> _reports = new(StringComparer.Ordinal);
    private KeyringState? _state;

    internal GossipKeyring(string self, KeyringState? initial, PacketEnvelope envelope, BroadcastQueue broadcasts,
        Func<IReadOnlyList<string>> liveOthers, Action<KeyringState>? changed, ILogger logger)
    {
        _self = self;
        _state = initial;
        _envelope = envelope;
        _broadcasts = broadcasts;
        _liveOthers = liveOthers;
        _changed = changed;
        _logger = logger;
        if (initial is not null) envelope.UseKeys(initial.PrimaryFirst());
    }

    /// <summary>False when the node gossips in clear text (no key at start): nothing can be changed then.</summary>
    public bool Enabled => _state is not null;

    public KeyringState? Current { get { lock (_lock) return _state; } }

    public KeyringListing List()
    {
        var live = _liveOthers();
        lock (_lock)
        {
            if (_state is null) return new KeyringListing(1 + live.Count, []);
            var holdings = new List<IReadOnlyList<byte[]>> { _state.Keys };
            holdings.AddRange(live.Where(_reports.ContainsKey).Select(name => _reports[name].Keys));
            var keys = holdings.SelectMany(k => k).DistinctBy(Convert.ToBase64String)
                .OrderByDescending(k => k.AsSpan().SequenceEqual(_state.Primary)).ThenBy(Convert.ToBase64String, StringComparer.Ordinal);
            return new KeyringListing(1 + live.Count, keys.Select(key => new KeyHolders(key, key.AsSpan().SequenceEqual(_state.Primary),
                holdings.Count(held => held.Any(k => k.AsSpan().SequenceEqual(key))))).ToList());
        }
    }

    /// <summary>Adds <paramref name="key"/> on every member (a key already installed is spread again).</summary>
    public Task<KeyChangeOutcome> InstallAsync(byte[] key, TimeSpan wait, CancellationToken cancel = default) =>
        ChangeAsync("install", state =>
        {
            if (state.Contains(key)) return state.Keys;
            if (state.Keys.Count >= KeyringState.MaxKeys)
                throw new KeyringException(KeyringRefusal.Full, $"the keyring is full ({KeyringState.MaxKeys} keys): remove a key first");
            return [.. state.Keys, key];
        }, state => state.Primary, wait, cancel);

    /// <summary>Makes the installed <paramref name="key"/> the primary on every member.</summary>
    public Task<KeyChangeOutcome> UseAsync(byte[] key, TimeSpan wait, CancellationToken cancel = default) =>
        ChangeAsync("use", state =>
        {
            if (!state.Contains(key)) throw new KeyringException(KeyringRefusal.NotInstalled, "the key is not installed: install it first");
            return state.Keys;
        }, _ => key, wait, cancel);

    /// <summary>Removes <paramref name="key"/> from every member; the primary cannot be removed (a key not installed here is spread as removed again).</summary>
    public Task<KeyChangeOutcome> RemoveAsync(byte[] key, TimeSpan wait, CancellationToken cancel = default) =>
        ChangeAsync("remove", state =>
        {
            if (state.Primary.AsSpan().SequenceEqual(key))
                throw new KeyringException(KeyringRefusal.PrimaryKey, "the primary key cannot be removed: use another key first");
            return [.. state.Keys.Where(k => !k.AsSpan().SequenceEqual(key))];
        }, state => state.Primary, wait, cancel);

    /// <summary>Makes the new version here, gossips it and waits until every live member reports it (or newer).</summary>
    private async Task<KeyChangeOutcome> ChangeAsync(string operation, Func<KeyringState, IReadOnlyList<byte[]>> keys,
        Func<KeyringState, byte[]> primary, TimeSpan wait, CancellationToken cancel)
    {
        if (_state is null)
            throw new KeyringException(KeyringRefusal.NotEncrypted, "gossip is not encrypted on this node: start every agent with --gossip-key to have a keyring");
        await _changes.WaitAsync(cancel).ConfigureAwait(false); // one change at a time from this node
        try
        {
            KeyringState next;
            lock (_lock)
            {
                var now = _state!;
                ulong newest = _reports.Values.Select(r => r.Version).DefaultIfEmpty(0UL).Max();
                next = new KeyringState(Math.Max(now.Version, newest) + 1, _self, primary(now), keys(now));
                Adopt(next);
            }
            _logger.LogInformation("Gossip keyring: {Operation} made version {Version} ({Count} keys); spreading it", operation, next.Version, next.Keys.Count);
            AfterChange(next);
            var missing = await AwaitReportsAsync(next, wait, cancel).ConfigureAwait(false);
            return new KeyChangeOutcome(next, 1 + _liveOthers().Count, missing);
        }
        finally { _changes.Release(); }
    }

    private async Task<IReadOnlyList<string>> AwaitReportsAsync(KeyringState state, TimeSpan wait, CancellationToken cancel)
    {
        long deadline = Environment.TickCount64 + (long)wait.TotalMilliseconds;
        while (true)
        {
            List<string> missing;
            lock (_lock)
                missing = _liveOthers().Where(name => !_reports.TryGetValue(name, out var r) || r.Version < state.Version).ToList();
            if (missing.Count == 0 || Environment.TickCount64 >= deadline) return missing;
            await Task.Delay(AcknowledgePoll, cancel).ConfigureAwait(false);
        }
    }

    /// <summary>A member's notice: remember what it holds; take its keyring when newer; tell a member behind us ours.</summary>
    internal void Handle(KeyringNotice notice)
    {
        if (notice.Node == _self) return;
        KeyringState? adopted = null;
        bool behind;
        lock (_lock)
        {
            if (_state is null) return; // cannot happen: a clear-text node cannot open sealed notices
            _reports[notice.Node] = notice;
            var theirs = new KeyringState(notice.Version, notice.Origin, notice.Keys[notice.PrimaryIndex], notice.Keys);
            // Version 0 is a node's seed (its --gossip-key), not a change: seeds are neither taken nor pushed.
            behind = _state.Version > 0 && _state.IsNewerThan(theirs);
            if (theirs.Version > 0 && theirs.IsNewerThan(_state))
            {
                if (theirs.Problem() is { } problem)
                {
                    _logger.LogWarning("Gossip keyring: ignoring version {Version} from {Member}: {Problem}", theirs.Version, notice.Node, problem);
                    return;
                }
                Adopt(theirs);
                adopted = theirs;
            }
        }
        if (adopted is not null)
        {
            _logger.LogInformation("Gossip keyring: took version {Version} from {Member} ({Count} keys)", adopted.Version, notice.Node, adopted.Keys.Count);
            AfterChange(adopted);
        }
        else if (behind) Announce();
    }

    /// <summary>Queues this node's notice for gossip (on a change, to a member behind, and periodically for late joiners).</summary>
    internal void Announce()
    {
        KeyringState? state = Current;
        if (state is null) return;
        var keys = state.PrimaryFirst();
        _broadcasts.Enqueue("k:" + _self, MessageCodec.Encode(new KeyringNotice(_self, state.Version, state.Origin, 0, keys)));
    }

    private void Adopt(KeyringState state)
    {
        _state = state;
        _envelope.UseKeys(state.PrimaryFirst());
    }

    private void AfterChange(KeyringState state)
    {
        Announce();
        try { _changed?.Invoke(state); }
        catch (Exception e) { _logger.LogError(e, "Gossip keyring: saving version {Version} failed", state.Version); }
    }
}
