"""lit support for a sanitizer build of quant4 (QUANT4_ENABLE_SANITIZERS).

Used by test/lit.cfg.py and test/Unit/lit.cfg.py. In a sanitizer build:

* every test runs with ASAN_OPTIONS, UBSAN_OPTIONS and LSAN_OPTIONS set to
  quant4's defaults (stop at the first error, full stacks, symbolized by
  llvm-symbolizer, leak checking with test/sanitizers/lsan.supp), followed by
  whatever the caller's environment sets (a later option wins);
* every sanitizer report goes to a file of its own (log_path) rather than to
  the process's stderr, and the test fails if any process it started wrote
  one; the report becomes part of the test's output. The exit status alone
  would miss reports: in `not quant4-opt ...` a failure is expected, a child
  process's status may be ignored by a script, and the tools' crash guard
  (tools/common/CrashGuard.cpp) turns an abort into an ordinary error exit.
* leak checking is on for every process. The two deliberate ends of a
  process that skip it do so by construction, not by an option here: the
  tools' crash guard (a crash inside upstream MLIR code, exit 70) and
  quant4-run's second Ctrl-C (exit 130) end with _Exit/_exit, which does not
  run LeakSanitizer's atexit check; what they abandon is not a leak to fix.
  lsan.supp is for leaks inside upstream code only and is empty;
* the lit feature `asan` is available, for `UNSUPPORTED: asan` in the few
  tests that cannot run under the sanitizers (each says why).

This module must be importable by name (lit pickles the test formats into
its worker processes), hence a file of its own on sys.path.
"""

import glob
import os

import lit.formats
import lit.Test

SANITIZER_VARS = ("ASAN_OPTIONS", "UBSAN_OPTIONS", "LSAN_OPTIONS")


def default_options(src_root, symbolizer):
    """quant4's sanitizer options, without log_path."""
    supp = os.path.join(src_root, "test", "sanitizers")
    common = [
        "print_stacktrace=1",
        "halt_on_error=1",
        "symbolize=1",
        "external_symbolizer_path=" + symbolizer,
    ]
    return {
        # abort_on_error=0: exit with a status instead of SIGABRT, which a
        # crash guard could catch; the report file decides anyway.
        # allow_user_poisoning=0 as in cmake/SanitizerDefaults.cpp, for the
        # processes that do not link it (Debian's mlir-opt with the plugin).
        "ASAN_OPTIONS": ":".join(
            common + ["detect_leaks=1", "abort_on_error=0",
                      "allow_user_poisoning=0"]),
        "UBSAN_OPTIONS": ":".join(
            common + ["suppressions=" + os.path.join(supp, "ubsan.supp")]),
        "LSAN_OPTIONS": ":".join(
            ["print_suppressions=0",
             "suppressions=" + os.path.join(supp, "lsan.supp")]),
    }


def configure(config, src_root, symbolizer, log_dir):
    """Sets up `config` (whose test_format is a SanitizedShTest or
    SanitizedGoogleTest) for a sanitizer build."""
    config.available_features.add("asan")
    config.available_features.add("ubsan")
    options = default_options(src_root, symbolizer)
    for var in SANITIZER_VARS:
        user = os.environ.get(var)
        config.environment[var] = options[var] + (":" + user if user else "")
    config.test_format.log_dir = log_dir
    os.makedirs(log_dir, exist_ok=True)


class _ReportsFailTests(object):
    """Runs each test with its own sanitizer log_path and fails the test if
    a report was written there."""

    log_dir = None

    def execute(self, test, lit_config):
        if not self.log_dir:
            return super().execute(test, lit_config)
        name = test.getFullName().replace(" :: ", "/")
        base = os.path.join(self.log_dir,
                            "".join(c if c.isalnum() or c in "-_." else "_"
                                    for c in name))
        for old in glob.glob(base + ".*"):
            os.remove(old)
        env = test.config.environment
        saved = {var: env.get(var) for var in SANITIZER_VARS}
        for var in ("ASAN_OPTIONS", "UBSAN_OPTIONS"):
            env[var] = (env.get(var) or "") + ":log_path=" + base
        try:
            result = super().execute(test, lit_config)
        finally:
            for var, value in saved.items():
                if value is None:
                    env.pop(var, None)
                else:
                    env[var] = value
        reports = sorted(glob.glob(base + ".*"))
        if not reports:
            return result
        # ShTest returns a Result, GoogleTest a (code, output) pair.
        output = result[1] if isinstance(result, tuple) else result.output
        for path in reports:
            with open(path, errors="replace") as f:
                output += "\n*** sanitizer report %s ***\n%s" % (path, f.read())
        return lit.Test.Result(lit.Test.FAIL, output)


class SanitizedShTest(_ReportsFailTests, lit.formats.ShTest):
    pass


class SanitizedGoogleTest(_ReportsFailTests, lit.formats.GoogleTest):
    pass
