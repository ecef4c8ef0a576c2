//===- SanitizerDefaults.cpp - defaults of quant4's sanitizer build -------===//
//
// Compiled into every executable of a QUANT4_ENABLE_SANITIZERS build
// (cmake/Quant4Sanitizers.cmake), so that the tools, tests and fuzzers
// behave the same however they are started. ASAN_OPTIONS and UBSAN_OPTIONS
// still override these.
//
//===----------------------------------------------------------------------===//

extern "C" {

/// allow_user_poisoning=0: LLVM's BumpPtrAllocator poisons its slabs and
/// unpoisons each allocation (llvm/Support/Allocator.h) when the code that
/// inlines it is built with ASan. quant4's code is, libMLIR.so is not, and
/// both allocate from the same allocators (an MLIRContext's storage): a slab
/// poisoned by quant4's inline copy and then handed out by libMLIR's would
/// be reported as use-after-poison on every later access. Heap errors are
/// still found: ASan intercepts every malloc of the process.
const char *__asan_default_options() { return "allow_user_poisoning=0"; }

const char *__ubsan_default_options() {
  return "print_stacktrace=1:halt_on_error=1";
}

} // extern "C"
