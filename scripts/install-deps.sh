#!/usr/bin/env bash
# Install the Debian packages listed in scripts/debian-packages.txt that are
# not installed yet. Does nothing (and needs no network) when all are there.
#
# Environment: IDD_SKIP_DEPS=1 skips the check (for systems without dpkg,
# where you install the equivalents yourself).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
list="$here/debian-packages.txt"

if [ "${IDD_SKIP_DEPS:-0}" = 1 ]; then
	echo "install-deps: skipped (IDD_SKIP_DEPS=1)"
	exit 0
fi

mapfile -t packages < <(sed -e 's/#.*//' -e 's/[[:space:]]//g' "$list" | grep -v '^$')

if ! command -v dpkg-query >/dev/null 2>&1; then
	echo "install-deps: no dpkg-query: this is not a Debian-like system." >&2
	echo "install-deps: install the equivalents of: ${packages[*]}" >&2
	echo "install-deps: then run again with IDD_SKIP_DEPS=1" >&2
	exit 1
fi

missing=()
for p in "${packages[@]}"; do
	if [ "$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null)" != installed ]; then
		missing+=("$p")
	fi
done

if [ ${#missing[@]} -eq 0 ]; then
	echo "install-deps: all ${#packages[@]} packages are installed"
	exit 0
fi

sudo=()
if [ "$(id -u)" -ne 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		sudo=(sudo)
	else
		echo "install-deps: missing packages: ${missing[*]}" >&2
		echo "install-deps: run as root (or install sudo) to install them" >&2
		exit 1
	fi
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -q
"${sudo[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
