using AppSwitch.Common.Model;

namespace AppSwitch.Agent.Xds;

/// <summary>
/// The xDS configuration in force for routing (the view and the route rules translated from it) and the client's
/// status. Written by the ADS client only; read by routing snapshots and the REST API. Without --xds-address it stays empty.
/// </summary>
public sealed class XdsRegistry
{
    private volatile XdsConfig _config = XdsConfig.Empty;
    private volatile XdsStatusRecord _status = new();

    /// <summary>Raised after <see cref="Replace"/> (the routing snapshot goes stale).</summary>
    public event Action? Replaced;

    public XdsConfig Config => _config;
    public XdsStatusRecord Status => _status;

    public void Replace(XdsConfig config)
    {
        _config = config;
        Replaced?.Invoke();
    }

    public void Report(XdsStatusRecord status) => _status = status;
}
