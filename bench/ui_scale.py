"""Fills a fetchd with 10,000 jobs and a 100,000-item job, then times what the dashboard asks of it.

Usage: ui_scale.py BASE_URL   (run by bench/ui_scale.sh, which starts fetchd)
"""
import json
import statistics
import sys
import time
import urllib.request

BASE = sys.argv[1]
STORE = sys.argv[2] if len(sys.argv) > 2 else "memory"
DEAD = "http://127.0.0.1:9/"  # the discard port, closed here: each item fails at once (connect_failed)
JOBS = 10_000
ITEMS = 100_000
REPEAT = 30


def call(path, body=None):
    req = urllib.request.Request(BASE + path, data=None if body is None else json.dumps(body).encode(),
                                 headers={"Content-Type": "application/json"} if body is not None else {})
    with urllib.request.urlopen(req, timeout=120) as r:
        return r.read()


def get_json(path):
    return json.loads(call(path))


def wait_ready():
    deadline = time.time() + 60
    while time.time() < deadline:
        try:
            call("/health/ready")
            return
        except Exception:
            time.sleep(0.2)
    sys.exit("fetchd did not get ready")


def timed(label, path):
    samples = []
    size = 0
    for _ in range(REPEAT):
        t = time.perf_counter()
        size = len(call(path))
        samples.append((time.perf_counter() - t) * 1000)
    samples.sort()
    print(f"| {label} | {statistics.median(samples):.1f} | {samples[int(len(samples) * 0.95) - 1]:.1f} | {size:,} |")


def main():
    wait_ready()
    t0 = time.time()
    limits = {"retries": 0}
    for i in range(JOBS):
        call("/jobs", {"type": "download", "urls": [f"{DEAD}j{i}"], "limits": limits, "labels": {"n": str(i)}})
    big = json.loads(call("/jobs", {"type": "download", "urls": [f"{DEAD}i{i}" for i in range(ITEMS)],
                                    "limits": {"retries": 0, "concurrency": 256}}))["id"]
    print(f"submitted {JOBS:,} jobs and one of {ITEMS:,} items in {time.time() - t0:.0f} s")
    deadline = time.time() + 600
    while get_json(f"/jobs/{big}")["state"] not in ("completed", "failed", "cancelled", "timed_out") \
            or get_json("/jobs?state=queued&limit=1")["jobs"] or get_json("/jobs?state=running&limit=1")["jobs"]:
        if time.time() > deadline:
            sys.exit("jobs did not end within 10 minutes")
        time.sleep(1)
    print(f"all ended after {time.time() - t0:.0f} s\n")

    # a cursor 100 pages deep, as Older clicked 100 times would reach
    cursor = None
    for _ in range(100):
        cursor = get_json("/jobs?limit=50" + (f"&cursor={cursor}" if cursor else ""))["next"]
    print(f"each call {REPEAT} times, fetchd with {JOBS + 1:,} jobs ({STORE} store)\n")
    print("| dashboard call | median ms | p95 ms | bytes |")
    print("|---|---|---|---|")
    timed("jobs list, first page (GET /jobs?limit=50)", "/jobs?limit=50")
    timed("jobs list, 101st page (cursor)", f"/jobs?limit=50&cursor={cursor}")
    timed("jobs list filtered, every job matches (state=completed)", "/jobs?state=completed&limit=50")
    timed("jobs list filtered, none matches (state=failed)", "/jobs?state=failed&limit=50")
    timed("one job (the 100,000-item one)", f"/jobs/{big}")
    timed("its items, first page (limit=100)", f"/jobs/{big}/items?limit=100")
    timed("its failed items, first page", f"/jobs/{big}/items?state=failed&limit=100")

    t = time.perf_counter()
    pages, cursor = 0, None
    while True:
        page = get_json(f"/jobs/{big}/items?limit=100" + (f"&cursor={cursor}" if cursor else ""))
        pages += 1
        cursor = page["next"]
        if not cursor:
            break
    print(f"\nall {pages:,} item pages of the big job one after another: {time.perf_counter() - t:.1f} s "
          "(the dashboard reads one page per click)")

    static = ["/ui/", "/ui/app.css"] + [f"/ui/js/{m}.js" for m in
                                        ("app", "api", "format", "jobs", "job", "progress", "sse", "submit", "token")]
    total = sum(len(call(p)) for p in static)
    print(f"the dashboard's static files: {total:,} bytes in {len(static)} files, no framework, no CDN")


main()
