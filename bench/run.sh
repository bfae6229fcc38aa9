#!/usr/bin/env bash
# fetchd benchmark harness: one command, see bench/README.md.
#   bench/run.sh                 full run (a few minutes on 2 cores)
#   BENCH_QUICK=1 bench/run.sh   smoke run, every N scaled down (about a minute)
# It builds fetchd (mvn package) and the bench programs (javac against target/fetchd.jar), installs
# Debian's python3-aiohttp, wrk and python3-matplotlib if missing, then runs bench/bench.py, which starts
# the target, the clients and fetchd, stops everything it started, and prints the table.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
command -v java >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null 2>&1 || need+=(maven)
command -v wrk >/dev/null 2>&1 || need+=(wrk)
command -v taskset >/dev/null 2>&1 || need+=(util-linux)
command -v jcmd >/dev/null 2>&1 || need+=(openjdk-17-jdk-headless)
/usr/bin/python3 -c 'import aiohttp' >/dev/null 2>&1 || need+=(python3-aiohttp)
/usr/bin/python3 -c 'import matplotlib' >/dev/null 2>&1 || need+=(python3-matplotlib)
# S7 (a crawl of a real static site): Debian's nginx serves the Debian Administrator's Handbook, wget2 crawls it
scenarios="${BENCH_ONLY:-${BENCH_SCENARIOS:-S1,S2,S3,S4,S5,S6,S7}}"
if [[ ",$scenarios," == *,S7,* ]]; then
  command -v nginx >/dev/null 2>&1 || need+=(nginx)
  command -v wget2 >/dev/null 2>&1 || need+=(wget2)
  [ -n "${BENCH_S7_SITE:-}" ] || [ -f /usr/share/doc/debian-handbook/html/en-US/index.html ] || need+=(debian-handbook)
fi
if [ ${#need[@]} -gt 0 ]; then
  echo "bench: installing ${need[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
fi

if [ "${BENCH_SKIP_BUILD:-0}" != "1" ] || [ ! -f target/fetchd.jar ]; then
  echo "bench: building fetchd (mvn -B -q -DskipTests package)" >&2
  mvn -B -q -DskipTests package
fi
echo "bench: compiling the bench programs" >&2
rm -rf bench/target/classes
mkdir -p bench/target/classes
javac -nowarn -d bench/target/classes -cp target/fetchd.jar bench/src/bench/*.java

# 5,000 connections on each side of S4, plus files
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

/usr/bin/python3 bench/bench.py &
driver=$!
# the driver stops what it started on exit or on SIGTERM; this makes sure it gets that signal
trap 'kill -TERM $driver 2>/dev/null || true; wait $driver 2>/dev/null || true' INT TERM
trap 'kill -TERM $driver 2>/dev/null || true' EXIT
wait $driver
