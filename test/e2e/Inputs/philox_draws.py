#!/usr/bin/env python3
"""Stochastic-rounding draws of docs/Formats.md C13/C15, computed without the
Numerics library, for test/e2e/rules-handworked.mlir.

C15: randomBits(key, index) is Philox4x32-10 (Salmon et al., SC'11) with
counter (index lo, index hi, stream lo, stream hi), key (seed lo, seed hi),
output word 0. Philox's 10 rounds are not something to work by hand, so this
is a from-the-paper implementation (checked here against the published
Random123 known-answer vectors). For each index it prints the draw u and, for
C13's rule "round up iff u*(b-a) < (m-a)*2^32", the float32 inputs just at
and just above the threshold m* = a + u*(b-a)/2^32 for two intervals:
int4 (a, b) = (0, 1) and log<4,3,0> (a, b) = (1, 4), scale 1.

  philox_draws.py SEED STREAM N
"""
import re
import struct
import sys
from fractions import Fraction

M0, M1 = 0xD2511F53, 0xCD9E8D57
W0, W1 = 0x9E3779B9, 0xBB67AE85
MASK = 0xFFFFFFFF


def philox4x32_10(ctr, key):
    c0, c1, c2, c3 = ctr
    k0, k1 = key
    for r in range(10):
        if r:
            k0, k1 = (k0 + W0) & MASK, (k1 + W1) & MASK
        p0, p1 = M0 * c0, M1 * c2
        c0, c1, c2, c3 = ((p1 >> 32) ^ c1 ^ k0, p1 & MASK,
                          (p0 >> 32) ^ c3 ^ k1, p0 & MASK)
    return [c0, c1, c2, c3]


# Random123 tests/kat_vectors, "philox4x32 10".
KAT = [([0, 0, 0, 0], [0, 0], [0x6627e8d5, 0xe169c58d, 0xbc57ac4c, 0x9b00dbd8]),
       ([MASK] * 4, [MASK, MASK], [0x408f276d, 0x41c83b0e, 0xa20bc7c6, 0x6d5451fd]),
       ([0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344], [0xa4093822, 0x299f31d0],
        [0xd16cfe09, 0x94fdcceb, 0x5001e420, 0x24126ea1])]
for ctr, key, out in KAT:
    assert philox4x32_10(ctr, key) == out, "Philox known-answer test failed"


def random_bits(seed, stream, index):
    ctr = [index & MASK, index >> 32, stream & MASK, stream >> 32]
    return philox4x32_10(ctr, [seed & MASK, seed >> 32])[0]


def f32(x):
    return struct.unpack("<f", struct.pack("<f", x))[0]


def bits(x):
    return struct.unpack("<I", struct.pack("<f", x))[0]


def from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def hexf(x):
    """float.hex without the trailing zeros of a float32 mantissa."""
    m = re.match(r"(-?0x1\.)([0-9a-f]*?)0*(p[-+]\d+)$", x.hex())
    return m.group(1) + (m.group(2) or "0") + m.group(3)


def bracket(t):
    """Largest float32 <= t and smallest float32 > t (t > 0 a Fraction)."""
    lo = f32(float(t))  # nearest; step to the right side exactly
    while Fraction(lo) > t:
        lo = from_bits(bits(lo) - 1)
    while Fraction(from_bits(bits(lo) + 1)) <= t:
        lo = from_bits(bits(lo) + 1)
    return lo, from_bits(bits(lo) + 1)


def main():
    seed, stream, n = (int(a) for a in sys.argv[1:4])
    for i in range(n):
        u = random_bits(seed, stream, i)
        lines = [f"index {i}: u = {u} (0x{u:08x})"]
        for name, a, b in (("int4", 0, 1), ("log4", 1, 4)):
            t = Fraction(a) + Fraction(u * (b - a), 2**32)
            lo, hi = bracket(t)
            # C13's comparison, exact in rationals: lo stays, hi goes up.
            assert not u * (b - a) < (Fraction(lo) - a) * 2**32
            assert u * (b - a) < (Fraction(hi) - a) * 2**32
            lines.append(f"  {name}: down at {hexf(lo)}, up at {hexf(hi)}")
        print("\n".join(lines))


main()
