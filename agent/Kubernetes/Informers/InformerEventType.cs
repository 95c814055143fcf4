namespace AppSwitch.Agent.Kubernetes.Informers;

public enum InformerEventType { Added, Modified, Deleted }
