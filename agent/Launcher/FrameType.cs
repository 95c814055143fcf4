namespace AppSwitch.Agent.Launcher;

/// <summary>Frame types of docs/launcher-protocol.md.</summary>
internal enum FrameType : byte { Run = 1, Plan = 2, Listener = 3, Ready = 4, Error = 255 }
