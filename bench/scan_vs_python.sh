#!/usr/bin/env bash
# Side by side: `pt scan -r` against a pure-Python pickletools static scan (bench/pickletools_scan.py) over the
# same folder (default tests/fixtures). Both are timed as whole processes, best of N runs, and the ratio printed.
#   bench/scan_vs_python.sh [FOLDER] [RUNS]
set -euo pipefail
cd "$(dirname "$0")/.."
folder=${1:-tests/fixtures}
runs=${2:-5}
py=${PYTHON:-/usr/bin/python3}

dotnet build src/PtSharp.Cli -c Release -nologo -v q >/dev/null
pt=(dotnet src/PtSharp.Cli/bin/Release/net10.0/pt.dll)

best() {  # best wall time in ms of "$@" over $runs runs
  local best_ms=999999999 start end ms
  for _ in $(seq "$runs"); do
    start=$(date +%s%N)
    "$@" >/dev/null 2>&1 || true
    end=$(date +%s%N)
    ms=$(( (end - start) / 1000000 ))
    (( ms < best_ms )) && best_ms=$ms
  done
  echo "$best_ms"
}

files=$(find "$folder" -type f | wc -l)
bytes=$(du -sb "$folder" | cut -f1)
pt_ms=$(best "${pt[@]}" scan -r "$folder" --json)
py_ms=$(best "$py" bench/pickletools_scan.py "$folder")
# The process start-up of each runtime, to separate it from the scanning itself.
pt0_ms=$(best "${pt[@]}" scan --json /dev/null)
py0_ms=$(best "$py" -c "import pickletools, zipfile")

echo "folder: $folder ($files files, $bytes bytes), best of $runs runs"
printf "%-34s %8s ms   (start-up %s ms)\n" "pt scan -r (.NET, $(nproc) cores)" "$pt_ms" "$pt0_ms"
printf "%-34s %8s ms   (start-up %s ms)\n" "pickletools_scan.py (CPython)" "$py_ms" "$py0_ms"
awk -v a="$pt_ms" -v b="$py_ms" -v a0="$pt0_ms" -v b0="$py0_ms" 'BEGIN {
  printf "ratio python / pt, whole process: %.2fx\n", b / a;
  if (a - a0 > 0) printf "ratio python / pt, start-up removed: %.2fx\n", (b - b0) / (a - a0);
}'
