namespace AppSwitch.Agent.NameService;

/// <summary>Record types the server answers itself.</summary>
public static class DnsType
{
    public const ushort A = 1;
    public const ushort Aaaa = 28;
    public const ushort Any = 255;
}
