#!/usr/bin/env bash
# Coverage-guided fuzzing of the agent's decoders (issue 20 point 3):
#   make fuzz [FUZZ_SECONDS=N] [FUZZ_EXECS=N] [FUZZ_TARGETS="a b"]
# Publishes tests/fuzz, instruments the agent's assemblies with SharpFuzz, builds Driver/libaxfuzz.so (clang's
# libFuzzer, run inside the .NET process: see LibFuzzerDriver.cs), writes the seed corpora (real messages from the
# agent's encoders) and runs libFuzzer on each target, one after the other, until FUZZ_SECONDS have passed or
# FUZZ_EXECS inputs have run (whichever comes first; 60 s when neither is given). Prints executions, execs/s,
# corpus size, crashes, hangs and out-of-memory inputs (also out/fuzz/summary.md). The corpus of each target stays
# in out/fuzz/corpus/TARGET (a second run goes on from it; tests/fuzz/Regressions/TARGET, inputs that once crashed, are
# added to it); findings in out/fuzz/findings/TARGET/{crash,timeout,oom}-*.
# Exit 1 when any target saved a finding.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/out/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-}
EXECS_EACH=${FUZZ_EXECS:-}
[ -n "$SECONDS_EACH$EXECS_EACH" ] || SECONDS_EACH=60
SHARPFUZZ_VERSION=2.3.0

bash "$ROOT/scripts/install-deps.sh" fuzz
mkdir -p "$OUT"
if [ ! -x "$OUT/tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION" --tool-path "$OUT/tools" >/dev/null
fi

echo "fuzz: building the targets"
rm -rf "$OUT/app" "$OUT/plain"
dotnet publish "$ROOT/tests/fuzz/AppSwitch.Fuzz.csproj" -c Release --nologo -v:q -o "$OUT/app" > "$OUT/publish.log" 2>&1 || {
    grep -E "error" "$OUT/publish.log" | sort -u >&2; echo "fuzz: the build failed (see $OUT/publish.log)" >&2; exit 1; }
# The assemblies whose branches guide the fuzzer: the agent's and common's decoders, the YAML parser the rules use
# and the protobuf runtime the xDS client parses with.
for assembly in appswitch-agent.dll AppSwitch.Common.dll YamlDotNet.dll Google.Protobuf.dll; do
    "$OUT/tools/sharpfuzz" "$OUT/app/$assembly" >/dev/null
done
# libFuzzer without its main(), linked whole into the library the harness loads (LLVMFuzzerRunDriver).
libfuzzer=$(clang --print-runtime-dir)/libclang_rt.fuzzer_no_main-x86_64.a
clang -shared -fPIC -O2 -o "$OUT/app/libaxfuzz.so" "$ROOT/tests/fuzz/Driver/libaxfuzz.c" \
    -Wl,--whole-archive "$libfuzzer" -Wl,--no-whole-archive -lstdc++ -lpthread -lm
rm -rf "$OUT/seeds"
AX_FUZZ_REPO=$ROOT dotnet "$OUT/app/AppSwitch.Fuzz.dll" seeds "$OUT/seeds"

targets=${FUZZ_TARGETS:-$(dotnet "$OUT/app/AppSwitch.Fuzz.dll" list)}
# An unbounded allocation is a finding: the GC heap is capped at 512 MiB (OutOfMemoryException escapes the target
# = crash), and libFuzzer's -rss_limit_mb catches what grows outside the GC heap. An input running over 10 s is a
# hang (generous: the machine is shared; the decoders take microseconds). TieredCompilation is off in the project:
# the instrumented code is JIT-ed once, fully optimised.
export DOTNET_GCHeapHardLimit=0x20000000
limits=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)
[ -z "$SECONDS_EACH" ] || limits+=("-max_total_time=$SECONDS_EACH")
[ -z "$EXECS_EACH" ] || limits+=("-runs=$EXECS_EACH")
summary=$OUT/summary.md
{
    echo "| target | seconds | executions | execs/s | corpus | crashes | hangs | oom |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$summary"
failed=0
for target in $targets; do
    echo "fuzz: $target (${SECONDS_EACH:-∞} s, ${EXECS_EACH:-∞} executions)"
    findings=$OUT/findings/$target corpus=$OUT/corpus/$target
    mkdir -p "$findings" "$corpus"
    cp -n "$OUT/seeds/$target"/* "$corpus/"
    # Inputs that once crashed a decoder (fixed since): each run starts from them too.
    [ ! -d "$ROOT/tests/fuzz/Regressions/$target" ] || cp -n "$ROOT/tests/fuzz/Regressions/$target"/* "$corpus/"
    # JSON syntax and the documents' field names for the targets whose parser is not instrumented (System.Text.Json).
    dict=()
    case $target in gossip-state|rest-json|rules-json|kube-watch) dict=("-dict=$ROOT/tests/fuzz/Dictionaries/json.dict") ;; esac
    log=$findings/fuzz.log
    start=$SECONDS
    touch "$findings/.run-start" # findings of earlier runs (fixed or not) stay, but only this run's are counted
    rc=0
    dotnet "$OUT/app/AppSwitch.Fuzz.dll" "$target" "${limits[@]}" "${dict[@]}" "-artifact_prefix=$findings/" "$corpus" > "$log" 2>&1 || rc=$?
    elapsed=$((SECONDS - start))
    stat() { sed -n "s/^stat::$1: *//p" "$log" | tail -1; }
    execs=$(stat number_of_executed_units)
    count() { find "$findings" -maxdepth 1 -name "$1-*" -newer "$findings/.run-start" | wc -l; }
    crashes=$(count crash) hangs=$(count timeout) ooms=$(count oom)
    if [ -z "$execs" ]; then
        echo "fuzz: libFuzzer did not finish $target (exit $rc; see $log):" >&2
        tail -20 "$log" >&2
        failed=1
    fi
    echo "| $target | $elapsed | ${execs:-?} | $(stat average_exec_per_sec) | $(find "$corpus" -type f | wc -l) | $crashes | $hangs | $ooms |" >> "$summary"
    if [ "$rc" != 0 ] || [ "$crashes$hangs$ooms" != 000 ]; then failed=1; fi
done
cat "$summary"
[ "$failed" = 0 ] || { echo "fuzz: findings in $OUT/findings/*/ (crash-*, timeout-*, oom-*); replay one with: dotnet $OUT/app/AppSwitch.Fuzz.dll replay TARGET FILE" >&2; exit 1; }
