using Xunit;

namespace AppSwitch.Tests.Infrastructure;

/// <summary>A test that runs containers: skipped, with the reason, only where podman, buildah or runc is not installed.</summary>
public sealed class PodmanFactAttribute : FactAttribute
{
    public PodmanFactAttribute()
    {
        if (Podman.Missing is { } missing) Skip = missing;
    }
}
