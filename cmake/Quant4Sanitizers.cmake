# Sanitizer and fuzzer builds of quant4 (scripts/sanitize.sh, scripts/fuzz.sh).
#
#   QUANT4_ENABLE_SANITIZERS  AddressSanitizer + UndefinedBehaviorSanitizer on
#                             every quant4 target (libraries, tools, unit tests,
#                             the C API tests, benchmarks). libMLIR.so/libLLVM.so
#                             stay uninstrumented: ASan still intercepts every
#                             malloc/free of the process, so their heap objects
#                             are checked when quant4 code touches them.
#   QUANT4_ENABLE_FUZZERS     libFuzzer targets in fuzz/ (clang only), and
#                             coverage instrumentation (-fsanitize=fuzzer-no-link)
#                             on all quant4 code so that the fuzzers see edges
#                             inside the libraries they call. Meant to be used
#                             together with the sanitizers: one build directory
#                             then serves the sanitizer test suite and the
#                             fuzzers (CI builds it once).
#
# Included from the top-level CMakeLists.txt before any target is defined.

option(QUANT4_ENABLE_SANITIZERS
  "Build quant4 with AddressSanitizer and UndefinedBehaviorSanitizer" OFF)
option(QUANT4_ENABLE_FUZZERS "Build the libFuzzer targets in fuzz/ (clang)" OFF)

include(CheckCXXSourceCompiles)

# Fails the configuration unless `source` builds and links with `flags`
# (clang-22 without Debian's libclang-rt-22-dev has no sanitizer runtimes).
function(quant4_require_flags flags result source)
  set(CMAKE_REQUIRED_FLAGS "${flags}")
  set(CMAKE_REQUIRED_LINK_OPTIONS "${flags}")
  check_cxx_source_compiles("${source}" ${result})
  if(NOT ${result})
    unset(${result} CACHE) # check again once the runtimes are installed
    message(FATAL_ERROR "${CMAKE_CXX_COMPILER} cannot link ${flags} "
      "(on Debian: apt-get install libclang-rt-22-dev)")
  endif()
endfunction()

set(QUANT4_SANITIZER_LINK_FLAGS "")
# For the lit site configurations (test/sanitizers/quant4_sanitizers.py).
set(QUANT4_SANITIZERS_PY False)
set(QUANT4_ASAN_RUNTIME "")
if(QUANT4_ENABLE_SANITIZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "QUANT4_ENABLE_SANITIZERS needs clang")
  endif()
  quant4_require_flags("-fsanitize=address,undefined" QUANT4_HAVE_ASAN_UBSAN
    "int main() { return 0; }")
  # -fno-sanitize-recover: a UB report ends the process with an error, so a
  # test cannot pass over it. Frame pointers and line tables make the
  # reports' stacks readable (the sanitizer runtimes unwind by frame pointer;
  # llvm-symbolizer reads the line tables); full debug info would double the
  # build time and is not needed for a stack.
  set(QUANT4_SANITIZER_FLAGS
    -fsanitize=address,undefined
    -fno-sanitize-recover=undefined
    -fno-omit-frame-pointer
    -gline-tables-only)
  add_compile_options(${QUANT4_SANITIZER_FLAGS})
  set(QUANT4_SANITIZER_LINK_FLAGS -fsanitize=address,undefined)
  add_link_options(${QUANT4_SANITIZER_LINK_FLAGS})
  # ASan must own malloc: a second allocator linked into the IR tools would
  # hide their heap errors (and jemalloc's own metadata confuses LeakSanitizer).
  # A normal variable shadows the option of tools/CMakeLists.txt (CMP0077).
  set(QUANT4_USE_JEMALLOC OFF)
  set(QUANT4_SANITIZERS_PY True)
  # The shared ASan runtime: Debian's uninstrumented mlir-opt preloads it to
  # load the instrumented Quant4Plugin.so (test/Plugin).
  execute_process(
    COMMAND ${CMAKE_CXX_COMPILER} -print-file-name=libclang_rt.asan-x86_64.so
    OUTPUT_VARIABLE QUANT4_ASAN_RUNTIME OUTPUT_STRIP_TRAILING_WHITESPACE)
  message(STATUS "quant4: AddressSanitizer + UndefinedBehaviorSanitizer on; jemalloc off")
endif()

if(QUANT4_ENABLE_FUZZERS)
  if(NOT CMAKE_CXX_COMPILER_ID MATCHES "Clang")
    message(FATAL_ERROR "QUANT4_ENABLE_FUZZERS needs clang (libFuzzer)")
  endif()
  # The coverage callbacks of -fsanitize=fuzzer-no-link (below) are defined
  # by the sanitizer runtimes: tools and tests link only with them. A fuzzer
  # without ASan/UBSan would also find crashes only.
  if(NOT QUANT4_ENABLE_SANITIZERS)
    message(FATAL_ERROR "QUANT4_ENABLE_FUZZERS needs QUANT4_ENABLE_SANITIZERS=ON")
  endif()
  quant4_require_flags("-fsanitize=fuzzer" QUANT4_HAVE_LIBFUZZER
    "#include <cstddef>\n#include <cstdint>\nextern \"C\" int LLVMFuzzerTestOneInput(const uint8_t *, size_t) { return 0; }")
  # Coverage feedback from every quant4 library, not only from the fuzz
  # targets' own files; the libFuzzer main is linked into fuzz/ targets only.
  add_compile_options(-fsanitize=fuzzer-no-link)
  message(STATUS "quant4: libFuzzer targets in fuzz/")
endif()

# Adds SanitizerDefaults.cpp to every executable defined in `dir` and below.
function(quant4_add_sanitizer_defaults dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(t ${targets})
    get_target_property(type ${t} TYPE)
    if(type STREQUAL "EXECUTABLE")
      target_sources(${t} PRIVATE ${PROJECT_SOURCE_DIR}/cmake/SanitizerDefaults.cpp)
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(d ${subdirs})
    quant4_add_sanitizer_defaults(${d})
  endforeach()
endfunction()

# Called at the end of the top-level CMakeLists.txt, when every target exists.
function(quant4_finish_sanitizer_setup)
  if(NOT QUANT4_ENABLE_SANITIZERS)
    return()
  endif()
  # The sanitizer options every executable starts with (SanitizerDefaults.cpp).
  quant4_add_sanitizer_defaults(${PROJECT_SOURCE_DIR})
  # No fuzz target links the GEMM kernels, and coverage instrumentation (a
  # callback per comparison in their inner loops) made their largest unit
  # test take 93 s instead of 54 s under ASan.
  if(QUANT4_ENABLE_FUZZERS AND TARGET Quant4Kernels)
    set_property(TARGET Quant4Kernels APPEND PROPERTY
      COMPILE_OPTIONS -fno-sanitize=fuzzer-no-link)
  endif()
  # An installed sanitizer build's static libraries reference the sanitizer
  # runtimes: their consumers (find_package(Quant4)) must link them too.
  get_property(libs GLOBAL PROPERTY QUANT4_EXPORTED_LIBS)
  foreach(lib ${libs})
    target_link_options(${lib} INTERFACE ${QUANT4_SANITIZER_LINK_FLAGS})
  endforeach()
endfunction()
