using System.Text.Json;
using System.Text.Json.Nodes;
using AppSwitch.Agent.State;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit.State;

/// <summary>The keeper's pid and start time survive state.json; files of older agents (and apps without one) have none.</summary>
public class SavedAppKeeperTests
{
    [Fact]
    public void The_keeper_is_saved_and_restored_with_its_start_time()
    {
        var app = new AppEntry { Id = "a1", Pid = 100, ReclaimFd = 1020, KeeperPid = 4242, KeeperStarted = 987654321 };
        var json = JsonSerializer.Serialize(StateFile.ToSaved(app), SavedStateJsonContext.Default.SavedApp);
        Assert.Contains("\"keeperPid\": 4242", json);
        var restored = StateFile.ToEntry(JsonSerializer.Deserialize(json, SavedStateJsonContext.Default.SavedApp)!);
        Assert.Equal((4242, 987654321ul), (restored.KeeperPid, restored.KeeperStarted));
    }

    [Fact]
    public void An_app_without_a_keeper_saves_none_and_an_older_file_restores_none()
    {
        var saved = StateFile.ToSaved(new AppEntry { Id = "a1", Pid = 100 });
        Assert.Equal((null, null), (saved.KeeperPid, saved.KeeperStarted));
        // An older agent's entry: the same fields without the keeper's.
        var entry = JsonNode.Parse(JsonSerializer.Serialize(saved, SavedStateJsonContext.Default.SavedApp))!.AsObject();
        entry.Remove("keeperPid");
        entry.Remove("keeperStarted");
        var older = StateFile.ToEntry(JsonSerializer.Deserialize(entry.ToJsonString(), SavedStateJsonContext.Default.SavedApp)!);
        Assert.Equal((0, 0ul), (older.KeeperPid, older.KeeperStarted));
    }
}
