#!/usr/bin/env bash
# Clean pushes go through and are applied: a large chunked push (over
# 50 MB, with history and deltas), a multi-ref push, an atomic push, a
# delete-only push; clone and fetch work through the gate.
. "$(dirname "$0")/lib.sh"

start_gate
new_upstream_repo big
git init -q -b main "$WORK/w"
git_user "$WORK/w"
git -C "$WORK/w" remote add origin "$GATE/big.git"

# History with deltas: text files edited over several commits, plus
# incompressible bulk so the pack itself is over 50 MB.
python3 - "$WORK/w" <<'PY'
import os, random, subprocess, sys
w = sys.argv[1]
r = random.Random(11)
words = ["alpha", "beta", "gamma", "delta", "config", "server", "value", "index", "table", "query"]
os.makedirs(os.path.join(w, "src"), exist_ok=True)
os.makedirs(os.path.join(w, "assets"), exist_ok=True)
for n in range(6):
    for i in range(20):
        path = os.path.join(w, "src", f"module{i}.py")
        lines = []
        if os.path.exists(path):
            lines = open(path).read().splitlines()
        for _ in range(400):
            lines.insert(r.randrange(len(lines) + 1),
                         "    " + " ".join(r.choice(words) for _ in range(8)) + f"  # {r.getrandbits(40):x}")
        open(path, "w").write("\n".join(lines) + "\n")
    with open(os.path.join(w, "assets", f"blob{n}.bin"), "wb") as f:
        f.write(os.urandom(9 * 1024 * 1024))
    subprocess.run(["git", "-C", w, "add", "-A"], check=True)
    subprocess.run(["git", "-C", w, "commit", "-qm", f"revision {n}"], check=True)
PY
git -C "$WORK/w" count-objects -vH > /dev/null
set +e
GIT_TRACE_PACKET=0 git -C "$WORK/w" push origin main > "$WORK/push.out" 2>&1
rc=$?
set -e
[ "$rc" = 0 ] || fail "large clean push: $(tail -5 "$WORK/push.out")"
[ "$(git -C "$WORK/upstream/big.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] ||
	fail "upstream main is not the pushed commit"
git -C "$WORK/upstream/big.git" fsck --no-progress > /dev/null 2>&1 || fail "upstream repository fails fsck"
grep -q "streamed, [0-9]* body bytes" "$WORK/sluice.log" || fail "the large push was not streamed"
bytes=$(grep -o "streamed, [0-9]* body bytes" "$WORK/sluice.log" | tail -1 | grep -o "[0-9]*")
[ "$bytes" -gt 52428800 ] || fail "push body only $bytes bytes, want over 50 MB"
ok "large chunked push ($bytes bytes) accepted and applied"

# Clone and fetch through the gate.
git clone -q "$GATE/big.git" "$WORK/c" || fail "clone through the gate"
[ "$(git -C "$WORK/c" rev-parse HEAD)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "cloned HEAD"
echo "more" >> "$WORK/w/src/module1.py"
git -C "$WORK/w" commit -qam "one more"
git -C "$WORK/w" push -q origin main || fail "small clean push"
git -C "$WORK/c" fetch -q origin || fail "fetch through the gate"
[ "$(git -C "$WORK/c" rev-parse origin/main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "fetched ref"
git -C "$WORK/c" -c protocol.version=2 fetch -q origin || fail "protocol v2 fetch through the gate"
ok "clone, fetch and protocol v2 fetch through the gate"

# Bodies between the connection's read buffer (256 KiB) and the hold
# limit (1 MiB) are held whole: the gate must keep reading past its
# buffer size.
for kb in 300 700 1000; do
	head -c $((kb * 1024)) /dev/urandom | base64 -w 76 > "$WORK/w/mid$kb.txt"
	git -C "$WORK/w" add -A
	git -C "$WORK/w" commit -qm "mid $kb"
	timeout 60 git -C "$WORK/w" push -q origin main || fail "push of a ${kb} KiB file"
done
[ "$(git -C "$WORK/upstream/big.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ] || fail "mid-size pushes"
grep -q "held whole, [0-9]\{6,7\} body bytes): allow" "$WORK/sluice.log" || fail "no held-whole push above 100 KB"
ok "pushes held whole above the read buffer size"

# Multi-ref and atomic pushes.
git -C "$WORK/w" branch feature-a
git -C "$WORK/w" branch feature-b
git -C "$WORK/w" tag v1.0
git -C "$WORK/w" push -q origin feature-a feature-b v1.0 || fail "multi-ref push"
for r in refs/heads/feature-a refs/heads/feature-b refs/tags/v1.0; do
	[ "$(git -C "$WORK/upstream/big.git" rev-parse "$r")" = "$(git -C "$WORK/w" rev-parse "$r")" ] ||
		fail "multi-ref push: $r not applied"
done
echo x > "$WORK/w/atomic.txt"
git -C "$WORK/w" add atomic.txt
git -C "$WORK/w" commit -qm atomic
git -C "$WORK/w" branch -f feature-a
git -C "$WORK/w" push -q --atomic origin main feature-a || fail "atomic push"
[ "$(git -C "$WORK/upstream/big.git" rev-parse feature-a)" = "$(git -C "$WORK/w" rev-parse main)" ] ||
	fail "atomic push not applied"
ok "multi-ref and atomic pushes applied"

# Delete-only push: no pack at all.
git -C "$WORK/w" push -q origin --delete feature-b || fail "delete-only push"
git -C "$WORK/upstream/big.git" rev-parse --verify -q refs/heads/feature-b > /dev/null &&
	fail "feature-b still exists upstream"
ok "delete-only push applied"

# A secret in an atomic multi-ref push: every ref refused, none applied.
TOKEN=$(github_token 3)
echo "GITHUB_TOKEN=$TOKEN" > "$WORK/w/.env"
git -C "$WORK/w" add .env
git -C "$WORK/w" commit -qm "env"
git -C "$WORK/w" branch -f feature-a
before=$(upstream_state big)
set +e
git -C "$WORK/w" push --atomic origin main feature-a > "$WORK/atomic.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "atomic push with a secret must fail"
[ "$(grep -c '\[remote rejected\]' "$WORK/atomic.out")" = 2 ] || fail "every ref refused: $(cat "$WORK/atomic.out")"
[ "$(upstream_state big)" = "$before" ] || fail "upstream changed"
ok "atomic push with a secret: both refs refused, nothing applied"
done_tests
