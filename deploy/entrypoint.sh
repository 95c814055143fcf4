#!/bin/sh
# The appswitch/ax image's entry: put the static launcher on the host (pods mount /usr/bin/ax),
# then run the agent. The copy is renamed into place so that a running ax on the host is never overwritten.
set -eu
prefix="${AX_PREFIX:-/opt/appswitch}"
host_bin="${AX_HOST_BIN:-/host/usr/bin}"
if [ -d "$host_bin" ]; then
    cp "$prefix/bin/ax" "$host_bin/.ax.new"
    chmod 0755 "$host_bin/.ax.new"
    mv -f "$host_bin/.ax.new" "$host_bin/ax"
else
    echo "entrypoint: $host_bin is not mounted; ax is not installed on the host" >&2
fi
exec "$prefix/bin/ax" daemon "$@"
