using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace AppSwitch.Tests.Infrastructure.Kubernetes;

/// <summary>
/// Checks a custom resource against its CRD version's openAPIV3Schema as the API server does before storing it, with
/// the server's wording (`spec.destination: Required value`, `… in body should be less than or equal to 1`):
/// type, required, properties (unknown fields are an error under `fieldValidation=Strict`, which kubectl sends, and
/// pruned otherwise), additionalProperties, items, minItems, minLength, enum, minimum/maximum (exclusiveMinimum as the
/// v1 CRD's boolean), oneOf; and fills in `default` values. Formats, patterns and CEL rules are not checked.
/// </summary>
public static class CrdSchemaValidator
{
    public static List<string> Validate(JsonObject crd, string version, JsonObject item, bool strict)
    {
        var schema = crd["spec"]?["versions"]?.AsArray().FirstOrDefault(v => (string?)v?["name"] == version)?["schema"]?["openAPIV3Schema"] as JsonObject;
        var errors = new List<string>();
        if (schema is null) return errors;
        var body = new JsonObject();
        foreach (var (key, value) in item)
            if (key is not ("apiVersion" or "kind" or "metadata")) body[key] = value?.DeepClone();
        Check(schema, body, "", strict, errors);
        foreach (var (key, value) in body) item[key] = value?.DeepClone();
        foreach (var key in item.Select(p => p.Key).Where(k => k is not ("apiVersion" or "kind" or "metadata") && !body.ContainsKey(k)).ToList())
            item.Remove(key);
        return errors;
    }

    private static void Check(JsonObject schema, JsonNode? value, string path, bool strict, List<string> errors)
    {
        var at = path == "" ? "<root>" : path;
        var type = (string?)schema["type"];
        if (type is not null && !HasType(value, type))
        {
            errors.Add($"{at}: Invalid value: \"{Kind(value)}\": {at} in body must be of type {type}: \"{Kind(value)}\"");
            return;
        }
        if (schema["enum"] is JsonArray allowed && !allowed.Any(a => JsonNode.DeepEquals(a, value)))
            errors.Add($"{at}: Unsupported value: {value?.ToJsonString()}: supported values: {string.Join(", ", allowed.Select(a => a!.ToJsonString()))}");
        switch (value)
        {
            case JsonObject obj:
                CheckObject(schema, obj, path, strict, errors);
                break;
            case JsonArray array:
                if (schema["minItems"]?.GetValue<int>() is { } minItems && array.Count < minItems)
                    errors.Add($"{at}: Invalid value: {array.Count}: {at} in body should have at least {minItems} items");
                if (schema["items"] is JsonObject items)
                    for (var i = 0; i < array.Count; i++) Check(items, array[i], $"{path}[{i}]", strict, errors);
                break;
            case JsonValue scalar when scalar.GetValueKind() == JsonValueKind.String:
                if (schema["minLength"]?.GetValue<int>() is { } minLength && ((string)scalar!).Length < minLength)
                    errors.Add($"{at}: Invalid value: \"{(string)scalar!}\": {at} in body should be at least {minLength} chars long");
                break;
            case JsonValue number when number.GetValueKind() == JsonValueKind.Number:
                CheckNumber(schema, number.GetValue<double>(), at, errors);
                break;
        }
        if (schema["oneOf"] is JsonArray choices)
        {
            var matching = choices.Count(c => { var e = new List<string>(); Check(c!.AsObject(), value, path, false, e); return e.Count == 0; });
            if (matching != 1) errors.Add($"{at}: Invalid value: \"{Kind(value)}\": {at} in body must match exactly one schema in oneOf");
        }
    }

    private static void CheckObject(JsonObject schema, JsonObject obj, string path, bool strict, List<string> errors)
    {
        var properties = schema["properties"] as JsonObject;
        if (properties is not null)
            foreach (var (name, property) in properties)
                if (!obj.ContainsKey(name) && property?["default"] is { } fallback) obj[name] = fallback.DeepClone();
        foreach (var required in schema["required"]?.AsArray() ?? [])
            if (!obj.ContainsKey((string)required!)) errors.Add($"{Join(path, (string)required!)}: Required value");
        var preserve = schema["x-kubernetes-preserve-unknown-fields"]?.GetValue<bool>() == true;
        foreach (var (name, child) in obj.ToList())
        {
            var childPath = Join(path, name);
            if (properties?[name] is JsonObject childSchema) Check(childSchema, child, childPath, strict, errors);
            else if (schema["additionalProperties"] is JsonObject mapSchema) Check(mapSchema, child, childPath, strict, errors);
            else if (properties is not null && !preserve)
            {
                if (strict) errors.Add($"{childPath}: unknown field \"{childPath}\"");
                else obj.Remove(name);
            }
        }
    }

    private static void CheckNumber(JsonObject schema, double number, string at, List<string> errors)
    {
        var shown = number.ToString(CultureInfo.InvariantCulture);
        if (schema["minimum"]?.GetValue<double>() is { } minimum)
        {
            var exclusive = schema["exclusiveMinimum"]?.GetValue<bool>() == true;
            if (exclusive ? number <= minimum : number < minimum)
                errors.Add($"{at}: Invalid value: {shown}: {at} in body should be greater than {(exclusive ? "" : "or equal to ")}{minimum.ToString(CultureInfo.InvariantCulture)}");
        }
        if (schema["maximum"]?.GetValue<double>() is { } maximum)
        {
            var exclusive = schema["exclusiveMaximum"]?.GetValue<bool>() == true;
            if (exclusive ? number >= maximum : number > maximum)
                errors.Add($"{at}: Invalid value: {shown}: {at} in body should be less than {(exclusive ? "" : "or equal to ")}{maximum.ToString(CultureInfo.InvariantCulture)}");
        }
    }

    private static bool HasType(JsonNode? value, string type) => type switch
    {
        "object" => value is JsonObject,
        "array" => value is JsonArray,
        "string" => value is JsonValue v && v.GetValueKind() == JsonValueKind.String,
        "boolean" => value is JsonValue v && v.GetValueKind() is JsonValueKind.True or JsonValueKind.False,
        "integer" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number && Math.Abs(v.GetValue<double>() % 1) == 0,
        "number" => value is JsonValue v && v.GetValueKind() == JsonValueKind.Number,
        _ => true,
    };

    private static string Kind(JsonNode? value) => value switch
    {
        JsonObject => "object",
        JsonArray => "array",
        JsonValue v when v.GetValueKind() == JsonValueKind.String => "string",
        JsonValue v when v.GetValueKind() == JsonValueKind.Number => "number",
        JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => "boolean",
        _ => "null",
    };

    private static string Join(string path, string name) => path == "" ? name : $"{path}.{name}";
}
