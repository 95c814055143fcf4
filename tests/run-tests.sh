#!/usr/bin/env bash
# Runs the tests (unit and integration) and ends with one line: "N passed, N failed[, N skipped]".
#   run-tests.sh          every test except the soak/partition ones (Category=Slow): `make test`
#   run-tests.sh --slow   only those (each has a short version in the default run): `make test-slow`
# Exits non-zero when a test failed, did not run to the end (hang, crash) or when the run did not happen.
# Integration tests need root, network namespaces and `make build` (out/); `make test` does both.
set -uo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$root" || exit 1

filter="Category!=Slow"
case "${1:-}" in
    "") ;;
    --slow) filter="Category=Slow" ;;
    *) echo "usage: run-tests.sh [--slow]" >&2; exit 2 ;;
esac

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

# AX_TEST_RESULTS=DIR keeps results.trx (per-case durations) there; by default it goes with the run.
if [ -n "${AX_TEST_RESULTS:-}" ]; then
    results=$AX_TEST_RESULTS; mkdir -p "$results" || exit 1; rm -f "$results/results.trx"
else
    results=$(mktemp -d /tmp/ax-test-results.XXXXXX)
    trap 'rm -rf "$results"' EXIT
fi

# The code style first (.editorconfig, `dotnet format --verify-no-changes`): unformatted code counts as one failed case.
format_failed=0
if [ "$filter" = "Category!=Slow" ]; then bash scripts/check-format.sh --full || format_failed=1; fi

# A test that hangs is killed (and counted) rather than stalling the run.
dotnet test tests/AppSwitch.Tests --nologo --filter "$filter" \
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

# A hang (--blame-hang-timeout kills the test host) or a crash ends the run early: the results then lack every case
# that was still to come. Those are the discovered cases (same filter) without a result; each counts as failed.
never_ran=0
listed="$results/listed.txt"
if dotnet test tests/AppSwitch.Tests --nologo --no-build --filter "$filter" --list-tests >"$results/list.out" 2>&1; then
    sed -n '/^The following Tests are available:$/,$p' "$results/list.out" | sed -n 's/^    //p' >"$listed"
    missing=$(python3 tests/trx-missing.py "$trx" "$listed")
    if [ -n "$missing" ]; then
        never_ran=$(printf '%s\n' "$missing" | wc -l)
        echo "run-tests: $never_ran case(s) never ran to the end (a hang or a crash stopped the run); counted as failed:"
        printf '%s\n' "$missing" | sed 's/^/  never ran: /'
        failed=$((failed + never_ran))
    fi
else
    echo "run-tests: cannot list the tests to find those that never ran:"; cat "$results/list.out"
    failed=$((failed + 1))
fi

failed=$((failed + format_failed))
rc=0
if [ "$failed" -gt 0 ] || [ "$status" -ne 0 ] || [ "$total" -eq 0 ]; then rc=1; fi
if [ "$total" -eq 0 ]; then echo "run-tests: no test was executed"; fi
if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
    # dotnet test failed although every listed case has a passing result (e.g. the test host crashed at exit).
    echo "run-tests: dotnet test exited $status although no test was reported failed (crash?)"
    failed=1
fi

line="$passed passed, $failed failed"
if [ "$skipped" -gt 0 ]; then line="$line, $skipped skipped"; fi
echo "$line"
exit $rc
