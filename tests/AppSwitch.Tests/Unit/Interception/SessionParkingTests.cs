using System.Collections.Concurrent;
using AppSwitch.Agent.Interception;
using AppSwitch.Agent.Native;
using AppSwitch.Agent.Table;
using Xunit;

namespace AppSwitch.Tests.Unit.Interception;

/// <summary>
/// The parking thread's state machine, with eventfds standing in for seccomp listeners (both poll readable while
/// something is pending): a parked session is handed back exactly once per park when its listener turns readable,
/// also when it was readable before it was parked (a call that arrived while its thread was parking).
/// </summary>
public sealed class SessionParkingTests : IDisposable
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(20);
    private readonly int _stopFd = FileCalls.CreateEventFd().Fd;
    private readonly List<int> _fds = [];
    private readonly BlockingCollection<AppSession> _woken = [];
    private readonly SessionParking _parking;

    public SessionParkingTests() => _parking = new SessionParking(_stopFd, _woken.Add);

    private AppSession NewSession(string id)
    {
        var fd = FileCalls.CreateEventFd().Fd;
        _fds.Add(fd);
        return new AppSession(new AppEntry { Id = id }, fd);
    }

    private AppSession NextWoken()
    {
        Assert.True(_woken.TryTake(out var session, Timeout), "no session was handed back");
        return session;
    }

    [Fact]
    public void A_parked_session_is_handed_back_once_when_its_listener_turns_readable()
    {
        var first = NewSession("a0000001");
        Assert.True(_parking.Park(first));
        Assert.Equal(1, _parking.Count);

        FileCalls.Signal(first.ListenerFd); // stays readable: nobody reads the eventfd
        Assert.Same(first, NextWoken());
        Assert.Equal(0, _parking.Count);

        // Were the first still watched, level-triggered epoll would report it again before the second.
        var second = NewSession("a0000002");
        Assert.True(_parking.Park(second));
        FileCalls.Signal(second.ListenerFd);
        Assert.Same(second, NextWoken());
        Assert.Empty(_woken);
    }

    [Fact]
    public void A_session_parked_with_a_call_already_pending_is_handed_back_at_once_and_again_after_each_park()
    {
        var session = NewSession("a0000003");
        FileCalls.Signal(session.ListenerFd);
        for (var round = 0; round < 3; round++)
        {
            Assert.True(_parking.Park(session));
            Assert.Same(session, NextWoken());
        }
        Assert.Equal(0, _parking.Count);
    }

    public void Dispose()
    {
        FileCalls.Signal(_stopFd);
        _parking.Dispose();
        foreach (var fd in _fds) Libc.Close(fd);
        Libc.Close(_stopFd);
    }
}
