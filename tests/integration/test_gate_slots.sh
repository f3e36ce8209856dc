#!/usr/bin/env bash
# Scan slots: pushes are admitted to scanning a few at a time (push_slots).
# With one slot, a push held open mid-body keeps a second push waiting
# (nothing of it reaches the upstream), the second goes through as soon as
# the first ends, and a push that waits longer than push_queue_timeout_ms
# is refused as busy, with nothing applied.  Clones need no slot, and a
# push that trickles its first bytes never takes one.
. "$(dirname "$0")/lib.sh"
RAW="$(dirname "$0")/rawpush.py"

start_gate --set push_slots=1 --set push_queue_timeout_ms=4000
for r in one two three four; do new_upstream_repo "$r"; done
git init -q -b main "$WORK/w"
git_user "$WORK/w"
python3 -c 'import os,sys; open(sys.argv[1],"wb").write(os.urandom(3*1024*1024))' "$WORK/w/blob.bin"
echo "clean" > "$WORK/w/readme.txt"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "bulk"
head=$(git -C "$WORK/w" rev-parse main)

# 1. The first push takes the slot and pauses half way.
mkfifo "$WORK/go"
python3 "$RAW" "$GATE/one" "$WORK/w" main pause "$WORK/go" > "$WORK/one.out" 2>&1 &
RAW_PID=$!
sleep 2
# 2. A second push meanwhile waits: after 1.5 s nothing of it is upstream.
git -C "$WORK/w" push -q "$GATE/two.git" main 2> "$WORK/two.err" &
TWO_PID=$!
sleep 1.5
kill -0 "$TWO_PID" 2>/dev/null || fail "the second push did not wait for the slot: $(cat "$WORK/two.err")"
[ -z "$(git -C "$WORK/upstream/two.git" for-each-ref)" ] || fail "the waiting push reached the upstream"
grep -q "waits for a scan slot" "$WORK/sluice.log" || fail "no log line for the waiting push"
ok "with one slot held, a second push waits and sends nothing upstream"

# Clones do not need a slot.
t0=$(date +%s%N)
git clone -q "$GATE/one.git" "$WORK/clone-one" 2> "$WORK/clone.err" || fail "clone during a held slot: $(cat "$WORK/clone.err")"
ms=$(( ($(date +%s%N) - t0) / 1000000 ))
[ "$ms" -lt 3000 ] || fail "clone waited ${ms} ms behind the held slot"
ok "a clone goes through while the slot is held (${ms} ms)"

# 3. Releasing the first lets the second through.
echo go > "$WORK/go"
wait "$RAW_PID" || fail "rawpush: $(cat "$WORK/one.out")"
wait "$TWO_PID" || fail "the second push failed after the slot was freed: $(cat "$WORK/two.err")"
[ "$(git -C "$WORK/upstream/two.git" rev-parse main)" = "$head" ] || fail "second push not applied"
ok "the second push is applied once the first has ended"

# 4. A push waiting past push_queue_timeout_ms is refused as busy.
mkfifo "$WORK/go2"
python3 "$RAW" "$GATE/four" "$WORK/w" main pause "$WORK/go2" > "$WORK/one2.out" 2>&1 &
RAW_PID=$!
sleep 2
before=$(upstream_state three)
set +e
timeout 60 git -C "$WORK/w" push "$GATE/three.git" main > "$WORK/three.out" 2>&1
rc=$?
set -e
echo go > "$WORK/go2"
wait "$RAW_PID" || true
[ "$rc" != 0 ] || fail "a push past the queue timeout must fail"
grep -q "503" "$WORK/three.out" || fail "no 503 busy answer: $(cat "$WORK/three.out")"
[ "$(upstream_state three)" = "$before" ] || fail "the busy push changed the upstream"
no_quarantine three || fail "quarantine left by the busy push"
grep -q "LIMIT_MEMORY: the gate is busy" "$WORK/sluice.log" || fail "busy refusal not logged"
ok "a push waiting past push_queue_timeout_ms gets 503 busy; nothing applied"
kill -0 "$SL_PID" || fail "sluice died"
done_tests
