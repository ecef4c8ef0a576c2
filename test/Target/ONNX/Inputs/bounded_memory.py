#!/usr/bin/python3
"""Runs a command with its memory bounded, so that an allocation of what a
model only claims fails at once instead of taking the machine's memory.

  bounded_memory.py GIB COMMAND ARGS...   exits with COMMAND's status

Release build: an address-space limit (RLIMIT_AS) of GIB GiB. Sanitizer
build (ASAN_OPTIONS set by test/sanitizers): AddressSanitizer reserves
terabytes of address space, so instead its max_allocation_size_mb, and an
allocation above it is a sanitizer report (which fails the test).
"""
import os
import resource
import subprocess
import sys

gib = int(sys.argv[1])
env = dict(os.environ)
if "ASAN_OPTIONS" in env:
    env["ASAN_OPTIONS"] += ":max_allocation_size_mb=%d" % (gib * 1024)
    limit = None
else:
    limit = gib << 30


def bound():
    if limit:
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


sys.exit(subprocess.run(sys.argv[2:], env=env, preexec_fn=bound).returncode)
