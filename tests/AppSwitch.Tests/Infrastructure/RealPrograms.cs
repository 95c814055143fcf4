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

    /// <summary>
    /// nginx with master and two workers, everything it writes kept in the test's temp directory (subdirectory nginx):
    /// its config file. <paramref name="logFormat"/>: the access log's format (nginx's default "combined" when null).
    /// </summary>
    public static string NginxConfig(TempDirectory temp, string root, string? logFormat = null)
    {
        var dir = temp.NewSubdirectory("nginx");
        var format = logFormat is null ? "" : $"log_format test '{logFormat}';";
        var accessLog = logFormat is null ? $"{dir}/access.log" : $"{dir}/access.log test";
        return temp.WriteFile("nginx/nginx.conf", $$"""
            master_process on;
            worker_processes 2;
            pid {{dir}}/nginx.pid;
            error_log {{dir}}/error.log info;
            events { worker_connections 64; }
            http {
                {{format}}
                access_log {{accessLog}};
                client_body_temp_path {{dir}}/body;
                proxy_temp_path {{dir}}/proxy;
                fastcgi_temp_path {{dir}}/fastcgi;
                uwsgi_temp_path {{dir}}/uwsgi;
                scgi_temp_path {{dir}}/scgi;
                server {
                    listen 80;
                    root {{root}};
                }
            }
            """);
    }
}
