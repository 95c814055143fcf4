using System.Net;
using AppSwitch.Agent.Launcher;
using AppSwitch.Common.CommandLine;
using Xunit;

namespace AppSwitch.Tests.Unit;

public class RunPlanParserTests
{
    private static readonly Dictionary<string, string> NoEnv = new();

    private static RunPlan Parse(params string[] args) => RunPlanParser.Parse(args, NoEnv);

    private static string Error(params string[] args) => Assert.Throws<UsageException>(() => Parse(args)).Message;

    [Fact]
    public void TheCommandStartsAtTheFirstNonOption()
    {
        var plan = Parse("--ip", "198.18.0.1", "nginx", "-g", "daemon off;");
        Assert.Equal(2, plan.CommandIndex);
        Assert.Equal(IPAddress.Parse("198.18.0.1"), plan.Ip);
    }

    [Fact]
    public void OptionsAfterTheCommandBelongToTheCommand()
    {
        var plan = Parse("curl", "--ip", "x", "--name", "NOT-A-LABEL");
        Assert.Equal(0, plan.CommandIndex);
        Assert.Null(plan.Ip);
        Assert.Equal("", plan.Name);
    }

    [Fact]
    public void DoubleDashMarksTheCommand()
    {
        Assert.Equal(1, Parse("--", "--weird-command").CommandIndex);
        Assert.Equal(3, Parse("--name", "web", "--", "curl", "-I", "web").CommandIndex);
    }

    [Fact]
    public void DefaultsAreZoneDefaultAndANewNamespace()
    {
        var plan = Parse("true");
        Assert.Equal(new Dictionary<string, string> { ["zone"] = "default" }, plan.Labels);
        Assert.True(plan.NewNetns);
        Assert.Equal("", plan.User);
        Assert.Equal("", plan.Interface);
        Assert.Null(plan.Ip);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true, "--trap-sendmsg")]
    [InlineData(true, "--trap-sendmsg=true")]
    [InlineData(false, "--trap-sendmsg=false")]
    public void Trap_sendmsg_is_a_boolean_off_by_default(bool expected, params string[] options) =>
        Assert.Equal(expected, Parse([.. options, "node", "client.js"]).TrapSendmsg);

    [Fact]
    public void Trap_sendmsg_takes_only_a_boolean() =>
        Assert.Contains("--trap-sendmsg", Error("--trap-sendmsg=maybe", "node"));

    [Fact]
    public void EveryOptionIsRead()
    {
        var plan = Parse("--ip=198.18.0.7", "--name", "web-1", "--labels", "zone=a,tier=web", "--user", "nobody",
            "--interface", "ax0", "--socket-dir", "/tmp/x", "--new-netns=true", "sleep", "1");
        Assert.Equal(IPAddress.Parse("198.18.0.7"), plan.Ip);
        Assert.Equal("web-1", plan.Name);
        Assert.Equal(new Dictionary<string, string> { ["zone"] = "a", ["tier"] = "web" }, plan.Labels);
        Assert.Equal("nobody", plan.User);
        Assert.Equal("ax0", plan.Interface);
        Assert.Equal(12, plan.CommandIndex);
    }

    [Fact]
    public void NewNetnsCanBeTurnedOffByFlagOrEnvironment()
    {
        Assert.False(Parse("--new-netns=false", "true").NewNetns);
        Assert.False(RunPlanParser.Parse(["true"], new Dictionary<string, string> { ["AX_NEW_NETNS"] = "false" }).NewNetns);
        Assert.True(RunPlanParser.Parse(["--new-netns", "true"], new Dictionary<string, string> { ["AX_NEW_NETNS"] = "false" }).NewNetns);
    }

    [Fact]
    public void EmptyLabelsMeanNoLabels() => Assert.Empty(Parse("--labels=", "true").Labels);

    [Fact]
    public void PrefixedLabelKeysAreAccepted() =>
        Assert.Equal("v1", Parse("--labels", "example.com/version=v1", "true").Labels["example.com/version"]);

    [Theory]
    [InlineData("no command given (usage: ax run [options] [--] COMMAND [ARGS...])")]
    [InlineData("no command given (usage: ax run [options] [--] COMMAND [ARGS...])", "--ip", "198.18.0.1")]
    [InlineData("no command given (usage: ax run [options] [--] COMMAND [ARGS...])", "--name", "a", "--")]
    [InlineData("unknown flag --expose-all", "--expose-all", "x")]
    [InlineData("flag --ip needs a value", "--ip")]
    [InlineData("invalid value \"1.2.3\" for --ip: not an IPv4 address (A.B.C.D)", "--ip", "1.2.3", "x")]
    [InlineData("invalid value \"1\" for --ip: not an IPv4 address (A.B.C.D)", "--ip", "1", "x")]
    [InlineData("invalid value \"01.2.3.4\" for --ip: not an IPv4 address (A.B.C.D)", "--ip", "01.2.3.4", "x")]
    [InlineData("invalid value \"fd00::1\" for --ip: virtual IPs are IPv4 only", "--ip", "fd00::1", "x")]
    [InlineData("invalid value \"0.0.0.0\" for --ip: 0.0.0.0 cannot be a virtual IP", "--ip", "0.0.0.0", "x")]
    [InlineData("invalid value \"127.0.0.2\" for --ip: a loopback address cannot be a virtual IP", "--ip", "127.0.0.2", "x")]
    [InlineData("invalid value \"224.0.0.1\" for --ip: a multicast or reserved address cannot be a virtual IP", "--ip", "224.0.0.1", "x")]
    [InlineData("invalid value \"Web\" for --name: must be 1-63 lowercase letters, digits or '-', beginning and ending with a letter or digit", "--name", "Web", "x")]
    [InlineData("invalid value \"-web\" for --name: must be 1-63 lowercase letters, digits or '-', beginning and ending with a letter or digit", "--name=-web", "x")]
    [InlineData("invalid value \"zone\" for --labels: label \"zone\" is not key=value", "--labels", "zone", "x")]
    [InlineData("invalid value \"a=1,a=2\" for --labels: label key \"a\" given twice", "--labels", "a=1,a=2", "x")]
    [InlineData("invalid value \"=v\" for --labels: label key \"\" must be at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit", "--labels", "=v", "x")]
    [InlineData("invalid value \"k=v w\" for --labels: label value \"v w\" must be at most 63 letters, digits, '-', '_' or '.', beginning and ending with a letter or digit", "--labels", "k=v w", "x")]
    [InlineData("invalid value \"a b\" for --user: not a user name or numeric uid", "--user", "a b", "x")]
    [InlineData("invalid value \"averyveryverylongname\" for --interface: interface names are 1-15 characters", "--interface", "averyveryverylongname", "x")]
    [InlineData("invalid value \"a/b\" for --interface: not a valid interface name", "--interface", "a/b", "x")]
    [InlineData("invalid value \"lo\" for --interface: lo already exists in every network namespace", "--interface", "lo", "x")]
    [InlineData("--interface needs a new network namespace; it cannot be used with --new-netns=false", "--interface", "ax0", "--new-netns=false", "x")]
    [InlineData("invalid value \"no\" for --new-netns: not a boolean (use true or false)", "--new-netns=no", "x")]
    public void MistakesAreOneLine(string message, params string[] args) => Assert.Equal(message, Error(args));

    [Fact]
    public void AnUnknownFlagIsNamedEvenBeforeTheCommand() =>
        Assert.Equal("unknown flag --foo", Error("--ip", "198.18.0.1", "--foo", "curl"));

    [Fact]
    public void HelpCarriesTheUsage()
    {
        var help = Assert.Throws<HelpRequestedException>(() => Parse("--help"));
        Assert.StartsWith("Usage: ax run [options] [--] COMMAND [ARGS...]\n", help.Message);
        Assert.Equal(0, help.ExitCode);
    }

    [Fact]
    public void The_pod_name_comes_from_the_flag_else_POD_NAME_else_KUBERNETES_POD_NAME()
    {
        Assert.Null(Parse("app").KubernetesPod);
        Assert.Equal("web-7d9f-xk2lp", Parse("--kubernetes-pod-name", "web-7d9f-xk2lp", "app").KubernetesPod);
        var both = new Dictionary<string, string> { ["POD_NAME"] = "from-downward-api", ["KUBERNETES_POD_NAME"] = "other" };
        Assert.Equal("from-downward-api", RunPlanParser.Parse(["app"], both).KubernetesPod);
        Assert.Equal("flag-wins", RunPlanParser.Parse(["--kubernetes-pod-name", "flag-wins", "app"], both).KubernetesPod);
        Assert.Equal("other", RunPlanParser.Parse(["app"], new Dictionary<string, string> { ["KUBERNETES_POD_NAME"] = "other" }).KubernetesPod);
        Assert.Contains("must be a pod name", Error("--kubernetes-pod-name", "Web_1", "app"));
    }
}
