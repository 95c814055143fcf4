using System.Text.Json;
using System.Text.Json.Nodes;
using YamlDotNet.Core;

namespace AppSwitch.Common.Rules;

/// <summary>
/// Turns the text of a rule document, JSON or YAML, into a JSON tree. JSON is recognised by its first character
/// (`{` or `[`) so that its errors read as JSON errors; anything else is read as YAML. Syntax errors come back
/// as one problem with the line and column; nothing here throws on bad input.
/// </summary>
public static class RuleDocumentParser
{
    public const int MaxBytes = 1 << 20;
    public const int MaxDepth = 32;

    public static JsonNode? Parse(string text, out RuleProblem? problem)
    {
        problem = null;
        if (text.Length > MaxBytes)
        {
            problem = new RuleProblem("", $"the document is {text.Length} characters long, over {MaxBytes}");
            return null;
        }
        var trimmed = text.AsSpan().TrimStart();
        if (trimmed.IsEmpty)
        {
            problem = new RuleProblem("", "the document is empty");
            return null;
        }
        return trimmed[0] is '{' or '[' ? ParseJson(text, out problem) : ParseYaml(text, out problem);
    }

    private static JsonNode? ParseJson(string text, out RuleProblem? problem)
    {
        problem = null;
        try
        {
            return JsonNode.Parse(text, documentOptions: new JsonDocumentOptions { MaxDepth = MaxDepth, CommentHandling = JsonCommentHandling.Skip, AllowDuplicateProperties = false });
        }
        catch (JsonException e)
        {
            var where = e.LineNumber is { } line ? $"line {line + 1}, position {e.BytePositionInLine + 1}: " : "";
            problem = new RuleProblem("", $"invalid JSON: {where}{FirstSentence(e.Message)}");
            return null;
        }
        catch (InvalidOperationException e)
        {
            problem = UnreadableText(e);
            return null;
        }
    }

    /// <summary>System.Text.Json reads an escaped lone UTF-16 surrogate (`"\ud800"`) only when the string is used, and
    /// then throws InvalidOperationException, not JsonException (found by the rules-json and kube-watch fuzz targets);
    /// JsonNode's typed reads throw it too. (Its Source is not "System.Text.Json" here, so it is not filtered on.)</summary>
    internal static RuleProblem UnreadableText(InvalidOperationException e) => new("", $"invalid JSON: {FirstSentence(e.Message)}");

    private static JsonNode? ParseYaml(string text, out RuleProblem? problem)
    {
        problem = null;
        try
        {
            return YamlToJson.Convert(text, MaxDepth);
        }
        catch (YamlException e)
        {
            var message = e.InnerException is YamlException inner ? inner.Message : e.Message;
            problem = new RuleProblem("", $"invalid YAML: line {e.Start.Line}, column {e.Start.Column}: {FirstSentence(message)}");
            return null;
        }
        catch (YamlToJson.TooDeepException)
        {
            problem = new RuleProblem("", $"invalid YAML: nested deeper than {MaxDepth} levels");
            return null;
        }
    }

    /// <summary>System.Text.Json appends "Path: $ | LineNumber: …" to its messages; the position is reported already.</summary>
    private static string FirstSentence(string message)
    {
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (cut > 0 ? message[..cut] : message).Trim();
    }
}
