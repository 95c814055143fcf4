using AppSwitch.Agent.Kubernetes;
using AppSwitch.Agent.Kubernetes.PodIdentity;
using Xunit;

namespace AppSwitch.Tests.Unit.Kubernetes;

/// <summary>Kubernetes mode's rule for the pod an `ax run` claims, against the pod its cgroup proves.</summary>
public sealed class PodClaimTests
{
    private const string Uid = "5f2c1a6e-8b3d-4c7a-9e10-2b4d6f8a0c1e";
    private static readonly KubePodRef Web = new("shop", "web-7d9f-xk2lp");

    private static PodVerdict Decide(string[] uids, KubePodRef? pod, uint peerUid, string? claimed) =>
        PodClaim.Decide(uids, pod, peerUid, claimed, "namespace shop");

    [Theory]
    [InlineData(null)]
    [InlineData("web-7d9f-xk2lp")]
    public void A_launcher_in_a_pod_is_that_pod_named_or_not(string? claimed) =>
        Assert.Equal(new PodVerdict("web-7d9f-xk2lp", Uid, null), Decide([Uid], Web, 1000, claimed));

    [Theory]
    [InlineData(0u)]
    [InlineData(1000u)]
    public void A_launcher_in_a_pod_naming_another_is_refused_even_as_root(uint peerUid)
    {
        var verdict = Decide([Uid], Web, peerUid, "db-0");
        Assert.Equal("pod name \"db-0\" (--kubernetes-pod-name, POD_NAME or KUBERNETES_POD_NAME) is not this pod's: " +
                     "the launcher runs in pod shop/web-7d9f-xk2lp", verdict.Refusal);
        Assert.Null(verdict.PodName);
    }

    [Fact]
    public void A_pod_the_agent_does_not_know_is_refused_with_what_it_watches() =>
        Assert.Equal($"pod {Uid} (from the launcher's cgroup) is not known to the agent yet: it is not among the pods it watches " +
                     "(namespace shop); try again once the API server lists it", Decide([Uid], null, 0, null).Refusal);

    [Fact]
    public void Cgroups_naming_two_pods_are_refused() =>
        Assert.StartsWith("the launcher's cgroups name more than one pod", Decide([Uid, "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"], Web, 0, null).Refusal);

    [Fact]
    public void Outside_pods_root_may_name_a_pod_and_others_may_not()
    {
        Assert.Equal(new PodVerdict("web-7d9f-xk2lp", null, null), Decide([], null, 0, "web-7d9f-xk2lp"));
        Assert.Equal("pod name \"web-7d9f-xk2lp\" (--kubernetes-pod-name, POD_NAME or KUBERNETES_POD_NAME) refused: the launcher runs in no pod " +
                     "(its cgroup carries no pod UID) and as uid 1000; outside pods only root may name a pod",
            Decide([], null, 1000, "web-7d9f-xk2lp").Refusal);
    }

    [Fact]
    public void Outside_pods_without_a_name_an_app_is_no_pod() =>
        Assert.Equal(new PodVerdict(null, null, null), Decide([], null, 1000, null));
}
