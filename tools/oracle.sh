#!/usr/bin/env bash
# Run a Python script under one of the real PyTorch "oracles" installed on the dev machine.
#
#   tools/oracle.sh VERSION SCRIPT [ARGS...]
#
#   VERSION 1.13 -> /usr/bin/python3 (Debian 12 python3-torch 1.13, torchvision 0.14, numpy 1.24)
#   VERSION 2.6  -> python3 inside the Debian 13 chroot at ${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
#                   (torch 2.6, torchvision 0.21, numpy 2.x). The repository root and /tmp are bind-mounted
#                   into the chroot at the same absolute paths, so absolute paths work identically.
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
    root=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
    [ -d "$root" ] && [ -x "$root/usr/bin/python3" ] \
      || die "torch 2.6 oracle missing: no chroot with python3 at $root (set PT_ORACLE_CHROOT)"
    [ "$(id -u)" = 0 ] || die "torch 2.6 oracle needs root (mount --bind and chroot)"

    script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
    repo=$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null || (cd "$script_dir/.." && pwd))

    # /proc for torch (it reads /proc/self/..., cpuinfo)
    mkdir -p "$root/proc"
    mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"

    bind() {  # bind SRC at the same absolute path inside the chroot
      local src=$1 dst="$root$1"
      mkdir -p "$dst"
      mountpoint -q "$dst" || mount --bind "$src" "$dst" || die "cannot bind-mount $src into $root"
    }
    # /tmp first: a repository under /tmp is then already visible, and stacking a second mount over it would
    # hide the first from a later umount.
    bind /tmp
    case "$repo" in /tmp|/tmp/*) ;; *) bind "$repo" ;; esac
    # the caller's cwd may be outside repo and /tmp (e.g. another worktree): bind it too when it is a directory
    cwd=$(pwd)
    case "$cwd" in
      "$repo"|"$repo"/*|/tmp|/tmp/*) ;;
      /) ;;
      *) bind "$cwd" ;;
    esac

    chroot "$root" python3 -c 'import torch' >/dev/null 2>&1 \
      || die "torch 2.6 oracle missing: 'python3 -c \"import torch\"' fails inside $root"
    # absolute script path (relative paths resolve against cwd, which exists inside the chroot at the same path)
    exec chroot "$root" /bin/sh -c 'cd "$1" && shift && exec python3 "$@"' sh "$cwd" "$@"
    ;;
  *)
    die "unknown oracle version '$version' (expected 1.13 or 2.6)"
    ;;
esac
