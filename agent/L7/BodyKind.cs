namespace AppSwitch.Agent.L7;

internal enum BodyKind { Length, Chunked, UntilClose }
