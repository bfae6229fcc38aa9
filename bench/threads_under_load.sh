#!/bin/bash
# Where fetchd's CPU goes while S5's 100,000-URL download runs and wrk drives the API: CPU seconds per JVM
# thread (named with jstack) over one wrk window. Same pinning as bench/run.sh: target and wrk on CPU 0,
# fetchd on CPU 1. Needs bench/target/classes (bench/run.sh builds them) and wrk.
#   bench/threads_under_load.sh [JAR]          GET /jobs/{id} of the running download
#   POST=1 bench/threads_under_load.sh [JAR]   POST /jobs, a 1-URL job per request
#   WARM=s (download before wrk, 5), WWARM=s (untimed wrk first, 3), JOPTS="..." (fetchd JVM options)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${1:-target/fetchd.jar}
CP=$JAR:bench/target/classes
PORT=${PORT:-18080}
work=$(mktemp -d)
cleanup() { kill "${P:-}" "${TP:-}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
taskset -c 0 java -cp "$CP" bench.Main target --hosts 127.0.0.1 > "$work/target.log" 2>&1 &
TP=$!
for _ in $(seq 100); do grep -q READY "$work/target.log" 2>/dev/null && break; sleep 0.1; done
TPORT=$(grep -o 'READY [0-9]*' "$work/target.log" | grep -o '[0-9]*$')
FETCHD_HTTP_PORT=$PORT FETCHD_DATA_DIR=$work/data FETCHD_ALLOW_PRIVATE_NETWORKS=true \
  FETCHD_FETCH_MAX_CONCURRENCY=256 FETCHD_HTTP_MAX_BODY_BYTES=67108864 FETCHD_QUEUE_CAPACITY=1000000 \
  taskset -c 1 java ${JOPTS:-} -jar "$JAR" > "$work/fetchd.log" 2>&1 &
P=$!
for _ in $(seq 150); do curl -sf "localhost:$PORT/health/live" > /dev/null 2>&1 && break; sleep 0.2; done
python3 - "$TPORT" > "$work/big.json" <<'PY'
import json, sys
p = int(sys.argv[1])
print(json.dumps({"type": "download", "urls": ["http://127.0.0.1:%d/b/s5-bg-%d?size=1024&delay=100" % (p, i)
                  for i in range(100000)], "limits": {"concurrency": 256, "perHostConcurrency": 256, "retries": 0}}))
PY
ID=$(curl -s -XPOST "localhost:$PORT/jobs" -H 'Content-Type: application/json' --data-binary @"$work/big.json" \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
cat > "$work/post.lua" <<LUA
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
local n = 0
request = function()
  n = n + 1
  return wrk.format("POST", "/jobs", nil, '{"type":"download","urls":["http://127.0.0.1:$TPORT/b/post-' .. n .. '?size=1024"]}')
end
LUA
if [ -n "${POST:-}" ]; then args=(-s "$work/post.lua" "http://127.0.0.1:$PORT/jobs"); else args=("http://127.0.0.1:$PORT/jobs/$ID"); fi
sleep "${WARM:-5}"
taskset -c 0 wrk -t1 -c64 -d"${WWARM:-3}"s "${args[@]}" > /dev/null
cpu() { for t in /proc/$P/task/*; do echo "$(basename "$t") $(awk '{print $14+$15}' "$t/stat")"; done | sort; }
cpu > "$work/cpu0"
out=$(taskset -c 0 wrk -t1 -c64 -d8s --latency "${args[@]}")
cpu > "$work/cpu1"
jstack "$P" > "$work/threads.txt" 2>/dev/null || true
echo "${POST:+POST}${POST:-GET} under load: $(echo "$out" | grep Requests/sec) p99 $(echo "$out" | awk '$1 == "99%" {print $2}')"
echo "CPU seconds per thread over the 8 s window:"
join "$work/cpu0" "$work/cpu1" | awk '{d = $3 - $2; if (d > 0) print $1, d / 100}' | sort -k2 -nr | head -8 |
  while read -r tid s; do
    echo "  $(grep "nid=$(printf '0x%x' "$tid") " "$work/threads.txt" | cut -d'"' -f2) $s"
  done
curl -s "localhost:$PORT/jobs/$ID" | python3 -c 'import json,sys; j=json.load(sys.stdin); print("download", j["state"], j["progress"]["succeeded"], "done")'
