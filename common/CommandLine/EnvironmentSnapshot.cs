using System.Collections;

namespace AppSwitch.Common.CommandLine;

/// <summary>The process environment as a dictionary, so parsers can take the environment as a plain argument (and tests a fake one).</summary>
public static class EnvironmentSnapshot
{
    public static IReadOnlyDictionary<string, string> Current()
    {
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry entry in Environment.GetEnvironmentVariables())
            if (entry.Key is string key && entry.Value is string value) result[key] = value;
        return result;
    }
}
