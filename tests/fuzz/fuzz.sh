#!/usr/bin/env bash
# Coverage-guided fuzzing of the agent's decoders (issue 20 point 3): `make fuzz FUZZ_SECONDS=N [FUZZ_TARGETS="a b"]`.
# Publishes tests/fuzz, instruments the agent's assemblies with SharpFuzz, writes the seed corpora (real messages
# from the agent's encoders), runs afl-fuzz on each target for N seconds, and prints executions, crashes and hangs
# (also out/fuzz/summary.md). Findings stay in out/fuzz/findings/TARGET/default/{crashes,hangs}; a second run
# resumes from them (AFL_AUTORESUME). Exit 1 when any target saved a crash or a hang.
set -euo pipefail
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
OUT=$ROOT/out/fuzz
SECONDS_EACH=${FUZZ_SECONDS:-60}
SHARPFUZZ_VERSION=2.3.0

bash "$ROOT/scripts/install-deps.sh" fuzz
mkdir -p "$OUT"
if [ ! -x "$OUT/tools/sharpfuzz" ]; then
    dotnet tool install SharpFuzz.CommandLine --version "$SHARPFUZZ_VERSION" --tool-path "$OUT/tools" >/dev/null
fi

echo "fuzz: building the targets"
# plain/: as built (seeds, replay); app/: the same with the instrumented assemblies, which only run under afl-fuzz.
rm -rf "$OUT/plain" "$OUT/app"
dotnet publish "$ROOT/tests/fuzz/AppSwitch.Fuzz.csproj" -c Release --nologo -v:q -o "$OUT/plain" >/dev/null
cp -r "$OUT/plain" "$OUT/app"
# The assemblies whose branches guide AFL: the agent's and common's decoders, and the YAML parser the rules use.
for assembly in appswitch-agent.dll AppSwitch.Common.dll YamlDotNet.dll; do
    "$OUT/tools/sharpfuzz" "$OUT/app/$assembly" >/dev/null
done
rm -rf "$OUT/seeds"
AX_FUZZ_REPO=$ROOT dotnet "$OUT/plain/AppSwitch.Fuzz.dll" seeds "$OUT/seeds"

targets=${FUZZ_TARGETS:-$(dotnet "$OUT/plain/AppSwitch.Fuzz.dll" list)}
# dotnet itself carries no AFL instrumentation (SharpFuzz talks to AFL from managed code); the machine is shared,
# so no CPU binding and no frequency check; a crash is whatever exception escapes a target.
# An unbounded allocation shows as a crash: the GC heap is capped at 512 MiB (OutOfMemoryException escapes).
export DOTNET_GCHeapHardLimit=0x20000000
export AFL_SKIP_BIN_CHECK=1 AFL_SKIP_CPUFREQ=1 AFL_NO_AFFINITY=1 AFL_I_DONT_CARE_ABOUT_MISSING_CRASHES=1 AFL_NO_UI=1 AFL_AUTORESUME=1
# An input over 5 s (calibration on a loaded machine included) is a hang; 64 KiB inputs at most (SocketFeed's bound).
summary=$OUT/summary.md
{
    echo "| target | seconds | executions | execs/s | paths | crashes | hangs |"
    echo "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"
} > "$summary"
failed=0
for target in $targets; do
    echo "fuzz: $target for ${SECONDS_EACH}s"
    findings=$OUT/findings/$target
    mkdir -p "$findings"
    # On a loaded machine afl-fuzz's dry run now and then sees an empty coverage map from the first input ("No
    # instrumentation detected") although the same input gives coverage on the next try: up to three tries.
    for try in 1 2 3; do
        afl-fuzz -i "$OUT/seeds/$target" -o "$findings" -V "$SECONDS_EACH" -t 5000 -m none -G 65536 \
            -- dotnet "$OUT/app/AppSwitch.Fuzz.dll" "$target" > "$findings/afl.log" 2>&1 && break
        grep -q "No instrumentation detected" "$findings/afl.log" || break
        echo "fuzz: $target: empty coverage map on the dry run, try $try of 3"
    done
    [ -f "$findings/default/fuzzer_stats" ] && ! grep -q "PROGRAM ABORT" "$findings/afl.log" || {
        echo "fuzz: afl-fuzz failed on $target (see $findings/afl.log):" >&2
        tail -20 "$findings/afl.log" >&2
        failed=1
        continue
    }
    stats=$findings/default/fuzzer_stats
    stat() { awk -F' *: *' -v k="$1" '$1 == k { print $2 }' "$stats"; }
    crashes=$(stat saved_crashes); hangs=$(stat saved_hangs)
    echo "| $target | $(stat run_time) | $(stat execs_done) | $(stat execs_per_sec) | $(stat corpus_count) | $crashes | $hangs |" >> "$summary"
    if [ "${crashes:-0}" != 0 ] || [ "${hangs:-0}" != 0 ]; then failed=1; fi
done
cat "$summary"
[ "$failed" = 0 ] || { echo "fuzz: crashes or hangs in $OUT/findings/*/default/{crashes,hangs}; replay one with: dotnet $OUT/plain/AppSwitch.Fuzz.dll replay TARGET FILE" >&2; exit 1; }
