#!/usr/bin/env bash
# Head deadlines and kept-alive connections.  git keeps its connection
# open between the advertisement GET and the push POST while it builds the
# pack, which can take longer than the head deadline on a busy client:
# that wait is idle time (idle_timeout_ms), and the head deadline starts
# with the next request's first byte.  A head that trickles in after that
# byte, or a first request that never completes, is still cut.
. "$(dirname "$0")/lib.sh"

start_gate --set request_head_timeout_ms=2000 --set handshake_timeout_ms=1000
new_upstream_repo app
python3 - "$SL_PORT" "$GIT_SSL_CAINFO" > "$WORK/ka.out" 2>&1 <<'PY' || fail "keep-alive probe: $(cat "$WORK/ka.out")"
import socket, ssl, sys, time
port, ca = int(sys.argv[1]), sys.argv[2]
ctx = ssl.create_default_context(cafile=ca)

def conn():
    return ctx.wrap_socket(socket.create_connection(("127.0.0.1", port)), server_hostname="localhost")

def get(s):
    s.sendall(b"GET /app.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: localhost\r\n\r\n")
    data = b""
    while b"\r\n\r\n" not in data:
        d = s.recv(65536)
        if not d:
            return None
        data += d
    head, _, body = data.partition(b"\r\n\r\n")
    n = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
    while len(body) < n:
        body += s.recv(65536)
    return head.split(b"\r\n")[0].decode()

# 1. idle 3.5 s (past the 2 s head deadline) between two requests: served.
s = conn()
print("first:", get(s))
time.sleep(3.5)
second = get(s)
print("second after 3.5 s idle:", second)
assert second and " 200 " in second, second

# 2. after that, a head trickled one byte per 0.5 s is cut about 2 s after its first byte.
req = b"GET /app.git/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: localhost\r\n\r\n"
t0 = time.time()
answer = b""
try:
    for b in req:
        s.sendall(bytes([b]))
        time.sleep(0.5)
        s.settimeout(0.01)
        try:
            d = s.recv(4096)
            if d:
                answer += d
                break
            break
        except (socket.timeout, ssl.SSLWantReadError):
            pass
        finally:
            s.settimeout(None)
except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
    pass
took = time.time() - t0
print("trickled head answered after %.1f s: %r" % (took, answer[:40]))
assert b"408" in answer or answer == b"", answer
assert took < 6, took

# 3. a fresh connection that never finishes its handshake is closed.
raw = socket.create_connection(("127.0.0.1", port))
raw.sendall(b"\x16\x03\x01")
raw.settimeout(5)
t0 = time.time()
try:
    got = raw.recv(10)
except (ConnectionResetError, socket.timeout):
    got = b""
print("half handshake closed after %.1f s (%r)" % (time.time() - t0, got))
assert time.time() - t0 < 4, "not closed"
PY
grep -q "second after 3.5 s idle: HTTP/1.1 200" "$WORK/ka.out" || fail "idle keep-alive cut: $(cat "$WORK/ka.out")"
ok "a kept-alive connection idle past the head deadline still serves its next request"
ok "a trickled head on a kept-alive connection is cut ($(grep trickled "$WORK/ka.out"))"
ok "a handshake that never finishes is closed ($(grep 'half handshake' "$WORK/ka.out"))"
done_tests
