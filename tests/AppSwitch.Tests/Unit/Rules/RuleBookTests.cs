using System.Net;
using System.Text;
using AppSwitch.Agent.Replication;
using AppSwitch.Agent.Rules;
using AppSwitch.Agent.Table;
using AppSwitch.Common.Rules;
using Xunit;

namespace AppSwitch.Tests.Unit.Rules;

/// <summary>The rule book's ownership, all-or-nothing changes, the effective set, and rules in a node's publication.</summary>
public sealed class RuleBookTests
{
    private int _changes;
    private readonly RuleBook _book;

    public RuleBookTests() => _book = new RuleBook("n1", _ => _changes++);

    private static Rule Route(string id, string destination = "web", int priority = 0) => new()
    {
        Id = id, Destination = destination, Priority = priority,
        Route = new RuleRoute { Backends = [new RuleBackend { Tags = ["v1"] }] },
    };

    [Fact]
    public void Create_generates_missing_ids_and_refuses_a_whole_batch_when_one_id_is_taken()
    {
        Assert.Equal(RuleStoreOutcome.Done, _book.Create([Route("a"), Route("")], out var ids, out _));
        Assert.Equal("a", ids[0]);
        Assert.True(Guid.TryParse(ids[1], out _));

        _book.ReplaceRemote("n2", [Route("remote")]);
        Assert.Equal(RuleStoreOutcome.Conflict, _book.Create([Route("new"), Route("remote")], out _, out var problem));
        Assert.Equal("rules[1].id: rule \"remote\" already exists (on node n2); PUT /v1/rules replaces it", problem);
        Assert.DoesNotContain(_book.Effective(), o => o.Rule.Id == "new");
        Assert.Equal(1, _changes);
    }

    [Fact]
    public void A_node_holds_at_most_1000_rules_of_its_own()
    {
        const int readmeLimit = 1000; // README, REST: "a node holds at most 1 000 rules of its own"
        Assert.Equal(RuleStoreOutcome.Done, _book.Create([.. Enumerable.Range(0, readmeLimit).Select(i => Route($"r{i}"))], out _, out _));
        Assert.Equal(RuleStoreOutcome.Conflict, _book.Create([Route("one-more")], out _, out var problem));
        Assert.Equal("this node would hold 1001 rules, over 1000 (they travel in its gossip state)", problem);
        Assert.Equal(readmeLimit, _book.Own().Count);
    }

    [Fact]
    public void Update_and_delete_change_only_this_nodes_rules_and_all_or_nothing()
    {
        _book.Create([Route("a"), Route("b")], out _, out _);
        _book.ReplaceRemote("n2", [Route("theirs")]);

        Assert.Equal(RuleStoreOutcome.Conflict, _book.Delete(["a", "theirs"], out var problem));
        Assert.Equal("rule \"theirs\" belongs to node n2: change it there", problem);
        Assert.Equal(RuleStoreOutcome.NotFound, _book.Update([Route("a", priority: 9), Route("zz")], out problem));
        Assert.Equal(0, _book.Own()[0].Priority);

        Assert.Equal(RuleStoreOutcome.Done, _book.Update([Route("a", priority: 9)], out _));
        Assert.Equal(RuleStoreOutcome.Done, _book.Delete(["b"], out _));
        Assert.Equal([("a", 9)], _book.Own().Select(r => (r.Id, r.Priority)));
    }

    [Fact]
    public void The_effective_set_is_ordered_by_destination_then_priority_and_a_raced_id_goes_to_the_first_node_name()
    {
        _book.Create([Route("low", "web", 1), Route("other", "api", 0)], out _, out _);
        _book.ReplaceRemote("n0", [Route("high", "web", 5), Route("low", "web", 7)]);
        _book.ReplaceRemote("n2", [Route("low", "web", 3)]);

        Assert.Equal(["other", "low", "high"], _book.Effective().Select(o => o.Rule.Id));
        Assert.Equal(("n0", 7), _book.Effective().Where(o => o.Rule.Id == "low").Select(o => (o.Node, o.Rule.Priority)).Single());

        var revision = _book.Revision;
        _book.RemoveRemote("n0");
        Assert.True(_book.Revision > revision);
        Assert.Equal(["other", "low"], _book.Effective().Select(o => o.Rule.Id));
        Assert.Equal("n1", _book.Effective().Single(o => o.Rule.Id == "low").Node);
    }

    [Fact]
    public void Rules_travel_in_the_node_publication_and_older_publications_decode_with_none()
    {
        var from = new RemoteNodeRef("n2", IPAddress.Parse("10.77.0.12"));
        var bytes = NodeStateCodec.Encode([], [], [], [Route("a", "web", 2)]);
        NodeStateCodec.Decode(bytes, from, out _, out var rules);
        Assert.Equal(Route("a", "web", 2).Id, Assert.Single(rules).Id);
        Assert.Equal(2, rules[0].Priority);

        NodeStateCodec.Decode(Encoding.UTF8.GetBytes("""{"v":1,"apps":[],"servers":[]}"""), from, out _, out var none);
        Assert.Empty(none);

        var bad = Encoding.UTF8.GetBytes("""{"v":1,"apps":[],"servers":[],"rules":[{"id":"x","destination":"web","route":{"backends":[{"tags":["v1"],"weight":3}]}}]}""");
        var error = Assert.Throws<FormatException>(() => NodeStateCodec.Decode(bad, from, out _, out _));
        Assert.Contains("rules[0].route.backends[0].weight", error.Message);
    }
}
