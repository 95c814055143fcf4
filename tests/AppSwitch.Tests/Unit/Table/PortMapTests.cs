using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit.Table;

/// <summary>A vservice's vport → aport map kept as one sorted array: the lookups a dictionary gave, in less room.</summary>
public sealed class PortMapTests
{
    [Fact]
    public void Every_mapped_port_is_found_and_no_other()
    {
        var map = PortMap.Of([Pair(9080, 8080), Pair(1, 65535), Pair(65535, 1), Pair(443, 8443), Pair(80, 8080)]);
        Assert.Equal(5, map.Count);
        foreach (var (vport, aport) in new[] { (9080, 8080), (1, 65535), (65535, 1), (443, 8443), (80, 8080) })
        {
            Assert.True(map.TryGetValue(vport, out var found));
            Assert.Equal(aport, found);
            Assert.Equal(aport, map[vport]);
        }
        foreach (var unmapped in new[] { 0, 2, 79, 81, 8080, 65534, -1 })
        {
            Assert.False(map.TryGetValue(unmapped, out _));
            Assert.False(map.ContainsKey(unmapped));
        }
        Assert.Throws<KeyNotFoundException>(() => map[81]);
    }

    [Fact]
    public void Pairs_come_by_ascending_vport()
    {
        var map = PortMap.Of([Pair(9080, 1), Pair(80, 2), Pair(443, 3)]);
        Assert.Equal([80, 443, 9080], map.Keys);
        Assert.Equal([2, 3, 1], map.Values);
        Assert.Equal([Pair(80, 2), Pair(443, 3), Pair(9080, 1)], map);
    }

    [Fact]
    public void A_vport_mapped_twice_is_refused_and_an_empty_map_finds_nothing()
    {
        Assert.Throws<ArgumentException>(() => PortMap.Of([Pair(80, 1), Pair(80, 2)]));
        Assert.Empty(PortMap.Of([]));
        Assert.False(PortMap.Empty.TryGetValue(80, out _));
    }

    private static KeyValuePair<int, int> Pair(int vport, int aport) => KeyValuePair.Create(vport, aport);
}
