using Google.Protobuf;

namespace AppSwitch.Agent.Xds.Translation;

/// <summary>
/// The fields of a message that arrived on the wire but that our trimmed Envoy protos do not declare. The parser
/// keeps them as unknown fields and translation would never see them, so a route part we cannot honour (header
/// rewriting, hashing, CORS, hedging…) would be dropped silently and the route applied half. Routes check for them:
/// every such field refuses the resource unless it is listed as one that changes nothing we do.
/// </summary>
public static class UndeclaredFields
{
    /// <summary>The first undeclared field of <paramref name="message"/> not in <paramref name="harmless"/>, as a reason; else null.</summary>
    public static string? Refusal(IMessage? message, string what, IReadOnlyDictionary<int, string> names, IReadOnlySet<int> harmless)
    {
        if (message is null) return null;
        var input = new CodedInputStream(message.ToByteArray()); // unknown fields are written back as they came
        uint tag;
        while ((tag = input.ReadTag()) != 0)
        {
            var number = WireFormat.GetTagFieldNumber(tag);
            if (message.Descriptor.FindFieldByNumber(number) is null && !harmless.Contains(number))
                return $"{what} field {number}{(names.TryGetValue(number, out var name) ? $" ({name})" : "")} is not supported";
            input.SkipLastField();
        }
        return null;
    }
}
