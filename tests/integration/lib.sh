#!/usr/bin/env bash
# Shared set-up for the gate's integration tests: a real upstream
# (git http-backend behind lighttpd on loopback), a real `sluice serve`
# in front of it with TLS, and a real git client.  Sourced by the
# test_gate_*.sh scenarios; each scenario gets its own directory, ports
# and processes, and tears them down on exit.
set -euo pipefail

BIN=$(readlink -f "${SLUICE_BINARY:-build/sluice}")
SRC=$(readlink -f "${SLUICE_SOURCE_DIR:-.}")
WORK=$(mktemp -d "${TMPDIR:-/tmp}/sluice-it.XXXXXX")
PASS=0
PIDS=()

cleanup() {
	local p
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && kill "$p" 2>/dev/null || true
	done
	for p in "${PIDS[@]:-}"; do
		[ -n "$p" ] && wait "$p" 2>/dev/null || true
	done
	if [ "${KEEP_WORK:-0}" = 1 ]; then echo "kept $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT

fail() {
	echo "FAIL: $*" >&2
	[ -f "$WORK/sluice.log" ] && { echo "--- sluice.log (tail)"; tail -20 "$WORK/sluice.log"; } >&2
	exit 1
}
ok() { echo "ok: $*"; PASS=$((PASS + 1)); }
# A failed check that lets the script go on (fail stops at once); the
# count and the list come out in done_tests.
FAILED=0
FAILS=()
check_fail() {
	echo "FAIL: $*" >&2
	FAILED=$((FAILED + 1))
	FAILS+=("$*")
}
# Stops every sluice this scenario started (SIGTERM: a clean shutdown) and
# fails when a sanitizer build reported anything (leaks show at exit).
done_tests() {
	local p
	for p in "${PIDS[@]:-}"; do
		if [ -n "$p" ] && grep -qa "sluice" "/proc/$p/cmdline" 2>/dev/null; then
			kill -TERM "$p" 2>/dev/null || true
			wait "$p" 2>/dev/null || true
		fi
	done
	if grep -qsE "(Address|Leak|UndefinedBehavior)Sanitizer" "$WORK"/sluice*.log; then
		grep -hsE -A12 "(Address|Leak|UndefinedBehavior)Sanitizer" "$WORK"/sluice*.log | head -40
		fail "sanitizer report from sluice serve"
	fi
	if [ "$FAILED" != 0 ]; then
		echo "--- failed checks:"
		printf '  %s\n' "${FAILS[@]}"
		echo "$PASS passed, $FAILED failed"
		exit 1
	fi
	echo "$PASS passed, 0 failed"
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}

wait_port() {	# wait_port PORT [TENTHS]: up to TENTHS tenths of a second (default 100)
	local port=$1 i
	for i in $(seq 1 "${2:-100}"); do
		if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
		sleep 0.1
	done
	return 1
}

# A bare repository served by the upstream, receive-pack enabled.
new_upstream_repo() {
	local name=$1
	git init -q --bare "$WORK/upstream/$name.git"
	git -C "$WORK/upstream/$name.git" config http.receivepack true
	git -C "$WORK/upstream/$name.git" symbolic-ref HEAD refs/heads/main
}

start_upstream() {
	mkdir -p "$WORK/upstream" "$WORK/lighttpd"
	UP_PORT=$(free_port)
	local backend
	backend=$(git --exec-path)/git-http-backend
	cat > "$WORK/lighttpd/lighttpd.conf" <<CONF
server.document-root = "$WORK/upstream"
server.bind = "127.0.0.1"
server.port = $UP_PORT
server.modules = ("mod_alias", "mod_cgi", "mod_setenv")
server.errorlog = "$WORK/lighttpd/error.log"
server.stream-request-body = 0
server.max-request-size = 2097151
alias.url = ("/git/" => "$backend/")
\$HTTP["url"] =~ "^/git/" {
	cgi.assign = ("" => "")
	setenv.add-environment = ("GIT_PROJECT_ROOT" => "$WORK/upstream", "GIT_HTTP_EXPORT_ALL" => "1")
}
CONF
	lighttpd -D -f "$WORK/lighttpd/lighttpd.conf" &
	PIDS+=($!)
	wait_port "$UP_PORT" || fail "lighttpd did not start: $(cat "$WORK/lighttpd/error.log" 2>/dev/null)"
}

# start_sluice [extra serve args...]: sluice in front of the upstream.
start_sluice() {
	SL_PORT=$(free_port)
	DATA="$WORK/data"
	mkdir -p "$DATA"
	"$BIN" serve --data "$DATA" --listen "127.0.0.1:$SL_PORT" "$@" > "$WORK/sluice.log" 2>&1 &
	SL_PID=$!
	PIDS+=($SL_PID)
	# A first start imports and checks every bundled rule: slow in a
	# sanitizer build, so allow a minute.
	wait_port "$SL_PORT" 600 || fail "sluice serve did not start: $(cat "$WORK/sluice.log")"
	export GIT_SSL_CAINFO="$DATA/tls/cert.pem"
	GATE="https://localhost:$SL_PORT"
}

start_gate() {
	start_upstream
	start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" "$@"
}

git_user() {
	git -C "$1" config user.name "Dev Eloper"
	git -C "$1" config user.email dev@example.invalid
}

# A working clone of an upstream repository through the gate.
clone_through_gate() {
	local name=$1 dir=$2
	git clone -q "$GATE/$name.git" "$dir" 2>"$WORK/clone.err" || fail "clone $name: $(cat "$WORK/clone.err")"
	git_user "$dir"
}

# Everything a blocked push must leave untouched upstream.
upstream_state() {
	local repo="$WORK/upstream/$1.git"
	{
		git -C "$repo" for-each-ref --format='%(refname) %(objectname)'
		find "$repo/objects" -type f | sort
	}
}

# Wait (at most 30 s) until no backend process works in upstream repository
# $1 (receive-pack runs with the repository as its working directory) and no
# quarantine is there: an aborted push is judged by what the upstream ends
# up holding, not by a snapshot taken while the backend is still exiting.
upstream_settle() {
	local repo i p cwd busy
	repo=$(realpath "$WORK/upstream/$1.git")
	for i in $(seq 300); do
		busy=
		for p in /proc/[0-9]*; do
			cwd=$(readlink "$p/cwd" 2>/dev/null) || continue
			case "$cwd" in "$repo"|"$repo"/*) busy=1; break ;; esac
		done
		[ -z "$busy" ] && no_quarantine "$1" && return 0
		sleep 0.1
	done
	return 1
}

no_quarantine() {
	local repo="$WORK/upstream/$1.git"
	[ -z "$(find "$repo/objects" -maxdepth 1 -name 'tmp_objdir-incoming-*' -o -maxdepth 1 -name 'incoming-*' | head -1)" ]
}

# A synthetic GitHub token with a valid CRC-32/base62 checksum.
github_token() {
	python3 - "$1" <<'PY'
import random, sys, zlib
A = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
r = random.Random(int(sys.argv[1]))
body = "".join(r.choice(A) for _ in range(30))
c = zlib.crc32(body.encode())
enc = ""
for _ in range(6):
    enc = A[c % 62] + enc
    c //= 62
print("ghp_" + body + enc)
PY
}
