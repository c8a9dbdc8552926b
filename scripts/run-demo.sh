#!/usr/bin/env bash
# The main job: build idd and run the examples: one process copying and
# filling through a software DMA device, then two processes that form an
# access pair group and copy into and out of each other's memory (inline
# engine, then thread engine), each printing what it did.
#
#   ./scripts/run-demo.sh
set -euo pipefail

# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$IDD_TOP"

"$IDD_TOP/scripts/install-deps.sh"

echo "==> configure and build ($IDD_BUILD/)"
meson_setup "$IDD_BUILD"
meson compile -C "$IDD_BUILD" local_copy group_two_process

echo
echo "==> local_copy (one process: copy and fill through a sw device, inline engine)"
"$IDD_BUILD/examples/local_copy" engine=inline
echo
echo "==> group_two_process (two processes form an access pair group and copy"
echo "    into and out of each other's memory; inline engine)"
"$IDD_BUILD/examples/group_two_process" inline
echo
echo "==> group_two_process again with the thread engine"
"$IDD_BUILD/examples/group_two_process" thread
echo
echo "run-demo: OK"
