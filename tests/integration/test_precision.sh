#!/usr/bin/env bash
# Precision guard: the secret rules on a large corpus of realistic non-secrets.
#
# tests/fixtures/secrets/gen_benign.py writes a deterministic tree (lockfiles
# of every ecosystem, minified JS and source maps, base64 fonts and images,
# UUID/ULID fixtures, SQL dumps, commit ids, image digests, SRI hashes, config
# templates with placeholders, i18n, public keys and certificates, hex dumps,
# CSV, prose, source code); nothing in it is a secret.  All bundled packs are
# imported and `sluice scan --format json` runs over the tree:
#   - any block-tier secret finding fails the test (rule, path:line, shape);
#   - the warn-tier findings per rule are always printed, and the test fails
#     when their total exceeds WARN_PER_MB per MiB of corpus;
#   - IaC findings (the corpus has Kubernetes, Terraform and Dockerfiles) are
#     printed per rule for information only.
# It also checks that the corpus has the requested size, that the scanner read
# all of it and finds one planted token (a positive control appended to the
# largest file), and that the generator is deterministic (two small runs, same
# seed, byte-identical trees; another seed, a different tree).
#
# Environment: SLUICE_BINARY, SLUICE_SOURCE_DIR (set by ctest), SIZE_MB
# (default 256), SEED (default 1), WARN_PER_MB (default 0.25), KEEP=1 keeps
# the work directory.
set -euo pipefail
bin=$(readlink -f "${SLUICE_BINARY:-build/sluice}")
src=$(readlink -f "${SLUICE_SOURCE_DIR:-.}")
size_mb=${SIZE_MB:-256}
seed=${SEED:-1}
warn_per_mb=${WARN_PER_MB:-0.25}
gen="$src/tests/fixtures/secrets/gen_benign.py"
work=$(mktemp -d "${TMPDIR:-/tmp}/sluice-precision.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then echo "test_precision: keeping $work"; else trap 'rm -rf "$work"' EXIT; fi
fail() { echo "FAIL: $*" >&2; exit 1; }
pass=0
ok() { echo "ok: $*"; pass=$((pass + 1)); }
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
[ -x "$bin" ] || fail "sluice binary not found at $bin"

# Import first: a pack that does not import fails at once.
ti=$(now)
"$bin" rules import --data "$work/data" "$src"/rules/packs/*.yaml >"$work/import.log" 2>&1 || {
	cat "$work/import.log" >&2
	fail "rules import"
}
timp=$(secs "$ti" "$(now)")

# Determinism, cheap: the same seed twice gives the same tree, byte for byte.
treehash() { (cd "$1" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum | sha256sum | cut -c1-64); }
# Files capped at 16 KiB, kinds in turn: the 3 MiB tree holds every kind of file.
small() { python3 "$gen" "$1" --size-mb 3 --max-file-kb 16 --seed "$2" 2>/dev/null; }
small "$work/d1" 7
small "$work/d2" 7
small "$work/d3" 8
h1=$(treehash "$work/d1") h2=$(treehash "$work/d2") h3=$(treehash "$work/d3")
n1=$(find "$work/d1" -type f | wc -l)
[ "$h1" = "$h2" ] || fail "gen_benign.py is not deterministic: seed 7 gave $h1 then $h2"
[ "$h1" != "$h3" ] || fail "gen_benign.py ignores its seed"
rm -rf "$work/d1" "$work/d2" "$work/d3"
ok "generator deterministic (seed 7, 3 MiB, $n1 files: $h1)"

t0=$(now)
python3 "$gen" "$work/corpus" --size-mb "$size_mb" --seed "$seed" 2>"$work/gen.log" || {
	cat "$work/gen.log" >&2
	fail "gen_benign.py failed"
}
t1=$(now)
bytes=$(find "$work/corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { print s + 0 }')
files=$(find "$work/corpus" -type f | wc -l)
want=$(awk -v m="$size_mb" 'BEGIN { printf "%d", m * 1048576 }')
[ "$bytes" -ge "$want" ] || fail "corpus is $bytes bytes, want at least $want"
ok "corpus: $files files, $bytes bytes, generated in $(secs "$t0" "$t1") s (seed $seed)"
# The generator's own invariant: no private key block anywhere.
if grep -rlE -- '-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY' "$work/corpus" | head -3 | grep .; then
	fail "gen_benign.py wrote a private key block"
fi

# Positive control: one synthetic GitHub token (valid checksum, never issued)
# appended to the largest file, which has the longest lines.  The scan must
# report exactly one block finding there, so an engine that silently skips
# large files or line ends cannot pass.
canary=$(python3 "$src/tests/fixtures/secrets/gen_tokens.py" ghp --seed precision-canary)
largest=$(cd "$work/corpus" && find . -type f -printf '%s %P\n' | sort -n | tail -1 | cut -d' ' -f2-)
printf '\nconst GITHUB_TOKEN = "%s";\n' "$canary" >>"$work/corpus/$largest"
canary_line=$(wc -l <"$work/corpus/$largest")

t2=$(now)
rc=0
"$bin" scan --data "$work/data" --format json --no-progress --output "$work/scan.json" "$work/corpus" \
	>"$work/scan.out" 2>"$work/scan.err" || rc=$?
t3=$(now)
# 2 with a report: errors such as the per-object finding limit, judged below.
[ "$rc" -le 2 ] || { head -20 "$work/scan.err" >&2; fail "sluice scan exit $rc"; }
[ -s "$work/scan.json" ] || fail "no JSON report"
echo "import $timp s: $(tail -1 "$work/import.log" | sed 's/ as generation.*//'); scan: exit $rc, $(secs "$t2" "$t3") s"

# Judge the report: block findings, warn table, budget, coverage.
python3 - "$work/scan.json" "$work/corpus" "$bytes" "$warn_per_mb" "$largest" "$canary_line" <<'EOF'
import collections, json, re, sys

report, root, nbytes, per_mb = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
canary = (sys.argv[5], int(sys.argv[6]))
d = json.load(open(report))
s = d["summary"]
errs = []
if s["bytes"] < nbytes:
    errs.append(f"scanner read {s['bytes']} of {nbytes} bytes")
if s["errors"]:
    errs.append(f"scan errors: {s['errors'][:5]}")
fs = d["findings"]
sec = [f for f in fs if f["kind"] == "secret"]
hit = [f for f in sec if (f["path"], f["line"]) == canary]
if [f["tier"] for f in hit] != ["block"]:
    errs.append(f"canary at {canary[0]}:{canary[1]}: want one block finding (GitHub PAT), "
                f"got {[(f['rule'], f['tier']) for f in hit]}")
sec = [f for f in sec if (f["path"], f["line"]) != canary]
block = [f for f in sec if f["tier"] == "block"]
warn = [f for f in sec if f["tier"] != "block"]


def shape(f):
    """The matched text as character classes (A a 9, punctuation kept) and the
    20 bytes before it: enough to see why a rule fired, on a corpus that
    holds no secret by construction."""
    if f["line"] < 1:  # a path rule: no line
        return f"(path) {f['value']!r}"
    try:
        with open(f"{root}/{f['path']}", "rb") as fh:
            for i, line in enumerate(fh, 1):
                if i == f["line"]:
                    break
        line = line.decode("utf-8", "replace").rstrip("\n")
        c = f["column"] - 1
        n = len(f["value"])
        if "..." in f["value"]:  # long values are redacted to a fixed width: take the token run
            n = len(re.match(r"[A-Za-z0-9+/=_.~-]{0,300}", line[c:]).group(0))
        m = line[c:c + n]
        cls = "".join("A" if ch.isupper() else "a" if ch.islower() else "9" if ch.isdigit() else ch for ch in m)
        return f"{line[max(0, c - 20):c]!r} + {cls!r} ({len(m)} chars)"
    except (OSError, UnboundLocalError):
        return f"{f['value']!r}"


def kind(f):  # gen_benign.py writes PROJECT/KIND-NNNNN/...
    parts = f["path"].split("/")
    return parts[1].rsplit("-", 1)[0] if len(parts) > 2 else "?"


print(f"findings: {len(block)} block, {len(warn)} warn (canary excluded), {len(fs) - len(sec) - len(hit)} iac; "
      f"{s['objects']} objects, {s['bytes']} bytes scanned")
for f in block[:20]:
    print(f"  BLOCK {f['rule']} {f['path']}:{f['line']}:{f['column']} {shape(f)}")
for rule, n in collections.Counter(f["rule"] for f in block).most_common():
    kinds = ", ".join(f"{k} {c}" for k, c in collections.Counter(kind(f) for f in block if f["rule"] == rule).most_common(4))
    print(f"  block {rule:<40} {n:6d}   [{kinds}]")
if block:
    errs.append(f"{len(block)} block-tier finding(s) on non-secrets "
                f"({', '.join(sorted({f['rule'] for f in block}))})")

print("warn-tier findings per rule (rule, count, file kinds, one example):")
for rule, n in collections.Counter(f["rule"] for f in warn).most_common():
    fr = [f for f in warn if f["rule"] == rule]
    kinds = ", ".join(f"{k} {c}" for k, c in collections.Counter(map(kind, fr)).most_common(4))
    print(f"  {rule:<40} {n:6d}   [{kinds}]\n      e.g. {fr[0]['path']}:{fr[0]['line']} {shape(fr[0])}")
if not warn:
    print("  (none)")
budget = int(per_mb * nbytes / 1048576)
print(f"warn total {len(warn)}, budget {budget} ({per_mb}/MiB)")
if len(warn) > budget:
    errs.append(f"{len(warn)} warn-tier findings, budget {budget}")

iac = collections.Counter(f["rule"] for f in fs if f["kind"] != "secret")
print("iac findings per rule (information): " + (", ".join(f"{r} {n}" for r, n in iac.most_common()) or "none"))
for e in errs:
    print(f"FAIL: {e}", file=sys.stderr)
sys.exit(1 if errs else 0)
EOF
ok "canary found; no block-tier finding on non-secrets; warn findings within budget"
echo "test_precision: generate $(secs "$t0" "$t1") s, import $timp s, scan $(secs "$t2" "$t3") s, $bytes bytes"
echo "$pass passed, 0 failed"
