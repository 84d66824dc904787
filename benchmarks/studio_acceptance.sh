#!/usr/bin/env bash
# Issue 14's acceptance, run by hand from outside as a studio would: a fresh PostgreSQL (started here, as the
# postgres user, on 127.0.0.1:${PORT:-55450}), 160 photos (40 red), `photoscribe add`, two `photoscribe worker`s,
# the first SIGKILLed after 20 captions; then every photo captioned once, the other worker exits 0 on SIGTERM and
# `photoscribe search red` finds the 40 red photos. Needs the tests' tiny BLIP (run the tests once) and root.
#
#     bash benchmarks/studio_acceptance.sh
set -u
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
PORT="${PORT:-55450}"
PGBIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
WORK="$(mktemp -d)"
chown postgres "$WORK"
runuser -u postgres -- "$PGBIN/initdb" -D "$WORK/data" -A trust -U postgres >/dev/null
runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -l "$WORK/log" -w start \
    -o "-p $PORT -k $WORK -c listen_addresses=127.0.0.1" >/dev/null
trap 'kill -KILL $(jobs -p) 2>/dev/null; runuser -u postgres -- "$PGBIN/pg_ctl" -D "$WORK/data" -m fast stop >/dev/null; rm -rf "$WORK"' EXIT
psql() { runuser -u postgres -- "$PGBIN/psql" -h 127.0.0.1 -p "$PORT" -U postgres -At "$@"; }
psql -c "CREATE DATABASE studio" >/dev/null
export PHOTOSCRIBE_LIBRARY="postgresql://postgres@127.0.0.1:$PORT/studio"
MODEL="$(ls -d "$ROOT"/.pytest_cache/d/tiny-blip-*/model | head -n 1)"
P="$ROOT/.venv/bin/photoscribe"
"$ROOT/.venv/bin/python" - "$ROOT" "$WORK/photos" <<'PY'
import sys
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from tests.helpers import save_colour
from tests.tiny_blip import COLOURS
for i in range(160):
    save_colour(Path(sys.argv[2]) / f"IMG_{i:04d}.jpg", list(COLOURS)[i % 4])
PY
"$P" add "$WORK/photos"
OPTS=(--model "$MODEL" --precision fp32 --batch-size 4 --poll-seconds 2)
start=$(date +%s)
"$P" worker "${OPTS[@]}" >"$WORK/w1.out" 2>"$WORK/w1.err" & W1=$!
"$P" worker "${OPTS[@]}" >"$WORK/w2.out" 2>"$WORK/w2.err" & W2=$!
while [ "$(grep -c '^captioned:' "$WORK/w1.out")" -lt 20 ]; do sleep 0.5; done
kill -KILL $W1; wait $W1 2>/dev/null
echo "worker 1 SIGKILLed after $(grep -c '^captioned:' "$WORK/w1.out") captions"
while [ "$(psql -d studio -c "SELECT count(*) FROM photos WHERE status = 'done'")" -lt 160 ]; do sleep 1; done
echo "all 160 captioned in $(( $(date +%s) - start )) s"
kill -TERM $W2; wait $W2; echo "worker 2 exit code on SIGTERM: $? ($(tail -n 1 "$WORK/w2.err"))"
echo "captions by revision (revision|photos): $(psql -d studio -c 'SELECT revision, count(*) FROM captions GROUP BY revision')"
echo "photoscribe search red: $("$P" search red --exact | grep -c IMG_) photos"
