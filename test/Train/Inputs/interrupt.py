#!/usr/bin/env python3
"""Interrupts a `quant4-run train` run with SIGINT (test/Train/sigint.test).

usage: interrupt.py once|twice WORKDIR -- COMMAND...

Runs COMMAND with stdout and stderr in WORKDIR/stdout.txt and
WORKDIR/stderr.txt, waits (at most 60 s) until stdout has a line starting
with "epoch 1/", then

  once:  sends one SIGINT;
  twice: stops the process (SIGSTOP), queues two SIGINTs that cannot merge
         (one directed at the main thread with tgkill, one at the process)
         and lets it continue (SIGCONT): its handler sees a second SIGINT
         right after the first, while the run is still training;

waits (at most 60 s) for the exit and prints `exit=STATUS`. A run that
misses a deadline is killed and the script fails.
"""
import ctypes
import os
import platform
import signal
import subprocess
import sys
import time

TGKILL = {"x86_64": 234, "aarch64": 131}


def wait_for(pred, seconds, what, proc):
    deadline = time.monotonic() + seconds
    while not pred():
        if proc.poll() is not None:
            sys.exit("the run exited (status %d) before %s" %
                     (proc.returncode, what))
        if time.monotonic() > deadline:
            proc.kill()
            sys.exit("timed out after %d s waiting for %s" % (seconds, what))
        time.sleep(0.01)


def has_epoch_line(path):
    with open(path) as f:
        return any(line.startswith("epoch 1/") for line in f)


def is_stopped(pid):
    with open("/proc/%d/stat" % pid) as f:
        return f.read().rsplit(")", 1)[1].split()[0] == "T"


def main():
    if len(sys.argv) < 5 or sys.argv[1] not in ("once", "twice") or \
            sys.argv[3] != "--":
        sys.exit(__doc__)
    mode, workdir, cmd = sys.argv[1], sys.argv[2], sys.argv[4:]
    # The run must not inherit an ignored SIGINT (it would keep ignoring it).
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    out = os.path.join(workdir, "stdout.txt")
    with open(out, "w") as so, \
            open(os.path.join(workdir, "stderr.txt"), "w") as se:
        proc = subprocess.Popen(cmd, stdout=so, stderr=se)
    wait_for(lambda: has_epoch_line(out), 60, "the first epoch line", proc)
    if mode == "once":
        os.kill(proc.pid, signal.SIGINT)
    else:
        nr = TGKILL.get(platform.machine())
        if nr is None:
            proc.kill()
            sys.exit("no tgkill syscall number for " + platform.machine())
        os.kill(proc.pid, signal.SIGSTOP)
        wait_for(lambda: is_stopped(proc.pid), 10, "the stop", proc)
        libc = ctypes.CDLL(None, use_errno=True)
        if libc.syscall(nr, proc.pid, proc.pid, int(signal.SIGINT)) != 0:
            proc.kill()
            sys.exit("tgkill failed: errno %d" % ctypes.get_errno())
        os.kill(proc.pid, signal.SIGINT)
        os.kill(proc.pid, signal.SIGCONT)
    try:
        status = proc.wait(60)
    except subprocess.TimeoutExpired:
        proc.kill()
        sys.exit("the run did not exit within 60 s of the SIGINT")
    print("exit=%d" % status)


if __name__ == "__main__":
    main()
