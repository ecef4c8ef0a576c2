# -*- Python -*-
import os
import sys

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "QUANT4"
if config.quant4_sanitizers:
    # ASan/UBSan build: sanitizer reports fail the test that caused them.
    sys.path.insert(0, os.path.join(config.quant4_src_root, "test", "sanitizers"))
    import quant4_sanitizers

    config.test_format = quant4_sanitizers.SanitizedShTest(
        not llvm_config.use_lit_shell)
    quant4_sanitizers.configure(
        config, config.quant4_src_root,
        os.path.join(config.llvm_tools_dir, "llvm-symbolizer"),
        os.path.join(config.quant4_obj_root, "test", "sanitizer-reports"))
else:
    config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test", ".c"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.quant4_obj_root, "test")
# Sub-projects and inputs that are not tests themselves.
config.excludes = ["Inputs", "consumer", "Unit", "CMakeLists.txt", "lit.cfg.py",
                   "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%quant4_src_root", config.quant4_src_root))
config.substitutions.append(("%quant4_obj_root", config.quant4_obj_root))
config.substitutions.append(("%mlir_dir", config.mlir_dir))
config.substitutions.append(("%cxx", config.cxx_compiler))
config.substitutions.append(("%cmake_generator", config.cmake_generator))
config.substitutions.append(("%make_program", config.make_program))
config.substitutions.append(("%cmake", config.cmake_command))
config.substitutions.append(
    ("%quant4_plugin", os.path.join(config.quant4_lib_dir, "Quant4Plugin.so")))
# The ONNX tests (test/Target/ONNX) make their models with Debian's
# python3-onnx, installed for /usr/bin/python3 (the python3 on PATH may be
# another interpreter), and read the backend tests of libonnx-testdata.
onnx_python = "/usr/bin/python3"
config.substitutions.append(("%onnx_python", onnx_python))
if os.path.exists(onnx_python) and os.system(
        onnx_python + " -c 'import onnx' >/dev/null 2>&1") == 0:
    config.available_features.add("onnx-python")
onnx_testdata = "/usr/share/libonnx-testdata/data"
config.substitutions.append(("%onnx_testdata", onnx_testdata))
if os.path.isdir(onnx_testdata):
    config.available_features.add("onnx-testdata")
# Data-parallel training (issue 21): quant4 built with MPI and Open MPI's
# mpirun on PATH. Oversubscribed (more replicas than cores) and on
# loopback; as root mpirun needs --allow-run-as-root. A hung job is ended
# by `timeout`. Not in the sanitizer build: Open MPI's own allocations at
# exit are reported as leaks.
import shutil
mpirun = shutil.which("mpirun")
if config.quant4_have_mpi and mpirun and not config.quant4_sanitizers:
    config.available_features.add("mpi")
    root = "--allow-run-as-root " if os.geteuid() == 0 else ""
    config.substitutions.append(
        ("%mpirun", "timeout 300 %s %s--oversubscribe --mca btl self,tcp "
         "--mca btl_tcp_if_include lo --mca oob_tcp_if_include lo" %
         (mpirun, root)))
# Debian's stock mlir-opt, to load the plugin into. An instrumented plugin
# needs the sanitizer runtime loaded first, which the uninstrumented
# mlir-opt does not link.
upstream_mlir_opt = os.path.join(config.llvm_tools_dir, "mlir-opt")
if config.quant4_sanitizers:
    upstream_mlir_opt = "env LD_PRELOAD=%s %s" % (config.asan_runtime,
                                                 upstream_mlir_opt)
config.substitutions.append(("%upstream_mlir_opt", upstream_mlir_opt))

llvm_config.use_default_substitutions()
llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)
llvm_config.with_environment("PATH", config.quant4_tools_dir, append_path=True)

tool_dirs = [config.quant4_tools_dir, config.llvm_tools_dir]
tools = ["quant4-opt", "quant4-translate", "quant4-capi-test", "quant4-run",
         "quant4-ref", "quant4-gradcheck", "quant4-sim"]
llvm_config.add_tool_substitutions(tools, tool_dirs)
