#!/usr/bin/env python3
"""Writes a .npy file with a given header and raw data (no numpy needed).

usage: make_npy.py OUT DESCR SHAPE [DATA_BYTES]
SHAPE is a Python tuple literal such as "(1099511627776, 4194304)"; the file
holds DATA_BYTES zero bytes after the header (default 0), whatever the shape
says: the point is to make files whose header and data disagree.
"""
import struct
import sys

out, descr, shape = sys.argv[1], sys.argv[2], sys.argv[3]
data = int(sys.argv[4]) if len(sys.argv) > 4 else 0
header = "{'descr': '%s', 'fortran_order': False, 'shape': %s, }" % (descr, shape)
header += " " * ((64 - (10 + len(header) + 1) % 64) % 64) + "\n"
with open(out, "wb") as f:
    f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(header)))
    f.write(header.encode("latin-1"))
    f.write(b"\0" * data)
