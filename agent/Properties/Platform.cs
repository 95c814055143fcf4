// The agent is Linux-only by design (seccomp user notification, pidfd, Unix sockets with file modes).
[assembly: System.Runtime.Versioning.SupportedOSPlatform("linux")]
