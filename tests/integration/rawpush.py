#!/usr/bin/env python3
"""A receive-pack client that can stop or pause in the middle of a push.

Real bytes: the pack comes from `git pack-objects`, the request is what git
sends (commands, flush, pack) over TLS with chunked framing.  Used where a
git client cannot be told to misbehave on cue:

  rawpush.py URL REPO_DIR REF abort     send half the pack, then drop the connection
  rawpush.py URL REPO_DIR REF pause FIFO
                                        send half, wait until FIFO has a line, send the
                                        rest; print the response body (pkt-lines) decoded
  rawpush.py URL REPO_DIR REF gzip      as JGit does: Content-Encoding: gzip with a
                                        Content-Length and Expect: 100-continue; waits for
                                        the interim 100 before sending the body
"""
import gzip, socket, ssl, subprocess, sys, urllib.parse, os

url, repo, ref, mode = sys.argv[1:5]
u = urllib.parse.urlsplit(url)
ctx = ssl.create_default_context(cafile=os.environ["GIT_SSL_CAINFO"])

def pkt(s):
    b = s if isinstance(s, bytes) else s.encode()
    return b"%04x" % (len(b) + 4) + b

new = subprocess.check_output(["git", "-C", repo, "rev-parse", ref]).decode().strip()
# What the server has: read from the advertisement.
conn = ctx.wrap_socket(socket.create_connection((u.hostname, u.port)), server_hostname=u.hostname)
conn.sendall(f"GET {u.path}/info/refs?service=git-receive-pack HTTP/1.1\r\nHost: {u.netloc}\r\nConnection: close\r\n\r\n".encode())
adv = b""
while True:
    d = conn.recv(65536)
    if not d:
        break
    adv += d
conn.close()
old = "0" * 40
for line in adv.split(b"\n"):
    if b"refs/heads/" in line:
        old = line[4:44].decode() if line[:4] != b"0000" else line[8:48].decode()
        break
pack = subprocess.run(["git", "-C", repo, "pack-objects", "--revs", "--stdout", "-q"],
                      input=f"{new}\n^{old}\n".encode() if old != "0" * 40 else f"{new}\n".encode(),
                      stdout=subprocess.PIPE, check=True).stdout
body = pkt(f"{old} {new} refs/heads/main\0 report-status side-band-64k agent=rawpush") + b"0000" + pack

def read_response(conn):
    resp = b""
    while True:
        d = conn.recv(65536)
        if not d:
            break
        resp += d
        head, _, body = resp.partition(b"\r\n\r\n")
        if b"Content-Length:" in head:
            n = int(head.split(b"Content-Length:")[1].split(b"\r\n")[0])
            if len(body) >= n:
                break
        if resp.endswith(b"0000") or b"\r\n0\r\n\r\n" in resp:
            break
    return resp

if mode == "gzip":
    z = gzip.compress(body)
    conn = ctx.wrap_socket(socket.create_connection((u.hostname, u.port)), server_hostname=u.hostname)
    conn.sendall((f"POST {u.path}/git-receive-pack HTTP/1.1\r\nHost: {u.netloc}\r\n"
                  "Content-Type: application/x-git-receive-pack-request\r\n"
                  "Accept: application/x-git-receive-pack-result\r\n"
                  "Content-Encoding: gzip\r\nExpect: 100-continue\r\n"
                  f"Content-Length: {len(z)}\r\n\r\n").encode())
    interim = conn.recv(4096)
    if not interim.startswith(b"HTTP/1.1 100"):
        print("no 100 Continue:", interim[:80])
        sys.exit(3)
    conn.sendall(z)
    sys.stdout.write(read_response(conn).decode("latin-1"))
    sys.exit(0)

conn = ctx.wrap_socket(socket.create_connection((u.hostname, u.port)), server_hostname=u.hostname)
conn.sendall((f"POST {u.path}/git-receive-pack HTTP/1.1\r\nHost: {u.netloc}\r\n"
              "Content-Type: application/x-git-receive-pack-request\r\n"
              "Accept: application/x-git-receive-pack-result\r\n"
              "Transfer-Encoding: chunked\r\n\r\n").encode())
def chunk(b):
    conn.sendall(b"%x\r\n" % len(b) + b + b"\r\n")
half = len(body) // 2
for i in range(0, half, 16384):
    chunk(body[i:min(i + 16384, half)])
if mode == "abort":
    conn.close()
    print("aborted after", half, "of", len(body), "bytes")
    sys.exit(0)
with open(sys.argv[5]) as f:   # blocks until the test writes a line
    f.readline()
# A real pause after the cue as well: the test may write the cue before this
# process reaches the FIFO, and the time-budget scenario needs the gap.
import time
time.sleep(1.2)
for i in range(half, len(body), 16384):
    chunk(body[i:i + 16384])
conn.sendall(b"0\r\n\r\n")
resp = b""
while True:
    d = conn.recv(65536)
    if not d:
        break
    resp += d
    if resp.endswith(b"0000") or b"\r\n0\r\n\r\n" in resp:
        break
sys.stdout.write(resp.decode("latin-1"))
