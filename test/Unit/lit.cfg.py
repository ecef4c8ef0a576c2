# -*- Python -*-
# GoogleTest unit tests (build/unittests/**/<Name>Tests), run from lit.
import os

import lit.formats

config.name = "QUANT4-Unit"
config.suffixes = []
config.test_exec_root = os.path.join(config.quant4_obj_root, "unittests")
config.test_source_root = config.test_exec_root
config.test_format = lit.formats.GoogleTest(".", "Tests")
