#!/usr/bin/env bash
# No push passes without its audit record.  DATA is a small tmpfs that the
# test fills: pushes with a secret and -o sluice.bypass=false-positive are
# refused with AUDIT_FAILED (held whole and streamed), nothing reaches the
# upstream, sluice logs and counts every lost record; clean pushes are
# either refused the same way or applied with their record; once space is
# free again a bypass push is applied and recorded.
. "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || fail "needs root: DATA is a tmpfs the test mounts (CI runs as root); not skipping"
mkdir -p "$WORK/data"
mount -t tmpfs -o size=64m,mode=0750 tmpfs "$WORK/data" || fail "cannot mount a tmpfs on $WORK/data"
# Lazy: sluice may still hold files open when the trap runs; the mount must
# be gone before lib.sh's cleanup removes $WORK.
trap 'umount -l "$WORK/data" 2>/dev/null || true; cleanup' EXIT

start_gate
AUDIT="$DATA/audit.jsonl"
new_upstream_repo app
git init -q -b main "$WORK/w"
git_user "$WORK/w"
echo "# app" > "$WORK/w/README.md"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm init
# Straight to the upstream: the audit log stays empty, so its next record
# needs a page the full tmpfs cannot give.
git -C "$WORK/w" push -q "$WORK/upstream/app.git" main || fail "initial push to the upstream"
git -C "$WORK/w" remote add origin "$GATE/app.git"
git -C "$WORK/w" fetch -q origin || fail "fetch through the gate"
[ ! -s "$AUDIT" ] || fail "audit log not empty before the test: $(cat "$AUDIT")"

# Fill DATA to the last page.
dd if=/dev/zero of="$DATA/fill" bs=1M 2>/dev/null || true
dd if=/dev/zero of="$DATA/fill2" bs=4k 2>/dev/null || true
if echo probe 2>/dev/null > "$DATA/probe"; then fail "DATA is not full"; fi
rm -f "$DATA/probe"
ok "DATA filled: $(df -k --output=avail "$DATA" | tail -1 | tr -d ' ') KiB left"

# lost_records: how many "record ... was not written" lines sluice logged.
lost_records() { grep -c "audit: .* was not written: No space left on device" "$WORK/sluice.log" || true; }

# bypass_push N: a commit with a secret, pushed with a bypass; must be
# refused with AUDIT_FAILED and leave the upstream as it was.
bypass_push() {
	local n=$1 before rc out="$WORK/bypass-$1.out"
	before=$(upstream_state app)
	echo "token: $(github_token "$((100 + n))")" > "$WORK/w/fixture.yaml"
	git -C "$WORK/w" add -A
	git -C "$WORK/w" commit -qm "fixture $n"
	set +e
	git -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$out" 2>&1
	rc=$?
	set -e
	git -C "$WORK/w" reset -q --hard HEAD~1
	[ "$rc" != 0 ] || fail "bypass push $n accepted with no audit record: $(cat "$out")"
	grep -q "remote rejected.*(AUDIT_FAILED: the audit log could not be written: No space left on device)" "$out" ||
		fail "bypass push $n: ng reason is not AUDIT_FAILED: $(cat "$out")"
	grep -q "remote: error: AUDIT_FAILED" "$out" || fail "bypass push $n: no remote: AUDIT_FAILED line: $(cat "$out")"
	grep -q "remote: error: push blocked by sluice: the audit log could not be written: No space left on device" "$out" ||
		fail "bypass push $n: the remote: lines do not say why: $(cat "$out")"
	[ "$(upstream_state app)" = "$before" ] || fail "bypass push $n changed the upstream"
	no_quarantine app || fail "bypass push $n left a quarantine upstream"
}

for i in $(seq 1 10); do bypass_push "$i"; done
[ ! -s "$AUDIT" ] || fail "a refused write left bytes in the audit log: $(head -c 300 "$AUDIT")"
[ "$(lost_records)" = 10 ] || fail "expected 10 logged audit failures, got $(lost_records)"
grep -q "(10 records lost since start)" "$WORK/sluice.log" || fail "running count of lost records not logged"
[ "$(grep -c "REJECT (AUDIT_FAILED)" "$WORK/sluice.log")" = 10 ] || fail "refusals not logged as AUDIT_FAILED"
ok "10 bypass pushes on a full disk: all refused with AUDIT_FAILED, upstream untouched, 10 failures logged and counted"

# Clean pushes meanwhile: refused with AUDIT_FAILED, or applied with a
# record.  Every ref the upstream ends up with must have its record.
applied=0
refused=0
for i in $(seq 1 4); do
	git -C "$WORK/w" checkout -q -b "clean-$i" main
	echo "clean $i" > "$WORK/w/clean-$i.txt"
	git -C "$WORK/w" add -A
	git -C "$WORK/w" commit -qm "clean $i"
	set +e
	git -C "$WORK/w" push origin "clean-$i" > "$WORK/clean-$i.out" 2>&1
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then
		applied=$((applied + 1))
	else
		grep -q "AUDIT_FAILED" "$WORK/clean-$i.out" || fail "clean push $i refused for another reason: $(cat "$WORK/clean-$i.out")"
		refused=$((refused + 1))
	fi
	git -C "$WORK/w" checkout -q main
done
initial=$(git -C "$WORK/w" rev-parse main)
with_record=0
while read -r ref oid; do
	[ "$ref" = refs/heads/main ] && [ "$oid" = "$initial" ] && continue
	grep -F "\"ref\":\"$ref\"" "$AUDIT" 2>/dev/null | grep -qF "\"new\":\"$oid\"" ||
		fail "upstream has $ref at $oid without an audit record"
	with_record=$((with_record + 1))
done < <(git -C "$WORK/upstream/app.git" for-each-ref --format='%(refname) %(objectname)')
[ "$with_record" = "$applied" ] || fail "$applied clean pushes reported applied, $with_record ref updates upstream"
[ "$(grep -c '"verdict"' "$AUDIT" 2>/dev/null || true)" = "$applied" ] || fail "audit records do not match the applied pushes"
[ "$(lost_records)" = $((10 + refused)) ] || fail "every refused clean push must be logged once"
ok "clean pushes on a full disk: $applied applied with a record, $refused refused with AUDIT_FAILED"

# Streamed mode (pack forwarded as it comes, trailer held): same rule.
kill "$SL_PID"
wait "$SL_PID" 2>/dev/null || true
mv "$WORK/sluice.log" "$WORK/sluice-held.log"
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set hold_whole_max=0
git -C "$WORK/w" remote set-url origin "$GATE/app.git"
for i in 11 12; do bypass_push "$i"; done
grep -q "(streamed, .*REJECT (AUDIT_FAILED)" "$WORK/sluice.log" || fail "streamed pushes not judged in stream mode: $(grep 'push to' "$WORK/sluice.log")"
[ "$(lost_records)" = 2 ] || fail "expected 2 logged audit failures after the restart, got $(lost_records)"
ok "streamed bypass pushes on a full disk: refused with AUDIT_FAILED, trailer withheld, upstream untouched"

# Space again: the bypass is applied and recorded.
rm -f "$DATA/fill" "$DATA/fill2"
echo "token: $(github_token 200)" > "$WORK/w/fixture.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "fixture after space"
git -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$WORK/freed.out" 2>&1 ||
	fail "bypass push with free space refused: $(cat "$WORK/freed.out")"
head=$(git -C "$WORK/w" rev-parse main)
[ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$head" ] || fail "bypass push not applied"
line=$(grep -F "\"new\":\"$head\"" "$AUDIT" | tail -1)
[ -n "$line" ] || fail "applied bypass push has no audit record"
echo "$line" | python3 -c 'import json,sys; r=json.loads(sys.stdin.read()); assert r["bypass"]=="false-positive" and r["findings"][0]["status"]=="bypassed", r' ||
	fail "audit record of the bypass is wrong: $line"
python3 -c 'import json,sys; [json.loads(l) for l in open(sys.argv[1])]' "$AUDIT" || fail "audit log holds a line that is not JSON"
ok "with space again a bypass push is applied and recorded"
done_tests
