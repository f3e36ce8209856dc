#!/usr/bin/env bash
# The embedded default (`sluice serve` with no upstream): a demo
# repository created on first start, served by git http-backend as a CGI
# behind the gate.  A person clones it over https and pushes with the
# admin credential the first start printed; a push with a GitHub token is
# refused with remote: lines naming the file and line.
. "$(dirname "$0")/lib.sh"

export GIT_TERMINAL_PROMPT=0
start_sluice
PW=$(sed -n "s/^sluice: first start: push user 'admin' password '\([^']*\)'.*/\1/p" "$WORK/sluice.log")
[ -n "$PW" ] || fail "first start printed no admin credential: $(cat "$WORK/sluice.log")"
[ -d "$DATA/repos/demo.git" ] || fail "demo repository not created on first start"
[ -s "$DATA/tls/cert.pem" ] && [ -s "$DATA/tls/key.pem" ] || fail "self-signed certificate not created"
[ "$(stat -c %a "$DATA/tls/key.pem")" = 600 ] || fail "private key is not 0600"
"$BIN" rules list --data "$DATA" > "$WORK/rules.txt" 2>/dev/null || true
git clone -q "$GATE/demo.git" "$WORK/demo" 2> "$WORK/clone.err" || fail "clone demo: $(cat "$WORK/clone.err")"
[ -f "$WORK/demo/README.md" ] || fail "demo repository has no README"
git_user "$WORK/demo"
git -C "$WORK/demo" remote set-url --push origin "https://admin:$PW@localhost:$SL_PORT/demo.git"
ok "first start: demo repository, self-signed certificate, admin credential; clone over https"

echo "clean change" >> "$WORK/demo/README.md"
git -C "$WORK/demo" commit -qam "clean change"
git -C "$WORK/demo" push -q origin main 2> "$WORK/push.err" || fail "clean push: $(cat "$WORK/push.err")"
[ "$(git -C "$DATA/repos/demo.git" rev-parse main)" = "$(git -C "$WORK/demo" rev-parse main)" ] || fail "clean push not applied"
ok "clean push applied to the embedded backend"

TOKEN=$(github_token 9)
mkdir -p "$WORK/demo/scripts"
printf '#!/bin/sh\n# deploy\nexport GITHUB_TOKEN=%s\n./deploy.sh\n' "$TOKEN" > "$WORK/demo/scripts/release.sh"
git -C "$WORK/demo" add -A
git -C "$WORK/demo" commit -qm "release script"
before=$(git -C "$DATA/repos/demo.git" rev-parse main)
set +e
git -C "$WORK/demo" push origin main > "$WORK/push.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "push with a token must fail"
grep -q "remote: .*scripts/release.sh:3" "$WORK/push.out" || fail "file:line missing: $(cat "$WORK/push.out")"
grep -q "remote: \[1\] SEC-GITHUB" "$WORK/push.out" || fail "rule missing: $(cat "$WORK/push.out")"
[ "$(git -C "$DATA/repos/demo.git" rev-parse main)" = "$before" ] || fail "blocked push applied"
ok "push with a GitHub token refused with remote: lines naming file and line"

# Restart keeps state: same certificate, same repository, no second demo.
fp=$(sha256sum "$DATA/tls/cert.pem")
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$SL_PORT" > "$WORK/sluice2.log" 2>&1 &
PIDS+=($!)
wait_port "$SL_PORT" || fail "restart"
[ "$(sha256sum "$DATA/tls/cert.pem")" = "$fp" ] || fail "certificate replaced on restart"
git -C "$WORK/demo" fetch -q origin || fail "fetch after restart"
ok "restart keeps certificate and repositories"
done_tests
