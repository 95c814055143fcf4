namespace AppSwitch.Agent.L7;

/// <summary>What the relay does about one <see cref="RelayFailure"/>: the only place a failure's status is chosen.</summary>
/// <param name="Name">The counter's name: the failure in kebab case (client-stalled).</param>
/// <param name="Status">The answer to the app while no response has started; null: the connection is closed without one.</param>
/// <param name="Text">What the log line says happened.</param>
/// <param name="KeepsConnection">The app's connection may carry its next request after the answer (when the request was
/// read whole and is keep-alive): the failure was the upstream's and left nothing of the exchange half done.</param>
internal sealed record RelayFailureKind(RelayFailure Failure, RelaySide Side, string Name, int? Status, LogLevel Level, string Text,
    bool KeepsConnection);
