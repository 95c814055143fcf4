// libFuzzer inside the .NET harness (issue 20 point 3): this shared library links clang's libFuzzer runtime
// (libclang_rt.fuzzer_no_main, Debian's libclang-rt-14-dev) and owns the 64 KiB of coverage counters that
// SharpFuzz-instrumented code increments. AppSwitch.Fuzz loads it, points SharpFuzz's trace map at
// ax_fuzz_counters() and calls LLVMFuzzerRunDriver with a managed callback: no fork server, no pipe, no
// file per input, so an execution costs what the decoder costs.
#include <stdint.h>
#include <stdlib.h>

#define AX_FUZZ_MAP_SIZE (1 << 16)

// libFuzzer reads every byte of this section as extra coverage counters after each input (and clears them
// before the next); the linker's __start_/__stop_ symbols for the section tell it where they are.
__attribute__((used, section("__libfuzzer_extra_counters"))) static uint8_t counters[AX_FUZZ_MAP_SIZE];

uint8_t *ax_fuzz_counters(void) { return counters; }

int ax_fuzz_map_size(void) { return AX_FUZZ_MAP_SIZE; }

// Called by the harness when an exception escapes a target. exit() (not _exit) runs libFuzzer's exit hook,
// which sees that the user callback was running, saves the input as crash-<sha1> under -artifact_prefix,
// prints the final stats and exits with -error_exitcode.
void ax_fuzz_fail(void) { exit(1); }
