#!/usr/bin/env python3
"""Makes a corrupted copy of a Q4A binary (docs/ISA.md section 8).

usage: corrupt.py IN OUT KIND
Kinds that keep the CRC-32 valid (so that the reader gets past the checksum
and reports the deeper problem) recompute it after patching.
"""
import struct
import sys
import zlib

src, dst, kind = sys.argv[1], sys.argv[2], sys.argv[3]
b = bytearray(open(src, "rb").read())


def fix_crc():
    size = len(b)
    struct.pack_into("<I", b, size - 4, zlib.crc32(bytes(b[: size - 4])) & 0xFFFFFFFF)


code_off = struct.unpack_from("<I", b, 40)[0]
if kind == "truncate":
    del b[len(b) // 2:]
elif kind == "short":
    del b[40:]
elif kind == "magic":
    b[0:4] = b"ELF\x7f"
elif kind == "version":
    struct.pack_into("<H", b, 4, 2)
    fix_crc()
elif kind == "minor0":
    # An ISA 1.0 binary (no dependency tokens): still read.
    struct.pack_into("<H", b, 6, 0)
    fix_crc()
elif kind == "minor1":
    # An ISA 1.1 binary (no sawb.acc / sawb.fin): still read.
    struct.pack_into("<H", b, 6, 1)
    fix_crc()
elif kind == "checksum":
    b[code_off + 3] ^= 0x40
elif kind == "opcode":
    b[code_off] = 0xFF
    fix_crc()
elif kind == "reserved":
    b[code_off + 15] |= 0x80  # bit 127 of instruction 0
    fix_crc()
elif kind == "field":
    # Instruction 1 is `mma`: set m (bits 14..19) to 63 > 32 array rows.
    w = struct.unpack_from("<Q", b, code_off + 16)[0]
    w |= 0x3F << 14
    struct.pack_into("<Q", b, code_off + 16, w)
    fix_crc()
elif kind == "overlap":
    # The tensor table starts inside the code section.
    struct.pack_into("<I", b, 56, code_off)
    fix_crc()
elif kind == "flags":
    struct.pack_into("<I", b, 16, 1)
    fix_crc()
elif kind == "strtab":
    struct.pack_into("<I", b, 20, 0xFFFF)
    fix_crc()
elif kind == "hugeshape":
    # Tensor 0 claims shape [65536, 65536, 65536, 65536]: 2^64 elements,
    # a byte size that wraps to 0 in 64-bit arithmetic.
    e = struct.unpack_from("<I", b, 56)[0]
    b[e + 6] = 4
    for d in range(4):
        struct.pack_into("<I", b, e + 24 + 4 * d, 65536)
    fix_crc()
elif kind == "bigdram":
    # DRAM size just under the simulator's 2 GiB limit.
    struct.pack_into("<Q", b, 24, 0x7FFFFFF0)
    fix_crc()
else:
    sys.exit("unknown kind " + kind)
open(dst, "wb").write(b)
