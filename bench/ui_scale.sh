#!/usr/bin/env bash
# The dashboard at scale (issue 14: "fast with 10,000 jobs and a 100,000-item job, paged, never all at once"):
# fills a fetchd (memory store) with 10,000 jobs and one job of 100,000 items, then times the API calls the
# dashboard makes and weighs its static files. Items fail fast (a closed port, no retries): the listing is
# what is measured, not fetching. About a minute on 2 cores.
#   bench/ui_scale.sh                  (BENCH_FETCHD_JAR=path to use another jar; BENCH_SKIP_BUILD=1)
#   BENCH_UI_PG_URL=postgresql://postgres@127.0.0.1:5432/test bench/ui_scale.sh
#                                      (the PostgreSQL store, in a schema of its own, dropped first)
set -euo pipefail
cd "$(dirname "$0")/.."
JAR=${BENCH_FETCHD_JAR:-target/fetchd.jar}
if [ "${BENCH_SKIP_BUILD:-0}" != 1 ] || [ ! -f "$JAR" ]; then
  mvn -B -q -DskipTests package
fi
PORT=${BENCH_UI_PORT:-18777}
DATA=$(mktemp -d /tmp/fetchd-ui-scale.XXXXXX)
STORE=memory
if [ -n "${BENCH_UI_PG_URL:-}" ]; then
  STORE=postgres
  psql "$BENCH_UI_PG_URL" -qc 'DROP SCHEMA IF EXISTS fetchd_ui_scale CASCADE' >/dev/null
  export FETCHD_STORE=postgres FETCHD_PG_URL="$BENCH_UI_PG_URL" FETCHD_PG_SCHEMA=fetchd_ui_scale
fi
FETCHD_ALLOW_PRIVATE_NETWORKS=true FETCHD_HTTP_PORT=$PORT FETCHD_DATA_DIR="$DATA" FETCHD_QUEUE_CAPACITY=20000 \
  FETCHD_MAX_RUNNING_JOBS=64 java -jar "$JAR" > "$DATA/fetchd.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
/usr/bin/python3 bench/ui_scale.py "http://127.0.0.1:$PORT" "$STORE"
