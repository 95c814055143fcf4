namespace AppSwitch.Agent.Cluster;

public enum PacketDirection { Inbound, Outbound }
