using System.Net;

namespace AppSwitch.Agent.Table;

public enum SocketState { Bound, Listening, Connected }
