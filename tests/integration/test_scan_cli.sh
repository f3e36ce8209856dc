#!/usr/bin/env bash
# sluice scan on its inputs: SHA-256 repositories and .pack files, stdin,
# binary files (block tier only), exit statuses, and no secret in any
# output format.
set -euo pipefail
bin=$(readlink -f "${SLUICE_BINARY:-build/sluice}")
src=$(readlink -f "${SLUICE_SOURCE_DIR:-.}")
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
TOKEN=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
"$bin" rules import --data "$work/data" "$src"/rules/packs/*.yaml > /dev/null || fail "import"
scan() { "$bin" scan --data "$work/data" --no-progress "$@"; }

git init -q --object-format=sha256 -b main "$work/r256"
mkdir -p "$work/r256/cfg"
printf 'one\ntwo\nkey = "%s"\n' "$TOKEN" > "$work/r256/cfg/app.ini"
git -C "$work/r256" add -A
git -C "$work/r256" -c user.name=a -c user.email=a@b commit -qm a
set +e
scan --format json "$work/r256" > "$work/r256.json"; rc=$?
set -e
[ "$rc" = 1 ] || fail "sha256 repository: exit $rc"
grep -q '"path":"cfg/app.ini","line":3' "$work/r256.json" || fail "sha256 repository finding: $(cat "$work/r256.json")"
commit=$(git -C "$work/r256" rev-parse HEAD)
grep -q "\"commit\":\"$commit\"" "$work/r256.json" || fail "64-hex commit id not reported"
git -C "$work/r256" pack-objects --all --stdout -q < /dev/null > "$work/r256.pack"
set +e
scan --format json "$work/r256.pack" > "$work/pack.json"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q '"path":"cfg/app.ini","line":3' "$work/pack.json" || fail "sha256 .pack: $rc $(cat "$work/pack.json")"
ok "SHA-256 repository and .pack file"

set +e
printf 'x\ny %s\n' "$TOKEN" | scan --format json - > "$work/stdin.json"; rc=$?
set -e
[ "$rc" = 1 ] && grep -q '"path":"(stdin)","line":2' "$work/stdin.json" || fail "stdin: $rc"
ok "stdin"

# Binary: block tier only (a NUL in the first 8000 bytes).
printf 'PNG\0\0\0 password = "Zq8vLm2Rt9Xw4Kp7" %s\n' "$TOKEN" > "$work/blob.bin"
set +e
scan --format json "$work/blob.bin" > "$work/bin.json"; rc=$?
set -e
[ "$rc" = 1 ] || fail "binary with a token: exit $rc"
grep -q '"tier":"warn"' "$work/bin.json" && fail "warn tier reported in a binary file"
grep -q '"binary_objects":1' "$work/bin.json" || fail "binary not counted"
ok "binary files are scanned with the block tier only"

# Clean input exits 0; an unreadable path exits 2.
echo "nothing here" > "$work/clean.txt"
scan "$work/clean.txt" > /dev/null || fail "clean file must exit 0"
set +e
scan "$work/does-not-exist" > /dev/null 2>&1; rc=$?
set -e
[ "$rc" = 2 ] || fail "missing path must exit 2, got $rc"
ok "exit statuses 0 and 2"

for fmt in text json sarif; do
	scan --format "$fmt" "$work/r256" > "$work/out.$fmt" || true
	grep -q "$TOKEN" "$work/out.$fmt" && fail "full secret in $fmt output"
	grep -q "ghp_\*" "$work/out.$fmt" || fail "no redacted value in $fmt output"
done
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); assert d["version"]=="2.1.0"; r=d["runs"][0]["results"][0]; assert r["level"]=="error" and r["locations"][0]["physicalLocation"]["region"]["startLine"]==3' "$work/out.sarif" || fail "SARIF shape"
ok "text, JSON and SARIF hold the redacted value, never the secret"
echo "$pass passed, 0 failed"
