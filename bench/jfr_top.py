#!/usr/bin/python3
"""Summarises a JFR recording's execution samples: samples per thread, the top frames where time is spent
(self), and the top methods on the stack (inclusive), overall and for the event-loop thread.

Usage: /usr/bin/python3 bench/jfr_top.py FILE.jfr [TOP=25]
"""
import collections
import re
import subprocess
import sys


def samples(path):
    out = subprocess.run(["jfr", "print", "--stack-depth", "64", "--events", "jdk.ExecutionSample", path],
                         capture_output=True, text=True, check=True).stdout
    for block in out.split("jdk.ExecutionSample {")[1:]:
        thread = re.search(r'sampledThread = "([^"]*)"', block)
        st = block.split("stackTrace = [", 1)[1] if "stackTrace = [" in block else ""
        frames = []
        for line in st.splitlines():
            line = line.strip()
            if line.startswith("]"):
                break
            if not line or line == "...":
                continue
            frames.append(re.sub(r"\s+line:.*$", "", line))
        yield (thread.group(1) if thread else "?"), frames


def short(frame):
    return re.sub(r"\(.*\)$", "", frame)


def main():
    path = sys.argv[1]
    top = int(sys.argv[2]) if len(sys.argv) > 2 else 25
    threads = collections.Counter()
    self_all = collections.Counter()
    incl_all = collections.Counter()
    self_loop = collections.Counter()
    incl_loop = collections.Counter()
    incl_other = collections.Counter()
    n = 0
    n_loop = 0
    for thread, frames in samples(path):
        n += 1
        tname = re.sub(r"-\d+$", "-N", thread)
        threads[tname] += 1
        if not frames:
            continue
        loop = "eventloop" in thread
        self_all[short(frames[0])] += 1
        seen = set(short(f) for f in frames)
        for f in seen:
            incl_all[f] += 1
        if not loop:
            for f in seen:
                incl_other[f] += 1
        if loop:
            n_loop += 1
            self_loop[short(frames[0])] += 1
            for f in seen:
                incl_loop[f] += 1
    print("%d execution samples (%d on event-loop threads)" % (n, n_loop))
    print("\nsamples by thread:")
    for t, c in threads.most_common(12):
        print("  %5.1f%%  %s" % (100.0 * c / n, t))

    def show(title, counter, total, flt=None):
        print("\n" + title)
        k = 0
        for f, c in counter.most_common():
            if flt and not flt(f):
                continue
            print("  %5.1f%%  %s" % (100.0 * c / max(1, total), f))
            k += 1
            if k >= top:
                break
    show("top self frames, all threads:", self_all, n)
    show("top self frames, event loop:", self_loop, n_loop)
    show("inclusive, event loop, fetchd code:", incl_loop, n_loop, lambda f: f.startswith("dev.fetchd"))
    show("inclusive, event loop, everything:", incl_loop, n_loop)
    show("inclusive, other threads (workers, GC-free Java threads), everything:", incl_other, n - n_loop)


if __name__ == "__main__":
    main()
