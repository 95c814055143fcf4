using System.Net;

namespace AppSwitch.Agent.Table;

public enum Transport { Tcp, Udp }
