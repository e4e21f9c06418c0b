#!/usr/bin/env bash
# Runs a command inside the Debian 13 oracle chroot (torch 2.6, onnx, onnxruntime, GLIBCXX 3.4.32).
#
#   tools/chroot-exec.sh COMMAND [ARGS...]
#
# Bind-mounts at the same absolute paths: /tmp, the repository, the caller's working directory, the host's .NET
# installation and the host's NuGet package folder. So a test project restored and built on the host (its
# project.assets.json names absolute package paths) runs inside with `dotnet test --no-build`, and Python scripts
# see the same files. Needs root. The working directory is preserved.
set -euo pipefail

die() { echo "chroot-exec.sh: $*" >&2; exit 2; }
[ $# -ge 1 ] || die "usage: tools/chroot-exec.sh COMMAND [ARGS...]"

root=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
[ -d "$root" ] && [ -x "$root/usr/bin/python3" ] \
  || die "oracle chroot missing: no chroot with python3 at $root (run tools/setup-oracles.sh; set PT_ORACLE_CHROOT)"
[ "$(id -u)" = 0 ] || die "the oracle chroot needs root (mount --bind and chroot)"

script_dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(git -C "$script_dir" rev-parse --show-toplevel 2>/dev/null || (cd "$script_dir/.." && pwd))

mkdir -p "$root/proc"
mountpoint -q "$root/proc" || mount -t proc proc "$root/proc" || die "cannot mount /proc in $root"

bind() {  # bind SRC at the same absolute path inside the chroot (read-only when $2 = ro)
  local src=$1 dst="$root$1"
  [ -d "$src" ] || return 0
  mkdir -p "$dst"
  if ! mountpoint -q "$dst"; then
    mount --bind "$src" "$dst" || die "cannot bind-mount $src into $root"
    if [ "${2:-}" = ro ]; then mount -o remount,bind,ro "$dst" 2>/dev/null || true; fi
  fi
}
under() { case "$1" in "$2"|"$2"/*) return 0 ;; *) return 1 ;; esac; }

# /tmp first: a repository under /tmp is then already visible, and stacking a second mount over it would hide the
# first from a later umount.
bind /tmp
under "$repo" /tmp || bind "$repo"
cwd=$(pwd)
if ! under "$cwd" "$repo" && ! under "$cwd" /tmp && [ "$cwd" != / ]; then bind "$cwd"; fi

if command -v dotnet >/dev/null 2>&1; then
  dotnet_root=$(dirname "$(readlink -f "$(command -v dotnet)")")
  bind "$dotnet_root" ro
  nuget=${NUGET_PACKAGES:-$HOME/.nuget/packages}
  if [ -d "$nuget" ] && ! under "$nuget" /tmp && ! under "$nuget" "$repo"; then bind "$nuget" ro; fi
  export DOTNET_ROOT=$dotnet_root
fi

# The .NET host writes first-run state under $HOME: give it a private one under /tmp.
chroot_home=/tmp/ptsharp-chroot-home
mkdir -p "$chroot_home"
exec chroot "$root" /usr/bin/env HOME="$chroot_home" DOTNET_CLI_HOME="$chroot_home" \
  DOTNET_NOLOGO=1 DOTNET_SKIP_FIRST_TIME_EXPERIENCE=1 DOTNET_CLI_TELEMETRY_OPTOUT=1 \
  ${DOTNET_ROOT:+DOTNET_ROOT="$DOTNET_ROOT" PATH="$DOTNET_ROOT:/usr/local/bin:/usr/bin:/bin"} \
  /bin/sh -c 'cd "$1" && shift && exec "$@"' sh "$cwd" "$@"
