#!/usr/bin/env bash
# Host-side pre-step for this suite (tools/test-all.sh runs it before the chroot run): writes the test files with
# torch 1.13, which exists only on the host, into DIR/torch-1.13. The tests read them from PTSHARP_PREPARED_DIR=DIR.
#   tests/PtSharp.TorchSharp.Tests/prepare-host.sh DIR
set -euo pipefail
dir=${1:?usage: prepare-host.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$dir/torch-1.13"
bash "$here/../../tools/oracle.sh" 1.13 "$here/Python/make_files.py" "$dir/torch-1.13"
