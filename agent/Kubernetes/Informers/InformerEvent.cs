namespace AppSwitch.Agent.Kubernetes.Informers;
