#!/usr/bin/env bash
# Installs everything the tests need (needs root, Debian 12). Idempotent: what already works is left as it is.
#   host:   Debian 12's python3-torch (torch 1.13) run as /usr/bin/python3; chromium (report rendering tests);
#           clang + zlib1g-dev (Native AOT publish of pt); debootstrap
#   chroot: Debian 13 at $PT_ORACLE_CHROOT with torch 2.6, torchvision, onnx 1.17, onnxruntime 1.21, and the C++
#           runtime (GLIBCXX 3.4.32) + ICU/OpenSSL that TorchSharp's native libraries and the .NET host need
set -euo pipefail
chroot_dir=${PT_ORACLE_CHROOT:-/opt/pt-oracle/trixie}
export DEBIAN_FRONTEND=noninteractive

log() { echo "setup-oracles: $*" >&2; }

host_pkgs="python3-torch python3-torchvision python3-numpy debootstrap chromium clang zlib1g-dev"
if ! /usr/bin/python3 -c 'import torch, torchvision, numpy' >/dev/null 2>&1 \
   || ! command -v debootstrap >/dev/null || ! command -v chromium >/dev/null || ! command -v clang >/dev/null \
   || [ ! -e /usr/include/zlib.h ]; then
  log "installing on the host: $host_pkgs"
  apt-get update -q >/dev/null
  # shellcheck disable=SC2086
  apt-get install -y -q --no-install-recommends $host_pkgs >/tmp/ptsharp-host-apt.log 2>&1 \
    || { tail -20 /tmp/ptsharp-host-apt.log >&2; exit 1; }
fi
log "torch 1.13 oracle: $(/usr/bin/python3 -c 'import torch; print(torch.__version__)')"

chroot_pkgs="python3-torch python3-torchvision python3-numpy python3-onnx python3-onnxruntime libicu76 libssl3t64 libstdc++6 ca-certificates"
chroot_ok() {
  [ -x "$chroot_dir/usr/bin/python3" ] && mountpoint -q "$chroot_dir/proc" 2>/dev/null \
    && chroot "$chroot_dir" python3 -c 'import torch, torchvision, onnx, onnxruntime' >/dev/null 2>&1 \
    && [ -e "$chroot_dir/usr/lib/x86_64-linux-gnu/libicuuc.so.76" ]
}
if ! chroot_ok; then
  if [ ! -x "$chroot_dir/usr/bin/apt-get" ]; then
    log "debootstrap trixie into $chroot_dir (about 2 minutes)"
    mkdir -p "$chroot_dir"
    debootstrap --variant=minbase trixie "$chroot_dir" >/tmp/ptsharp-debootstrap.log 2>&1 \
      || { tail -20 /tmp/ptsharp-debootstrap.log >&2; exit 1; }
  fi
  mountpoint -q "$chroot_dir/proc" || mount -t proc proc "$chroot_dir/proc"
  log "installing inside the chroot: $chroot_pkgs (about 3 minutes)"
  # shellcheck disable=SC2086
  chroot "$chroot_dir" apt-get install -y -q --no-install-recommends $chroot_pkgs >/tmp/ptsharp-chroot-apt.log 2>&1 \
    || { chroot "$chroot_dir" apt-get update -q >/dev/null 2>&1 \
         && chroot "$chroot_dir" apt-get install -y -q --no-install-recommends $chroot_pkgs >/tmp/ptsharp-chroot-apt.log 2>&1; } \
    || { tail -20 /tmp/ptsharp-chroot-apt.log >&2; exit 1; }
fi
log "torch 2.6 oracle: $(chroot "$chroot_dir" python3 -c 'import torch, onnx, onnxruntime; print(torch.__version__, "onnx", onnx.__version__, "onnxruntime", onnxruntime.__version__)')"
