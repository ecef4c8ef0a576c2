# -*- Python -*-
# GoogleTest unit tests (build/unittests/**/<Name>Tests), run from lit.
import os
import sys

import lit.formats

config.name = "QUANT4-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.quant4_obj_root, "unittests")
config.test_source_root = config.test_exec_root
if config.quant4_sanitizers:
    # ASan/UBSan build: sanitizer reports fail the test that caused them.
    sys.path.insert(0, os.path.join(config.quant4_src_root, "test", "sanitizers"))
    import quant4_sanitizers

    config.test_format = quant4_sanitizers.SanitizedGoogleTest(".", "Tests")
    quant4_sanitizers.configure(
        config, config.quant4_src_root,
        os.path.join(config.llvm_tools_dir, "llvm-symbolizer"),
        os.path.join(config.quant4_obj_root, "unittests", "sanitizer-reports"))
else:
    config.test_format = lit.formats.GoogleTest(".", "Tests")
