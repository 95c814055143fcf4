namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// A directory /tmp/axt-&lt;id&gt;/ owned by this test run: it records the owner's pid so that
/// <see cref="TestNetwork.RemoveLeftovers"/> of another, concurrent run leaves it alone.
/// </summary>
public sealed class TempDirectory : IDisposable
{
    public const string Prefix = "axt-";
    public const string OwnerFile = "owner.pid";

    public string Id { get; }
    public string Path { get; }

    public TempDirectory(string? id = null)
    {
        Id = id ?? NewId();
        Path = System.IO.Path.Combine("/tmp", Prefix + Id);
        Directory.CreateDirectory(Path);
        File.WriteAllText(System.IO.Path.Combine(Path, OwnerFile), Environment.ProcessId.ToString());
    }

    /// <summary>Six random hex digits: short enough for interface and namespace names.</summary>
    public static string NewId() => Convert.ToHexString(System.Security.Cryptography.RandomNumberGenerator.GetBytes(3)).ToLowerInvariant();

    /// <summary>A new empty subdirectory.</summary>
    public string NewSubdirectory(string name)
    {
        var dir = System.IO.Path.Combine(Path, name);
        Directory.CreateDirectory(dir);
        return dir;
    }

    public string WriteFile(string relativePath, string content)
    {
        var file = System.IO.Path.Combine(Path, relativePath);
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(file)!);
        File.WriteAllText(file, content);
        return file;
    }

    /// <summary>True when the run that made /tmp/axt-&lt;id&gt; is still alive.</summary>
    public static bool IsOwnedByLiveProcess(string id)
    {
        try
        {
            var text = File.ReadAllText(System.IO.Path.Combine("/tmp", Prefix + id, OwnerFile)).Trim();
            return int.TryParse(text, out var pid) && Signals.IsAlive(pid);
        }
        catch (IOException) { return false; }
    }

    public void Dispose()
    {
        try { Directory.Delete(Path, recursive: true); }
        catch (DirectoryNotFoundException) { }
    }
}
