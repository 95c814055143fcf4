using System.Net;
using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Kubernetes.Mapping;
using AppSwitch.Agent.Routing;
using AppSwitch.Agent.Table;
using AppSwitch.Tests.Infrastructure.Kubernetes;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>
/// Pod names repeat across namespaces; UIDs do not. An app whose pod the agent derived from its cgroup gets that pod's
/// identity by UID, so an intruder pod named like the victim in another namespace does not get the victim's tags.
/// </summary>
public sealed class PodIdentityByUidTests
{
    private const string Name = "tester-7d9f-xk2lp";
    private const string VictimUid = "5f2c1a6e-8b3d-4c7a-9e10-2b4d6f8a0c1e";
    private const string IntruderUid = "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d";

    private static KubernetesRegistry Registry()
    {
        // The intruder's pod comes first, so the by-name map (first pod of a name wins) holds the intruder's name.
        var view = KubernetesRegistryView.From(KubeSnapshots.Of([
            (KubeObjects.Pods, KubeObjects.With(KubeObjects.Pod(Name, "10.1.0.60", null, ("app", "tester")), IntruderUid, "evil")),
            (KubeObjects.Pods, KubeObjects.With(KubeObjects.Pod(Name, "10.1.0.50", null, ("app", "tester")), VictimUid)),
            (KubeObjects.Services, KubeObjects.Service("tester", "198.18.20.2", ("http", "TCP", 8080))),
        ]), new KubernetesServiceMapper());
        var registry = new KubernetesRegistry();
        registry.Replace(view);
        return registry;
    }

    [Fact]
    public void Every_watched_pod_is_found_by_its_uid()
    {
        var registry = Registry();
        Assert.Equal(new KubePodRef("evil", Name), registry.PodOfUid(IntruderUid));
        Assert.Equal(new KubePodRef("default", Name), registry.PodOfUid(VictimUid));
        Assert.Null(registry.PodOfUid("9f86d081-8847-4c7d-a59a-2feaa0c55ad0"));
    }

    [Fact]
    public void A_derived_pod_has_its_own_identity_not_that_of_a_namesake()
    {
        var registry = Registry();
        var intruder = SourceIdentity.Of(new AppEntry { Id = "a1", Name = "x", KubernetesPod = Name, KubernetesPodUid = IntruderUid }, registry.View);
        Assert.Equal("x", intruder.Name); // no Service of namespace evil selects it: the app's own name and labels
        var victim = SourceIdentity.Of(new AppEntry { Id = "a2", KubernetesPod = Name, KubernetesPodUid = VictimUid }, registry.View);
        Assert.Equal("tester", victim.Name);
        Assert.Equal("tester", victim.Tags["app"]);
    }

    [Fact]
    public async Task A_waiter_wakes_at_the_next_replace()
    {
        var registry = new KubernetesRegistry();
        var next = registry.NextReplace;
        Assert.False(next.IsCompleted);
        registry.Replace(KubernetesRegistryView.Empty);
        await next.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.False(registry.NextReplace.IsCompleted);
    }
}
