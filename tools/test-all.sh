#!/usr/bin/env bash
# Installs everything the tests need (both real torch oracles, the Debian 13 chroot, chromium, the AOT toolchain;
# needs root on Debian 12), regenerates the golden fixtures with real torch into a temporary folder, and runs every
# test suite: host suites with `dotnet test`, suites whose project sets <PtSharpTestHost>chroot</PtSharpTestHost>
# (TorchSharp's native libraries need Debian 13's C++ runtime) built on the host and run inside the chroot.
# Last line: "Tests: N passed, N failed", summed over every suite.
#   PTSHARP_SKIP_SETUP=1   use the oracles already installed
#   PTSHARP_NO_REGEN=1     only test the committed fixtures
#   PTSHARP_SUITES="A B"   run only these test projects (folder names under tests/)
# A chroot suite may have tests/<name>/prepare-host.sh: it runs on the host first (for what only the host has, such
# as torch 1.13) with a folder as its argument, and the suite gets that folder as PTSHARP_PREPARED_DIR.
# During every chroot suite tools/host-oracle-bridge.sh runs on the host, so a test inside can run a script under
# the host's torch 1.13 (the suite gets the bridge's folder as PTSHARP_ORACLE_BRIDGE).
set -uo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d /tmp/ptsharp-test.XXXXXX)
export PT_ORACLE_CHROOT=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
bridge_pid=""
stop_bridge() { [ -n "$bridge_pid" ] && kill "$bridge_pid" 2>/dev/null && wait "$bridge_pid" 2>/dev/null; bridge_pid=""; }
trap 'stop_bridge; rm -rf "$work"' EXIT
trap 'exit 130' INT TERM

fail_setup() { echo "$1"; echo "Tests: 0 passed, 1 failed"; exit 1; }

if [ "${PTSHARP_SKIP_SETUP:-0}" != 1 ]; then
  bash tools/setup-oracles.sh || fail_setup "setup of the torch oracles failed"
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
      fail_setup "fixture generation with torch $v failed"
    fi
  done
  hb="$work/handbuilt"
  mkdir -p "$hb"
  bash tools/oracle.sh 2.6 tests/fixtures/handbuilt.py "$hb" > "$work/gen-hb.log" 2>&1 && fixture_dirs="$fixture_dirs:$hb" \
    || { tail -20 "$work/gen-hb.log"; fail_setup "hand-built fixture generation failed"; }
fi
export PTSHARP_FIXTURE_DIRS="${fixture_dirs#:}"

dotnet build PtSharp.slnx -c Release -nologo -v q 2>&1 | tail -3

total_passed=0
total_failed=0
overall_rc=0
run_suite() {  # run_suite NAME HOST|chroot
  local name=$1 where=$2 log="$work/test-$1.log" rc passed failed
  local proj="tests/$name"
  echo "== $name ($where)"
  if [ "$where" = chroot ]; then
    local prepared=""
    if [ -f "$proj/prepare-host.sh" ]; then
      prepared="$work/prepared-$name"
      mkdir -p "$prepared"
      if ! bash "$proj/prepare-host.sh" "$prepared" > "$work/prepare-$name.log" 2>&1; then
        echo "$name: prepare-host.sh failed"; tail -20 "$work/prepare-$name.log"
        total_failed=$((total_failed + 1)); overall_rc=1; return
      fi
    fi
    local bridge="$work/bridge-$name"
    bash tools/host-oracle-bridge.sh "$bridge" $$ > "$work/bridge-$name.log" 2>&1 &
    bridge_pid=$!
    bash tools/chroot-exec.sh env PTSHARP_FIXTURE_DIRS="$PTSHARP_FIXTURE_DIRS" PT_ORACLE_CHROOT="$PT_ORACLE_CHROOT" \
      PTSHARP_IN_CHROOT=1 PTSHARP_PREPARED_DIR="$prepared" PTSHARP_ORACLE_BRIDGE="$bridge" ${CI:+CI="$CI"} \
      dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=normal" > "$log" 2>&1
    rc=$?
    stop_bridge
  else
    dotnet test "$proj" -c Release --no-build -nologo --logger "console;verbosity=normal" > "$log" 2>&1
    rc=$?
  fi
  grep -E "^\s*(Failed|Passed!|Failed!|Skipped) |error|Total tests" "$log" | tail -60
  # The console logger ends with "Total tests: N" followed by "Passed: N" / "Failed: N" lines.
  passed=$(grep -E '^\s+Passed:\s+[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  failed=$(grep -E '^\s+Failed:\s+[0-9]+' "$log" | tail -1 | grep -oE '[0-9]+')
  [ -n "$passed" ] || passed=0
  [ -n "$failed" ] || failed=$([ "$rc" = 0 ] && echo 0 || echo 1)
  if [ "$rc" != 0 ] && [ "$failed" = 0 ]; then tail -20 "$log"; failed=1; fi
  total_passed=$((total_passed + passed))
  total_failed=$((total_failed + failed))
  [ "$rc" = 0 ] || overall_rc=1
}

for csproj in tests/*/*.csproj; do
  name=$(basename "$(dirname "$csproj")")
  if [ -n "${PTSHARP_SUITES:-}" ] && ! [[ " $PTSHARP_SUITES " == *" $name "* ]]; then continue; fi
  if grep -q '<PtSharpTestHost>chroot</PtSharpTestHost>' "$csproj"; then run_suite "$name" chroot; else run_suite "$name" host; fi
done

echo "Tests: $total_passed passed, $total_failed failed"
[ "$overall_rc" = 0 ] && [ "$total_failed" = 0 ]
