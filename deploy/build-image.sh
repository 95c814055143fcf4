#!/usr/bin/env bash
# `make image`: the appswitch/ax image of kube-daemonset.yaml, built offline with buildah from `scratch` and files of
# this machine (no base image is pulled): the agent, the CLI and the launcher from out/ (`make build`), the .NET
# runtime the agent runs on (copied from this machine's dotnet), the shared libraries they load, busybox-static for
# the entry script. The same layout as deploy/Dockerfile's image: /opt/appswitch is the installation prefix.
#   build-image.sh [NAME]        NAME defaults to appswitch/ax:latest (buildah stores it as localhost/appswitch/ax)
# Environment:
#   AX_OUT=DIR                   the `make build` output (default: out/ of this checkout)
#   AX_IMAGE_STORAGE="FLAGS"     buildah's global storage flags (tests: --root DIR --runroot DIR --storage-driver vfs)
#   AX_IMAGE_ARCHIVE=FILE        also write the image as an OCI archive (podman load -i / skopeo copy oci-archive:FILE)
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${AX_OUT:-$root/out}
name=${1:-appswitch/ax:latest}
read -r -a storage <<<"${AX_IMAGE_STORAGE:-}"
prefix=/opt/appswitch
dotnet_dir=/usr/share/dotnet

die() { echo "build-image: $*" >&2; exit 1; }
command -v buildah >/dev/null || die "buildah is not installed (Debian: apt-get install buildah)"
[ "$(id -u)" = 0 ] || die "needs root (buildah mounts the image's file system)"
[ -x "$out/bin/ax" ] && [ -x "$out/lib/appswitch/agent/appswitch-agent" ] && [ -x "$out/lib/appswitch/cli/ax-cli" ] ||
    die "$out has no ax, agent or CLI: run \`make build\` first"
busybox=$(command -v busybox || true)
# Static: ldd refuses it ("not a dynamic executable").
[ -n "$busybox" ] && ! ldd "$busybox" >/dev/null 2>&1 ||
    die "busybox-static is needed for the entry script (Debian: apt-get install busybox-static)"
# The runtime the agent was built for: Microsoft.NETCore.App and Microsoft.AspNetCore.App of its major version.
[ -d "$dotnet_dir" ] || dotnet_dir=$(dirname "$(readlink -f "$(command -v dotnet)")")
major=$(sed -n 's/.*"version": *"\([0-9]*\)\..*/\1/p' "$out/lib/appswitch/agent/appswitch-agent.runtimeconfig.json" | head -n1)
[ -n "$major" ] || die "cannot read the runtime version from appswitch-agent.runtimeconfig.json"
newest() { find "$1" -mindepth 1 -maxdepth 1 -name "$major.*" -printf '%f\n' 2>/dev/null | sort -V | tail -n1; }
netcore=$(newest "$dotnet_dir/shared/Microsoft.NETCore.App")
aspnet=$(newest "$dotnet_dir/shared/Microsoft.AspNetCore.App")
fxr=$(newest "$dotnet_dir/host/fxr")
[ -n "$netcore" ] && [ -n "$aspnet" ] && [ -n "$fxr" ] ||
    die "no .NET $major runtime (Microsoft.NETCore.App and Microsoft.AspNetCore.App) in $dotnet_dir"

container=
trap '[ -n "$container" ] && buildah "${storage[@]}" rm "$container" >/dev/null 2>&1 || true' EXIT
container=$(buildah "${storage[@]}" from scratch)
rootfs=$(buildah "${storage[@]}" mount "$container")

# The installation prefix, as `make install PREFIX=/opt/appswitch` lays it out, and the entry.
install -d "$rootfs$prefix" "$rootfs/bin" "$rootfs/etc" "$rootfs/usr/share"
cp -a "$out/bin" "$out/lib" "$rootfs$prefix/"
install -m 0755 "$root/deploy/entrypoint.sh" "$rootfs$prefix/entrypoint.sh"
# The runtime (not the SDK): the muxer, hostfxr and the two shared frameworks.
install -d "$rootfs$dotnet_dir/host/fxr" "$rootfs$dotnet_dir/shared/Microsoft.NETCore.App" "$rootfs$dotnet_dir/shared/Microsoft.AspNetCore.App"
cp -a "$dotnet_dir/dotnet" "$rootfs$dotnet_dir/"
cp -a "$dotnet_dir/host/fxr/$fxr" "$rootfs$dotnet_dir/host/fxr/"
cp -a "$dotnet_dir/shared/Microsoft.NETCore.App/$netcore" "$rootfs$dotnet_dir/shared/Microsoft.NETCore.App/"
cp -a "$dotnet_dir/shared/Microsoft.AspNetCore.App/$aspnet" "$rootfs$dotnet_dir/shared/Microsoft.AspNetCore.App/"
# A shell and the tools the entry script uses; in /bin, which the seed's DaemonSet does not mount over (/usr/bin).
cp "$busybox" "$rootfs/bin/busybox"
for applet in sh cp chmod mv mkdir cat; do ln -s busybox "$rootfs/bin/$applet"; done

# The shared libraries: what every ELF file of the agent and the runtime links, and OpenSSL, which the runtime loads
# with dlopen (TLS to the Kubernetes API and istiod). No ICU: the agent runs with invariant globalization.
libs=$(
    {
        find "$rootfs$dotnet_dir" "$rootfs$prefix/lib" -type f \( -name '*.so' -o -perm -u+x \) -print0 |
            xargs -0 ldd 2>/dev/null | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// && $1 !~ /:$/ { print $1 }'
        for so in libssl.so.3 libcrypto.so.3; do ldconfig -p | awk -v so="$so" '$1 == so && /x86-64|AArch64/ { print $NF; exit }'; done
    } | sort -u
)
# Debian's merged /usr: /lib and /lib64 are symlinks into /usr, in the image as on this machine.
for dir in /lib /lib64; do
    if [ -L "$dir" ]; then ln -s "$(readlink "$dir")" "$rootfs$dir"; install -d "$rootfs$(readlink -f "$dir")"; fi
done
for lib in $libs; do
    # Skip files of the image itself (a library the runtime links from its own directory).
    case "$lib" in "$rootfs"/*) continue ;; esac
    [ -e "$lib" ] || continue
    # The file itself, and the name the loader asks for as a link to it (ld-linux, libssl.so.3 → libssl.so.3 …).
    file=$(readlink -f "$lib")
    install -D -m 0755 "$file" "$rootfs$file"
    link="$(readlink -f "$(dirname "$lib")")/$(basename "$lib")"
    [ "$link" = "$file" ] || ln -sf "$file" "$rootfs$link"
done
# The loader's cache, so that dlopen("libssl.so.3") finds it without LD_LIBRARY_PATH.
ldconfig -p | awk -F' => ' 'NF == 2 { sub(/\/[^/]*$/, "", $2); print $2 }' | sort -u >"$rootfs/etc/ld.so.conf"
ldconfig -r "$rootfs"
for so in libssl.so.3 libcrypto.so.3; do
    grep -q "/$so\$" <<<"$libs" || die "$so not found (Debian: libssl3): the agent could not speak TLS"
done
# Names and the CA bundle (an https Kubernetes API outside the cluster's own CA).
printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' >"$rootfs/etc/group"
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then install -D -m 0644 /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"; fi
install -d -m 1777 "$rootfs/tmp"

buildah "${storage[@]}" config \
    --entrypoint "[\"$prefix/entrypoint.sh\"]" \
    --env DOTNET_ROOT="$dotnet_dir" --env PATH="$prefix/bin:/bin" --env AX_PREFIX="$prefix" \
    --label org.opencontainers.image.title="AppSwitch for .NET node agent" \
    --label org.opencontainers.image.description="ax daemon; the entry installs ax into the host's /usr/bin (mounted at /host/usr/bin)" \
    "$container"
buildah "${storage[@]}" unmount "$container" >/dev/null
id=$(buildah "${storage[@]}" commit --quiet --rm "$container" "$name")
container=
if [ -n "${AX_IMAGE_ARCHIVE:-}" ]; then
    rm -f "$AX_IMAGE_ARCHIVE"
    buildah "${storage[@]}" push --quiet "$name" "oci-archive:$AX_IMAGE_ARCHIVE:$name" >/dev/null
fi
echo "build-image: $name ${id:0:12}"
