using AppSwitch.Agent.Table;
using Microsoft.Extensions.Logging;

namespace AppSwitch.Agent.State;

/// <summary>
/// Writes the state file off the changing threads: it waits for a new table revision, lets a burst settle, then
/// writes the whole state once (a burst of binds costs one write, not one per bind). Durability meanwhile comes from
/// <see cref="StateWriteAheadLog"/>: the log is rotated before each snapshot and dropped once the snapshot landed.
/// Stopping (SIGTERM) writes the latest state.
/// </summary>
internal sealed class StateWriter(ServiceTable table, Rules.RuleBook rules, StateFile file, StateWriteAheadLog log, ILogger<StateWriter> logger,
    Metrics.AgentMetrics? metrics = null)
{
    /// <summary>How long a burst of changes may go on before it is written (the write-ahead log covers the wait).</summary>
    private static readonly TimeSpan Settle = TimeSpan.FromMilliseconds(100);
    /// <summary>Test-only: delays each write (milliseconds) so that a test can kill the agent before one lands.</summary>
    private static readonly TimeSpan? TestDelay =
        int.TryParse(Environment.GetEnvironmentVariable("AX_STATE_TEST_WRITE_DELAY_MS"), out var ms) && ms > 0 ? TimeSpan.FromMilliseconds(ms) : null;

    private readonly Lock _writeLock = new();
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;
    private long _writes;

    /// <summary>Starts watching revisions (subscribed at once: no change after this call is missed).</summary>
    public void Start()
    {
        var revisions = table.Revisions.Subscribe();
        if (TestDelay is { } delay)
            logger.LogWarning("Test-only AX_STATE_TEST_WRITE_DELAY_MS: each state file write waits {Ms} ms", delay.TotalMilliseconds);
        _loop = Task.Run(async () =>
        {
            try
            {
                while (await revisions.WaitToReadAsync(_stopping.Token))
                {
                    revisions.TryRead(out _);
                    await Task.Delay(TestDelay ?? Settle, _stopping.Token);
                    Write();
                }
            }
            catch (OperationCanceledException) { }
            finally { table.Revisions.Unsubscribe(revisions); }
        });
    }

    /// <summary>Writes the current state now (at start-up, at stop, and for each settled burst).</summary>
    public void Write()
    {
        lock (_writeLock)
        {
            var revision = table.Revisions.Current;
            try
            {
                log.Rotate(); // before the snapshot: a change the snapshot misses goes to the new log
                file.Save(table, rules);
                log.DropRotated();
                metrics?.StateWrites.Add(1, new KeyValuePair<string, object?>("result", "ok"));
                var writes = ++_writes;
                logger.LogDebug("State file written at revision {Revision} (write {Writes})", revision, writes);
            }
            catch (IOException e)
            {
                metrics?.StateWrites.Add(1, new KeyValuePair<string, object?>("result", "failed"));
                logger.LogWarning("Cannot write {Path}: {Error}", file.Path, e.Message);
            }
        }
    }

    /// <summary>Stops watching and writes the latest state (SIGTERM, rolling update).</summary>
    public async Task StopAsync()
    {
        await _stopping.CancelAsync();
        await _loop;
        Write();
    }
}
