#!/usr/bin/env bash
# Runs every test (unit and integration) and ends with one line: "N passed, N failed[, N skipped]".
# Exits non-zero when a test failed or when the run did not happen (build error, crash, no tests).
# Integration tests need root, network namespaces and `make build` (out/); `make test` does both.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

# Namespaces and temp directories that crashed runs left (those of a run still alive are kept).
remove_leftovers() {
    command -v ip >/dev/null || return 0
    local ns id owner
    for ns in $(ip netns list 2>/dev/null | awk '{print $1}' | grep '^axt-'); do
        id=${ns#axt-}; id=${id%%-*}
        owner=$(cat "/tmp/axt-$id/owner.pid" 2>/dev/null)
        if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
        for pid in $(ip netns pids "$ns" 2>/dev/null); do kill -KILL "$pid" 2>/dev/null; done
        ip netns del "$ns" 2>/dev/null
    done
    for dir in /tmp/axt-*; do
        [ -d "$dir" ] || continue
        owner=$(cat "$dir/owner.pid" 2>/dev/null)
        if [ -n "$owner" ] && kill -0 "$owner" 2>/dev/null; then continue; fi
        rm -rf "$dir"
    done
}
remove_leftovers

results=$(mktemp -d /tmp/ax-test-results.XXXXXX)
trap 'rm -rf "$results"' EXIT

# A test that hangs is killed (and counted) rather than stalling the run.
dotnet test tests/AppSwitch.Tests --nologo \
    --logger "trx;LogFileName=results.trx" \
    --logger "console;verbosity=normal" \
    --results-directory "$results" \
    --blame-hang-timeout 5min --blame-hang-dump-type none
status=$?

trx="$results/results.trx"
if [ ! -s "$trx" ]; then
    echo "run-tests: the tests did not run (dotnet test exited $status, no results file)"
    exit 1
fi

# <Counters total="…" executed="…" passed="…" failed="…" … notExecuted="…" …/>
counter() { grep -o "<Counters [^>]*" "$trx" | grep -o " $1=\"[0-9]*\"" | grep -o '[0-9]*' | head -n1; }
total=$(counter total); passed=$(counter passed); failed=$(counter failed)
skipped=$(counter notExecuted); errors=$(counter error); timeouts=$(counter timeout); aborted=$(counter aborted)
: "${total:=0}" "${passed:=0}" "${failed:=0}" "${skipped:=0}" "${errors:=0}" "${timeouts:=0}" "${aborted:=0}"
failed=$((failed + errors + timeouts + aborted))

rc=0
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ] || [ "$total" -eq 0 ]; then rc=1; fi
if [ "$total" -eq 0 ]; then echo "run-tests: no test was executed"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # The run ended early (crash, hang, build error after a partial run): what did not pass failed.
    echo "run-tests: dotnet test exited $status although no test was reported failed (crash or hang?)"
    failed=$((total - passed - skipped)); [ "$failed" -gt 0 ] || failed=1
fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
exit $rc
