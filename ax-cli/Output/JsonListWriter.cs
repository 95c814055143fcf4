using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace AppSwitch.Cli.Output;

/// <summary>`-o json`: the records in a kubectl-style envelope `{"apiVersion":"v1","kind":"List","items":[…]}`.</summary>
internal static class JsonListWriter
{
    public static string Format<T>(IReadOnlyList<T> items, JsonTypeInfo<T> itemType, bool indented = true)
    {
        var buffer = new MemoryStream();
        var options = new JsonWriterOptions
        {
            Indented = indented,
            IndentSize = 4,
            // Output is for people and scripts, not HTML: keep '+' in timestamps and non-ASCII names readable.
            Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        };
        using (var writer = new Utf8JsonWriter(buffer, options))
        {
            writer.WriteStartObject();
            writer.WriteString("apiVersion", "v1");
            writer.WriteString("kind", "List");
            writer.WriteStartArray("items");
            foreach (var item in items) JsonSerializer.Serialize(writer, item, itemType);
            writer.WriteEndArray();
            writer.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.GetBuffer(), 0, (int)buffer.Length) + "\n";
    }
}
