#!/usr/bin/env bash
# Run a Python script under one of the real PyTorch "oracles" installed on the dev machine.
#
#   tools/oracle.sh VERSION SCRIPT [ARGS...]
#
#   VERSION 1.13 -> /usr/bin/python3 (Debian 12 python3-torch 1.13, torchvision 0.14, numpy 1.24)
#   VERSION 2.6  -> python3 inside the Debian 13 chroot at ${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
#                   (torch 2.6, torchvision 0.21, numpy 2.x, onnx 1.17, onnxruntime 1.21), through
#                   tools/chroot-exec.sh: the repository and /tmp are bind-mounted at the same absolute paths.
#                   Needs root (mount/chroot).
#
# The working directory is preserved (inside the chroot too, when it is under the repo or /tmp).
set -euo pipefail

die() { echo "oracle.sh: $*" >&2; exit 2; }

[ $# -ge 2 ] || die "usage: tools/oracle.sh 1.13|2.6 SCRIPT [ARGS...]"
version=$1; shift

case "$version" in
  1.13)
    py=/usr/bin/python3
    [ -x "$py" ] || die "torch 1.13 oracle missing: $py not found"
    "$py" -c 'import torch' >/dev/null 2>&1 \
      || die "torch 1.13 oracle missing: '$py -c \"import torch\"' fails (apt-get install python3-torch python3-torchvision)"
    exec "$py" "$@"
    ;;
  2.6)
    script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    root=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
    [ -x "$root/usr/bin/python3" ] || die "torch 2.6 oracle missing: no chroot with python3 at $root (set PT_ORACLE_CHROOT)"
    exec bash "$script_dir/chroot-exec.sh" python3 "$@"
    ;;
  *)
    die "unknown oracle version '$version' (expected 1.13 or 2.6)"
    ;;
esac
