#!/usr/bin/env bash
# The main job: build idd and run the example program, which copies and
# fills buffers through a software DMA device (inline engine, then thread
# engine) and prints what it did.
#
#   ./scripts/run-demo.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IDD_TOP"

"$IDD_TOP/scripts/install-deps.sh"

echo "==> configure and build ($IDD_BUILD/)"
meson_setup "$IDD_BUILD"
meson compile -C "$IDD_BUILD" local_copy

echo
echo "==> local_copy (inline engine: the copy runs in submit, on this thread)"
"$IDD_BUILD/examples/local_copy" engine=inline
echo
echo "==> local_copy (thread engine: a worker thread copies while the caller polls)"
"$IDD_BUILD/examples/local_copy" engine=thread
echo
echo "run-demo: OK"
