#!/usr/bin/env python3
"""craft.py - hand-built receive-pack requests: the attacker's side of the push gate.

Python 3 standard library only.  Library and CLI.

Objects and packs (gitformat-pack):
  oid(kind, data)                    git object id (SHA-1)
  tree([(mode, name, hexid)])        tree body in git's sort order
  commit_body(tree, parents, msg)    commit body with a fixed identity and date
  delta(base_size, result_size, ops) delta data; ops: ("copy", off, size), ("insert", b"..."),
                                     or raw bytes (any instruction, valid or not)
  Pack                               objects, OFS_DELTA / REF_DELTA with any delta, any
                                     object count in the header, good/bad/truncated/absent
                                     trailer, junk after it
Request bodies:
  pkt(), FLUSH, command_block()      commands, caps on any command, shallow lines,
                                     push options, push certificate, raw/garbage pkts
Senders (over TLS):
  Client.advert(repo)                refs of the receive-pack advertisement
  Client.post(repo, body, ...)       Content-Length, chunked (any chunk boundaries, chunk
                                     extensions, trailer section), gzip Content-Encoding,
                                     Expect: 100-continue, a pipelined second request,
                                     early EOF; returns a Reply (status, headers, decoded
                                     side-band and report-status lines)
Scenarios:
  build_case(name, ...)              the crafted pushes of tests/integration/test_gate_*.sh

CLI:
  craft.py push URL REPO CASE [--framing F] [--pad BYTES] [--thin-base FILE]
                [--expect100] [--pipeline] [--early-eof N] [--user U --password P]
                [--want applied|refused] [--json FILE]
  craft.py bombs URL REPO --pid P [--case C] [--n N] [--framing F]
                                     N concurrent bombs; samples VmRSS of P every 50 ms and times
                                     info/refs probes meanwhile; JSON figures on stdout
  craft.py slow URL REPO --n N [--body M] [--duration S] [--stop-file F]
                                     slow-loris: N connections sending one byte a second (half a
                                     ClientHello, half an HTTP head after TLS), M more dribbling a
                                     POST body; reconnect when dropped; JSON counts at the end
  craft.py matrix URL REPO --repo-dir D --audit F < list
                                     the crafted-push matrix of test_gate_crafted.sh
  craft.py cases                     list case names
Framings (--framing): cl, chunked, gzip, xgzip, gzip_chunked, cl_te, te_gzip_chunked, te_upper,
chunk_lf, chunk_overflow.  --pad N: a random (incompressible) blob of N bytes; negative: N bytes
of compressible text with the pack stored (zlib level 0).  The secret is an AWS key pair
(secret_file()); every commit's parent is the repository's current main.
"""
import argparse, base64, gzip, hashlib, json, os, random, socket, ssl, struct, subprocess, sys, threading
import time
import urllib.parse, zlib

ZERO = "0" * 40
FLUSH = b"0000"
TYPE = {"commit": 1, "tree": 2, "blob": 3, "tag": 4, "ofs": 6, "ref": 7}


# ---------------------------------------------------------------- objects

def oid(kind, data):
    return hashlib.sha1(b"%s %d\0" % (kind.encode(), len(data)) + data).hexdigest()


def tree(entries):
    """entries: (mode str, name str, hex id); sorted as git does (dirs as name + '/')."""
    def key(e):
        return e[1].encode() + (b"/" if e[0] in ("40000", "040000") else b"")
    return b"".join(b"%s %s\0" % (m.encode(), n.encode()) + bytes.fromhex(i)
                    for m, n, i in sorted(entries, key=key))


def commit_body(tree_id, parents, msg, when=1700000000):
    lines = ["tree " + tree_id] + ["parent " + p for p in parents if p and p != ZERO]
    ident = "Crafty Pusher <crafty@example.invalid> %d +0000" % when
    lines += ["author " + ident, "committer " + ident, "", msg]
    return ("\n".join(lines) + "\n").encode()


def varint(n):
    """Delta header size: little-endian 7-bit groups."""
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def copy_op(off, size):
    """A copy instruction; size 0x10000 is encoded as no size bytes."""
    cmd, out = 0x80, bytearray()
    for i in range(4):
        b = (off >> (8 * i)) & 0xFF
        if b:
            cmd |= 1 << i
            out.append(b)
    if size == 0x10000:
        size = 0
    for i in range(3):
        b = (size >> (8 * i)) & 0xFF
        if b:
            cmd |= 0x10 << i
            out.append(b)
    return bytes([cmd]) + bytes(out)


def insert_ops(data):
    out = bytearray()
    for i in range(0, len(data), 127):
        part = data[i:i + 127]
        out.append(len(part))
        out += part
    return bytes(out)


def delta(base_size, result_size, ops):
    out = bytearray(varint(base_size) + varint(result_size))
    for op in ops:
        if isinstance(op, (bytes, bytearray)):
            out += op
        elif op[0] == "copy":
            out += copy_op(op[1], op[2])
        elif op[0] == "insert":
            out += insert_ops(op[1])
        else:
            raise ValueError(op)
    return bytes(out)


def obj_header(t, size):
    b = (t << 4) | (size & 0x0F)
    size >>= 4
    out = bytearray()
    while size:
        out.append(b | 0x80)
        b = size & 0x7F
        size >>= 7
    out.append(b)
    return bytes(out)


def ofs_encode(ofs):
    out = [ofs & 0x7F]
    ofs >>= 7
    while ofs:
        ofs -= 1
        out.insert(0, 0x80 | (ofs & 0x7F))
        ofs >>= 7
    return bytes(out)


class Pack:
    """Objects appended in order; bytes() with any header count and trailer."""

    def __init__(self, level=6):
        self.parts, self.offsets, self.level = [], [], level
        self.pos = 12

    def _append(self, raw):
        self.offsets.append(self.pos)
        self.parts.append(raw)
        self.pos += len(raw)
        return len(self.parts) - 1

    def add(self, kind, data, declared=None):
        """A whole object; declared: size written in the header (default: the true size)."""
        size = len(data) if declared is None else declared
        return self._append(obj_header(TYPE[kind], size) + zlib.compress(data, self.level))

    def add_ofs_delta(self, base_index, delta_data, declared=None):
        size = len(delta_data) if declared is None else declared
        ofs = self.pos - self.offsets[base_index]
        return self._append(obj_header(6, size) + ofs_encode(ofs) + zlib.compress(delta_data, 9))

    def add_ref_delta(self, base_hex, delta_data, declared=None):
        size = len(delta_data) if declared is None else declared
        return self._append(obj_header(7, size) + bytes.fromhex(base_hex) + zlib.compress(delta_data, 9))

    def add_raw(self, raw):
        return self._append(raw)

    def bytes(self, count=None, trailer="good", junk=b"", version=2):
        body = b"PACK" + struct.pack(">II", version, len(self.parts) if count is None else count)
        body += b"".join(self.parts)
        good = hashlib.sha1(body).digest()
        if trailer == "good":
            t = good
        elif trailer == "bad":
            t = good[:-1] + bytes([good[-1] ^ 1])
        elif trailer == "none":
            t = b""
        elif isinstance(trailer, int):      # truncated to this many bytes
            t = good[:trailer]
        else:
            t = trailer
        return body + t + junk


# ---------------------------------------------------------------- command block

def pkt(s):
    b = s if isinstance(s, (bytes, bytearray)) else s.encode()
    return b"%04x" % (len(b) + 4) + b


CAPS = "report-status side-band-64k agent=craft/1"


def command_block(cmds, caps=CAPS, caps_on=0, shallow=(), push_options=None, extra=(), lf=True):
    """cmds: (old, new, ref).  caps go on command index caps_on (None: nowhere).
    extra: raw bytes inserted before the flush (garbage pkts, bad lengths)."""
    out = b"".join(pkt("shallow %s\n" % s) for s in shallow)
    for i, (old, new, ref) in enumerate(cmds):
        line = "%s %s %s" % (old, new, ref)
        if i == caps_on and caps is not None:
            line += "\0" + caps
        out += pkt(line + ("\n" if lf else ""))
    out += b"".join(extra) + FLUSH
    if push_options is not None:
        out += b"".join(pkt(o) for o in push_options) + FLUSH
    return out


def push_cert_block(cmds, caps=CAPS, pushee="https://localhost/repo.git"):
    """A signed push as send-pack writes it (the signature is fake)."""
    out = pkt(b"push-cert\0" + caps.encode() + b"\n")
    lines = ["certificate version 0.1", "pusher Crafty Pusher <crafty@example.invalid> 1700000000 +0000",
             "pushee " + pushee, "nonce 1700000000-deadbeef", ""]
    lines += ["%s %s %s" % c for c in cmds]
    lines += ["-----BEGIN PGP SIGNATURE-----", "", "iQEzBAABCAAdFiEEfakefakefakefakefakefakefakefakeFAKE=",
              "=FAKE", "-----END PGP SIGNATURE-----"]
    out += b"".join(pkt(l + "\n") for l in lines)
    out += pkt("push-cert-end\n") + FLUSH
    return out


# ---------------------------------------------------------------- content

# Words the gate's placeholder filter treats as "not a real secret"
# (core/match/validate.c): a random key that happens to spell one (seed 419
# gave AKIAIISXFAKE5RCAUE4S) is rightly not reported, so it is drawn again.
PLACEHOLDER_WORDS = ("example", "placeholder", "redacted", "changeme", "dummy", "sample", "fake",
                     "xxxx", "insert", "replaceme", "test", "true", "false", "null", "none", "nil",
                     "secret", "token", "string", "value", "password", "undefined")


def aws_secret(seed):
    r = random.Random(seed)
    while True:
        akid = "AKIA" + "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567") for _ in range(16))
        sk = "".join(r.choice("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/+")
                     for _ in range(40))
        if not any(w in (akid + " " + sk).lower() for w in PLACEHOLDER_WORDS):
            return akid, sk


def secret_file(seed):
    akid, sk = aws_secret(seed)
    return ("[default]\naws_access_key_id = %s\naws_secret_access_key = %s\nregion = eu-west-1\n"
            % (akid, sk)).encode()


def clean_file(nonce):
    return ("release notes %s\n- nothing secret here\n" % nonce).encode()


class Change:
    """A commit on top of `old`: tree = note.txt [+ pad.bin] [+ extra files]."""

    def __init__(self, old, nonce, pad=0, files=()):
        self.old, self.blobs, entries = old, [], []
        note = clean_file(nonce)
        self.blobs.append(note)
        entries.append(("100644", "note.txt", oid("blob", note)))
        self.level = 6
        if pad < 0:     # compressible text, and the pack stored (zlib level 0, as core.compression=0)
            n, i, lines = -pad, 0, []
            while n > 0:
                l = "%08d row of plain data for the padding table, nothing secret\n" % i
                lines.append(l)
                n -= len(l)
                i += 1
            padding = "".join(lines).encode()[:-pad]
            self.blobs.append(padding)
            entries.append(("100644", "pad.txt", oid("blob", padding)))
            self.level = 0
        elif pad:
            r = random.Random(nonce)
            padding = r.getrandbits(8 * pad).to_bytes(pad, "little")
            self.blobs.append(padding)
            entries.append(("100644", "pad.bin", oid("blob", padding)))
        for name, data, blob_id in files:     # blob_id given: the blob is not added
            if blob_id is None:
                self.blobs.append(data)
                blob_id = oid("blob", data)
            entries.append(("100644", name, blob_id))
        self.tree = tree(entries)
        self.tree_id = oid("tree", self.tree)
        self.commit = commit_body(self.tree_id, [old], "crafted %s" % nonce)
        self.new = oid("commit", self.commit)

    def pack(self, blobs=True):
        p = Pack(self.level)
        p.add("commit", self.commit)
        p.add("tree", self.tree)
        if blobs:
            for b in self.blobs:
                p.add("blob", b)
        return p


# ---------------------------------------------------------------- HTTP over TLS

class Reply:
    def __init__(self):
        self.status, self.reason, self.headers, self.body = 0, "", {}, b""
        self.report, self.remote, self.fatal, self.interim = [], [], [], []
        self.error, self.elapsed, self.second = None, 0.0, None

    def decode(self):
        ct = self.headers.get("content-type", "")
        if "x-git-receive-pack-result" not in ct:
            return
        inner = b""
        for p in pkt_lines(self.body):
            if p is None or not p:
                continue
            band = p[0]
            if band == 1:
                inner += p[1:]
            elif band == 2:
                self.remote.append(p[1:].decode("latin-1").rstrip("\n"))
            elif band == 3:
                self.fatal.append(p[1:].decode("latin-1").rstrip("\n"))
            else:       # no side-band: the report itself
                self.report.append(p.decode("latin-1").rstrip("\n"))
        if inner:
            for p in pkt_lines(inner):
                if p:
                    self.report.append(p.decode("latin-1").rstrip("\n"))

    def text(self):
        return self.body.decode("latin-1")

    def as_dict(self):
        return {"status": self.status, "reason": self.reason, "headers": self.headers,
                "report": self.report, "remote": self.remote, "fatal": self.fatal,
                "body": self.body[:2000].decode("latin-1"), "error": self.error,
                "elapsed": round(self.elapsed, 4), "interim": self.interim,
                "second": self.second.as_dict() if self.second else None}


def pkt_lines(data):
    """Pkt payloads (None for flush); stops at anything malformed."""
    i = 0
    while i + 4 <= len(data):
        try:
            n = int(data[i:i + 4], 16)
        except ValueError:
            return
        if n == 0:
            yield None
            i += 4
            continue
        if n < 4 or i + n > len(data):
            return
        yield data[i + 4:i + n]
        i += n


class Client:
    def __init__(self, url, cafile=None, user=None, password=None, timeout=30.0):
        u = urllib.parse.urlsplit(url)
        self.host, self.port = u.hostname, u.port or 443
        self.prefix = u.path.rstrip("/")
        self.netloc = u.netloc
        self.ctx = ssl.create_default_context(cafile=cafile or os.environ.get("GIT_SSL_CAINFO"))
        self.auth = None
        if user:
            self.auth = "Basic " + base64.b64encode(("%s:%s" % (user, password or "")).encode()).decode()
        self.timeout = timeout

    def connect(self):
        s = socket.create_connection((self.host, self.port), timeout=self.timeout)
        return self.ctx.wrap_socket(s, server_hostname=self.host)

    def head_lines(self, method, path, extra):
        h = ["%s %s HTTP/1.1" % (method, path), "Host: " + self.netloc]
        if self.auth:
            h.append("Authorization: " + self.auth)
        h += extra
        return ("\r\n".join(h) + "\r\n\r\n").encode()

    def get(self, path, close=True):
        t0 = time.monotonic()
        c = self.connect()
        try:
            c.sendall(self.head_lines("GET", self.prefix + path,
                                      ["Connection: close"] if close else []))
            r = read_reply(RecvBuf(c))
        finally:
            c.close()
        r.elapsed = time.monotonic() - t0
        return r

    def advert(self, repo):
        """(refs {name: id}, caps str, Reply) of info/refs?service=git-receive-pack."""
        r = self.get("/%s/info/refs?service=git-receive-pack" % repo)
        refs, caps, first = {}, "", True
        for p in pkt_lines(r.body):
            if not p or p.startswith(b"#"):
                continue
            line = p.rstrip(b"\n")
            if first and b"\0" in line:
                line, c = line.split(b"\0", 1)
                caps = c.decode()
            first = False
            ident, _, name = line.decode().partition(" ")
            if name != "capabilities^{}":
                refs[name] = ident
        return refs, caps, r

    def post_bytes(self, repo, body, framing="cl", chunk_seed=1):
        """One POST (Content-Length or chunked, keep-alive) as bytes."""
        hdr = ["Content-Type: application/x-git-receive-pack-request",
               "Accept: application/x-git-receive-pack-result"]
        if framing == "chunked":
            hdr.append("Transfer-Encoding: chunked")
            wire = chunked(body, chunk_seed, 8192, True, True)
        else:
            hdr.append("Content-Length: %d" % len(body))
            wire = body
        return self.head_lines("POST", "%s/%s/git-receive-pack" % (self.prefix, repo), hdr) + wire

    def post_series(self, repo, bodies, framing="cl", pipelined=False, between=None):
        """Several POSTs on one connection: each after the previous reply, or all at
        once (pipelined).  between(i) runs after reply i (not when pipelined).
        Returns the replies (a reply with .error when the connection ended early)."""
        replies = []
        c = self.connect()
        try:
            rb = RecvBuf(c)
            reqs = [self.post_bytes(repo, b, framing, i + 1) for i, b in enumerate(bodies)]
            if pipelined:
                c.sendall(b"".join(reqs))
            for i, req in enumerate(reqs):
                if not pipelined:
                    try:
                        c.sendall(req)
                    except OSError as e:
                        r = Reply()
                        r.error = "send: %s" % e
                        replies.append(r)
                        break
                r = read_reply(rb)
                replies.append(r)
                if r.error:
                    break
                if between and not pipelined:
                    between(i)
        finally:
            c.close()
        return replies

    def post(self, repo, body, framing="cl", expect100=False, chunk_seed=1, chunk_max=8192,
             chunk_ext=True, trailer_section=True, pipeline=False, early_eof=None, extra=(), path=None):
        """Send a receive-pack POST; returns a Reply.
        framing: cl, chunked or gzip (gzip + Content-Length).
        early_eof: stop after this many body bytes and shut down the write side."""
        t0 = time.monotonic()
        hdr = ["Content-Type: application/x-git-receive-pack-request",
               "Accept: application/x-git-receive-pack-result"] + list(extra)
        wire = body
        if framing == "gzip":
            wire = gzip.compress(body)
            hdr += ["Content-Encoding: gzip", "Content-Length: %d" % len(wire)]
        elif framing == "xgzip":        # http-backend inflates x-gzip as well
            wire = gzip.compress(body)
            hdr += ["Content-Encoding: x-gzip", "Content-Length: %d" % len(wire)]
        elif framing == "gzip_chunked":  # JGit's large pushes are chunked; gzip on top
            wire = chunked(gzip.compress(body), chunk_seed, chunk_max, chunk_ext, trailer_section)
            hdr += ["Content-Encoding: gzip", "Transfer-Encoding: chunked"]
        elif framing == "cl":
            hdr.append("Content-Length: %d" % len(wire))
        elif framing == "chunked":
            hdr.append("Transfer-Encoding: chunked")
            wire = chunked(body, chunk_seed, chunk_max, chunk_ext, trailer_section)
        elif framing == "cl_te":        # both: RFC 9112 6.3 says treat as an error
            wire = chunked(body, chunk_seed, chunk_max, chunk_ext, trailer_section)
            hdr += ["Content-Length: %d" % len(body), "Transfer-Encoding: chunked"]
        elif framing == "te_gzip_chunked":
            wire = chunked(gzip.compress(body), chunk_seed, chunk_max, chunk_ext, trailer_section)
            hdr.append("Transfer-Encoding: gzip, chunked")
        elif framing == "te_upper":
            wire = chunked(body, chunk_seed, chunk_max, chunk_ext, trailer_section)
            hdr.append("Transfer-Encoding: CHUNKED")
        elif framing == "chunk_lf":     # bare LF after each chunk size and chunk
            wire = chunked(body, chunk_seed, chunk_max, chunk_ext, trailer_section).replace(b"\r\n", b"\n")
            hdr.append("Transfer-Encoding: chunked")
        elif framing == "chunk_overflow":   # a chunk size that overflows 64 bits, then the body
            wire = b"1" + b"0" * 16 + b"%x\r\n" % len(body) + body + b"\r\n0\r\n\r\n"
            hdr.append("Transfer-Encoding: chunked")
        else:
            raise ValueError(framing)
        if expect100:
            hdr.append("Expect: 100-continue")
        reply = Reply()
        c = None
        try:
            c = self.connect()
            rb = RecvBuf(c)
            fmt = {"repo": repo, "name": repo[:-4] if repo.endswith(".git") else repo,
                   "netloc": self.netloc, "prefix": self.prefix}
            target = (self.prefix + path.format(**fmt) if path
                      else "%s/%s/git-receive-pack" % (self.prefix, repo))
            if path and path.startswith("https://"):     # absolute-form request target
                target = path.format(**fmt)
            c.sendall(self.head_lines("POST", target, hdr))
            if expect100:
                first = read_reply(rb, head_only=True)
                if first.status != 100:       # a final answer before the body
                    reply = first
                    read_body(rb, reply)
                    reply.decode()
                    reply.elapsed = time.monotonic() - t0
                    return reply
                reply.interim.append(100)
            if early_eof is not None:
                wire = wire[:early_eof]
            for i in range(0, len(wire), 65536):
                c.sendall(wire[i:i + 65536])
            if pipeline:
                c.sendall(self.head_lines("GET", "%s/%s/info/refs?service=git-upload-pack"
                                          % (self.prefix, repo), ["Connection: close"]))
            if early_eof is not None:
                c.shutdown(socket.SHUT_WR)
            r = read_reply(rb, interim=reply.interim)
            reply = r
            if pipeline and r.error is None:
                reply.second = read_reply(rb)
        except (OSError, ssl.SSLError) as e:
            reply.error = "%s: %s" % (type(e).__name__, e)
        finally:
            if c:
                c.close()
        reply.elapsed = time.monotonic() - t0
        return reply


def chunked(body, seed, chunk_max, ext, trailer_section):
    r = random.Random(seed)
    out, i = bytearray(), 0
    k = 0
    while i < len(body):
        if k < 24:          # the command block and pack header cut into tiny chunks
            n = r.randint(1, 13)
        else:
            n = r.randint(1, chunk_max) if r.random() < 0.9 else r.randint(1, 7)
        n = min(len(body) - i, n)
        k += 1
        out += b"%x" % n + (b";craft=%d" % i if ext and r.random() < 0.5 else b"") + b"\r\n"
        out += body[i:i + n] + b"\r\n"
        i += n
    out += b"0\r\n" + (b"X-Craft-Trailer: 1\r\n" if trailer_section else b"") + b"\r\n"
    return bytes(out)


class RecvBuf:
    def __init__(self, sock):
        self.sock, self.buf, self.eof = sock, b"", False

    def fill(self):
        if self.eof:
            return False
        d = self.sock.recv(65536)
        if not d:
            self.eof = True
            return False
        self.buf += d
        return True

    def line(self):
        while b"\r\n" not in self.buf:
            if not self.fill():
                raise EOFError("connection closed mid-line")
        l, _, self.buf = self.buf.partition(b"\r\n")
        return l

    def take(self, n):
        while len(self.buf) < n:
            if not self.fill():
                raise EOFError("connection closed mid-body")
        d, self.buf = self.buf[:n], self.buf[n:]
        return d


def read_reply(rb, head_only=False, interim=None):
    r = Reply()
    try:
        while True:
            status = rb.line()
            parts = status.decode("latin-1").split(" ", 2)
            r.status = int(parts[1])
            r.reason = parts[2] if len(parts) > 2 else ""
            r.headers = {}
            while True:
                l = rb.line()
                if not l:
                    break
                k, _, v = l.decode("latin-1").partition(":")
                r.headers[k.strip().lower()] = v.strip()
            if 100 <= r.status < 200 and not head_only:
                if interim is not None:
                    interim.append(r.status)
                r.interim.append(r.status)
                continue
            break
        if head_only:
            return r
        read_body(rb, r)
        r.decode()
    except (EOFError, OSError, ssl.SSLError, ValueError, IndexError) as e:
        r.error = "%s: %s" % (type(e).__name__, e)
    return r


def read_body(rb, r):
    te = r.headers.get("transfer-encoding", "").lower()
    if "chunked" in te:
        out = b""
        while True:
            n = int(rb.line().split(b";")[0], 16)
            if n == 0:
                while rb.line():
                    pass
                break
            out += rb.take(n)
            rb.take(2)
        r.body = out
    elif "content-length" in r.headers:
        r.body = rb.take(int(r.headers["content-length"]))
    else:
        while rb.fill():
            pass
        r.body, rb.buf = rb.buf, b""


# ---------------------------------------------------------------- verdict checks

def check_refused(reply, refs, any_4xx=False):
    """None if the client was told of a refusal properly, else what is wrong.
    refs: the refs of well-formed commands (each must get an ng line);
    None: the command block itself was malformed (no ng line required)."""
    if reply.error and not reply.status:
        return "no HTTP answer: " + reply.error
    if 400 <= reply.status < 500 and any_4xx:
        return None     # e.g. a path no backend serves: 404 from whoever answers
    if 400 <= reply.status < 500:
        if not reply.headers.get("content-type", "").startswith("text/plain"):
            return "HTTP %d with Content-Type %r (want text/plain)" % (
                reply.status, reply.headers.get("content-type"))
        t = reply.text().strip("\r\n")
        if not t or "\n" in t or len(t) > 300:
            return "HTTP %d without a one-line text reason: %r" % (reply.status, reply.body[:200])
        return None
    if reply.status != 200:
        return "HTTP %d %s (body %r)" % (reply.status, reply.reason, reply.body[:200])
    rep = reply.report
    unpack = [l for l in rep if l.startswith("unpack ")]
    ng = [l for l in rep if l.startswith("ng ")]
    oks = [l for l in rep if l.startswith("ok ")]
    if not unpack:
        return "200 without an unpack line; report %r, body %r" % (rep, reply.body[:300])
    if oks:
        return "refused push answered with ok lines: %r" % rep
    if unpack[0] == "unpack ok" and not ng:
        return "`unpack ok` with no ng line: %r" % rep
    for ref in refs or ():
        if not any(l.startswith("ng %s " % ref) for l in ng):
            return "no `ng %s <reason>` line: %r" % (ref, rep)
    return None


def check_applied(reply, ref):
    if reply.status != 200:
        return "HTTP %d %s %r %s" % (reply.status, reply.reason, reply.body[:300], reply.error or "")
    if "unpack ok" not in reply.report or ("ok " + ref) not in reply.report:
        return "report %r remote %r" % (reply.report, reply.remote)
    return None


# ---------------------------------------------------------------- scenarios

CASES = {
    "clean": "clean commit with its tree and blobs (must be applied)",
    "secret": "AWS key pair in a blob, well framed",
    "junk": "secret + 64 bytes after the pack trailer",
    "truncated": "secret + the trailer cut to 10 bytes",
    "twopacks": "a complete clean pack, then a second pack holding a secret blob",
    "count_more": "secret; header counts one object more than present (trailer valid)",
    "count_fewer": "header counts one object fewer; the uncounted last object is the secret blob",
    "thin": "REF_DELTA on an upstream blob (not in the pack) whose result holds the secret",
    "garbage_pkt": "secret; a garbage pkt-line after the command",
    "pkt_ffff": "secret; a pkt-line with length ffff after the command",
    "pkt_nonhex": "secret; a pkt-line with a non-hex length after the command",
    "pkt_upper": "secret; the command pkt length in uppercase hex",
    "pushcert": "secret; commands inside a push certificate",
    "dupref": "secret; the same ref updated twice",
    "caps2": "secret; capabilities on the second command only",
    "shallow": "secret; a shallow line before the commands",
    "delta_split": "secret assembled by copy ops from a shuffled base (OFS_DELTA); no secret in any stored object",
    "ref_forward": "REF_DELTA whose in-pack base comes after it; the result holds the secret",
    "tag_blob": "secret blob reachable only through an annotated tag (refs/tags/...)",
    "binary_secret": "secret in a blob that starts with a NUL (binary)",
    "nolf": "secret; command pkt-lines without the trailing LF",
    "pack_v3": "secret; pack header version 3 (git accepts 2 and 3)",
    "orphan_blob": "clean commit; the secret blob is in the pack but in no tree",
    "two_refs": "main gets a clean commit, a second new branch a commit with the secret",
    "deep_chain": "a 3000-deep OFS_DELTA chain (under git's 4095) whose last result holds the secret",
    "count_huge": "secret; header object count 0xffffffff",
    "size_overflow": "secret; an object header whose size varint runs past 64 bits",
    "ofs_bad": "secret; an OFS_DELTA whose offset points before the pack start",
    "body_bomb": "a 60 MiB pack (zlib level 0: stored) of zeros with the secret at the end; ~60 KB gzipped",
    "bomb1": "one OFS_DELTA on a 64 KiB base declaring 500 MiB (copy ops)",
    "bomb16": "16 OFS_DELTAs on one base, each declaring 500 MiB",
    "bomb_padded": "256 KiB incompressible blob first, then 16 OFS_DELTAs of 30 MiB each (480 MiB, under a 2048:1 ratio)",
    "bomb_padded_secret": "bomb_padded with the AWS key pair inserted at the end of the last delta's result",
}
MAIN = "refs/heads/main"
FRAMINGS = ("cl", "chunked", "gzip", "xgzip", "gzip_chunked", "cl_te", "te_gzip_chunked", "te_upper",
            "chunk_lf", "chunk_overflow")


_PREFIX = {}


def bomb_pack(old, nonce, deltas, declared=500 << 20, pad=0, secret=None):
    """Base: 64 KiB of one byte; each delta = declared/64KiB copies of the whole base
    plus one distinct inserted byte (the last delta: plus `secret`); the tree names
    every result so receive-pack would need them all.  pad: an incompressible blob
    first in the pack, so the pack is big enough for an expansion-ratio limit to let
    the deltas through.  Ids are computed from a shared hash prefix (state copied)."""
    base = b"\0" * 0x10000
    copies = (declared - 1) // 0x10000
    if copies not in _PREFIX:
        h = hashlib.sha1()
        chunk = base * 16
        left = copies * 0x10000
        while left:
            n = min(left, len(chunk))
            h.update(chunk[:n])
            left -= n
        _PREFIX[copies] = h
    files = [("base.bin", base, None)]
    tails = []
    for i in range(deltas):
        tail = bytes([0x41 + (i % 26)]) + (secret if secret and i == deltas - 1 else b"")
        size = copies * 0x10000 + len(tail)
        hh = hashlib.sha1(b"blob %d\0" % size)
        # sha1 has no way to prepend: hash header + prefix + tail the long way once per size
        if (size, "h") not in _PREFIX:
            h2 = hashlib.sha1(b"blob %d\0" % size)
            chunk = base * 16
            left = copies * 0x10000
            while left:
                n = min(left, len(chunk))
                h2.update(chunk[:n])
                left -= n
            _PREFIX[(size, "h")] = h2
        hh = _PREFIX[(size, "h")].copy()
        hh.update(tail)
        tails.append((tail, size))
        files.append(("bomb%02d.bin" % i, None, hh.hexdigest()))
    ch = Change(old, nonce, pad, files)
    p = Pack()
    if pad:                             # the pad first
        p.add("blob", ch.blobs[1])
    p.add("commit", ch.commit)
    p.add("tree", ch.tree)
    p.add("blob", ch.blobs[0])
    bi = p.add("blob", base)
    for tail, size in tails:
        p.add_ofs_delta(bi, delta(len(base), size, [b"\x80" * copies, ("insert", tail)]))
    return ch, p


def build_case(case, old, nonce, pad=0, thin_base=None, caps=CAPS):
    """(body bytes, refs that must get ng lines or None, {ref: new id})."""
    sec = secret_file(nonce)
    if case == "clean":
        ch = Change(old, nonce, pad)
        return command_block([(old, ch.new, MAIN)], caps) + ch.pack().bytes(), [MAIN], {MAIN: ch.new}
    if case == "twopacks":
        ch = Change(old, nonce, pad)
        second = Pack()
        second.add("blob", sec)
        body = command_block([(old, ch.new, MAIN)], caps) + ch.pack().bytes() + second.bytes()
        return body, [MAIN], {MAIN: ch.new}
    if case == "thin":
        if thin_base is None:
            raise SystemExit("thin needs --thin-base FILE (the content of a blob the upstream has)")
        result = thin_base + sec
        ch = Change(old, nonce, pad, [("aws.env", result, oid("blob", result))])
        p = ch.pack()
        p.add_ref_delta(oid("blob", thin_base),
                        delta(len(thin_base), len(result), [("copy", 0, len(thin_base)), ("insert", sec)]))
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case == "delta_split":
        # base: the secret file cut in 5-byte pieces, stored in reverse order
        pieces = [sec[i:i + 5] for i in range(0, len(sec), 5)]
        base = b"shuffled:" + b"".join(reversed(pieces))
        ops, pos = [], {}
        off = 9
        for j, pc in enumerate(reversed(pieces)):
            pos[len(pieces) - 1 - j] = off
            off += len(pc)
        ops = [("copy", pos[j], len(pieces[j])) for j in range(len(pieces))]
        ch = Change(old, nonce, pad, [("aws.env", sec, oid("blob", sec))])
        p = ch.pack()
        bi = p.add("blob", base)
        p.add_ofs_delta(bi, delta(len(base), len(sec), ops))
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case == "ref_forward":
        base = b"deploy settings\n" * 4
        ch = Change(old, nonce, pad, [("aws.env", base + sec, oid("blob", base + sec))])
        p = ch.pack()
        p.add_ref_delta(oid("blob", base), delta(len(base), len(base) + len(sec),
                                                 [("copy", 0, len(base)), ("insert", sec)]))
        p.add("blob", base)
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case == "tag_blob":
        tagref = "refs/tags/t-" + nonce
        tagbody = ("object %s\ntype blob\ntag t-%s\ntagger Crafty Pusher <crafty@example.invalid> "
                   "1700000000 +0000\n\nrelease keys\n" % (oid("blob", sec), nonce)).encode()
        p = Pack()
        p.add("tag", tagbody)
        p.add("blob", sec)
        return (command_block([(ZERO, oid("tag", tagbody), tagref)], caps) + p.bytes(), [tagref],
                {tagref: oid("tag", tagbody)})
    if case == "body_bomb":
        big = b"\0" * (60 << 20) + b"\n" + sec
        ch = Change(old, nonce, 0, [("big.bin", big, None)])
        p = Pack(level=0)
        p.add("commit", ch.commit)
        p.add("tree", ch.tree)
        for b in ch.blobs:
            p.add("blob", b)
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case == "orphan_blob":
        ch = Change(old, nonce, pad)
        p = ch.pack()
        p.add("blob", sec)
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case == "two_refs":
        ch = Change(old, nonce, pad)
        leak = Change(old, nonce + "-leak", 0, [("aws.env", sec, None)])
        side = "refs/heads/leak-" + nonce
        p = ch.pack()
        p.add("commit", leak.commit)
        p.add("tree", leak.tree)
        for b in leak.blobs:
            p.add("blob", b)
        return (command_block([(old, ch.new, MAIN), (ZERO, leak.new, side)], caps) + p.bytes(),
                [MAIN, side], {MAIN: ch.new})
    if case == "deep_chain":
        depth = 3000
        cur = b"chain start: nothing to see\n"
        final = cur + b"." * (depth - 1) + sec
        ch = Change(old, nonce, pad, [("aws.env", final, oid("blob", final))])
        p = ch.pack()
        prev = p.add("blob", cur)
        for k in range(depth):
            ins = sec if k == depth - 1 else b"."
            nxt = cur + ins
            prev = p.add_ofs_delta(prev, delta(len(cur), len(nxt), [("copy", 0, len(cur)), ("insert", ins)]))
            cur = nxt
        assert cur == final
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case in ("bomb1", "bomb16"):
        ch, p = bomb_pack(old, nonce, 1 if case == "bomb1" else 16)
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}
    if case in ("bomb_padded", "bomb_padded_secret"):
        ch, p = bomb_pack(old, nonce, 16, 30 << 20, pad or (256 << 10),
                          sec if case == "bomb_padded_secret" else None)
        return command_block([(old, ch.new, MAIN)], caps) + p.bytes(), [MAIN], {MAIN: ch.new}

    if case == "binary_secret":
        sec = b"\0\1\2binary header\0" + sec
    ch = Change(old, nonce, pad, [("aws.env", sec, None)])
    cmd = [(old, ch.new, MAIN)]
    pack = ch.pack()
    good = pack.bytes()
    refs = [MAIN]
    if case in ("secret", "binary_secret"):
        body = command_block(cmd, caps) + good
    elif case == "nolf":
        body = command_block(cmd, caps, lf=False) + good
    elif case == "pack_v3":
        body = command_block(cmd, caps) + pack.bytes(version=3)
    elif case == "count_huge":
        body = command_block(cmd, caps) + pack.bytes(count=0xFFFFFFFF)
    elif case == "size_overflow":
        pack.add_raw(bytes([0xB0]) + b"\xff" * 10 + b"\x01" + zlib.compress(b"x"))
        body = command_block(cmd, caps) + pack.bytes()
    elif case == "ofs_bad":
        pack.add_raw(obj_header(6, 8) + ofs_encode(pack.pos + 100) + zlib.compress(delta(1, 1, [("insert", b"x")])))
        body = command_block(cmd, caps) + pack.bytes()
    elif case == "junk":
        body = command_block(cmd, caps) + pack.bytes(junk=bytes(range(64)))
    elif case == "truncated":
        body = command_block(cmd, caps) + pack.bytes(trailer=10)
    elif case == "count_more":
        body = command_block(cmd, caps) + pack.bytes(count=len(pack.parts) + 1)
    elif case == "count_fewer":
        body = command_block(cmd, caps) + pack.bytes(count=len(pack.parts) - 1)
    elif case == "garbage_pkt":
        body = command_block(cmd, caps, extra=[pkt("this is not a command\n")]) + good
        refs = None
    elif case == "pkt_ffff":
        body = command_block(cmd, caps, extra=[b"ffff" + b"x" * 65531]) + good
        refs = None
    elif case == "pkt_nonhex":
        body = command_block(cmd, caps, extra=[b"00zg" + b"nonhex-length\n"]) + good
        refs = None
    elif case == "pkt_upper":
        block = command_block(cmd, caps)
        n = block[:4].decode()
        if n.upper() == n:          # no letter in the length: pad the caps until there is one
            block = command_block(cmd, caps + " agent-pad=" + "x" * ((16 - int(n, 16) % 16) + 10))
            n = block[:4].decode()
        body = n.upper().encode() + block[4:] + good
    elif case == "pushcert":     # the commands sit inside the certificate: none parsed as such
        body = push_cert_block(cmd, caps) + good
        refs = None
    elif case == "dupref":
        body = command_block(cmd + cmd, caps) + good
    elif case == "caps2":
        ch2 = Change(old, nonce + "-b", 0)
        cmd2 = [(ZERO, ch2.new, "refs/heads/side-" + nonce)] + cmd
        p = ch.pack()
        p.add("commit", ch2.commit)
        p.add("tree", ch2.tree)
        for b in ch2.blobs:
            p.add("blob", b)
        body = command_block(cmd2, caps, caps_on=1) + p.bytes()
        refs = [cmd2[0][2]]         # the second command is where parsing stops
    elif case == "shallow":
        body = command_block(cmd, caps, shallow=[old if old != ZERO else "1" * 40]) + good
    else:
        raise SystemExit("unknown case %s" % case)
    return body, refs, {MAIN: ch.new}


# ---------------------------------------------------------------- CLI: push

def cmd_push(a):
    cl = Client(a.url, user=a.user, password=a.password, timeout=a.timeout)
    refs, caps, adv = cl.advert(a.repo)
    if adv.status != 200:
        print("advertisement: HTTP %d %s" % (adv.status, adv.text()[:200]))
        return 2
    old = refs.get(MAIN, ZERO)
    nonce = a.nonce or "%s-%d-%d" % (a.case, os.getpid(), time.time_ns() % 10**9)
    thin = open(a.thin_base, "rb").read() if a.thin_base else None
    body, want_ng, new = build_case(a.case, old, nonce, a.pad, thin)
    if a.early_eof is not None and a.early_eof < 0:     # negative: that many bytes before the end
        a.early_eof = len(body) + a.early_eof
    reply = cl.post(a.repo, body, a.framing, expect100=a.expect100, chunk_seed=len(body),
                    pipeline=a.pipeline, early_eof=a.early_eof)
    out = reply.as_dict()
    out.update({"case": a.case, "framing": a.framing, "old": old, "new": new.get(MAIN),
                "body_bytes": len(body)})
    if a.json:
        with open(a.json, "w") as f:
            json.dump(out, f)
    summary = "HTTP %s %s; report %s; remote %d lines%s; %d B in %.2fs" % (
        reply.status, reply.reason, reply.report or reply.text()[:120].strip(), len(reply.remote),
        "; error " + reply.error if reply.error else "", len(body), reply.elapsed)
    if a.pipeline:
        s2 = reply.second
        summary += "; pipelined GET: %s" % ("HTTP %d %d B" % (s2.status, len(s2.body)) if s2 and s2.status
                                            else "no answer (%s)" % (s2.error if s2 else "-"))
    if a.print_new:
        print(new.get(MAIN))
    if a.want == "applied":
        why = check_applied(reply, MAIN)
    elif a.want == "refused":
        why = check_refused(reply, None if a.early_eof is not None else want_ng)
    else:
        why = None
    print(("client: " if why is None else "client WRONG: ") + (why or summary), file=sys.stderr)
    return 0 if why is None else 1


# ---------------------------------------------------------------- CLI: bombs

def cmd_bombs(a):
    """N concurrent bomb pushes; meanwhile VmRSS every 50 ms, info/refs probes on
    the same gate, and the WATCHDOG=1 datagrams of NOTIFY_SOCKET (a.notify_log).
    Prints one JSON object with every figure."""
    cl = Client(a.url, user=a.user, password=a.password, timeout=a.timeout)
    refs, _, adv = cl.advert(a.repo)
    old = refs.get(MAIN, ZERO)
    bodies = []
    for i in range(a.n):
        body, _, _ = build_case(a.case, old, "bomb-%d-%d" % (i, os.getpid()))
        bodies.append(body)
    stop = threading.Event()
    rss = []

    def sampler():
        while not stop.is_set():
            try:
                with open("/proc/%d/status" % a.pid) as f:
                    for l in f:
                        if l.startswith("VmRSS:"):
                            rss.append(int(l.split()[1]))
            except OSError:
                pass
            time.sleep(0.05)
    results = [None] * a.n
    sent = [threading.Event() for _ in range(a.n)]

    def bomber(i):
        results[i] = cl.post(a.repo, bodies[i], a.framing)
        sent[i].set()
    probes = []

    def prober():
        path = "/%s/info/refs?service=git-upload-pack" % a.repo
        while not stop.is_set():
            inflight = sum(not e.is_set() for e in sent)
            t0 = time.monotonic()
            r = cl.get(path)
            probes.append({"ms": round((time.monotonic() - t0) * 1000, 1), "status": r.status,
                           "bombs_in_flight_at_start": inflight, "error": r.error})
            if inflight == 0 and len(probes) >= 3:
                break
            time.sleep(0.1)
    ts = threading.Thread(target=sampler, daemon=True)
    ts.start()
    time.sleep(0.2)
    t0 = time.monotonic()
    th = [threading.Thread(target=bomber, args=(i,), daemon=True) for i in range(a.n)]
    for t in th:
        t.start()
    time.sleep(0.02)
    tp = threading.Thread(target=prober, daemon=True)
    tp.start()
    for t in th:
        t.join(a.timeout + 5)
    wall = time.monotonic() - t0
    tp.join(a.timeout)
    time.sleep(0.3)
    stop.set()
    ts.join(2)
    hwm = None
    try:
        with open("/proc/%d/status" % a.pid) as f:
            for l in f:
                if l.startswith("VmHWM:"):
                    hwm = int(l.split()[1])
    except OSError:
        pass
    out = {"bombs": [dict(r.as_dict(), refused=check_refused(r, [MAIN]), body_bytes=len(b))
                     if r else None for r, b in zip(results, bodies)],
           "wall_s": round(wall, 3), "rss_max_kb": max(rss) if rss else None, "rss_samples": len(rss),
           "hwm_kb": hwm, "probes": probes}
    print(json.dumps(out))
    return 0


# ---------------------------------------------------------------- CLI: slow

def client_hello(host):
    """The bytes of a real TLS ClientHello (from an SSLObject that never gets an answer)."""
    ctx = ssl.create_default_context()
    inc, outg = ssl.MemoryBIO(), ssl.MemoryBIO()
    o = ctx.wrap_bio(inc, outg, server_hostname=host)
    try:
        o.do_handshake()
    except ssl.SSLWantReadError:
        pass
    return outg.read()


def cmd_slow(a):
    """a.n connections sending one byte per second: half dribble a ClientHello, half
    finish TLS and dribble an HTTP request head.  A dropped connection is replaced
    (an attacker reconnects).  Runs until a.duration seconds pass or a.stop_file exists;
    writes a JSON summary to stdout at the end."""
    import selectors
    u = urllib.parse.urlsplit(a.url)
    host, port = u.hostname, u.port
    hello = client_hello(host)
    head = ("GET /%s/info/refs?service=git-upload-pack HTTP/1.1\r\nHost: %s\r\nX-Slow: %s\r\n\r\n"
            % (a.repo, u.netloc, "s" * 200)).encode()
    # body dribblers: a complete POST head at once, then the body one byte a second
    post_head = ("POST /%s/git-receive-pack HTTP/1.1\r\nHost: %s\r\n"
                 "Content-Type: application/x-git-receive-pack-request\r\nContent-Length: 100000\r\n\r\n"
                 % (a.repo, u.netloc)).encode()
    post_body = pkt("%s %s refs/heads/main\0report-status" % ("1" * 40, "2" * 40)) + FLUSH + b"PACK" + b"\0" * 200
    ctx = ssl.create_default_context(cafile=os.environ.get("GIT_SSL_CAINFO"))
    stats = {"opened": 0, "closed_by_gate": 0, "connect_errors": 0, "tls_done": 0,
             "tls_failed": 0, "bytes_dribbled": 0, "answers": 0}
    lock = threading.Lock()
    end = time.monotonic() + a.duration

    def done():
        return time.monotonic() > end or (a.stop_file and os.path.exists(a.stop_file))

    def bump(k):
        with lock:
            stats[k] += 1

    def worker(kind, idx):
        time.sleep(idx * 0.01)
        while not done():
            try:
                s = socket.create_connection((host, port), timeout=10)
            except OSError:
                bump("connect_errors")
                time.sleep(0.5)
                continue
            bump("opened")
            try:
                if kind == "hello":
                    data, conn = hello, s
                elif kind == "body":
                    s.settimeout(30)
                    try:
                        conn = ctx.wrap_socket(s, server_hostname=host)
                    except (OSError, ssl.SSLError):
                        bump("tls_failed")
                        s.close()
                        time.sleep(0.5)
                        continue
                    bump("tls_done")
                    conn.sendall(post_head)
                    data = post_body
                else:
                    s.settimeout(30)
                    try:
                        conn = ctx.wrap_socket(s, server_hostname=host)
                    except (OSError, ssl.SSLError):
                        bump("tls_failed")
                        s.close()
                        time.sleep(0.5)
                        continue
                    bump("tls_done")
                    data = head
                i = 0
                while not done() and i < len(data):
                    conn.sendall(data[i:i + 1])
                    i += 1
                    bump("bytes_dribbled")
                    t1 = time.monotonic() + 1.0
                    while not done():
                        left = t1 - time.monotonic()
                        if left <= 0:
                            break
                        conn.settimeout(left)
                        try:
                            d = conn.recv(4096)
                        except (socket.timeout, ssl.SSLWantReadError):
                            continue
                        if not d:
                            raise ConnectionResetError("closed")
                        bump("answers")
                while not done():       # everything sent: wait to be answered or closed
                    conn.settimeout(1.0)
                    try:
                        if not conn.recv(4096):
                            raise ConnectionResetError("closed")
                    except (socket.timeout, ssl.SSLWantReadError):
                        pass
                conn.close()
                return
            except (OSError, ssl.SSLError):
                bump("closed_by_gate")
                try:
                    s.close()
                except OSError:
                    pass
                time.sleep(0.2)     # reconnect, but not in a hot loop
    kinds = ["hello" if i % 2 == 0 else "head" for i in range(a.n)] + ["body"] * a.body
    th = [threading.Thread(target=worker, args=(k, i), daemon=True) for i, k in enumerate(kinds)]
    for t in th:
        t.start()
    while not done():
        time.sleep(0.2)
    for t in th:
        t.join(3)
    print(json.dumps(stats))
    return 0


# ---------------------------------------------------------------- CLI: matrix

# Reason ids the audit record may carry for each refused case (the strongest
# problem of a push with several is the gate's choice).
REASONS = {
    "secret": {"SECRET_FOUND"},
    "junk": {"TRAILING_BYTES", "SECRET_FOUND"},
    "truncated": {"PACK_CORRUPT", "SECRET_FOUND"},
    "twopacks": {"TRAILING_BYTES", "SECRET_FOUND"},
    "count_more": {"PACK_CORRUPT", "SECRET_FOUND"},
    "count_fewer": {"PACK_CORRUPT", "TRAILING_BYTES", "SECRET_FOUND"},
    "thin": {"THIN_BASE_MISSING", "SECRET_FOUND"},
    "garbage_pkt": {"PARSE_UNKNOWN"},
    "pkt_ffff": {"PARSE_UNKNOWN", "LIMIT_COMMANDS"},
    "pkt_nonhex": {"PARSE_UNKNOWN"},
    "pkt_upper": {"SECRET_FOUND", "PARSE_UNKNOWN"},
    "pushcert": {"SIGNED_PUSH", "PARSE_UNKNOWN"},
    "dupref": {"SECRET_FOUND", "PARSE_UNKNOWN"},
    "caps2": {"SECRET_FOUND", "PARSE_UNKNOWN"},
    "shallow": {"SECRET_FOUND", "PARSE_UNKNOWN"},
    "delta_split": {"SECRET_FOUND"},
    "ref_forward": {"SECRET_FOUND"},
    "tag_blob": {"SECRET_FOUND"},
    "binary_secret": {"SECRET_FOUND"},
    "nolf": {"SECRET_FOUND"},
    "pack_v3": {"SECRET_FOUND", "PACK_CORRUPT"},
    "orphan_blob": {"SECRET_FOUND"},
    "two_refs": {"SECRET_FOUND"},
    "deep_chain": {"SECRET_FOUND"},
    "count_huge": {"LIMIT_OBJECTS", "PACK_CORRUPT", "SECRET_FOUND"},
    "size_overflow": {"PACK_CORRUPT", "LIMIT_OBJECT_SIZE", "SECRET_FOUND"},
    "ofs_bad": {"PACK_CORRUPT", "SECRET_FOUND"},
}
# Framing aliases of the matrix: craft framing and pad size.
SHAPES = {"held": ("cl", 2000), "streamed": ("cl", 1200 * 1024), "chunked": ("chunked", 300000),
          # gzip above hold_whole_max on the wire (random pad), and gzip held on the wire
          # (~0.3 MiB) that decodes to a 3 MiB pack (stored zlib, compressible pad)
          "gzip_big": ("gzip", 1200 * 1024), "gzip_stored": ("gzip", -(3 << 20))}

# Content-Length bodies of exactly hold_whole_max (1 MiB, held whole) and one byte more (streamed).
EXACT = {"cl_max": 1 << 20, "cl_max1": (1 << 20) + 1}
SHAPES.update({"cl_max": ("cl", 0), "cl_max1": ("cl", 0)})


def build_exact(case, old, nonce, target, thin=None):
    """build_case with a body of exactly `target` bytes: the random pad sized to come
    close, then the agent capability lengthened by the rest (pkt length exact)."""
    pad = target - 4000
    for _ in range(8):
        body, ng, new = build_case(case, old, nonce, pad, thin)
        d = target - len(body)
        if 0 <= d < 400:
            break
        pad += d - 200
    return build_case(case, old, nonce, pad, thin, caps=CAPS + "x" * d) if d else (body, ng, new)


def repo_state(d):
    refs = subprocess.run(["git", "-C", d, "for-each-ref", "--format=%(refname) %(objectname)"],
                          capture_output=True, text=True).stdout.splitlines()
    files = sorted(os.path.join(r, f) for r, _, fs in os.walk(os.path.join(d, "objects")) for f in fs)
    return refs + files


def quarantine(d):
    o = os.path.join(d, "objects")
    return [x for x in os.listdir(o) if x.startswith("tmp_objdir-incoming-") or x.startswith("incoming-")]


def backend_busy(d):
    """True while a process works inside repository d (git receive-pack runs
    with the repository as its working directory, in embedded mode and under
    lighttpd alike): its quarantine may not exist yet or not be removed yet."""
    d = os.path.realpath(d)
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            cwd = os.readlink("/proc/%s/cwd" % pid)
        except OSError:
            continue
        if cwd == d or cwd.startswith(d + "/"):
            return True
    return False


def settle(d, q_before, timeout=30.0):
    """Wait until the upstream has finished with a push (no backend process in
    d and no new quarantine), so what is compared is what it ends up holding."""
    end = time.time() + timeout
    while time.time() < end:
        if not backend_busy(d) and not set(quarantine(d)) - q_before:
            return True
        time.sleep(0.1)
    return False


def audit_lines(path):
    try:
        with open(path) as f:
            return f.read().splitlines()
    except OSError:
        return []


def cmd_matrix(a):
    """Each stdin line: `LABEL-PREFIX SHAPE CASE [--expect100] [--pipeline] [--early-eof N]
    [--http-level]`; SHAPE is held/streamed/chunked or a craft framing (pad 2000).
    Runs the push and prints tab-separated `ok|FAIL<TAB>label: detail` lines:
    upstream refs and object files unchanged, no quarantine, the client told,
    the audit record (clean: applied, the ref moved, audit allow)."""
    import shlex
    cl = Client(a.url, user=a.user, password=a.password, timeout=a.timeout)
    thin = open(a.thin_base, "rb").read() if a.thin_base else None

    def say(good, msg):
        print("%s\t%s" % ("ok" if good else "FAIL", msg), flush=True)

    for line in sys.stdin:
        w = shlex.split(line)
        if not w or w[0].startswith("#"):
            continue
        prefix, shape, case, flags = w[0], w[1], w[2], w[3:]
        framing, pad = SHAPES.get(shape, (shape, 2000))
        expect100, pipeline = "--expect100" in flags, "--pipeline" in flags
        http_level = "--http-level" in flags
        early = int(flags[flags.index("--early-eof") + 1]) if "--early-eof" in flags else None
        label = "%s/%s/%s%s" % (prefix, shape, case, (" " + " ".join(flags)) if flags else "")
        path = None
        for f in flags:
            if f.startswith("--path="):
                path = f[len("--path="):]
        refs, _, adv = cl.advert(a.repo)
        if adv.status != 200:
            say(False, "%s: advertisement HTTP %d %s" % (label, adv.status, adv.text()[:100]))
            continue
        old = refs.get(MAIN, ZERO)
        nonce = "%s-%s-%d" % (case, shape, time.time_ns() % 10**12)
        if shape in EXACT:
            body, want_ng, new = build_exact(case, old, nonce, EXACT[shape], thin)
            if len(body) != EXACT[shape]:
                say(False, "%s: could not build a body of exactly %d bytes (%d)" % (label, EXACT[shape], len(body)))
                continue
        else:
            body, want_ng, new = build_case(case, old, nonce, pad, thin)
        if early is not None and early < 0:
            early = len(body) + early
        series = "--after-clean" in flags or "--pipelined-after-clean" in flags
        if series:
            # A clean push, then this one on the same keep-alive connection
            # (after the first reply, or pipelined right behind it).
            pipelined = "--pipelined-after-clean" in flags
            cbody, _, cnew = build_case("clean", old, nonce + "-c", pad, thin)
            body, want_ng, new = build_case(case, cnew[MAIN], nonce, pad, thin)
            snap = {}

            def between(i):
                if i == 0:
                    snap["before"] = repo_state(a.repo_dir)
                    snap["n"] = len(audit_lines(a.audit))
            q_before = set(quarantine(a.repo_dir))
            n0 = len(audit_lines(a.audit))
            rs = cl.post_series(a.repo, [cbody, body], framing, pipelined, between)
            if not settle(a.repo_dir, q_before):
                say(False, "%s: the upstream backend still busy 30 s after the pushes" % label)
            first = rs[0]
            why = check_applied(first, MAIN)
            say(why is None, "%s: first (clean) push on the connection applied" % label if why is None
                else "%s: first (clean) push: %s" % (label, why))
            after = repo_state(a.repo_dir)
            ref_now = [x.split(" ")[1] for x in after if x.startswith(MAIN + " ")]
            say(ref_now == [cnew[MAIN]], "%s: ref is the clean commit" % label if ref_now == [cnew[MAIN]]
                else "%s: ref is %s; clean %s, second %s" % (label, ref_now, cnew[MAIN], new[MAIN]))
            sid = oid("blob", secret_file(nonce))
            has = subprocess.run(["git", "-C", a.repo_dir, "cat-file", "-e", sid], capture_output=True).returncode == 0
            say(not has, "%s: the secret blob is not upstream" % label if not has
                else "%s: the secret blob %s IS upstream" % (label, sid))
            if "before" in snap:
                say(after == snap["before"], "%s: second push left refs and objects unchanged" % label
                    if after == snap["before"] else "%s: second push changed the repository" % label)
            if len(rs) > 1 and rs[1].status:
                why = check_refused(rs[1], want_ng)
                say(why is None, "%s: second push refused (%s)" % (label, rs[1].report or rs[1].status)
                    if why is None else "%s: second push: %s" % (label, why))
            else:
                print("info\t%s: the gate ended the connection before a second answer (%s)"
                      % (label, rs[-1].error if rs else "-"), flush=True)
            recs = [json.loads(l) for l in audit_lines(a.audit)[n0:] if l.startswith("{")]
            verdicts = [(x.get("verdict"), x.get("reason")) for x in recs]
            answered = len(rs) > 1 and rs[1].status
            if answered:
                good = len(recs) == 2 and recs[0].get("verdict") == "allow" and recs[1].get("verdict") == "reject"
            else:       # a second push never read may leave no record, but never an allow
                good = len(recs) >= 1 and recs[0].get("verdict") == "allow" and \
                    all(x.get("verdict") == "reject" for x in recs[1:])
            say(good, "%s: audit %s" % (label, verdicts) if good
                else "%s: audit records %s, want allow then reject" % (label, verdicts))
            q = sorted(set(quarantine(a.repo_dir)) - q_before)
            say(not q, "%s: no quarantine directory" % label if not q else "%s: quarantine left: %s" % (label, q))
            continue
        before, n_audit = repo_state(a.repo_dir), len(audit_lines(a.audit))
        q_before = set(quarantine(a.repo_dir))     # left by an earlier push: reported there
        r = cl.post(a.repo, body, framing, expect100=expect100, chunk_seed=len(body), pipeline=pipeline,
                    early_eof=early, path=path)
        summary = "HTTP %s; report %s; remote %d lines%s; %d B in %.2fs" % (
            r.status, r.report or r.text()[:100].strip(), len(r.remote),
            "; error " + r.error if r.error else "", len(body), r.elapsed)
        if pipeline:
            s2 = r.second
            summary += "; pipelined GET: %s" % ("HTTP %d" % s2.status if s2 and s2.status
                                                else "no answer (%s)" % (s2.error if s2 else "-"))
        # A body cut short: the backend may still be reading or exiting (slow
        # under ASan); compare what the upstream holds once it is done.
        if not settle(a.repo_dir, q_before):
            say(False, "%s: the upstream backend still busy 30 s after the push" % label)
        after = repo_state(a.repo_dir)
        time.sleep(0.05)
        recs = []
        for l in audit_lines(a.audit)[n_audit:]:
            try:
                recs.append(json.loads(l))
            except ValueError:
                recs.append({"verdict": "unparsable", "reason": l[:60]})
        rec = recs[-1] if recs else None
        if case == "clean":
            why = check_applied(r, MAIN)
            say(why is None, "%s: client told ok (%s)" % (label, summary) if why is None else "%s: %s" % (label, why))
            ref_now = [x.split(" ")[1] for x in after if x.startswith(MAIN + " ")]
            say(ref_now == [new[MAIN]], "%s: ref moved to the crafted commit" % label if ref_now == [new[MAIN]]
                else "%s: ref is %s, crafted %s" % (label, ref_now, new[MAIN]))
            v = rec and rec.get("verdict")
            say(v in ("allow", "audit", "warn"), "%s: audit %s" % (label, rec and (v, rec.get("reason"))))
            continue
        if after == before:
            say(True, "%s: upstream refs and objects unchanged" % label)
        else:
            diff = [("-" + x) for x in before if x not in after] + [("+" + x) for x in after if x not in before]
            say(False, "%s: upstream changed: %s" % (label, " ".join(diff[:5])))
        q = sorted(set(quarantine(a.repo_dir)) - q_before)
        say(not q, "%s: no quarantine directory" % label if not q else "%s: quarantine left: %s" % (label, q))
        if early is not None:
            print("info\t%s: (early EOF; the client saw: %s)" % (label, summary), flush=True)
            continue
        why = check_refused(r, want_ng, any_4xx=path is not None)
        say(why is None, "%s: client told (%s)" % (label, summary) if why is None else "%s: %s" % (label, why))
        want = REASONS.get(case, set())
        if rec is None and http_level:
            say(400 <= r.status < 500, "%s: refused at the HTTP layer (%d), no push verdict" % (label, r.status)
                if 400 <= r.status < 500 else "%s: no audit record and HTTP %d" % (label, r.status))
        elif rec is None:
            say(False, "%s: no audit record (client: %s)" % (label, summary))
        else:
            good = rec.get("verdict") == "reject" and rec.get("reason") in want
            say(good, "%s: audit reject %s" % (label, rec.get("reason")) if good else
                "%s: audit says '%s %s', want reject with one of %s (client: %s)" % (
                    label, rec.get("verdict"), rec.get("reason"), sorted(want), summary))
            # The developer sees the gate's reason, not the backend's reaction
            # to a corrupted pack ("unpacker error").
            reason = rec.get("reason") or "?"
            if r.status == 200:
                shown = [l for l in r.report if l.startswith("unpack ") or l.startswith("ng ")]
                good = any(reason in l or (reason == "SECRET_FOUND" and "finding" in l) for l in shown)
                say(good, "%s: the client is shown the gate's reason %s" % (label, reason) if good else
                    "%s: the client is not shown the gate's reason %s: %r" % (label, reason, r.report))
    return 0


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    for name in ("push", "bombs", "slow", "matrix"):
        p = sub.add_parser(name)
        p.add_argument("url")
        p.add_argument("repo")
        p.add_argument("--user")
        p.add_argument("--password")
        p.add_argument("--timeout", type=float, default=60)
        p.add_argument("--framing", default="cl", choices=FRAMINGS)
        if name == "push":
            p.add_argument("case", choices=sorted(CASES))
            p.add_argument("--pad", type=int, default=0, help="random blob of this many bytes")
            p.add_argument("--thin-base")
            p.add_argument("--nonce")
            p.add_argument("--expect100", action="store_true")
            p.add_argument("--pipeline", action="store_true")
            p.add_argument("--early-eof", type=int)
            p.add_argument("--want", choices=("applied", "refused", "any"), default="any")
            p.add_argument("--json")
            p.add_argument("--print-new", action="store_true")
        elif name == "bombs":
            p.add_argument("--case", default="bomb16")
            p.add_argument("--n", type=int, default=4)
            p.add_argument("--pid", type=int, required=True)
        elif name == "matrix":
            p.add_argument("--repo-dir", required=True)
            p.add_argument("--audit", required=True)
            p.add_argument("--thin-base")
        else:
            p.add_argument("--n", type=int, default=200)
            p.add_argument("--body", type=int, default=0, help="extra connections dribbling a POST body")
            p.add_argument("--duration", type=float, default=60)
            p.add_argument("--stop-file")
    sub.add_parser("cases")
    a = ap.parse_args()
    if a.cmd == "cases":
        for k, v in CASES.items():
            print("%-12s %s" % (k, v))
        return 0
    return {"push": cmd_push, "bombs": cmd_bombs, "slow": cmd_slow, "matrix": cmd_matrix}[a.cmd](a)


if __name__ == "__main__":
    sys.exit(main())
