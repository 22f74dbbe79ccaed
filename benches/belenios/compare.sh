#!/usr/bin/env bash
# Compares Belenios (Debian's belenios-tool 2.0, group BELENIOS-2048: its only groups are
# 2048-bit finite fields) with Piaojue on the same election shape, in one run on this machine:
# one question, 13 answers, at most 10 chosen (min 0), trustees/tellers 3-of-5, N voters.
#
# Figures, per ballot:
#   build   Belenios: wall time of `election generate-ballot` (one process per ballot, so it
#           includes the tool's start-up, reported apart); Piaojue: the build time per ballot
#           on one thread reported by `piaojue bench cast` (ballots built before casting).
#   verify  Belenios: `election verify` of the whole archive (after the result) / N;
#           Piaojue: `piaojue verify` of the whole record downloaded from the server after the
#           result (every check of spec/verification.md, board included) / N.
#   bytes   Belenios: size of each Ballot event's JSON in the archive; Piaojue: size of each
#           ballot's JSON as posted (= a line of the record's ballots.jsonl).
#
# Usage: benches/belenios/compare.sh [N]      (N = 200 by default; about 4 min on 2 busy cores)
# Needs: belenios-tool, python3, and `cargo build --release` done (target/release/piaojue).
# Nothing is written to the repository: everything goes to a temporary folder, removed at exit.
set -euo pipefail

N=${1:-200}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
PIAOJUE=$(realpath "${PIAOJUE:-$ROOT/target/release/piaojue}")
[ -x "$PIAOJUE" ] || { echo "build first: cargo build --release ($PIAOJUE)" >&2; exit 1; }
command -v belenios-tool >/dev/null || { echo "belenios-tool is not installed" >&2; exit 1; }
WORK=$(mktemp -d /tmp/piaojue-belenios.XXXXXX)
SERVER_PID=
cleanup() {
    if [ -n "$SERVER_PID" ]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
    rm -rf "$WORK"
}
trap cleanup EXIT
export BELENIOS_USE_URANDOM=1
now() { date +%s.%N; }
secs() { python3 -c "print(f'{$2 - $1:.3f}')"; }

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "belenios-tool $(belenios-tool --version 2>/dev/null || echo '?'), piaojue $("$PIAOJUE" --version | cut -d' ' -f2); N = $N"

# ---------------------------------------------------------------- Belenios
B=$WORK/belenios; mkdir -p "$B"; cd "$B"
UUID=$(belenios-tool setup generate-token)
group="--group BELENIOS-2048"
t0=$(now)
{
belenios-tool setup generate-credentials --uuid "$UUID" $group --count "$N" > /dev/null
mv ./*.pubcreds public_creds.json; mv ./*.privcreds private_creds.txt
tk() { belenios-tool setup generate-trustee-key-threshold $group "$@"; }
for _ in 1 2 3 4 5; do tk --step 1 > /dev/null; done
cat ./*.cert > certs.jsons
tk --certs certs.jsons --step 2
for u in ./*.key; do tk --certs certs.jsons --key "$u" --step 3 --threshold 3; done > polynomials.jsons
tk --certs certs.jsons --step 4 --polynomials polynomials.jsons
for u in ./*.key; do b=${u%.key}; tk --certs certs.jsons --key "$u" --step 5 < "$b.vinput" > "$b.voutput"; done
cat ./*.voutput | tk --certs certs.jsons --step 6 --polynomials polynomials.jsons > threshold.json
touch public_keys.jsons   # no mandatory (server) key: the 5 trustees alone, any 3 decrypt
belenios-tool setup make-trustees
rm threshold.json
python3 - > questions.json <<'PY'
import json
print(json.dumps({"description": "2027 livelihood projects vote", "name": "piaojue-compare",
  "questions": [{"question": "Projects", "answers": [f"Project {i}" for i in range(1, 14)],
                 "min": 0, "max": 10}]}))
PY
belenios-tool setup make-election --uuid "$UUID" $group --template questions.json
belenios-tool archive init
rm -f election.json trustees.json public_creds.json
} > setup.log 2>&1 || { cat setup.log; exit 1; }
echo "belenios setup (credentials, 5-trustee threshold key generation, archive): $(secs "$t0" "$(now)") s"

# N random selections of 0..10 of the 13 answers, as 0/1 vectors.
python3 - "$N" > votes.txt <<'PY'
import json, random, sys
for _ in range(int(sys.argv[1])):
    k = random.randint(0, 10); chosen = set(random.sample(range(13), k))
    print(json.dumps([[1 if i in chosen else 0 for i in range(13)]]).replace(" ", ""))
PY
t0=$(now); for _ in 1 2 3 4 5 6 7 8 9 10; do belenios-tool --version > /dev/null 2>&1 || true; done
startup_ms=$(python3 -c "print(f'{($(now) - $t0) * 100:.1f}')")
paste -d' ' private_creds.txt votes.txt > cred_votes.txt
# generate-ballot alone, timed on 20 voters while the archive holds no ballot yet (it reads the
# archive, so its time grows with the ballots already in it; nothing is added here).
t0=$(now); head -n 20 cred_votes.txt | while read -r _id cred vote; do
    belenios-tool election generate-ballot --privcred <(echo "$cred") --ballot <(echo "$vote") > /dev/null 2>> belenios.log
done
b_build_ms=$(python3 -c "print(f'{($(now) - $t0) * 1000 / 20:.1f}')")
t0=$(now)
while read -r _id cred vote; do
    belenios-tool election generate-ballot --privcred <(echo "$cred") --ballot <(echo "$vote") > ballot.json 2>> belenios.log
    stat -c %s ballot.json >> ballot_sizes.txt
    belenios-tool archive add-event --type=Ballot < ballot.json 2>> belenios.log
done < cred_votes.txt
cast_s=$(secs "$t0" "$(now)")
{
belenios-tool archive add-event --type=EndBallots < /dev/null
belenios-tool election compute-encrypted-tally | belenios-tool archive add-event --type=EncryptedTally
trustee_id=1
for u in $(ls ./*.key | head -n 3); do
    belenios-tool election decrypt-threshold --key "$u" --decryption-key "${u%.key}.dkey" --trustee-id $trustee_id \
        | belenios-tool archive add-event --type=PartialDecryption
    trustee_id=$((trustee_id + 1))
done
belenios-tool election compute-result | belenios-tool archive add-event --type=Result
} 2>> belenios.log
t0=$(now); belenios-tool election verify > verify.out 2>&1 || { cat verify.out; exit 1; }
b_verify_s=$(secs "$t0" "$(now)")
b_bytes=$(python3 -c "import sys; s=[int(l) for l in open('ballot_sizes.txt')]; print(f'{sum(s)/len(s):.0f}')")
echo "belenios: $N ballots generated and added to the archive in $cast_s s (the archive grows: $(python3 -c "print(f'{$cast_s * 1000 / $N:.0f}')") ms per ballot on average); generate-ballot ${b_build_ms} ms per ballot (tool start-up ${startup_ms} ms of it); verify $b_verify_s s; ${b_bytes} bytes per ballot"

# ---------------------------------------------------------------- Piaojue
P=$WORK/piaojue; mkdir -p "$P"
RUST_LOG=warn,piaojue_server=info "$PIAOJUE" serve --database-url "sqlite:$P/piaojue.db" --listen 127.0.0.1:0 --data-dir "$P/data" \
    2> "$P/server.log" > /dev/null &
SERVER_PID=$!
for _ in $(seq 300); do grep -q "serving on http://" "$P/server.log" 2>/dev/null && break; sleep 0.1; done
grep -q "serving on http://" "$P/server.log" || { cat "$P/server.log"; exit 1; }
URL="http://$(grep -o 'serving on http://[^ ]*' "$P/server.log" | head -n1 | sed 's|serving on http://||')"
"$PIAOJUE" bench cast --url "$URL" --token-file "$P/data/staff-token" --ballots "$N" \
    --concurrency 50 --tally --record-out "$P/record.json" --json > "$P/bench.json"
p_build_ms=$(python3 -c "import json; print(f\"{json.load(open('$P/bench.json'))['build']['per_ballot_ms']:.2f}\")")
p_bytes=$(python3 -c "import json; print(f\"{json.load(open('$P/bench.json'))['build']['bytes_per_ballot']:.0f}\")")
t0=$(now); "$PIAOJUE" verify "$P/record.json" --lang en --quiet > "$P/verify.out" 2>&1 || { cat "$P/verify.out"; exit 1; }
p_verify_s=$(secs "$t0" "$(now)")
echo "piaojue: build ${p_build_ms} ms per ballot (one thread); verify $p_verify_s s (whole record, both cores); ${p_bytes} bytes per ballot"

# ---------------------------------------------------------------- Ratios
python3 - "$N" "$b_build_ms" "$startup_ms" "$b_verify_s" "$b_bytes" "$p_build_ms" "$p_verify_s" "$p_bytes" <<'PY'
import sys
n, bb, st, bv, bby, pb, pv, pby = int(sys.argv[1]), *map(float, sys.argv[2:])
print()
print(f"| per ballot, N = {n} | Belenios 2.0 (BELENIOS-2048) | Piaojue (Ristretto255) | Belenios / Piaojue |")
print("|---|---|---|---|")
print(f"| build | {bb:.1f} ms ({bb - st:.1f} ms without the tool's start-up) | {pb:.2f} ms | {bb / pb:.0f}x ({(bb - st) / pb:.0f}x) |")
print(f"| verify (whole record / N) | {bv * 1000 / n:.2f} ms | {pv * 1000 / n:.3f} ms | {bv / pv:.0f}x |")
print(f"| bytes | {bby:.0f} | {pby:.0f} | {bby / pby:.2f}x |")
PY
