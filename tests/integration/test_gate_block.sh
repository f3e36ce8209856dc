#!/usr/bin/env bash
# A push carrying a secret is refused with remote: lines naming the file,
# line and rule; the upstream's refs and objects stay exactly as they
# were, and no quarantine directory is left behind.  Both the small
# (held whole) and the large, chunked (streamed, trailer held) paths.
. "$(dirname "$0")/lib.sh"

start_gate
new_upstream_repo app
git init -q -b main "$WORK/seed"
git_user "$WORK/seed"
echo "# app" > "$WORK/seed/README.md"
git -C "$WORK/seed" add -A
git -C "$WORK/seed" commit -qm init
git -C "$WORK/seed" push -q "$WORK/upstream/app.git" main

clone_through_gate app "$WORK/w"
TOKEN=$(github_token 1)
mkdir -p "$WORK/w/config"
printf 'api:\n  url: https://api.example.invalid\n  token: %s\n' "$TOKEN" > "$WORK/w/config/prod.yaml"
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "add prod config"
before=$(upstream_state app)
set +e
git -C "$WORK/w" push origin main > "$WORK/push.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "a push with a secret must fail"
grep -q "remote: error: push blocked by sluice" "$WORK/push.out" || fail "no block message: $(cat "$WORK/push.out")"
grep -q "config/prod.yaml:3" "$WORK/push.out" || fail "path:line missing: $(cat "$WORK/push.out")"
grep -qE "remote: \[1\] SEC-GITHUB-[A-Z-]+" "$WORK/push.out" || fail "rule missing: $(cat "$WORK/push.out")"
grep -q "\[remote rejected\] main -> main (secret SEC-GITHUB" "$WORK/push.out" || fail "ng reason missing: $(cat "$WORK/push.out")"
grep -q "$TOKEN" "$WORK/push.out" && fail "the full secret was echoed"
grep -q "$TOKEN" "$DATA/audit.jsonl" "$WORK/sluice.log" && fail "the full secret was logged"
[ "$(upstream_state app)" = "$before" ] || fail "upstream changed after a blocked small push"
no_quarantine app || fail "quarantine directory left behind"
ok "small push with a secret refused; upstream refs and objects unchanged"

# Large push: over http.postBuffer, so git sends the probe and then a
# chunked body, which the gate streams with the pack trailer held.
python3 - "$WORK/w/data" <<'PY'
import os, random, sys
r = random.Random(7)
os.makedirs(sys.argv[1], exist_ok=True)
for i in range(4):
    with open(os.path.join(sys.argv[1], f"table{i}.csv"), "w") as f:
        for j in range(60000):
            f.write(f"{j},{r.getrandbits(64):016x},{r.random():.12f},item-{r.getrandbits(32)}\n")
PY
git -C "$WORK/w" add -A
git -C "$WORK/w" commit -qm "data tables"
set +e
GIT_TRACE_CURL_NO_DATA=1 git -C "$WORK/w" push origin main > "$WORK/push2.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "large push with a secret must fail"
grep -q "config/prod.yaml:3" "$WORK/push2.out" || fail "large push: path:line missing: $(tail -5 "$WORK/push2.out")"
[ "$(upstream_state app)" = "$before" ] || fail "upstream refs or objects changed after a blocked streamed push"
no_quarantine app || fail "quarantine directory left behind after a streamed block"
grep -q '"verdict":"reject"' "$DATA/audit.jsonl" || fail "no audit record"
ok "large chunked push with a secret refused; upstream unchanged, no quarantine left"
# A file that is a secret by its name and content: PKCS#12 (DER SEQUENCE,
# version INTEGER 3), binary, no pattern in it.  The same shape under
# another name is an ordinary binary file and passes.  (Different bodies:
# a blob the upstream already holds is not in the next push's pack.)
new_upstream_repo keys
clone_through_gate keys "$WORK/k"
mkdir -p "$WORK/k/deploy/tls"
python3 - "$WORK/k/deploy/tls" <<'PY'
import os, random, sys
head = bytes([0x30, 0x82, 0x0a, 0x31, 0x02, 0x01, 0x03, 0x30, 0x82, 0x09, 0xf7, 0x06, 0x09])
for seed, name in ((12, "client.bin"), (13, "client.p12")):
    with open(os.path.join(sys.argv[1], name), "wb") as f:
        f.write(head + random.Random(seed).randbytes(2600))
PY
git -C "$WORK/k" add deploy/tls/client.bin
git -C "$WORK/k" commit -qm "binary blob"
git -C "$WORK/k" push -q origin HEAD:main 2> "$WORK/bin.out" || fail "a PKCS#12-shaped client.bin must pass: $(cat "$WORK/bin.out")"
git -C "$WORK/k" add deploy/tls/client.p12
git -C "$WORK/k" commit -qm "client certificate"
before=$(upstream_state keys)
set +e
git -C "$WORK/k" push origin HEAD:main > "$WORK/p12.out" 2>&1
rc=$?
set -e
[ "$rc" != 0 ] || fail "a push adding a PKCS#12 file must fail"
grep -q "SEC-PATH-PKCS12" "$WORK/p12.out" || fail "rule missing: $(cat "$WORK/p12.out")"
grep -q "deploy/tls/client.p12" "$WORK/p12.out" || fail "path missing: $(cat "$WORK/p12.out")"
[ "$(upstream_state keys)" = "$before" ] || fail "upstream changed after a refused PKCS#12 push"
no_quarantine keys || fail "quarantine directory left behind after a PKCS#12 push"
ok "a PKCS#12 file is refused by name and content; the same shape under another name passes"
done_tests
