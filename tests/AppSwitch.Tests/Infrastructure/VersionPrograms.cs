namespace AppSwitch.Tests.Infrastructure;

/// <summary>
/// The two small programs route-rule tests count with: a TCP server that answers every connection with its version
/// and closes it, and a client that connects N times and prints how many answers each version gave.
/// </summary>
public static class VersionPrograms
{
    private const string Server = """
        import socket, sys
        s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("0.0.0.0", int(sys.argv[2]))); s.listen(512)
        while True:
            c, _ = s.accept(); c.sendall(sys.argv[1].encode()); c.close()
        """;

    private const string Client = """
        import socket, sys, json
        counts = {}
        for _ in range(int(sys.argv[3])):
            try:
                c = socket.create_connection((sys.argv[1], int(sys.argv[2])), timeout=10)
            except ConnectionRefusedError:
                counts["refused"] = counts.get("refused", 0) + 1
                continue
            answer = b""
            while len(answer) < 2:
                chunk = c.recv(16)
                if not chunk: break
                answer += chunk
            c.close()
            counts[answer.decode()] = counts.get(answer.decode(), 0) + 1
        print(json.dumps(counts))
        """;

    /// <summary>Listens on 0.0.0.0:<paramref name="port"/> and answers every connection with <paramref name="version"/>.</summary>
    public static string[] VersionServer(string version, int port) => ["python3", "-c", Server, version, port.ToString()];

    /// <summary>
    /// Connects <paramref name="connections"/> times to host:port and prints {"v1": n, "v2": m} as JSON; a refused
    /// connect counts as "refused".
    /// </summary>
    public static string[] CountingClient(string host, int port, int connections) =>
        ["python3", "-c", Client, host, port.ToString(), connections.ToString()];
}
