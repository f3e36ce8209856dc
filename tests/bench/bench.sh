#!/usr/bin/env bash
# Throughput and memory of `sluice scan` (design/secrets.md section 11 targets),
# compared with ripgrep on the same patterns and with `git index-pack` on the
# same pack. Run by `make bench`; results go to stdout and $work/results.txt,
# to be copied into tests/bench/RESULTS.md.
#
#  (a) corpus: gen_corpus.py writes ~256 MB of source-like text with planted
#      credentials (cached in $work/corpus until its parameters change).
#  (b) sluice scan --format json on the corpus: MiB per CPU-second (user+sys)
#      and peak RSS, from /usr/bin/time.
#  (c) rg -c -f patterns.txt on the corpus, patterns from `sluice rules export
#      --patterns` (those rg rejects are dropped and counted); runs alternate
#      with (b), the median of each is reported.
#  (d) a pack of the corpus committed as a repository with 4 revisions (the
#      second also imports a further ~96 MB tree), scanned by sluice and indexed
#      by `git index-pack --stdin`, alternating; medians and ratios.
#
# Environment: SLUICE_BINARY (default build/sluice), BENCH_WORK (default
# tests/bench/work, git-ignored), BENCH_SIZE_MB (256), BENCH_EXTRA_MB (96),
# BENCH_RUNS (3).
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
src=$(cd "$here/../.." && pwd)
bin=${SLUICE_BINARY:-$src/build/sluice}
work=${BENCH_WORK:-$here/work}
size_mb=${BENCH_SIZE_MB:-256}
extra_mb=${BENCH_EXTRA_MB:-96}
runs=${BENCH_RUNS:-3}
gen="$here/gen_corpus.py"

die() { echo "bench: $*" >&2; exit 2; }
[ -x "$bin" ] || die "sluice binary not found at $bin (build it, or set SLUICE_BINARY)"
[ -x /usr/bin/time ] || die "/usr/bin/time missing: apt-get install time"
command -v rg >/dev/null || die "ripgrep (rg) missing: apt-get install ripgrep"
bin=$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")
mkdir -p "$work"
cd "$work"

# Pinned git environment: no user config, fixed identity and dates.
export GIT_CONFIG_GLOBAL=/dev/null GIT_CONFIG_NOSYSTEM=1 LC_ALL=C TZ=UTC
export GIT_AUTHOR_NAME=bench GIT_AUTHOR_EMAIL=bench@example.invalid
export GIT_COMMITTER_NAME=bench GIT_COMMITTER_EMAIL=bench@example.invalid

t0=$(date +%s)

# (a) corpus, regenerated only when its stamp changes
want="gen_corpus v2 seed=1 size_mb=$size_mb"
if [ "$(cat corpus.stamp 2>/dev/null)" != "$want" ] || [ ! -d corpus ]; then
	rm -rf corpus corpus.stamp corpus.manifest.json
	python3 "$gen" generate corpus --size-mb "$size_mb" --seed 1
fi
want_extra="gen_corpus v2 seed=2 size_mb=$extra_mb"
if [ "$(cat extra.stamp 2>/dev/null)" != "$want_extra" ] || [ ! -d extra ]; then
	rm -rf extra extra.stamp extra.manifest.json
	python3 "$gen" generate extra --size-mb "$extra_mb" --seed 2
fi
corpus_bytes=$(find corpus -type f -printf '%s\n' | awk '{s += $1} END {print s}')
corpus_files=$(find corpus -type f | wc -l)

# (d, build) repository with history and its pack, cached with the corpora
pack_want="pack v1 | $want | $want_extra"
if [ "$(cat big.pack.stamp 2>/dev/null)" != "$pack_want" ] || [ ! -s big.pack ]; then
	echo "bench: building the pack repository (one-off, about a minute)"
	rm -rf packrepo big.pack big.pack.stamp
	cp -a corpus packrepo
	(
		cd packrepo
		git init -q -b main
		git add -A
		GIT_AUTHOR_DATE='1700000000 +0000' GIT_COMMITTER_DATE='1700000000 +0000' git commit -q -m "import r1"
		for rev in 2 3 4; do
			python3 "$gen" mutate . --rev "$rev" --seed 1 >/dev/null
			[ "$rev" = 2 ] && cp -a ../extra imported
			git add -A
			d="$((1700000000 + rev * 86400)) +0000"
			GIT_AUTHOR_DATE="$d" GIT_COMMITTER_DATE="$d" git commit -q -m "revision r$rev"
		done
		git pack-objects --all --stdout </dev/null >../big.pack
	)
	echo "$pack_want" >big.pack.stamp
fi
pack_bytes=$(stat -c %s big.pack)

# rules and patterns
rm -rf data
"$bin" rules import --data data "$src"/rules/packs/*.yaml >import.log 2>&1 || die "rules import failed: $(cat import.log)"
"$bin" rules export --data data --patterns >patterns.all
: >patterns.txt
dropped=0
while IFS= read -r p; do
	[ -n "$p" ] || continue
	rc=0
	rg -q -e "$p" /dev/null 2>/dev/null || rc=$?
	if [ "$rc" -le 1 ]; then
		printf '%s\n' "$p" >>patterns.txt
	else
		dropped=$((dropped + 1))
	fi
done <patterns.all
npat=$(grep -c . patterns.all || true)
kept=$(grep -c . patterns.txt || true)

# measure NAME CMD... : one timed run, appends "name wall user sys maxrss_kb rc"
measure() {
	local name=$1 rc=0
	shift
	/usr/bin/time -f "%e %U %S %M" -o time.tmp "$@" || rc=$?
	echo "$name $(tail -1 time.tmp) $rc" >>times.txt
}

: >times.txt
echo "bench: corpus scans ($runs runs each, alternating sluice / rg)"
for i in $(seq "$runs"); do
	measure sluice-corpus "$bin" scan --data data --format json --output scan.json --no-progress corpus
	measure rg-corpus sh -c 'rg -c --no-ignore --hidden --no-messages -f patterns.txt corpus >rg.out'
done

echo "bench: pack scans ($runs runs each, alternating sluice / git index-pack)"
rm -rf idx && git init -q --bare idx
for i in $(seq "$runs"); do
	measure sluice-pack "$bin" scan --data data --format json --output pack.json --no-progress big.pack
	rm -f idx/objects/pack/* x.idx
	measure index-pack sh -c 'cd idx && git index-pack --stdin -o ../x.idx <../big.pack >/dev/null'
	rm -f idx/objects/pack/* x.idx
done

python3 - "$corpus_bytes" "$corpus_files" "$pack_bytes" "$npat" "$kept" "$dropped" "$t0" \
	"$("$bin" version 2>&1 | head -1)" <<'EOF' | tee results.txt
import json, statistics, subprocess, sys, time
corpus_bytes, files, pack_bytes, npat, kept, dropped, t0 = map(int, sys.argv[1:8])
version = sys.argv[8]
MiB = 1048576.0
runs = {}
for ln in open("times.txt"):
	name, wall, user, sys_, rss, rc = ln.split()
	runs.setdefault(name, []).append((float(wall), float(user) + float(sys_), int(rss), int(rc)))

def med(name, i):
	return statistics.median(r[i] for r in runs[name])

def lscpu():
	for ln in subprocess.run(["lscpu"], capture_output=True, text=True).stdout.splitlines():
		if ln.startswith("Model name:"):
			return ln.split(":", 1)[1].strip()
	return "unknown"

scan = json.load(open("scan.json"))
pack = json.load(open("pack.json"))
man = json.load(open("corpus.manifest.json"))
got = {(f["path"], f["line"]) for f in scan["findings"]}
planted = sum(1 for it in man["items"] if (it["path"], it["line"]) in got)
inflated = pack["summary"]["bytes"]
rg_hits = sum(int(l.rsplit(":", 1)[1]) for l in open("rg.out") if ":" in l)

print("sluice scan benchmark, %s" % time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()))
print("machine: %s, nproc %s; %s; %s; %s" % (
	lscpu(), subprocess.run(["nproc"], capture_output=True, text=True).stdout.strip(), version,
	subprocess.run(["rg", "--version"], capture_output=True, text=True).stdout.splitlines()[0],
	subprocess.run(["git", "--version"], capture_output=True, text=True).stdout.strip()))
print("corpus: %d files, %.1f MiB; pack: %.1f MiB (%d objects, %.1f MiB inflated)" % (
	files, corpus_bytes / MiB, pack_bytes / MiB, pack["summary"]["objects"], inflated / MiB))
print("patterns: %d exported, %d used by rg, %d dropped (rejected by rg's regex engine)" % (npat, kept, dropped))
print("findings: sluice %d on the corpus (%d of %d planted secrets at path:line), %d in the pack; rg %d matching lines" % (
	len(scan["findings"]), planted, len(man["items"]), len(pack["findings"]), rg_hits))
print("medians of %d runs (MiB = 2^20 bytes; CPU = user + sys)" % len(runs["sluice-corpus"]))
print()
print("| measurement | wall s | CPU s | MiB per CPU-s | MiB per wall-s | peak RSS MiB |")
print("|---|---:|---:|---:|---:|---:|")
def row(label, name, nbytes):
	w, c, m = med(name, 0), med(name, 1), med(name, 2)
	print("| %s | %.2f | %.2f | %.1f | %.1f | %.1f |" % (label, w, c, nbytes / MiB / max(c, 0.01),
		  nbytes / MiB / max(w, 0.01), m / 1024.0))
row("sluice scan corpus", "sluice-corpus", corpus_bytes)
row("rg -c -f patterns corpus", "rg-corpus", corpus_bytes)
row("sluice scan big.pack (pack bytes)", "sluice-pack", pack_bytes)
row("git index-pack --stdin (pack bytes)", "index-pack", pack_bytes)
print()
print("ratios: rg/sluice CPU %.1fx, wall %.1fx; sluice/index-pack CPU %.2fx, wall %.2fx" % (
	med("rg-corpus", 1) / max(med("sluice-corpus", 1), 0.01),
	med("rg-corpus", 0) / max(med("sluice-corpus", 0), 0.01),
	med("sluice-pack", 1) / max(med("index-pack", 1), 0.01),
	med("sluice-pack", 0) / max(med("index-pack", 0), 0.01)))
print("sluice on the pack: %.1f MiB inflated per CPU-s" % (inflated / MiB / max(med("sluice-pack", 1), 0.01)))
print("exit codes: " + ", ".join("%s %s" % (k, sorted({r[3] for r in v})) for k, v in runs.items()))
print("total bench time: %d s" % (time.time() - t0))
EOF
