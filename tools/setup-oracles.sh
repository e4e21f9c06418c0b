#!/usr/bin/env bash
# Installs the two real PyTorch oracles the interop tests use (needs root, Debian 12):
#   torch 1.13: Debian 12's python3-torch, run as /usr/bin/python3
#   torch 2.6:  Debian 13's python3-torch inside a debootstrap chroot at $PT_ORACLE_CHROOT
# Idempotent: an oracle that already imports torch is left as it is.
set -euo pipefail
chroot_dir=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup-oracles: $*" >&2; }

if ! /usr/bin/python3 -c 'import torch, torchvision, numpy' >/dev/null 2>&1 || ! command -v debootstrap >/dev/null; then
  log "installing python3-torch (1.13), torchvision, numpy, debootstrap"
  apt-get update -q >/dev/null
  apt-get install -y -q --no-install-recommends python3-torch python3-torchvision python3-numpy debootstrap >/dev/null
fi
log "torch 1.13 oracle: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"

if ! { [ -x "$chroot_dir/usr/bin/python3" ] && mountpoint -q "$chroot_dir/proc" 2>/dev/null && chroot "$chroot_dir" python3 -c 'import torch' >/dev/null 2>&1; }; then
  if [ ! -x "$chroot_dir/usr/bin/apt-get" ]; then
    log "debootstrap trixie into $chroot_dir (about 2 minutes)"
    mkdir -p "$chroot_dir"
    debootstrap --variant=minbase trixie "$chroot_dir" >/tmp/ptsharp-debootstrap.log 2>&1 \
      || { tail -20 /tmp/ptsharp-debootstrap.log >&2; exit 1; }
  fi
  mountpoint -q "$chroot_dir/proc" || mount -t proc proc "$chroot_dir/proc"
  log "installing torch 2.6 inside the chroot (about 2 minutes)"
  chroot "$chroot_dir" apt-get install -y -q --no-install-recommends python3-torch python3-torchvision python3-numpy >/tmp/ptsharp-chroot-apt.log 2>&1 \
    || { tail -20 /tmp/ptsharp-chroot-apt.log >&2; exit 1; }
fi
log "torch 2.6 oracle: $(chroot "$chroot_dir" python3 -c 'import torch; print(torch.__version__)')"
