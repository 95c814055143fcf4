using System.Globalization;
using System.Text.Json.Nodes;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace AppSwitch.Common.Rules;

/// <summary>
/// Reads one YAML document into a JSON tree, so that JSON and YAML rules go through one binder. Plain scalars
/// follow YAML 1.2's core schema (null, true/false, integers, floats); quoted scalars are always strings.
/// Built from the parser's event stream with an explicit stack: deep nesting is refused, never a stack overflow.
/// </summary>
internal static class YamlToJson
{
    public sealed class TooDeepException : Exception;

    /// <summary>The tree; YamlException (with a position) for anything that is not one plain YAML document.</summary>
    public static JsonNode? Convert(string text, int maxDepth)
    {
        var parser = new Parser(new StringReader(text));
        var containers = new Stack<(JsonNode Node, string? PendingKey)>();
        JsonNode? root = null;
        var documents = 0;
        try
        {
            while (parser.MoveNext())
            {
                var current = parser.Current!;
                switch (current)
                {
                    case DocumentStart:
                        if (++documents > 1)
                            throw new YamlException(current.Start, current.End, "more than one document (---): put every rule under one `rules:` list");
                        break;
                    case AnchorAlias:
                        throw new YamlException(current.Start, current.End, "aliases are not supported in rule documents");
                    case MappingStart or SequenceStart:
                        if (containers.Count >= maxDepth) throw new TooDeepException();
                        JsonNode container = current is MappingStart ? new JsonObject() : new JsonArray();
                        Add(containers, container, current, ref root);
                        containers.Push((container, null));
                        break;
                    case MappingEnd or SequenceEnd:
                        containers.Pop();
                        break;
                    case Scalar scalar:
                        Add(containers, ScalarValue(scalar), current, ref root, scalar);
                        break;
                }
            }
        }
        catch (Exception e) when (e is InvalidOperationException or ArgumentException or FormatException or OverflowException)
        {
            // The scanner has a few states in which it throws these instead of a YamlException.
            throw new YamlException(parser.Current?.Start ?? Mark.Empty, parser.Current?.End ?? Mark.Empty, e.Message);
        }
        return root;
    }

    private static void Add(Stack<(JsonNode Node, string? PendingKey)> containers, JsonNode? value, ParsingEvent at, ref JsonNode? root,
        Scalar? keyCandidate = null)
    {
        if (containers.Count == 0)
        {
            root = value;
            return;
        }
        var (parent, pendingKey) = containers.Pop();
        if (parent is JsonArray array)
        {
            array.Add(value);
            containers.Push((parent, null));
            return;
        }
        var obj = (JsonObject)parent;
        if (pendingKey is null)
        {
            if (keyCandidate is null) throw new YamlException(at.Start, at.End, "a mapping key must be a plain string");
            var key = keyCandidate.Value;
            if (obj.ContainsKey(key)) throw new YamlException(at.Start, at.End, $"duplicate key \"{key}\"");
            containers.Push((parent, key));
            return;
        }
        obj[pendingKey] = value;
        containers.Push((parent, null));
    }

    private static JsonNode? ScalarValue(Scalar scalar)
    {
        var value = scalar.Value ?? "";
        if (scalar.Style != ScalarStyle.Plain) return JsonValue.Create(value);
        switch (value)
        {
            case "" or "~" or "null" or "Null" or "NULL": return null;
            case "true" or "True" or "TRUE": return JsonValue.Create(true);
            case "false" or "False" or "FALSE": return JsonValue.Create(false);
        }
        if (long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var integer)) return JsonValue.Create(integer);
        if (double.TryParse(value, NumberStyles.AllowLeadingSign | NumberStyles.AllowDecimalPoint | NumberStyles.AllowExponent,
                CultureInfo.InvariantCulture, out var number) && double.IsFinite(number))
            return JsonValue.Create(number);
        return JsonValue.Create(value);
    }
}
