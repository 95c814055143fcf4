namespace AppSwitch.Agent.Configuration;

/// <summary>The node ports application sockets may use (`--ports 40000-60000,7000`).</summary>
public sealed class PortRanges
{
    private readonly (int Low, int High)[] _ranges;

    private PortRanges((int Low, int High)[] ranges)
    {
        _ranges = ranges;
        Count = ranges.Sum(r => r.High - r.Low + 1);
    }

    public int Count { get; }

    /// <summary>The index-th port over all ranges, in order (0 ≤ index &lt; Count).</summary>
    public int PortAt(int index)
    {
        foreach (var (low, high) in _ranges)
        {
            var size = high - low + 1;
            if (index < size) return low + index;
            index -= size;
        }
        throw new ArgumentOutOfRangeException(nameof(index));
    }

    public bool Contains(int port)
    {
        foreach (var (low, high) in _ranges)
            if (port >= low && port <= high) return true;
        return false;
    }

    /// <summary>Parses "a-b,c,…"; throws FormatException with a message naming the bad part.</summary>
    public static PortRanges Parse(string text)
    {
        var ranges = new List<(int, int)>();
        foreach (var part in text.Split(',', StringSplitOptions.TrimEntries))
        {
            if (part.Length == 0) throw new FormatException($"empty port range in '{text}'");
            var dash = part.IndexOf('-');
            var low = ParsePort(dash < 0 ? part : part[..dash], part);
            var high = dash < 0 ? low : ParsePort(part[(dash + 1)..], part);
            if (high < low) throw new FormatException($"port range '{part}' ends before it starts");
            ranges.Add((low, high));
        }
        return new PortRanges(ranges.ToArray());
    }

    private static int ParsePort(string s, string part) =>
        int.TryParse(s, out var port) && port is > 0 and < 65536
            ? port
            : throw new FormatException($"'{part}' is not a port or port range (1-65535)");

    public override string ToString() => string.Join(',', _ranges.Select(r => r.Low == r.High ? $"{r.Low}" : $"{r.Low}-{r.High}"));
}
