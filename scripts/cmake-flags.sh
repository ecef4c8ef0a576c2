# Sourced by setup.sh and sanitize.sh: the CMake configuration both builds
# share. Needs `root` (the checkout) and `llvm` (the LLVM/MLIR prefix); sets
#   cmake_flags  the -D flags for LLVM/MLIR 22, lit, clang, lld and ccache
#                (scripts/ccache-flags.sh), to follow each build's own flags
# and defines
#   foreign_compiler DIR  true if DIR has a CMake cache made with another
#                compiler (CMake would drop its cache, and our -D settings,
#                mid-configure: the caller starts that one afresh).
source "$root/scripts/ccache-flags.sh"
cmake_flags=(
  -DMLIR_DIR="$llvm/lib/cmake/mlir"
  -DLLVM_EXTERNAL_LIT="$llvm/bin/lit"
  -DCMAKE_C_COMPILER="$llvm/bin/clang"
  -DCMAKE_CXX_COMPILER="$llvm/bin/clang++"
  -DCMAKE_EXE_LINKER_FLAGS=-fuse-ld=lld
  -DCMAKE_SHARED_LINKER_FLAGS=-fuse-ld=lld
  -DCMAKE_MODULE_LINKER_FLAGS=-fuse-ld=lld
  "${launcher[@]}"
)
foreign_compiler() {
  [ -f "$1/CMakeCache.txt" ] &&
    ! grep -qx "CMAKE_CXX_COMPILER:.*=$llvm/bin/clang++" "$1/CMakeCache.txt"
}
