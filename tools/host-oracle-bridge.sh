#!/usr/bin/env bash
# Serves torch 1.13 (the host's /usr/bin/python3) to tests that run inside the Debian 13 chroot.
#
#   tools/host-oracle-bridge.sh DIR [PARENT_PID]
#
# Why: TorchSharp 0.107's natives need Debian 13's libstdc++ (GLIBCXX 3.4.32), torch 1.13 is Debian 12's python3
# with Debian 12's glibc and libstdc++. Two C library / C++ runtime generations cannot share one process (nor
# one chroot), so a chroot test that needs torch 1.13 *during* the test asks this host process to run the script.
# tools/test-all.sh starts it on the host before a chroot suite and stops it afterwards (trap, also on failure or
# interrupt); DIR is under /tmp, which the chroot binds at the same path, and the suite gets it as
# PTSHARP_ORACLE_BRIDGE (see tests/PtSharp.TorchSharp.Tests/Support/HostOracleBridge.cs).
#
# Protocol (files only, every step an atomic rename, so neither side ever reads a half-written file):
#   DIR/bridge.pid            this process's pid (clients check /proc/PID to tell "no bridge" from "slow")
#   DIR/requests/ID.req       the client writes ID.tmp, then renames it: the arguments, each terminated by NUL:
#                             SCRIPT [ARGS...] (SCRIPT a file under the repository or /tmp; absolute path arguments
#                             must be under the repository or /tmp too). ID: unique per request (pid + GUID).
#   DIR/responses/ID/         written as ID.tmp/ and renamed when complete: rc, stdout, stderr.
# The host runs `bash tools/oracle.sh 1.13 SCRIPT ARGS...` in the repository with a timeout
# (PTSHARP_BRIDGE_TIMEOUT seconds, default 300; rc 124 on timeout). Requests are served one at a time; the loop
# polls every 30 ms (no busy spin) and exits when PARENT_PID (test-all.sh) is gone or on TERM/INT.
set -uo pipefail

dir=${1:?usage: host-oracle-bridge.sh DIR [PARENT_PID]}
parent=${2:-}
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
limit=${PTSHARP_BRIDGE_TIMEOUT:-300}
mkdir -p "$dir/requests" "$dir/responses"
dir=$(cd "$dir" && pwd)

child=""
stop() { [ -n "$child" ] && kill "$child" 2>/dev/null; rm -f "$dir/bridge.pid"; exit 0; }
trap stop TERM INT HUP

under() { case "$1" in "$2"|"$2"/*) return 0 ;; *) return 1 ;; esac; }
allowed() { local p; p=$(realpath -m -- "$1"); under "$p" "$repo" || under "$p" /tmp; }

# Checks a request's arguments; prints the reason and fails when one is not allowed.
check() {
  [ $# -ge 1 ] || { echo "host-oracle-bridge: empty request"; return 1; }
  [ -f "$1" ] && allowed "$1" || { echo "host-oracle-bridge: script '$1' is not a file under $repo or /tmp"; return 1; }
  local a
  for a in "${@:2}"; do
    if [[ $a == /* ]] && ! allowed "$a"; then echo "host-oracle-bridge: path '$a' is outside $repo and /tmp"; return 1; fi
  done
}

serve() {  # serve REQUEST_FILE
  local req=$1 id out args=()
  id=$(basename "$req" .req)
  out="$dir/responses/$id.tmp"
  mkdir -p "$out"
  mapfile -d '' -t args < "$req"
  rm -f "$req"
  if check "${args[@]}" > "$out/stderr"; then
    : > "$out/stdout"
    (cd "$repo" && exec timeout -k 10 "$limit" bash tools/oracle.sh 1.13 "${args[@]}") \
      > "$out/stdout" 2> "$out/stderr" < /dev/null &
    child=$!
    wait "$child"; echo $? > "$out/rc"
    child=""
  else
    : > "$out/stdout"; echo 2 > "$out/rc"
  fi
  mv "$out" "$dir/responses/$id"
}

echo $$ > "$dir/bridge.pid.tmp" && mv "$dir/bridge.pid.tmp" "$dir/bridge.pid"
shopt -s nullglob
while :; do
  if [ -n "$parent" ] && ! kill -0 "$parent" 2>/dev/null; then stop; fi
  for req in "$dir"/requests/*.req; do serve "$req"; done
  sleep 0.03
done
