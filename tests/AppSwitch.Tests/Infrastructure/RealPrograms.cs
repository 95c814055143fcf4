namespace AppSwitch.Tests.Infrastructure;

/// <summary>Command lines of the unmodified programs the integration tests run as apps.</summary>
public static class RealPrograms
{
    /// <summary>`python3 -m http.server PORT --bind BIND --directory DIR`.</summary>
    public static string[] PythonHttpServer(string directory, int port = 80, string bind = "0.0.0.0") =>
        ["python3", "-m", "http.server", port.ToString(), "--bind", bind, "--directory", directory];

    /// <summary>curl printing the body, then a line with the HTTP status code.</summary>
    public static string[] CurlBodyAndStatus(string url) => ["curl", "-sS", "-w", "\n%{http_code}", url];

    /// <summary>curl printing only the HTTP status code.</summary>
    public static string[] CurlStatus(string url) => ["curl", "-sS", "-o", "/dev/null", "-w", "%{http_code}", url];

    /// <summary>A document root with the given files.</summary>
    public static string DocumentRoot(TempDirectory temp, string name, params (string File, string Content)[] files)
    {
        var dir = temp.NewSubdirectory(name);
        foreach (var (file, content) in files) File.WriteAllText(Path.Combine(dir, file), content);
        return dir;
    }
}
