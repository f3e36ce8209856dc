#!/usr/bin/env bash
# Verified identity for pushes.
# Embedded default: the first start prints one admin credential (stored
# hashed in DATA/users, never shown again); an anonymous or wrongly
# authenticated push gets 401 and nothing is applied; the admin pushes;
# a repository with http.receivepack=false refuses even the admin;
# anonymous clones work; users added or removed with `sluice user` take
# effect without a restart; repeated failures from one address are
# answered without hashing.
# Upstream mode (the upstream authenticates pushes itself): with
# `bypass = users:alice`, alice's upstream credential bypasses only when
# DATA/users verifies it too.
. "$(dirname "$0")/lib.sh"

# No credential helper or user config of this machine may answer for git.
export GIT_CONFIG_NOSYSTEM=1 GIT_CONFIG_GLOBAL="$WORK/gitconfig" GIT_TERMINAL_PROMPT=0
: > "$GIT_CONFIG_GLOBAL"

repo_state() {	# refs and object files of a repository in DATA/repos
	local repo="$DATA/repos/$1.git"
	{
		git -C "$repo" for-each-ref --format='%(refname) %(objectname)'
		find "$repo/objects" -type f | sort
	}
}

# http_status URL [curl args...]: the status code; headers in $WORK/h, body in $WORK/b.
http_status() {
	local url=$1
	shift
	curl -s -o "$WORK/b" -D "$WORK/h" -w '%{http_code}' --cacert "$DATA/tls/cert.pem" "$@" "$url"
}

# --- embedded default -------------------------------------------------------
start_sluice
line=$(grep "first start: push user 'admin' password '" "$WORK/sluice.log" || true)
[ -n "$line" ] || fail "first start did not print the admin credential: $(cat "$WORK/sluice.log")"
PW=$(echo "$line" | sed -n "s/.*password '\([^']*\)'.*/\1/p")
echo "$PW" | grep -qE '^[0-9A-Za-z]{24}$' || fail "generated password is not 24 base62 characters: '$PW'"
echo "$line" | grep -q "(stored hashed in $DATA/users; shown only now)" || fail "credential line: $line"
[ "$(stat -c %a "$DATA/users")" = 600 ] || fail "DATA/users is not 0600"
grep -q '^admin:\$pbkdf2-sha256\$' "$DATA/users" || fail "DATA/users: $(cat "$DATA/users")"
grep -qF "$PW" "$DATA/users" && fail "DATA/users holds the password in clear"
ok "first start: admin credential printed once, stored hashed in a 0600 DATA/users"

git clone -q "$GATE/demo.git" "$WORK/demo" 2> "$WORK/clone.err" || fail "anonymous clone: $(cat "$WORK/clone.err")"
git_user "$WORK/demo"
ok "anonymous clone works"

# The advertisement and the POST both need the credential; a fetch does not.
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack")
[ "$code" = 401 ] || fail "receive-pack advertisement without credential: $code"
grep -qi '^WWW-Authenticate: Basic realm="sluice"' "$WORK/h" || fail "no Basic challenge: $(cat "$WORK/h")"
grep -qi '^Content-Type: text/plain' "$WORK/h" || fail "401 body is not text/plain: $(cat "$WORK/h")"
[ "$(wc -l < "$WORK/b")" = 1 ] || fail "401 body is not one line: $(cat "$WORK/b")"
code=$(http_status "$GATE/demo.git/git-receive-pack" -X POST --data-binary '0000' \
	-H 'Content-Type: application/x-git-receive-pack-request')
[ "$code" = 401 ] || fail "receive-pack POST without credential: $code"
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pac%6b")
[ "$code" = 401 ] || fail "percent-encoded receive-pack service without credential: $code"
code=$(http_status "$GATE/demo.git/info/refs?service=git-upload-pack")
[ "$code" = 200 ] || fail "upload-pack advertisement: $code"
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack" -u "admin:$PW")
[ "$code" = 200 ] || fail "receive-pack advertisement with the admin credential: $code"
ok "receive-pack (advertisement, POST, %-encoded service) answers 401 with a Basic challenge; upload-pack is open"

echo "anonymous change" >> "$WORK/demo/README.md"
git -C "$WORK/demo" commit -qam "anonymous change"
before=$(repo_state demo)
set +e
git -C "$WORK/demo" push origin main > "$WORK/anon.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "anonymous push must fail"
[ "$(repo_state demo)" = "$before" ] || fail "anonymous push applied something"
ok "anonymous push refused, nothing applied"

set +e
git -C "$WORK/demo" push "https://admin:wrong-password-1@localhost:$SL_PORT/demo.git" main > "$WORK/wrong.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "push with a wrong password must fail"
grep -q "Authentication failed" "$WORK/wrong.out" || fail "wrong password: $(cat "$WORK/wrong.out")"
[ "$(repo_state demo)" = "$before" ] || fail "push with a wrong password applied something"
ok "wrong password refused, nothing applied"

git -C "$WORK/demo" push "https://admin:$PW@localhost:$SL_PORT/demo.git" main > "$WORK/admin.out" 2>&1 ||
	fail "admin push: $(cat "$WORK/admin.out")"
[ "$(git -C "$DATA/repos/demo.git" rev-parse main)" = "$(git -C "$WORK/demo" rev-parse main)" ] ||
	fail "admin push not applied"
grep '"verdict":"allow"' "$DATA/audit.jsonl" | tail -1 | grep -q '"user":"admin"' ||
	fail "audit record without the verified user: $(tail -1 "$DATA/audit.jsonl")"
ok "push with the printed admin credential applied; audit names user admin"

# A secret is still refused for a verified user.
TOKEN=$(github_token 21)
echo "GITHUB_TOKEN=$TOKEN" > "$WORK/demo/.env"
git -C "$WORK/demo" add .env
git -C "$WORK/demo" commit -qm leak
before=$(repo_state demo)
set +e
git -C "$WORK/demo" push "https://admin:$PW@localhost:$SL_PORT/demo.git" main > "$WORK/leak.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "a verified user's push with a token must still be refused"
grep -q "remote: .*\.env:1" "$WORK/leak.out" || fail "no remote: lines: $(cat "$WORK/leak.out")"
[ "$(repo_state demo)" = "$before" ] || fail "refused push applied something"
git -C "$WORK/demo" reset -q --hard HEAD~1
ok "a verified user's push with a token is still refused"

# http.receivepack=false in a repository refuses even the admin.
git init -q --bare "$DATA/repos/locked.git"
git -C "$DATA/repos/locked.git" config http.receivepack false
git -C "$DATA/repos/locked.git" symbolic-ref HEAD refs/heads/main
git -C "$WORK/demo" push -q "$DATA/repos/locked.git" main
git clone -q "$GATE/locked.git" "$WORK/locked" 2> "$WORK/clone2.err" || fail "clone locked: $(cat "$WORK/clone2.err")"
git_user "$WORK/locked"
echo "change" >> "$WORK/locked/README.md"
git -C "$WORK/locked" commit -qam change
before=$(repo_state locked)
set +e
git -C "$WORK/locked" push "https://admin:$PW@localhost:$SL_PORT/locked.git" main > "$WORK/locked.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "push to a http.receivepack=false repository must fail"
grep -q "403" "$WORK/locked.out" || fail "expected git http-backend's 403: $(cat "$WORK/locked.out")"
[ "$(repo_state locked)" = "$before" ] || fail "push to the locked repository applied something"
ok "a repository with http.receivepack=false refuses even the admin"

# Users added and removed while running take effect at once.
printf 'bob-password-12\n' | "$BIN" user add bob --data "$DATA" 2> "$WORK/useradd.err" ||
	fail "user add: $(cat "$WORK/useradd.err")"
"$BIN" user list --data "$DATA" > "$WORK/users.txt"
[ "$(cat "$WORK/users.txt")" = "$(printf 'admin\nbob')" ] || fail "user list: $(cat "$WORK/users.txt")"
printf 'short\n' | "$BIN" user add carol --data "$DATA" 2>/dev/null && fail "a short password was accepted"
printf 'x-password-1\n' | "$BIN" user add bob --data "$DATA" 2>/dev/null && fail "bob added twice"
echo "bob's change" >> "$WORK/demo/README.md"
git -C "$WORK/demo" commit -qam "bob's change"
git -C "$WORK/demo" push "https://bob:bob-password-12@localhost:$SL_PORT/demo.git" main > "$WORK/bob.out" 2>&1 ||
	fail "bob's push: $(cat "$WORK/bob.out")"
[ "$(git -C "$DATA/repos/demo.git" rev-parse main)" = "$(git -C "$WORK/demo" rev-parse main)" ] ||
	fail "bob's push not applied"
"$BIN" user del bob --data "$DATA" 2>/dev/null || fail "user del bob"
echo "after removal" >> "$WORK/demo/README.md"
git -C "$WORK/demo" commit -qam "after removal"
before=$(repo_state demo)
set +e
git -C "$WORK/demo" push "https://bob:bob-password-12@localhost:$SL_PORT/demo.git" main > "$WORK/bob2.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "a removed user's push must fail (the cache must not outlive the user)"
[ "$(repo_state demo)" = "$before" ] || fail "a removed user's push applied something"
ok "sluice user add/del take effect without a restart (cached credential dropped)"

# Failure limiter: after 5 failures from one address, even the right
# password gets 401 at once; another address is not affected.
for i in 1 2 3 4 5; do
	code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack" --interface 127.0.0.2 -u "admin:guess-$i")
	[ "$code" = 401 ] || fail "guess $i: $code"
done
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack" --interface 127.0.0.2 -u "admin:$PW")
[ "$code" = 401 ] || fail "throttled address with the right password: $code"
grep -q "too many failed logins" "$WORK/b" || fail "throttled 401 body: $(cat "$WORK/b")"
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack" --interface 127.0.0.3 -u "admin:$PW")
[ "$code" = 200 ] || fail "another address: $code"
ok "5 failures from one address: answered 401 without checking; other addresses unaffected"

# Restart: the credential is not shown again, and still works.
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
mv "$WORK/sluice.log" "$WORK/sluice-embedded.log"
"$BIN" serve --data "$DATA" --listen "127.0.0.1:$SL_PORT" > "$WORK/sluice-restart.log" 2>&1 &
SL_PID=$!
PIDS+=($SL_PID)
wait_port "$SL_PORT" 600 || fail "restart: $(cat "$WORK/sluice-restart.log")"
grep -q "password" "$WORK/sluice-restart.log" && fail "restart printed a password: $(cat "$WORK/sluice-restart.log")"
code=$(http_status "$GATE/demo.git/info/refs?service=git-receive-pack" -u "admin:$PW")
[ "$code" = 200 ] || fail "admin credential after restart: $code"
ok "restart: no credential printed again; the admin credential still works"
kill "$SL_PID"; wait "$SL_PID" 2>/dev/null || true
mv "$WORK/data" "$WORK/data-embedded"

# --- upstream mode ------------------------------------------------------------
# An upstream that authenticates every request itself (lighttpd mod_auth),
# where alice's password is "alice-upstream-1".
mkdir -p "$WORK/upstream" "$WORK/lighttpd"
UP_PORT=$(free_port)
backend=$(git --exec-path)/git-http-backend
printf 'alice:alice-upstream-1\n' > "$WORK/lighttpd/users"
cat > "$WORK/lighttpd/lighttpd.conf" <<CONF
server.document-root = "$WORK/upstream"
server.bind = "127.0.0.1"
server.port = $UP_PORT
server.modules = ("mod_auth", "mod_authn_file", "mod_alias", "mod_cgi", "mod_setenv")
server.errorlog = "$WORK/lighttpd/error.log"
server.stream-request-body = 0
server.max-request-size = 2097151
auth.backend = "plain"
auth.backend.plain.userfile = "$WORK/lighttpd/users"
auth.require = ("/git/" => ("method" => "basic", "realm" => "upstream", "require" => "valid-user"))
alias.url = ("/git/" => "$backend/")
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$WORK/upstream", "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
lighttpd -D -f "$WORK/lighttpd/lighttpd.conf" &
PIDS+=($!)
wait_port "$UP_PORT" || fail "lighttpd did not start: $(cat "$WORK/lighttpd/error.log" 2>/dev/null)"
new_upstream_repo app
start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --set "bypass=users:alice"
[ -e "$DATA/users" ] && fail "upstream mode created DATA/users"
grep -q "first start: push user" "$WORK/sluice.log" && fail "upstream mode printed a credential"
ALICE="https://alice:alice-upstream-1@localhost:$SL_PORT/app.git"

git init -q -b main "$WORK/w"
git_user "$WORK/w"
echo "# app" > "$WORK/w/README.md"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm init
git -C "$WORK/w" push -q "$ALICE" main 2> "$WORK/init.err" || fail "initial push (upstream auth): $(cat "$WORK/init.err")"
TOKEN=$(github_token 22)
echo "token: $TOKEN" > "$WORK/w/fixture.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm fixture

bypass_push() {	# bypass_push OUT: alice pushes the fixture with a bypass; status
	git -C "$WORK/w" push -o sluice.bypass=false-positive "$ALICE" main > "$WORK/$1" 2>&1
}

before=$(upstream_state app)
set +e
bypass_push nousers.out
rc=$?
set -e
[ "$rc" != 0 ] || fail "without DATA/users, alice's claimed name must not bypass"
grep -q "bypass needs a user verified by the gate: add one with \`sluice user add\`" "$WORK/nousers.out" ||
	fail "refusal not explained: $(cat "$WORK/nousers.out")"
[ "$(upstream_state app)" = "$before" ] || fail "refused bypass applied something upstream"
grep '"verdict":"reject"' "$DATA/audit.jsonl" | tail -1 | grep -q '"user":null' ||
	fail "an unverified user was recorded as the user: $(tail -1 "$DATA/audit.jsonl")"
ok "upstream mode without DATA/users: the Basic name alone cannot bypass"

# alice in DATA/users with another password: her upstream credential is
# accepted upstream but not verified by the gate.
printf 'alice-gate-only-1\n' | "$BIN" user add alice --data "$DATA" 2>/dev/null || fail "user add alice"
set +e
bypass_push wrongpw.out
rc=$?
set -e
[ "$rc" != 0 ] || fail "alice with a password DATA/users does not verify must not bypass"
grep -q "bypass needs a user verified by the gate" "$WORK/wrongpw.out" ||
	fail "refusal not explained: $(cat "$WORK/wrongpw.out")"
[ "$(upstream_state app)" = "$before" ] || fail "refused bypass applied something upstream"
ok "alice with a wrong password (for the gate) cannot bypass"

printf 'alice-upstream-1\n' | "$BIN" user passwd alice --data "$DATA" 2>/dev/null || fail "user passwd alice"
bypass_push verified.out || fail "verified alice's bypass: $(cat "$WORK/verified.out")"
grep -q "push accepted with bypass 'false-positive'" "$WORK/verified.out" ||
	fail "bypass not announced: $(cat "$WORK/verified.out")"
[ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] ||
	fail "verified bypass not applied upstream"
grep '"bypass":"false-positive"' "$DATA/audit.jsonl" | tail -1 | grep -q '"user":"alice"' ||
	fail "bypass audit without the verified user: $(tail -1 "$DATA/audit.jsonl")"
ok "alice verified via DATA/users can bypass; audited as user alice"
done_tests
