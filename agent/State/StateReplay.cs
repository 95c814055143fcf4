using AppSwitch.Common.Model;
using AppSwitch.Common.Rules;

namespace AppSwitch.Agent.State;

/// <summary>
/// The write-ahead log's records applied, in order, over what state.json held: each record is O(1) expected (the
/// lists are keyed by app id, socket inode, vservice name and rule id), so replaying N records is linear.
/// </summary>
internal sealed class StateReplay
{
    private readonly SavedState _state;
    private readonly KeyedSequence<string, SavedApp> _apps;
    private readonly KeyedSequence<ulong, SavedSocket> _sockets;
    // Which sockets each app holds (an app's removal takes its sockets with it).
    private readonly Dictionary<string, HashSet<ulong>> _socketsOfApp = new();
    private KeyedSequence<string, VServiceSpec>? _vservices;
    private KeyedSequence<string, Rule>? _rules;

    public StateReplay(SavedState state)
    {
        _state = state;
        _apps = new KeyedSequence<string, SavedApp>(state.Apps, a => a.Id ?? "");
        _sockets = new KeyedSequence<ulong, SavedSocket>(state.Sockets, s => s.Inode);
        foreach (var socket in state.Sockets) NoteSocket(socket);
        _vservices = state.VServices is null ? null : new KeyedSequence<string, VServiceSpec>(state.VServices, v => v.Name ?? "");
        _rules = state.Rules is null ? null : RulesOf(state.Rules);
    }

    /// <summary>Applies one record; false when it is not one this agent knows (a damaged line).</summary>
    public bool Apply(SavedChange change)
    {
        switch (change.Op)
        {
            case SavedChange.App when change.SavedApp is { Id: not null } app:
                _apps.Upsert(app);
                return true;
            case SavedChange.AppRemoved when change.AppId is { } id:
                _apps.Remove(id);
                if (_socketsOfApp.Remove(id, out var inodes))
                    foreach (var inode in inodes) _sockets.Remove(inode, s => s.AppId == id); // the inode may be another app's by now
                return true;
            case SavedChange.Socket when change.SavedSocket is { } socket:
                _sockets.Upsert(socket);
                NoteSocket(socket);
                return true;
            case SavedChange.SocketRemoved:
                _sockets.Remove(change.Inode);
                return true;
            case SavedChange.VService when change.SavedVService is { Name: not null } vservice:
                (_vservices ??= new(v => v.Name ?? "")).Upsert(vservice);
                return true;
            case SavedChange.VServiceRemoved when change.VServiceName is { } name:
                _vservices?.Remove(name);
                return true;
            case SavedChange.VServices when change.SavedVServices is { } vservices:
                _vservices = new KeyedSequence<string, VServiceSpec>(vservices, v => v.Name ?? "");
                return true;
            case SavedChange.RulesPut when change.SavedRules is { } rules && rules.All(r => r is { Id: not null }):
                _rules ??= RulesOf([]);
                foreach (var rule in rules) _rules.ReplaceFirst(rule); // as RuleBook: replaced in place, new ones appended
                return true;
            case SavedChange.RulesRemoved when change.RuleIds is { } ids:
                foreach (var id in ids) _rules?.Remove(id);
                return true;
            case SavedChange.Rules when change.SavedRules is { } rules:
                _rules = RulesOf(rules);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Writes the replayed lists back into the state.</summary>
    public void Finish()
    {
        _state.Apps.Clear();
        _state.Apps.AddRange(_apps.ToList());
        _state.Sockets.Clear();
        _state.Sockets.AddRange(_sockets.ToList());
        _state.VServices = _vservices?.ToList();
        _state.Rules = _rules?.ToList();
    }

    private static KeyedSequence<string, Rule> RulesOf(IEnumerable<Rule> rules) => new(rules, r => r.Id ?? "");

    // A set may still name an inode removed or taken over since: removal by app checks the socket's app.
    private void NoteSocket(SavedSocket socket)
    {
        var app = socket.AppId ?? "";
        if (!_socketsOfApp.TryGetValue(app, out var inodes)) _socketsOfApp[app] = inodes = [];
        inodes.Add(socket.Inode);
    }
}
