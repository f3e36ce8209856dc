#!/usr/bin/env bash
# Failures: the upstream is down (clear error), a client aborts mid-push
# (nothing applied, nothing leaks), a new rule generation is imported
# mid-push (the push keeps the generation it started with).
. "$(dirname "$0")/lib.sh"
RAW="$(dirname "$0")/rawpush.py"

# An extra rule pack, so the test controls which rules a generation has.
cat > "$WORK/extra1.yaml" <<'YAML'
pack: {id: it-extra, version: 1}
rules:
  - id: IT-CANARY
    name: integration-test canary
    pattern: '\bCANARY-[0-9]{8}-[A-Z]{4}\b'
    tier: block
    severity: high
    remediation: remove the canary
    examples: [{text: 'x CANARY-12345678-ABCD', secret: CANARY-12345678-ABCD}]
YAML
sed -e 's/version: 1/version: 2/' -e 's/IT-CANARY/IT-OTHER/' -e 's/CANARY-/OTHER-/g' "$WORK/extra1.yaml" > "$WORK/extra2.yaml"

# 1. Upstream down.
DOWN_PORT=$(free_port)
start_sluice --upstream "http://127.0.0.1:$DOWN_PORT"
set +e
git clone -q "$GATE/app.git" "$WORK/nope" > "$WORK/down.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "clone with the upstream down must fail"
grep -q "502" "$WORK/down.out" || fail "no 502: $(cat "$WORK/down.out")"
grep -q "cannot reach the upstream git server" "$WORK/down.out" || fail "no clear message: $(cat "$WORK/down.out")"
ok "upstream down: the client gets a 502 with the reason"
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true

# 2. Client aborts mid-push.
start_gate
"$BIN" rules import --data "$DATA" "$WORK/extra1.yaml" > /dev/null || fail "import extra pack"
new_upstream_repo app
git init -q -b main "$WORK/w"
git_user "$WORK/w"
python3 -c 'import os,sys; open(sys.argv[1],"wb").write(os.urandom(3*1024*1024))' "$WORK/w/blob.bin"
echo "canary CANARY-87654321-WXYZ" > "$WORK/w/notes.txt"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "bulk"
before=$(upstream_state app)
fds_before=$(ls /proc/"$SL_PID"/fd | wc -l)
python3 "$RAW" "$GATE/app" "$WORK/w" main abort > "$WORK/abort.out" || fail "rawpush abort: $(cat "$WORK/abort.out")"
upstream_settle app || fail "the upstream backend still busy 30 s after an aborted push"
[ "$(upstream_state app)" = "$before" ] || fail "upstream changed after an aborted push"
no_quarantine app || fail "quarantine left after an aborted push"
[ -z "$(ls -A "$DATA/spool")" ] || fail "spool files left: $(ls "$DATA/spool")"
fds_after=$(ls /proc/"$SL_PID"/fd | wc -l)
[ "$fds_after" -le "$fds_before" ] || fail "file descriptors leaked: $fds_before -> $fds_after"
kill -0 "$SL_PID" || fail "sluice died"
git clone -q "$GATE/app.git" "$WORK/after-abort" 2>/dev/null || fail "gate unusable after an abort"
ok "client abort mid-push: nothing applied, no spool or fd leak, gate still serving"

# 3. New generation mid-push: the push started under generation 2 (with
# IT-CANARY) and must be judged by it even after generation 3 drops it.
mkfifo "$WORK/go"
python3 "$RAW" "$GATE/app" "$WORK/w" main pause "$WORK/go" > "$WORK/pinned.out" 2>&1 &
raw=$!
sleep 1
"$BIN" rules import --data "$DATA" "$WORK/extra2.yaml" | grep -q "generation 3" || fail "import generation 3"
sleep 1.5   # the gate polls for new generations every second
echo go > "$WORK/go"
wait "$raw" || fail "rawpush pause: $(cat "$WORK/pinned.out")"
grep -q "IT-CANARY" "$WORK/pinned.out" || fail "the push in flight lost its generation: $(cat "$WORK/pinned.out")"
grep -q "ng refs/heads/main" "$WORK/pinned.out" || fail "no ng line: $(cat "$WORK/pinned.out")"
[ "$(upstream_state app)" = "$before" ] || fail "upstream changed"
git -C "$WORK/w" remote add origin "$GATE/app.git"
git -C "$WORK/w" push -q origin main 2> "$WORK/new.out" || fail "a new push under generation 3 is clean: $(cat "$WORK/new.out")"
grep -q '"generation":3' "$DATA/audit.jsonl" || fail "new push not judged by generation 3"
ok "a push keeps the rule generation it started with; the next push uses the new one"
# 4. Time budget: a push whose scan runs past push_budget_ms is judged
# unscanned: refused fail-closed (the default), let through fail-open.
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set push_budget_ms=1000
python3 -c 'import os,sys; open(sys.argv[1],"wb").write(os.urandom(4*1024*1024))' "$WORK/w/blob2.bin"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "more bulk"
mkfifo "$WORK/go2"
python3 "$RAW" "$GATE/app" "$WORK/w" main pause "$WORK/go2" > "$WORK/budget.out" 2>&1 &
raw=$!
sleep 1.5
echo go > "$WORK/go2"
wait "$raw" || fail "rawpush budget: $(cat "$WORK/budget.out")"
grep -q "ng refs/heads/main BUDGET_TIME" "$WORK/budget.out" || fail "no BUDGET_TIME refusal: $(cat "$WORK/budget.out")"
grep -q '"reason":"BUDGET_TIME"' "$DATA/audit.jsonl" || fail "budget not audited"
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set push_budget_ms=1000 --set on_timeout=fail-open
mkfifo "$WORK/go3"
python3 "$RAW" "$GATE/app" "$WORK/w" main pause "$WORK/go3" > "$WORK/open.out" 2>&1 &
raw=$!
sleep 1.5
echo go > "$WORK/go3"
wait "$raw" || fail "rawpush fail-open: $(cat "$WORK/open.out")"
grep -q "ok refs/heads/main" "$WORK/open.out" || fail "fail-open must let the push through: $(cat "$WORK/open.out")"
grep -q "scan did not finish in time" "$WORK/open.out" || fail "fail-open without a warning: $(cat "$WORK/open.out")"
ok "time budget: fail-closed refuses, fail-open lets through with a warning; both audited"
done_tests
