namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// The backend tag an xDS route gives a subset cluster (`outbound|9080|v2|reviews…`): "the instances whose address
/// is among that cluster's EDS endpoints". Istio sends no subset labels — a subset is the endpoint set istiod
/// filtered — so membership is by address, looked up in the accepted view at pick time. The '|' of the cluster name
/// never occurs in a label (Kubernetes syntax), so no app can claim membership by labelling itself.
/// </summary>
public static class XdsSubsetTag
{
    private const string Prefix = "xds-cluster:";

    public static string Of(string clusterName) => Prefix + clusterName;

    public static bool TryCluster(string tag, out string clusterName)
    {
        var isSubset = tag.StartsWith(Prefix, StringComparison.Ordinal);
        clusterName = isSubset ? tag[Prefix.Length..] : "";
        return isSubset;
    }
}
