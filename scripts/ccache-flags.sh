# Sourced by scripts/cmake-flags.sh (for setup.sh and sanitize.sh): sets
# `launcher` to the CMake flags that compile through ccache (Debian
# package), with the checkout's parent as base directory (paths below it
# are hashed relative, the working directory not at all), so that a fresh
# clone elsewhere — as CI builds — reuses what another checkout compiled.
# Needs `root` (the checkout).
launcher=()
if command -v ccache >/dev/null; then
  cache_base=$(dirname "$root")
  [ "$cache_base" = / ] && cache_base=$root
  cc_launcher="env;CCACHE_BASEDIR=$cache_base;CCACHE_NOHASHDIR=1;ccache"
  launcher=("-DCMAKE_C_COMPILER_LAUNCHER=$cc_launcher"
            "-DCMAKE_CXX_COMPILER_LAUNCHER=$cc_launcher")
fi
