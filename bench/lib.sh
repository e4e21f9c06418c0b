# Shell functions shared by bench/side_by_side.sh and bench/safetensors_side_by_side.sh (sourced, not run).
# PREFIX is the calling script's log prefix: messages go to stderr as "[PREFIX] message".

# The 1-, 5- and 15-minute load averages, e.g. "0.42 0.61 0.70".
loadavg() { cut -d' ' -f1-3 /proc/loadavg; }

# True when the first figure of LOAD (a loadavg line) is 1.0 or more: someone else is using a core.
is_busy() { awk '{ exit !($1 >= 1.0) }' <<<"$1"; }

# wait_for_quiet_machine SECONDS PREFIX: wait, in 10 s steps and up to SECONDS (0 skips), for the 1-minute load
# average to drop below 1.0. Both cores are shared with builds and tests, and they skew every timing.
wait_for_quiet_machine() {
  local limit="$1" prefix="$2" waited=0
  [ "$limit" -gt 0 ] || return 0
  while is_busy "$(loadavg)" && [ "$waited" -lt "$limit" ]; do
    [ "$waited" -eq 0 ] && printf '[%s] %s\n' "$prefix" "load average is $(loadavg); waiting up to ${limit}s for a quieter machine" >&2
    sleep 10
    waited=$((waited + 10))
  done
  return 0
}

# note_if_busy LOAD_BEFORE PREFIX: warn that the timings are noisy when the machine was busy before the run.
# Only the "before" figure tells: the "after" one includes the benchmark itself.
note_if_busy() {
  if is_busy "$1"; then
    printf '[%s] %s\n' "$2" "note: the machine was busy before the run (load average $1); timings are noisy" >&2
  fi
}
