using System.Globalization;
using AppSwitch.Common.Model;

namespace AppSwitch.Cli.Output;

/// <summary>`ax keys list`: KEY PRIMARY MEMBERS (holders of the key / live members), primary first.</summary>
internal static class KeyTable
{
    public static string Format(KeyringRecord keyring) =>
        TableWriter.Format(["KEY", "PRIMARY", "MEMBERS"],
            [.. keyring.Keys.Select(k => (IReadOnlyList<string>)[k.Key, k.Primary ? "yes" : "no",
                string.Create(CultureInfo.InvariantCulture, $"{k.Members}/{keyring.Members}")])]);
}
