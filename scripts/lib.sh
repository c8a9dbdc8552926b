# Helpers shared by the scripts in this directory; source it, don't run it.
# shellcheck shell=bash disable=SC2034

# The repository's top directory.
IDD_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Build directories are $IDD_BUILD, $IDD_BUILD-asan and $IDD_BUILD-tsan,
# relative to the top directory unless absolute.
IDD_BUILD=${IDD_BUILD:-build}

# meson_setup DIR [OPTIONS...]: configure DIR, reusing it when it is already
# a build directory (reconfigure, and wipe it if that fails).
meson_setup() {
	local dir=$1
	shift
	if [ -d "$dir/meson-private" ]; then
		meson setup --reconfigure "$dir" "$@" ||
			meson setup --wipe "$dir" "$@"
	else
		meson setup "$dir" "$@"
	fi
}
