using AppSwitch.Agent.Api.Access;
using AppSwitch.Agent.Native;
using Xunit;

namespace AppSwitch.Tests.Unit.Api;

/// <summary>The pieces of the API's access checks that need no agent: the token file, the peer policy, the log limiter.</summary>
public sealed class ApiAccessUnitTests : IDisposable
{
    private readonly string _file = Path.GetTempFileName();

    public void Dispose() => File.Delete(_file);

    [Fact]
    public void The_token_matches_exactly_ignoring_the_file_s_surrounding_whitespace_and_follows_rewrites()
    {
        File.WriteAllText(_file, "  s3cret\n");
        var token = new ApiTokenFile(_file);
        Assert.True(token.Matches("s3cret"));
        Assert.False(token.Matches("s3cre"));
        Assert.False(token.Matches("s3cret2"));
        Assert.False(token.Matches("S3CRET"));
        Assert.False(token.Matches(""));

        File.WriteAllText(_file, "next-token-longer");
        Assert.True(token.Matches("next-token-longer"));
        Assert.False(token.Matches("s3cret"));

        File.WriteAllText(_file, "\n");
        Assert.False(token.Matches(""));
        File.Delete(_file);
        Assert.False(token.Matches("next-token-longer"));
    }

    [Fact]
    public void Root_the_agent_s_user_and_members_of_the_group_pass_the_peer_policy()
    {
        var policy = new AdminPeerPolicy(allowedGroup: 4242);
        Assert.True(policy.Allows(new PeerCredentials(1, 0, 100, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, Libc.GetEUid(), 100, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, 1000, 4242, [])));
        Assert.True(policy.Allows(new PeerCredentials(1, 1000, 100, [27, 4242])));
        Assert.False(policy.Allows(new PeerCredentials(1, 1000, 100, [27])));
    }

    [Fact]
    public void Refusals_are_logged_once_per_caller_and_window()
    {
        var limiter = new RefusalLogLimiter(TimeSpan.FromHours(1));
        Assert.True(limiter.ShouldLog("10.0.0.1"));
        Assert.False(limiter.ShouldLog("10.0.0.1"));
        Assert.True(limiter.ShouldLog("10.0.0.2"));
        var always = new RefusalLogLimiter(TimeSpan.Zero);
        Assert.True(always.ShouldLog("x") && always.ShouldLog("x"));
    }
}
