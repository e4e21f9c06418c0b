#!/usr/bin/env bash
# Installs everything the tests need (both real torch oracles; needs root on Debian 12), regenerates the golden
# fixtures with real torch into a temporary folder, and runs every test. Last line: "Tests: N passed, N failed".
#   PTSHARP_SKIP_SETUP=1   use the oracles already installed
#   PTSHARP_NO_REGEN=1     only test the committed fixtures
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d /tmp/ptsharp-test.XXXXXX)
export PT_ORACLE_CHROOT=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
trap 'rm -rf "$work"' EXIT

if [ "${PTSHARP_SKIP_SETUP:-0}" != 1 ]; then
  bash tools/setup-oracles.sh || { echo "setup of the torch oracles failed"; echo "Tests: 0 passed, 1 failed"; exit 1; }
fi

fixture_dirs=""
if [ "${PTSHARP_NO_REGEN:-0}" != 1 ]; then
  for v in 1.13 2.6; do
    out="$work/torch-$v"
    mkdir -p "$out"
    echo "== regenerating golden fixtures with torch $v (with --large) into $out"
    if bash tools/oracle.sh "$v" tests/fixtures/generate.py "$out" --large > "$work/gen-$v.log" 2>&1; then
      fixture_dirs="$fixture_dirs:$out"
    else
      tail -20 "$work/gen-$v.log"
      echo "fixture generation with torch $v failed"; echo "Tests: 0 passed, 1 failed"; exit 1
    fi
  done
  hb="$work/handbuilt"
  mkdir -p "$hb"
  bash tools/oracle.sh 2.6 tests/fixtures/handbuilt.py "$hb" > "$work/gen-hb.log" 2>&1 && fixture_dirs="$fixture_dirs:$hb" \
    || { tail -20 "$work/gen-hb.log"; echo "hand-built fixture generation failed"; echo "Tests: 0 passed, 1 failed"; exit 1; }
fi
export PTSHARP_FIXTURE_DIRS="${fixture_dirs#:}"

dotnet build PtSharp.slnx -c Release -nologo -v q 2>&1 | tail -3
dotnet test tests/PtSharp.Tests -c Release --no-build -nologo --logger "console;verbosity=normal" 2>&1 | tee "$work/test.log" | grep -E "^\s*(Failed|Passed!|Failed!|Skipped) |error|Total tests" | tail -60
rc=${PIPESTATUS[0]}
# The console logger ends with "Total tests: N" followed by "Passed: N" / "Failed: N" lines.
passed=$(grep -E '^\s+Passed:\s+[0-9]+' "$work/test.log" | tail -1 | grep -oE '[0-9]+')
failed=$(grep -E '^\s+Failed:\s+[0-9]+' "$work/test.log" | tail -1 | grep -oE '[0-9]+')
[ -n "$passed" ] || passed=0
[ -n "$failed" ] || failed=$([ "$rc" = 0 ] && echo 0 || echo 1)
echo "Tests: $passed passed, $failed failed"
[ "$rc" = 0 ] && [ "$failed" = 0 ]
