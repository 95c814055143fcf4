namespace AppSwitch.Agent.Launcher;

/// <summary>A protocol violation by the peer; its message is sent back in an ERROR frame.</summary>
internal sealed class LauncherProtocolException(string message) : Exception(message);
