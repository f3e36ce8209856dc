#!/usr/bin/env bash
# sluice rules import / list / show / export / test, and the generation
# guarantee: a scan keeps the rules it started with while a new pack is
# imported.
set -euo pipefail
bin=${SLUICE_BINARY:-build/sluice}
src=${SLUICE_SOURCE_DIR:-.}
work=$(mktemp -d)
trap 'rm -rf "$work"; kill $(jobs -p) 2>/dev/null || true' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }

TOKEN=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
cat > "$work/good.yaml" <<YAML
pack: {id: cli-test, version: 1}
rules:
  - id: T-GHP
    name: GitHub token
    pattern: '\bghp_[0-9A-Za-z]{36}\b'
    validators: [crc32-base62]
    tier: block
    severity: high
    remediation: revoke it
    examples: [{text: 'x $TOKEN', secret: '$TOKEN'}]
  - id: T-AKID
    name: AWS key id
    pattern: '\bAKIA[A-Z2-7]{16}\b'
    tier: block
    severity: high
    remediation: rotate it
    examples: [{text: 'id=AKIAZ7QW2ERTY3UIOP4A', secret: AKIAZ7QW2ERTY3UIOP4A}]
YAML
# A pack whose example does not match its own pattern.
sed -e 's/id: cli-test/id: cli-bad/' -e 's/T-AKID/T-BROKEN/' \
    -e 's/secret: AKIAZ7QW2ERTY3UIOP4A/secret: AKIAZ7QW2ERTY3UIOP4B/' "$work/good.yaml" > "$work/bad-example.yaml"
sed -i 's/T-GHP/T-GHP2/' "$work/bad-example.yaml"
# A pack with a pattern of unbounded width.
sed -e 's/id: cli-test/id: cli-unbounded/' -e 's/\[A-Z2-7\]{16}/[A-Z2-7]+/' \
    -e 's/T-AKID/T-UNBOUNDED/' -e 's/T-GHP/T-GHP3/' "$work/good.yaml" > "$work/unbounded.yaml"
# The same pack without T-AKID (generation 2).
python3 - "$work/good.yaml" "$work/noakid.yaml" <<'PY'
import sys
text = open(sys.argv[1]).read()
open(sys.argv[2], "w").write(text[:text.index("  - id: T-AKID")])
PY

data="$work/data"
"$bin" rules import --data "$data" "$work/good.yaml" > "$work/out" || fail "import of a good pack"
grep -q "generation 1" "$work/out" || fail "first import is generation 1: $(cat "$work/out")"
ok "good pack imported as generation 1"

set +e
"$bin" rules import --data "$data" "$work/bad-example.yaml" > "$work/out" 2> "$work/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "import of a pack with a failing example exits 1, got $rc"
grep -q "T-BROKEN: example 1 does not match" "$work/err" || fail "message names the rule: $(cat "$work/err")"
"$bin" rules list --data "$data" > "$work/list"
grep -q "^generation 1$" "$work/list" || fail "a refused import leaves the generation: $(head -1 "$work/list")"
grep -q T-BROKEN "$work/list" && fail "a refused rule is not stored"
ok "a failing example is refused, named, and nothing is written"

set +e
"$bin" rules import --data "$data" "$work/unbounded.yaml" 2> "$work/err"
rc=$?
set -e
[ "$rc" = 1 ] || fail "unbounded pattern exits 1, got $rc"
grep -q "T-UNBOUNDED: pattern has unbounded width" "$work/err" || fail "unbounded message: $(cat "$work/err")"
ok "an unbounded pattern is refused with a clear message"

"$bin" rules show --data "$data" T-AKID | grep -q "pattern: '\\\\bAKIA" || fail "rules show"
"$bin" rules export --data "$data" --patterns > "$work/patterns"
[ "$(wc -l < "$work/patterns")" = 2 ] || fail "export --patterns gives one line per rule"
"$bin" rules export --data "$data" > "$work/export.yaml"
"$bin" rules test "$work/export.yaml" > "$work/out" || fail "an exported pack passes rules test: $(cat "$work/out")"
ok "show, export and export --patterns; the export is a valid pack"

# Generation pinning: the scan loads generation 1, then waits on a FIFO
# while generation 2 (without T-AKID) is imported; the AWS key written
# afterwards must still be found by that scan.
mkfifo "$work/fifo"
"$bin" scan --data "$data" --format json - < "$work/fifo" > "$work/pinned.json" &
scan_pid=$!
exec 3> "$work/fifo"
printf 'first part %s\n' "$TOKEN" >&3
sleep 1
kill -0 "$scan_pid" || fail "the scan is still running during the import"
"$bin" rules import --data "$data" "$work/noakid.yaml" > "$work/out"
grep -q "generation 2" "$work/out" || fail "second import is generation 2"
kill -0 "$scan_pid" || fail "the scan survived the import"
printf 'after import AKIAZ7QW2ERTY3UIOP4A\n' >&3
exec 3>&-
set +e
wait "$scan_pid"
rc=$?
set -e
[ "$rc" = 1 ] || fail "pinned scan exit status 1, got $rc: $(cat "$work/pinned.json")"
grep -q '"rule":"T-AKID"' "$work/pinned.json" || fail "the pinned scan used generation 1: $(cat "$work/pinned.json")"
grep -q '"rule":"T-GHP"' "$work/pinned.json" || fail "pinned scan found the token"
printf 'AKIAZ7QW2ERTY3UIOP4A\n' | "$bin" scan --data "$data" --format json - > "$work/new.json" || true
grep -q T-AKID "$work/new.json" && fail "a new scan uses generation 2"
ok "a scan keeps its generation while a new pack is imported"

# Every shipped pack, together: each example found with exactly its secret,
# each negative silent, ids unique across packs; and the family floor.
"$bin" rules test "$src"/rules/packs/*.yaml > "$work/shipped" 2>&1 || fail "shipped packs: $(tail -20 "$work/shipped")"
n=$(awk '/ rules, / {print $1; exit}' "$work/shipped")
[ "${n:-0}" -ge 450 ] || fail "shipped secret rules: ${n:-?}, want at least 450"
ok "shipped packs pass rules test ($(head -1 "$work/shipped"))"

echo "$pass passed, 0 failed"
