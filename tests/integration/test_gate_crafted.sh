#!/usr/bin/env bash
# Crafted receive-pack bodies (tests/integration/craft.py) against the gate,
# in upstream mode and in the embedded default, for each framing: Content-
# Length held whole (<= hold_whole_max), Content-Length streamed (> 1 MiB)
# and chunked.  Each body that must be refused leaves the repository's refs
# and object files exactly as they were and no quarantine directory; the
# client is told (never `unpack ok` without ng: either report-status with
# `ng <ref> <reason>` per parsed command, or an HTTP 4xx with a one-line
# reason); the audit log has a reject record with the expected reason id.
# A clean crafted push with the same framing is applied (the ref moves),
# which proves the crafted bodies are ones receive-pack would take.
#
# Every check runs even after an earlier one failed; the script ends with
# `N passed, M failed` and exits 1 when anything failed.
. "$(dirname "$0")/lib.sh"

CRAFT="$SRC/tests/integration/craft.py"

# Refused cases (craft.py CASES); the audit reason ids each may carry are craft.py REASONS.
REFUSED_CASES="secret junk truncated twopacks count_more count_fewer thin garbage_pkt pkt_ffff pkt_nonhex pkt_upper pushcert dupref caps2 shallow delta_split ref_forward tag_blob binary_secret nolf pack_v3 orphan_blob two_refs deep_chain count_huge size_overflow ofs_bad"

# run_matrix MODE REPO_NAME REPO_DIR: every crafted push of the mode, run by
# `craft.py matrix` (one process: it snapshots refs and object files before
# and after each push and reads the audit log); its ok/FAIL lines count here.
# Shapes: held = Content-Length, 2 KB pad (held whole); streamed = Content-
# Length with a 1.2 MiB random pad (above hold_whole_max: streamed, trailer
# held); chunked = 300 KB pad, random chunk boundaries (the first 24 chunks
# 1-13 bytes), chunk extensions, a trailer section.
run_matrix() {
	local mode=$1 name=$2 dir=$3 shape case k msg
	git -C "$dir" cat-file blob refs/heads/main:README.md > "$WORK/thin-base-$mode" \
		|| fail "$mode: no README.md on main for the thin-pack base"
	{
		for shape in held streamed chunked; do
			echo "$mode $shape clean"
			for case in $REFUSED_CASES; do echo "$mode $shape $case"; done
		done
		# Other request shapes: gzip (JGit), Expect: 100-continue, a pipelined
		# second request after the body.
		echo "$mode gzip clean"
		echo "$mode gzip junk"
		echo "$mode gzip secret"
		# JGit-like gzip bodies that decode above hold_whole_max: 1.2 MiB on the
		# wire, and 0.1 MiB on the wire decoding to a 3 MiB (stored) pack.
		echo "$mode gzip_big clean"
		echo "$mode gzip_big secret --http-level"
		echo "$mode gzip_stored clean"
		echo "$mode gzip_stored secret --http-level"
		echo "$mode streamed clean --expect100"
		echo "$mode streamed secret --expect100"
		echo "$mode held junk --expect100"
		echo "$mode held clean --pipeline"
		echo "$mode held secret --pipeline"
		echo "$mode streamed junk --pipeline"
		# Content-Length exactly hold_whole_max (held whole) and one byte more (streamed).
		for shape in cl_max cl_max1; do
			for case in clean secret junk; do echo "$mode $shape $case"; done
		done
		# Request targets that are not spelled /REPO.git/git-receive-pack but
		# that the web server or http-backend may still run receive-pack for:
		# each carries the secret push; refused, or answered 4xx (any 4xx: the
		# server may not know the path), never applied.
		local path
		for path in '/{repo}/git-receive-pack?x=1' '/{repo}//git-receive-pack' '//{repo}/git-receive-pack' \
			'/{repo}/./git-receive-pack' '/x/../{repo}/git-receive-pack' '/{repo}/git%2dreceive-pack' \
			'/{name}/git-receive-pack' '/{repo}/git-receive-pack/' '/{repo}/git-receive-pack%00' \
			'/%61{repo}/../{repo}/git-receive-pack' '/{repo}/info/../git-receive-pack' \
			'/{repo}/git-receive-pac%6b' '/%61{repo}/../{repo}/git%2Dreceive%2Dpack' \
			'/{repo}/git-receive-pack;x=1' 'https://{netloc}{prefix}/{repo}/git-receive-pack'; do
			echo "$mode held secret --http-level '--path=$path'"
		done
		# Two pushes on one keep-alive connection: clean, then the secret
		# (after the first reply, or pipelined right behind it).
		echo "$mode held secret --after-clean"
		echo "$mode held junk --pipelined-after-clean"
		echo "$mode chunked secret --after-clean"
		echo "$mode chunked secret --pipelined-after-clean"
		echo "$mode streamed junk --after-clean"
		# Request shapes where a proxy and the backend may disagree about the
		# body, each carrying the secret push: refused by a verdict or at the
		# HTTP layer (4xx, no push verdict).
		for shape in xgzip gzip_chunked cl_te te_gzip_chunked te_upper chunk_lf chunk_overflow; do
			echo "$mode $shape secret --http-level"
		done
		# A body cut short (the client shuts its write side 5000 bytes early):
		# only the repository is asserted (there may be no verdict at all).
		echo "$mode streamed secret --early-eof -5000"
		echo "$mode chunked secret --early-eof -5000"
	} > "$WORK/matrix-$mode.txt"
	while IFS=$'\t' read -r k msg; do
		case $k in
		ok) ok "$msg" ;;
		FAIL) check_fail "$msg" ;;
		*) echo "$k $msg" ;;
		esac
	done < <(timeout 400 python3 "$CRAFT" matrix "$GATE" "$name" --repo-dir "$dir" --audit "$DATA/audit.jsonl" \
		--thin-base "$WORK/thin-base-$mode" "${AUTH[@]}" < "$WORK/matrix-$mode.txt" 2> "$WORK/matrix-$mode.err")
	if [ -s "$WORK/matrix-$mode.err" ]; then check_fail "$mode: craft.py matrix: $(tail -3 "$WORK/matrix-$mode.err")"; fi
	return 0
}

T0=$(date +%s)
# ---------------------------------------------------------------- upstream mode
start_gate
new_upstream_repo app
git init -q -b main "$WORK/seed"
git_user "$WORK/seed"
echo "# app" > "$WORK/seed/README.md"
git -C "$WORK/seed" add -A
git -C "$WORK/seed" commit -qm init
git -C "$WORK/seed" push -q "$WORK/upstream/app.git" main
AUTH=()
# The secret the crafted pushes carry is one the gate's rules find at all.
python3 -c 'import sys; sys.path.insert(0, sys.argv[1]); import craft; sys.stdout.buffer.write(craft.secret_file("probe"))' \
	"$SRC/tests/integration" > "$WORK/aws.env"
if "$BIN" scan --data "$DATA" "$WORK/aws.env" > "$WORK/scan.out" 2>&1; then
	fail "sluice scan does not find the crafted AWS key pair: $(cat "$WORK/scan.out")"
fi
grep -q "SEC-AWS" "$WORK/scan.out" || fail "sluice scan: no SEC-AWS finding: $(cat "$WORK/scan.out")"
ok "the crafted AWS key pair is a finding of the bundled rules"

run_matrix upstream app.git "$WORK/upstream/app.git"
echo "upstream mode took $(( $(date +%s) - T0 )) s"

# ---------------------------------------------------------------- embedded default
kill "$SL_PID" 2>/dev/null || true
wait "$SL_PID" 2>/dev/null || true
mv "$WORK/data" "$WORK/data-upstream"
mv "$WORK/sluice.log" "$WORK/sluice-upstream.log"
start_sluice
EREPO="$DATA/repos/demo.git"
[ -d "$EREPO" ] || fail "embedded: no demo repository"
AUTH=()
cred=$(sed -n "s/^sluice: first start: push user '\([^']*\)' password '\([^']*\)'.*/\1 \2/p" "$WORK/sluice.log" | head -1)
if [ -n "$cred" ]; then
	AUTH=(--user "${cred%% *}" --password "${cred#* }")
	echo "embedded: pushing as ${cred%% *}"
fi
run_matrix embedded demo.git "$EREPO"
echo "whole script took $(( $(date +%s) - T0 )) s"

done_tests
