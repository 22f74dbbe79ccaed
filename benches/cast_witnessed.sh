#!/usr/bin/env bash
# The casting benchmark with three witnesses (BENCHMARKS.md "Casting with three witnesses"):
# a release server whose elections name three local `piaojue witness serve` processes (2 of 3
# to cosign) and, interleaved with it, a server whose elections name none; `piaojue bench cast`
# against each in turn. One JSON line per run on stdout (the bench's own --json answer, with
# "witnesses" and "run" added); the servers' CPU seconds per run on stderr.
#
#   cargo build --release -p piaojue
#   benches/cast_witnessed.sh [RUNS] [BALLOTS] [RATE]      # defaults: 6 runs, 10000, 1000
#
# Everything lives in a fresh temporary folder, listens on 127.0.0.1 only, and is stopped at exit.
set -euo pipefail
cd "$(dirname "$0")/.."
RUNS=${1:-6}
BALLOTS=${2:-10000}
RATE=${3:-1000}
BIN=${PIAOJUE_BIN:-target/release/piaojue}
W=$(mktemp -d /tmp/pj-wbench.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; wait 2>/dev/null || true; }
trap cleanup EXIT
echo secret-bench > "$W/pass"
export PIAOJUE_TELLER_PASSPHRASE=secret-bench

wait_http() { for _ in $(seq 1 100); do curl -fsS "$1" >/dev/null 2>&1 && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# The witnessed server's board key: start it once without witnesses to create its key file.
mkdir -p "$W/data-w" "$W/data-n"
"$BIN" serve --database-url "sqlite:$W/w.db" --data-dir "$W/data-w" --listen 127.0.0.1:18081 \
  --board-name bench.example/board >"$W/first.log" 2>&1 &
first=$!
wait_http http://127.0.0.1:18081/healthz
BOARD_KEY=$(curl -fsS http://127.0.0.1:18081/api/board-key | sed 's/.*"board_key":"\([^"]*\)".*/\1/')
kill "$first"; wait "$first" 2>/dev/null || true

WITNESS_ARGS=()
for i in 1 2 3; do
  vkey=$("$BIN" witness keygen --name "bench.example/witness-$i" --key-file "$W/w$i.age" --passphrase-file "$W/pass" | tail -n 1)
  "$BIN" witness serve --key-file "$W/w$i.age" --passphrase-file "$W/pass" --state "$W/w$i.db" \
    --listen "127.0.0.1:1809$i" --board "bench.example/board=$BOARD_KEY" >"$W/w$i.log" 2>&1 &
  PIDS+=($!)
  WITNESS_ARGS+=(--witness "$vkey@http://127.0.0.1:1809$i")
  wait_http "http://127.0.0.1:1809$i/healthz"
done

"$BIN" serve --database-url "sqlite:$W/w.db" --data-dir "$W/data-w" --listen 127.0.0.1:18081 \
  --board-name bench.example/board "${WITNESS_ARGS[@]}" --witness-quorum 2 >"$W/server-w.log" 2>&1 &
SW=$!; PIDS+=($SW)
"$BIN" serve --database-url "sqlite:$W/n.db" --data-dir "$W/data-n" --listen 127.0.0.1:18082 \
  --board-name bench.example/board >"$W/server-n.log" 2>&1 &
SN=$!; PIDS+=($SN)
wait_http http://127.0.0.1:18081/healthz
wait_http http://127.0.0.1:18082/healthz

cpu() { awk '{print ($14 + $15) / 100}' "/proc/$1/stat"; }   # utime + stime, 100 Hz ticks
for run in $(seq 1 "$RUNS"); do
  for kind in w n; do
    if [ "$kind" = w ]; then port=18081; pid=$SW; dir=data-w; n=3; else port=18082; pid=$SN; dir=data-n; n=0; fi
    before=$(cpu "$pid")
    out=$("$BIN" bench cast --url "http://127.0.0.1:$port" --token-file "$W/$dir/staff-token" \
      --ballots "$BALLOTS" --concurrency 250 --rate "$RATE" --warm-up 20 --json)
    after=$(cpu "$pid")
    echo "run $run witnesses $n: server CPU $(echo "$after - $before" | bc) s" >&2
    echo "$out" | jq -c --argjson run "$run" --argjson w "$n" '. + {run: $run, witnesses: $w}'
    if [ "$kind" = w ]; then
      # The witnessing did happen: the largest checkpoint the quorum cosigned, a few seconds on.
      election=$(echo "$out" | jq -r .election)
      size=$(curl -fsS "http://127.0.0.1:$port/api/elections/$election" | jq .log_size)
      for _ in $(seq 1 50); do
        cosigned=$(curl -fsS "http://127.0.0.1:$port/api/elections/$election/board/checkpoint" 2>/dev/null | sed -n 2p)
        [ "${cosigned:-0}" = "$size" ] && break
        sleep 0.1
      done
      witnesses=$(curl -fsS "http://127.0.0.1:$port/api/elections/$election/board/cosignatures" |
        jq --argjson s "${cosigned:-0}" '[.[] | select(.size == $s)] | length')
      echo "run $run witnesses $n: the log's $size entries; the quorum's largest checkpoint ${cosigned:-none}, cosigned by $witnesses" >&2
    fi
  done
done
