#!/usr/bin/env bash
# -o sluice.bypass=<reason>: accepted, applied, recorded in the audit log;
# an unknown reason is refused; a policy that names users accepts only a
# user verified against DATA/users (the Basic user name alone, with any
# password, is refused); warn-tier findings pass with remote: warnings.
. "$(dirname "$0")/lib.sh"

start_gate
new_upstream_repo app
git init -q -b main "$WORK/w"
git_user "$WORK/w"
git -C "$WORK/w" remote add origin "$GATE/app.git"
echo "# app" > "$WORK/w/README.md"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm init
git -C "$WORK/w" push -q origin main || fail "initial push"

TOKEN=$(github_token 5)
echo "token: $TOKEN" > "$WORK/w/fixture.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "test fixture"

set +e
git -C "$WORK/w" push -o sluice.bypass=because origin main > "$WORK/bad.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "an unknown bypass reason must not bypass"
grep -q "unknown bypass reason" "$WORK/bad.out" || fail "unknown reason not explained: $(cat "$WORK/bad.out")"
ok "unknown bypass reason refused with an explanation"

git -C "$WORK/w" push -o sluice.bypass=used-in-tests -o sluice.note=JIRA-123 origin main > "$WORK/ok.out" 2>&1 ||
	fail "bypass push: $(cat "$WORK/ok.out")"
grep -q "push accepted with bypass 'used-in-tests'" "$WORK/ok.out" || fail "bypass not announced: $(cat "$WORK/ok.out")"
[ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "bypass push not applied"
line=$(grep '"bypass":"used-in-tests"' "$DATA/audit.jsonl" | tail -1)
[ -n "$line" ] || fail "bypass not audited"
echo "$line" | grep -q '"note":"JIRA-123"' || fail "note not audited"
echo "$line" | grep -q '"status":"bypassed"' || fail "finding not marked bypassed in the audit"
echo "$line" | grep -q '"path":"fixture.yaml"' || fail "finding path not audited"
echo "$line" | grep -q "$TOKEN" && fail "audit holds the secret"
ok "bypass accepted, applied and audited with reason, note and finding"

# Policy: only listed users may bypass, and only as a user the gate
# verified against DATA/users.  This upstream asks for no credential, so
# git sends none unasked; the header is added the way a script would.
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set "repo.app.git.bypass=users:alice"
git -C "$WORK/w" remote set-url origin "$GATE/app.git"
TOKEN2=$(github_token 6)
echo "token: $TOKEN2" > "$WORK/w/fixture2.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "second fixture"
as_user() {	# as_user NAME PASSWORD GIT-ARGS...: git with a Basic credential
	local auth
	auth=$(printf '%s:%s' "$1" "$2" | base64 -w0)
	shift 2
	git -c http.extraHeader="Authorization: Basic $auth" "$@"
}
before=$(upstream_state app)
set +e
git -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$WORK/anon.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "anonymous bypass must be refused under users:alice"
grep -q "bypass needs a user verified by the gate" "$WORK/anon.out" || fail "refusal not explained: $(cat "$WORK/anon.out")"
ok "per-repository bypass policy refuses an anonymous bypass"

set +e
as_user alice anything -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$WORK/claimed.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "the claimed name alice without DATA/users must not bypass"
grep -q "bypass needs a user verified by the gate" "$WORK/claimed.out" || fail "refusal not explained: $(cat "$WORK/claimed.out")"
printf 'alice-password-1\n' | "$BIN" user add alice --data "$DATA" 2>/dev/null || fail "sluice user add alice"
set +e
as_user alice wrong-password -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$WORK/wrong.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "alice with a wrong password must not bypass"
grep -q "bypass needs a user verified by the gate" "$WORK/wrong.out" || fail "refusal not explained: $(cat "$WORK/wrong.out")"
[ "$(upstream_state app)" = "$before" ] || fail "a refused bypass changed the upstream"
as_user alice alice-password-1 -C "$WORK/w" push -o sluice.bypass=false-positive origin main > "$WORK/alice.out" 2>&1 ||
	fail "verified alice's bypass: $(cat "$WORK/alice.out")"
grep -q "push accepted with bypass 'false-positive'" "$WORK/alice.out" || fail "bypass not announced: $(cat "$WORK/alice.out")"
[ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "verified bypass not applied"
grep '"bypass":"false-positive"' "$DATA/audit.jsonl" | tail -1 | grep -q '"user":"alice"' ||
	fail "bypass audit without the verified user"
ok "users:alice: the claimed name (no DATA/users, or a wrong password) is refused; alice verified by the gate bypasses"

# Warn tier: a generic password assignment passes with remote: warnings.
printf 'db:\n  password: "Zq8vLm2Rt9Xw4Kp7"\n' > "$WORK/w/settings.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm settings
git -C "$WORK/w" push origin main > "$WORK/warn.out" 2>&1 || fail "warn-tier push refused: $(cat "$WORK/warn.out")"
grep -q "remote: warning: sluice" "$WORK/warn.out" || fail "no warning lines: $(cat "$WORK/warn.out")"
grep -q "settings.yaml:2" "$WORK/warn.out" || fail "warning without path:line: $(cat "$WORK/warn.out")"
ok "warn-tier finding passes with remote: warnings"
# JGit's request shape: gzip body with Content-Length and Expect:
# 100-continue.  The gate answers 100 itself, inflates and judges.
TOKEN3=$(github_token 8)
echo "token: $TOKEN3" > "$WORK/w/jgit.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "jgit-style push"
python3 "$(dirname "$0")/rawpush.py" "$GATE/app" "$WORK/w" main gzip > "$WORK/gzip.out" 2>&1 || fail "gzip push: $(cat "$WORK/gzip.out")"
grep -q "ng refs/heads/main secret SEC-GITHUB" "$WORK/gzip.out" || fail "gzip push not judged: $(cat "$WORK/gzip.out")"
git -C "$WORK/w" reset -q --hard HEAD~1
echo "clean" > "$WORK/w/jgit.txt"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "clean jgit-style push"
python3 "$(dirname "$0")/rawpush.py" "$GATE/app" "$WORK/w" main gzip > "$WORK/gzip2.out" 2>&1 || fail "gzip push 2: $(cat "$WORK/gzip2.out")"
grep -q "ok refs/heads/main" "$WORK/gzip2.out" || fail "clean gzip push not applied: $(cat "$WORK/gzip2.out")"
[ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "upstream ref"
ok "gzip body with Expect: 100-continue (JGit's shape): refused with a secret, applied when clean"
done_tests
