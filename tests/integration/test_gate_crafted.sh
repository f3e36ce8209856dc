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
FAILED=0
FAILS=()
check_fail() {
	echo "FAIL: $*" >&2
	FAILED=$((FAILED + 1))
	FAILS+=("$*")
}

repo_state() {	# refs and object files of a bare repository
	git -C "$1" for-each-ref --format='%(refname) %(objectname)'
	find "$1/objects" -type f | sort
}
repo_quarantine() {	# names of quarantine directories left in a bare repository
	find "$1/objects" -maxdepth 1 \( -name 'tmp_objdir-incoming-*' -o -name 'incoming-*' \) | head -3
}
audit_count() { [ -f "$DATA/audit.jsonl" ] && wc -l < "$DATA/audit.jsonl" || echo 0; }
# audit_after N: "verdict reason" of the records after the first N lines (one per line)
audit_after() {
	python3 - "$DATA/audit.jsonl" "$1" <<'PY'
import json, sys
try:
    lines = open(sys.argv[1]).read().splitlines()[int(sys.argv[2]):]
except OSError:
    lines = []
for l in lines:
    try:
        r = json.loads(l)
        print(r.get("verdict"), r.get("reason"))
    except ValueError:
        print("unparsable", l[:80])
PY
}

# Reason ids the audit record may carry for each refused case (the
# strongest problem of a push with several is the gate's choice).
declare -A REASONS=(
	[secret]="SECRET_FOUND"
	[junk]="TRAILING_BYTES SECRET_FOUND"
	[truncated]="PACK_CORRUPT SECRET_FOUND"
	[twopacks]="TRAILING_BYTES SECRET_FOUND"
	[count_more]="PACK_CORRUPT SECRET_FOUND"
	[count_fewer]="PACK_CORRUPT TRAILING_BYTES SECRET_FOUND"
	[thin]="THIN_BASE_MISSING SECRET_FOUND"
	[garbage_pkt]="PARSE_UNKNOWN"
	[pkt_ffff]="PARSE_UNKNOWN LIMIT_COMMANDS"
	[pkt_nonhex]="PARSE_UNKNOWN"
	[pkt_upper]="SECRET_FOUND PARSE_UNKNOWN"
	[pushcert]="SIGNED_PUSH PARSE_UNKNOWN"
	[dupref]="SECRET_FOUND PARSE_UNKNOWN"
	[caps2]="SECRET_FOUND PARSE_UNKNOWN"
	[shallow]="SECRET_FOUND PARSE_UNKNOWN"
	[delta_split]="SECRET_FOUND"
	[ref_forward]="SECRET_FOUND"
)
REFUSED_CASES="secret junk truncated twopacks count_more count_fewer thin garbage_pkt pkt_ffff pkt_nonhex pkt_upper pushcert dupref caps2 shallow delta_split ref_forward"
BIG=$((1200 * 1024))	# pad: body above hold_whole_max (1 MiB), so the gate streams it

framing_args() {	# framing name -> craft.py arguments
	case $1 in
	held) echo "--framing cl --pad 2000" ;;
	streamed) echo "--framing cl --pad $BIG" ;;
	chunked) echo "--framing chunked --pad 300000" ;;
	gzip) echo "--framing gzip --pad 2000" ;;
	esac
}

# crafted MODE REPO_NAME REPO_DIR FRAMING CASE [extra craft args]: one refused push
crafted_refused() {
	local mode=$1 name=$2 dir=$3 framing=$4 case=$5
	shift 5
	local label="$mode/$framing/$case${*:+ $*}" before after n rc rec q
	before=$(repo_state "$dir")
	n=$(audit_count)
	set +e
	# shellcheck disable=SC2046
	timeout 90 python3 "$CRAFT" push "$GATE" "$name" "$case" $(framing_args "$framing") \
		--thin-base "$WORK/thin-base-$mode" "${AUTH[@]}" --want refused "$@" \
		> /dev/null 2> "$WORK/client.txt"
	rc=$?
	set -e
	# For a body cut short the upstream's receive-pack may still be exiting.
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		[ -z "$(repo_quarantine "$dir")" ] && break
		sleep 0.3
	done
	after=$(repo_state "$dir")
	if [ "$after" = "$before" ]; then
		ok "$label: upstream refs and objects unchanged"
	else
		check_fail "$label: upstream changed: $(diff <(echo "$before") <(echo "$after") | grep '^[<>]' | head -5 | tr '\n' ' ')"
	fi
	q=$(repo_quarantine "$dir")
	if [ -z "$q" ]; then ok "$label: no quarantine directory"; else check_fail "$label: quarantine left: $q"; fi
	if [ "$rc" = 0 ]; then
		ok "$label: client told ($(cut -c1-160 "$WORK/client.txt"))"
	else
		check_fail "$label: $(head -c 400 "$WORK/client.txt")"
	fi
	rec=$(audit_after "$n")
	if [ -z "$rec" ]; then
		check_fail "$label: no audit record"
	else
		local verdict reason want
		verdict=$(echo "$rec" | tail -1 | cut -d' ' -f1)
		reason=$(echo "$rec" | tail -1 | cut -d' ' -f2)
		want=${REASONS[$case]:-}
		if [ "$verdict" = reject ] && [[ " $want " == *" $reason "* ]]; then
			ok "$label: audit reject $reason"
		else
			check_fail "$label: audit says '$verdict $reason', want reject with one of: $want (client: $(cut -c1-160 "$WORK/client.txt"))"
		fi
	fi
}

# crafted_applied MODE REPO_NAME REPO_DIR FRAMING [extra craft args]: a clean push moves the ref
crafted_applied() {
	local mode=$1 name=$2 dir=$3 framing=$4
	shift 4
	local label="$mode/$framing/clean${*:+ $*}" new rc n rec
	n=$(audit_count)
	set +e
	# shellcheck disable=SC2046
	new=$(timeout 90 python3 "$CRAFT" push "$GATE" "$name" clean $(framing_args "$framing") \
		"${AUTH[@]}" --want applied --print-new "$@" 2> "$WORK/client.txt")
	rc=$?
	set -e
	if [ "$rc" = 0 ]; then ok "$label: client told ok"; else check_fail "$label: $(head -c 400 "$WORK/client.txt")"; fi
	if [ -n "$new" ] && [ "$(git -C "$dir" rev-parse -q --verify refs/heads/main)" = "$new" ]; then
		ok "$label: ref moved to the crafted commit"
	else
		check_fail "$label: ref is $(git -C "$dir" rev-parse -q --verify refs/heads/main || echo none), crafted $new"
	fi
	rec=$(audit_after "$n" | tail -1)
	case $rec in
	allow*|audit*|warn*) ok "$label: audit $rec" ;;
	*) check_fail "$label: audit record '$rec' for a clean push" ;;
	esac
}

run_matrix() {	# MODE REPO_NAME REPO_DIR
	local mode=$1 name=$2 dir=$3 framing case
	git -C "$dir" cat-file blob refs/heads/main:README.md > "$WORK/thin-base-$mode" \
		|| fail "$mode: no README.md on main for the thin-pack base"
	for framing in held streamed chunked; do
		crafted_applied "$mode" "$name" "$dir" "$framing"
		for case in $REFUSED_CASES; do
			crafted_refused "$mode" "$name" "$dir" "$framing" "$case"
		done
	done
	# Other request shapes: gzip (JGit), Expect: 100-continue, a pipelined
	# second request after the body, and a body cut short.
	crafted_applied "$mode" "$name" "$dir" gzip
	crafted_refused "$mode" "$name" "$dir" gzip junk
	crafted_refused "$mode" "$name" "$dir" gzip secret
	crafted_applied "$mode" "$name" "$dir" streamed --expect100
	crafted_refused "$mode" "$name" "$dir" streamed secret --expect100
	crafted_refused "$mode" "$name" "$dir" held junk --expect100
	crafted_applied "$mode" "$name" "$dir" held --pipeline
	crafted_refused "$mode" "$name" "$dir" held secret --pipeline
	crafted_refused "$mode" "$name" "$dir" streamed junk --pipeline
}

# An early EOF cannot be audited as a verdict the same way (there may be no
# verdict at all): only the upstream state and the quarantine are asserted.
early_eof() {	# MODE REPO_NAME REPO_DIR FRAMING
	local mode=$1 name=$2 dir=$3 framing=$4 before after
	before=$(repo_state "$dir")
	# shellcheck disable=SC2046
	timeout 60 python3 "$CRAFT" push "$GATE" "$name" secret $(framing_args "$framing") \
		"${AUTH[@]}" --early-eof -5000 > /dev/null 2> "$WORK/client.txt" || true
	for _ in $(seq 1 20); do
		[ -z "$(repo_quarantine "$dir")" ] && break
		sleep 0.3
	done
	after=$(repo_state "$dir")
	if [ "$after" = "$before" ] && [ -z "$(repo_quarantine "$dir")" ]; then
		ok "$mode/$framing/early-eof: upstream unchanged, no quarantine ($(cut -c1-100 "$WORK/client.txt"))"
	else
		check_fail "$mode/$framing/early-eof: upstream changed or quarantine left: $(repo_quarantine "$dir") $(diff <(echo "$before") <(echo "$after") | head -3 | tr '\n' ' ')"
	fi
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

run_matrix upstream app "$WORK/upstream/app.git"
early_eof upstream app "$WORK/upstream/app.git" streamed
early_eof upstream app "$WORK/upstream/app.git" chunked
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
run_matrix embedded demo "$EREPO"
early_eof embedded demo "$EREPO" streamed
echo "whole script took $(( $(date +%s) - T0 )) s"

if [ "$FAILED" != 0 ]; then
	echo "--- failed checks:"
	printf '  %s\n' "${FAILS[@]}"
	echo "$PASS passed, $FAILED failed"
	exit 1
fi
done_tests
