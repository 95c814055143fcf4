namespace AppSwitch.Agent.Admission;

/// <summary>
/// Counts what each peer (a uid, a remote address) holds at once — connections, handshakes in progress — and refuses
/// past a bound per peer and a bound in total: one caller cannot take every fd or thread the agent has.
/// </summary>
internal sealed class PeerSlots<TPeer>(int perPeer, int total) where TPeer : notnull
{
    private readonly Lock _lock = new();
    private readonly Dictionary<TPeer, int> _held = [];
    private int _total;

    public int PerPeer => perPeer;
    public int Total => total;

    /// <summary>Takes a slot for the peer; null when taken (give it back with <see cref="Release"/>), else why not.</summary>
    public AdmissionRefusal? TryTake(TPeer peer)
    {
        lock (_lock)
        {
            var held = _held.GetValueOrDefault(peer);
            if (held >= perPeer) return AdmissionRefusal.PeerLimit;
            if (_total >= total) return AdmissionRefusal.TotalLimit;
            _held[peer] = held + 1;
            _total++;
            return null;
        }
    }

    public void Release(TPeer peer)
    {
        lock (_lock)
        {
            if (!_held.TryGetValue(peer, out var held)) return;
            if (held <= 1) _held.Remove(peer); // nothing is kept for peers that hold nothing
            else _held[peer] = held - 1;
            _total--;
        }
    }

    public int HeldBy(TPeer peer)
    {
        lock (_lock) return _held.GetValueOrDefault(peer);
    }
}
