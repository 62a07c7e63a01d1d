"""Stand-in for QEMU in runner tests: emits console output driven by a tiny script.

Usage: fake_qemu.py --script "print:hello;sleep:0.2;print:RM: ready;exit:0"

Steps (separated by ';', argument after the first ':'):
  print:TEXT    print TEXT and a newline      write:TEXT   print TEXT without a newline
  lines:N       print N numbered lines        sleep:SECS   sleep
  spin:SECS     busy-loop until this process has used SECS of CPU time
  hang          sleep forever                 exit:N       exit with status N
  readline      read a stdin line, print "echo: <line>"
  pid           print "pid: <own pid>"
  ignore-term   ignore SIGTERM, SIGHUP and SIGINT from now on
  grandchild    start a sleeping child process that ignores SIGHUP (so the pty hanging
                up does not kill it); it prints "grandchild: <its pid>" once set up
Reaching the end of the script exits with status 0.
"""

import argparse
import os
import signal
import subprocess
import sys
import time

GRANDCHILD = """
import os, signal, time
signal.signal(signal.SIGHUP, signal.SIG_IGN)
print(f"grandchild: {os.getpid()}", flush=True)
time.sleep(600)
"""


def run_step(step: str) -> None:
    op, _, arg = step.partition(":")
    if op == "print":
        print(arg, flush=True)
    elif op == "write":
        print(arg, end="", flush=True)
    elif op == "lines":
        for n in range(int(arg)):
            print(f"line {n:06d} of console filler")
        sys.stdout.flush()
    elif op == "sleep":
        time.sleep(float(arg))
    elif op == "spin":
        while time.process_time() < float(arg):
            pass
    elif op == "hang":
        while True:
            time.sleep(3600)
    elif op == "exit":
        sys.exit(int(arg))
    elif op == "readline":
        print(f"echo: {sys.stdin.readline().rstrip()}", flush=True)
    elif op == "pid":
        print(f"pid: {os.getpid()}", flush=True)
    elif op == "ignore-term":
        for sig in (signal.SIGTERM, signal.SIGHUP, signal.SIGINT):
            signal.signal(sig, signal.SIG_IGN)
    elif op == "grandchild":
        subprocess.Popen([sys.executable, "-c", GRANDCHILD])
    else:
        raise SystemExit(f"fake_qemu: unknown step {step!r}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--script", required=True)
    for step in parser.parse_args().script.split(";"):
        if step:
            run_step(step)


if __name__ == "__main__":
    main()
