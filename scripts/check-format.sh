#!/usr/bin/env bash
# `dotnet format whitespace --folder --verify-no-changes`: every C# file laid out as .editorconfig says (indentation,
# braces, spacing, line breaks, final newline). Part of `make test` (tests/run-tests.sh); `make format` fixes it.
# The folder mode reads the files alone (no MSBuild, no restore: offline, ~10 s on a quiet machine, ~40 s at load 60).
# The full `dotnet format --verify-no-changes` (also the style rules: file-scoped namespaces, usings outside,
# no `this.`) loads every project and took 9.5 min at load 60: run it with `make check-format FULL=1`.
# Prints the files and lines it would change; exit status 1 when there are any.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.." || exit 1
log=$(mktemp /tmp/ax-format.XXXXXX)
trap 'rm -f "$log"' EXIT
started=$SECONDS
if [ "${1:-}" = --full ]; then
    dotnet format AppSwitch.sln --verify-no-changes --no-restore --severity warn -v quiet >"$log" 2>&1
else
    dotnet format whitespace --folder --verify-no-changes -v quiet >"$log" 2>&1
fi
status=$?
if [ $status -eq 0 ]; then
    echo "check-format: the code is formatted as .editorconfig says ($((SECONDS - started)) s)"
    exit 0
fi
# One line per change: "path(line,col): error CODE: message [project]".
if grep -qE 'error [A-Z]+[0-9]*:' "$log"; then
    grep -E 'error [A-Z]+[0-9]*:' "$log" | sed -E 's#^'"$PWD"'/##; s# \[[^]]*\]$##' | sort -u | head -n 50
else
    cat "$log"
fi
echo "check-format: not formatted as .editorconfig says (dotnet format exited $status): run \`make format\`"
exit 1
