using System.Text.Json;
using System.Text.Json.Nodes;
using AppSwitch.Agent.Kubernetes.Informers;
using AppSwitch.Agent.Kubernetes.Models;
using AppSwitch.Agent.Rules;
using AppSwitch.Common.Rules;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.Kubernetes.Adapter;

/// <summary>
/// The rules adapter: RoutingRule objects (routingrules.amalgam8.io/v1, `spec` = one Amalgam8 rule) are read with
/// the same reader and validator as `ax create rules`; the valid ones replace the rule book's Kubernetes rules
/// and every object's `status` says `valid` or `invalid` with the validator's message. A rule without an id takes
/// the object's name. Every agent runs this and reaches the same verdicts, so a status patch that would not
/// change anything is skipped (the object's own status is compared first).
/// </summary>
public sealed class RoutingRuleSync(IKubernetes client, string? @namespace, InformerOptions options, RuleBook rules, ILogger logger)
{
    public const string Valid = "valid";
    public const string Invalid = "invalid";

    private readonly KubeInformer<RoutingRule, RoutingRuleList> _informer = new(client, KubeResources.RoutingRules, @namespace, options, logger);

    private string? _lastSummary;

    public string? LastError => _informer.LastError;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        var watching = _informer.RunAsync(cancellationToken);
        try
        {
            await _informer.WaitForSyncAsync(cancellationToken);
            await ApplyAsync(cancellationToken);
            while (await _informer.Events.WaitToReadAsync(cancellationToken))
            {
                while (_informer.Events.TryRead(out _)) { } // coalesce: the snapshot has them all
                await ApplyAsync(cancellationToken);
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested) { }
        await watching;
    }

    private async Task ApplyAsync(CancellationToken cancellationToken)
    {
        var objects = _informer.Snapshot()
            .OrderBy(o => o.Metadata.NamespaceProperty, StringComparer.Ordinal).ThenBy(o => o.Metadata.Name, StringComparer.Ordinal).ToList();
        var valid = new List<Rule>();
        var verdicts = new List<(RoutingRule Object, string State, string Message)>();
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var item in objects)
        {
            var rule = Read(item, out var problem);
            if (rule is not null && owners.TryGetValue(rule.Id, out var other))
            {
                problem = $"spec.id: \"{rule.Id}\" is also the id of RoutingRule {other}";
                rule = null;
            }
            if (rule is not null)
            {
                owners[rule.Id] = $"{item.Metadata.NamespaceProperty}/{item.Metadata.Name}";
                valid.Add(rule);
                verdicts.Add((item, Valid, $"rule {rule.Id} applied"));
            }
            else
            {
                verdicts.Add((item, Invalid, problem!));
            }
        }
        rules.ReplaceKubernetes(valid);
        var summary = string.Join(",", verdicts.Select(v => $"{v.Object.Metadata.NamespaceProperty}/{v.Object.Metadata.Name}={v.State}"));
        if (summary != _lastSummary)
            logger.LogInformation("Kubernetes RoutingRules: {Valid} valid, {Invalid} invalid", valid.Count, objects.Count - valid.Count);
        _lastSummary = summary;

        foreach (var (item, state, message) in verdicts)
        {
            if (item.Status?.State == state && item.Status?.Message == message) continue;
            if (state == Invalid)
                logger.LogWarning("RoutingRule {Namespace}/{Name} is invalid: {Message}", item.Metadata.NamespaceProperty, item.Metadata.Name, message);
            var patch = new JsonObject { ["status"] = new JsonObject { ["state"] = state, ["message"] = message } }.ToJsonString();
            var @namespace = item.Metadata.NamespaceProperty ?? "default";
            try
            {
                await PatchStatusAsync(client, @namespace, item.Metadata.Name, patch, cancellationToken);
            }
            catch (Exception e) when (e is KubeApiException or HttpRequestException or IOException)
            {
                // The rule book is right either way; the next change of the object retries the status.
                logger.LogWarning("Cannot set the status of RoutingRule {Namespace}/{Name}: {Error}", item.Metadata.NamespaceProperty, item.Metadata.Name, e.Message);
            }
        }
    }

    /// <summary>
    /// Merge-patches the object's `status` subresource: the way a controller reports back without touching the spec.
    /// Needs the RBAC verb `patch` on `routingrules/status`.
    /// </summary>
    public static async Task PatchStatusAsync(IKubernetes client, string @namespace, string name, string statusPatchJson, CancellationToken cancellationToken)
    {
        try
        {
            await client.CustomObjects.PatchNamespacedCustomObjectStatusAsync(new V1Patch(statusPatchJson, V1Patch.PatchType.MergePatch),
                RoutingRule.Group, RoutingRule.Version, @namespace, RoutingRule.Plural, name, cancellationToken: cancellationToken);
        }
        catch (HttpOperationException e)
        {
            throw KubeApiException.From(e, "patch", $"{RoutingRule.Plural}.{RoutingRule.Group}/status", @namespace);
        }
    }

    /// <summary>The object's rule, or null with the validator's problems in one line (paths relative to the object: `spec.…`).</summary>
    public static Rule? Read(RoutingRule item, out string? problem)
    {
        problem = null;
        if (item.Spec.ValueKind != JsonValueKind.Object)
        {
            problem = "spec: must be an Amalgam8 rule object";
            return null;
        }
        var read = RuleReader.Read(item.Spec.GetRawText(), out var problems);
        if (problems.Count > 0)
        {
            problem = string.Join("; ", problems.Select(p => p with { Path = SpecPath(p.Path) }));
            return null;
        }
        var rule = read[0];
        return rule.Id.Length > 0 ? rule : rule with { Id = item.Metadata.Name };
    }

    private static string SpecPath(string path) =>
        path.StartsWith("rules[0]", StringComparison.Ordinal) ? "spec" + path["rules[0]".Length..] : path.Length == 0 ? "spec" : path;
}
