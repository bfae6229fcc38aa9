#!/usr/bin/python3
"""The classic Python asyncio crawler, as a yardstick: one aiohttp ClientSession, an asyncio.Semaphore of C,
asyncio.gather over every URL. Each body is read whole and written to its own file (as fetchd stores every
body), the usual way such a crawler does it. Runs the --warm-urls (default: all) once untimed (warm-up), then
every URL of --urls, timed.
Prints one JSON line: {"warm_s","elapsed_s","cpu_s" (timed pass),"ok","failed","bytes","rss_peak_kb"}.

Usage: /usr/bin/python3 aiohttp_crawler.py --urls FILE [--warm-urls FILE] --c C [--out DIR]
Needs Debian's python3-aiohttp (bench/run.sh installs it).
"""
import argparse
import asyncio
import json
import os
import sys
import time

import aiohttp


def vm_hwm_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return -1


async def crawl(urls, c, out_dir):
    sem = asyncio.Semaphore(c)
    stats = {"ok": 0, "failed": 0, "bytes": 0, "first_error": None}
    # the connector's own limit (100 by default) would cap concurrency below C: the semaphore is the limit
    connector = aiohttp.TCPConnector(limit=0, limit_per_host=0, force_close=False)
    timeout = aiohttp.ClientTimeout(total=120)

    async def fetch(session, i, url):
        async with sem:
            try:
                async with session.get(url, allow_redirects=False) as resp:
                    body = await resp.read()
                    if resp.status != 200:
                        raise RuntimeError("HTTP %d" % resp.status)
                if out_dir is not None:
                    with open(os.path.join(out_dir, str(i)), "wb") as f:
                        f.write(body)
                stats["ok"] += 1
                stats["bytes"] += len(body)
            except Exception as e:  # noqa: BLE001 - counted and reported
                stats["failed"] += 1
                if stats["first_error"] is None:
                    stats["first_error"] = repr(e)

    async with aiohttp.ClientSession(connector=connector, timeout=timeout,
                                     auto_decompress=False) as session:
        await asyncio.gather(*(fetch(session, i, u) for i, u in enumerate(urls)))
    return stats


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--urls", required=True)
    ap.add_argument("--c", type=int, required=True)
    ap.add_argument("--out")
    ap.add_argument("--warm-urls")
    a = ap.parse_args()
    with open(a.urls) as f:
        urls = [line.strip() for line in f if line.strip()]
    warm_urls = urls
    if a.warm_urls:
        with open(a.warm_urls) as f:
            warm_urls = [line.strip() for line in f if line.strip()]
    passes = 2
    warm = 0.0
    elapsed = 0.0
    stats = {}
    for p in range(1, passes + 1):
        out_dir = None
        if a.out:
            out_dir = os.path.join(a.out, "pass%d" % p)
            os.makedirs(out_dir, exist_ok=True)
        c0 = time.process_time()
        t0 = time.perf_counter()
        stats = asyncio.run(crawl(urls if p == passes else warm_urls, a.c, out_dir))
        s = time.perf_counter() - t0
        cpu = time.process_time() - c0
        if p < passes:
            warm += s
        else:
            elapsed = s
    res = {"warm_s": warm, "elapsed_s": elapsed, "cpu_s": cpu, "ok": stats["ok"], "failed": stats["failed"],
           "bytes": stats["bytes"], "rss_peak_kb": vm_hwm_kb()}
    if stats["first_error"]:
        res["first_error"] = stats["first_error"]
    print(json.dumps(res))
    sys.stdout.flush()


if __name__ == "__main__":
    main()
