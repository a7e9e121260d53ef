#!/usr/bin/python3
"""Wait until the machine's CPUs are (nearly) idle, so a timing isn't shared.

Samples /proc/stat over --window seconds until the busy fraction of all CPUs
is below --max-busy, or --timeout seconds have passed.  Prints the busy
fraction it started at; exit status 0 when idle was reached, 1 on timeout.
"""

import argparse
import sys
import time


def cpu_times():
    """(busy, total) jiffies summed over all CPUs from /proc/stat."""
    with open("/proc/stat") as f:
        fields = [int(v) for v in f.readline().split()[1:]]
    idle = fields[3] + fields[4]            # idle + iowait
    total = sum(fields[:8])                 # exclude guest (counted in user)
    return total - idle, total


def busy_fraction(window):
    """Fraction of CPU time that was busy over the next `window` seconds."""
    b0, t0 = cpu_times()
    time.sleep(window)
    b1, t1 = cpu_times()
    return (b1 - b0) / max(t1 - t0, 1)


def main():
    """Poll until idle or timeout."""
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--max-busy", type=float, default=0.1)
    p.add_argument("--window", type=float, default=3.0)
    p.add_argument("--timeout", type=float, default=300.0)
    args = p.parse_args()
    deadline = time.monotonic() + args.timeout
    while True:
        busy = busy_fraction(args.window)
        if busy < args.max_busy or time.monotonic() > deadline:
            print("cpu busy %.2f%s" % (busy, "" if busy < args.max_busy else " (timeout)"),
                  file=sys.stderr)
            return 0 if busy < args.max_busy else 1


if __name__ == "__main__":
    sys.exit(main())
