#!/usr/bin/env bash
# Delta bombs (tests/integration/craft.py): a 64 KiB base and OFS_DELTAs made
# of 64 KiB copy ops, each declaring ~500 MiB, ~450 B (one delta) or ~1.5 KB
# (16 deltas) on the wire.  sluice runs with the default configuration plus
# --workers 1, under a systemd-style watchdog (NOTIFY_SOCKET, WATCHDOG_USEC=2 s)
# that this test listens to.  Asserted:
#   - a one-delta bomb is refused quickly; the upstream is unchanged;
#   - four concurrent 16-delta bombs are all refused, the upstream unchanged;
#   - meanwhile VmRSS (sampled every 50 ms) and VmHWM stay under 256 MB;
#   - info/refs GETs through the same (only) worker, started while the bombs
#     are in flight, each complete in under 250 ms;
#   - the largest gap between WATCHDOG=1 datagrams stays under 5 s.
# The same four checks for two more rounds: bombs padded with 256 KiB of
# incompressible data (so an expansion-ratio limit lets 16 x 30 MiB through,
# the secret at the end of the last result), and gzip request bodies of
# ~64 KB that decode to a 60 MiB pack.
# Every check runs; the script ends with `N passed, M failed`.
. "$(dirname "$0")/lib.sh"

CRAFT="$SRC/tests/integration/craft.py"
check() {	# check "label" python-expression-result(0/1) detail
	if [ "$2" = 1 ]; then ok "$1 ($3)"; else check_fail "$1 ($3)"; fi
}

# The watchdog listener: one line "monotonic-time message" per datagram.
NOTIFY="$WORK/notify.sock"
python3 - "$NOTIFY" "$WORK/notify.log" <<'PY' &
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
s.settimeout(1)
end = time.monotonic() + 170          # stops by itself
with open(sys.argv[2], "a") as f:
    while time.monotonic() < end:
        try:
            d = s.recv(4096)
        except socket.timeout:
            continue
        for m in d.decode("latin-1").split("\n"):
            if m:
                f.write("%.3f %s\n" % (time.monotonic(), m))
        f.flush()
PY
PIDS+=($!)
for _ in $(seq 1 50); do [ -S "$NOTIFY" ] && break; sleep 0.1; done
[ -S "$NOTIFY" ] || fail "notify listener did not start"

start_upstream
NOTIFY_SOCKET="$NOTIFY" WATCHDOG_USEC=2000000 start_sluice --upstream "http://127.0.0.1:$UP_PORT/git" --workers 1
# The upstream must survive a bomb the gate lets through: cap what each of
# its CGI children may take (address space, CPU seconds).
LIGHTTPD_PID=${PIDS[1]}
prlimit --pid "$LIGHTTPD_PID" --as=3000000000 --cpu=60 || fail "prlimit on the upstream"
new_upstream_repo app
git init -q -b main "$WORK/seed"
git_user "$WORK/seed"
echo "# app" > "$WORK/seed/README.md"
git -C "$WORK/seed" add -A
git -C "$WORK/seed" commit -qm init
git -C "$WORK/seed" push -q "$WORK/upstream/app.git" main
grep -q "(1 worker" "$WORK/sluice.log" && ok "one worker ($(grep -m1 listening "$WORK/sluice.log" | cut -c1-80))" \
	|| check_fail "log does not say 1 worker: $(head -2 "$WORK/sluice.log")"
for _ in $(seq 1 60); do grep -q "READY=1" "$WORK/notify.log" 2>/dev/null && break; sleep 0.1; done
grep -q "READY=1" "$WORK/notify.log" 2>/dev/null && ok "READY=1 on NOTIFY_SOCKET" \
	|| check_fail "no READY=1 on NOTIFY_SOCKET: $(head -3 "$WORK/notify.log" 2>/dev/null)"

mono() { python3 -c 'import time; print("%.3f" % time.monotonic())'; }
# One delta, ~450 bytes of pack.
before=$(upstream_state app)
t0=$(mono)
set +e
timeout 60 python3 "$CRAFT" push "$GATE" app bomb1 --want refused --json "$WORK/bomb1.json" 2> "$WORK/bomb1.txt"
rc=$?
set -e
t1=$(mono)
bsize=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["body_bytes"])' "$WORK/bomb1.json" 2>/dev/null || echo "?")
el=$(python3 -c 'import json,sys; print("%.2f" % json.load(open(sys.argv[1]))["elapsed"])' "$WORK/bomb1.json" 2>/dev/null || echo 99)
echo "bomb1: $bsize B request, answered $el s after the request was sent ($(python3 -c "print('%.2f' % ($t1 - $t0))") s with building it): $(cat "$WORK/bomb1.txt")"
[ "$rc" = 0 ] && ok "one-delta bomb ($bsize B) refused ($(cut -c1-140 "$WORK/bomb1.txt"))" \
	|| check_fail "one-delta bomb: $(head -c 300 "$WORK/bomb1.txt")"
check "one-delta bomb answered within 1 s of sending it" "$(python3 -c "print(int($el < 1))")" "$el s"
[ "$(upstream_state app)" = "$before" ] && ok "one-delta bomb: upstream unchanged" \
	|| check_fail "one-delta bomb: upstream changed"
no_quarantine app && ok "one-delta bomb: no quarantine" || check_fail "one-delta bomb: quarantine left"
tail -1 "$DATA/audit.jsonl" 2>/dev/null | grep -q '"verdict":"reject"' && ok "one-delta bomb: audit reject $(tail -1 "$DATA/audit.jsonl" | grep -o '"reason":"[A-Z_]*"')" \
	|| check_fail "one-delta bomb: no reject audit record"

# bomb_round CASE LABEL: four concurrent bombs, with probes, memory sampling
# and the watchdog gaps of the round.
bomb_round() {
	local case=$1 label=$2 framing=${3:-cl} before w0 w1 i why
	before=$(upstream_state app)
	w0=$(mono)
	timeout 150 python3 "$CRAFT" bombs "$GATE" app --case "$case" --framing "$framing" --n 4 --pid "$SL_PID" --timeout 60 \
		> "$WORK/bombs.json" 2> "$WORK/bombs.err" || check_fail "$label: craft.py bombs: $(tail -3 "$WORK/bombs.err")"
	sleep 1
	w1=$(mono)
	python3 - "$WORK/bombs.json" <<'PY' > "$WORK/bombs.txt" || true
import json, sys
d = json.load(open(sys.argv[1]))
b = d["bombs"]
print("  wall %.2f s; request sizes %s" % (d["wall_s"], [x and x["body_bytes"] for x in b]))
for x in b:
    print("  answer: %s" % ((x and (x["status"], x["report"][:2] or x["body"][:80], x["error"], x["elapsed"])),))
print("  memory: VmRSS max %s kB over %d samples, VmHWM %s kB" % (d["rss_max_kb"], d["rss_samples"], d["hwm_kb"]))
print("  probes (ms, status, bombs in flight at start): %s" % [(p["ms"], p["status"], p["bombs_in_flight_at_start"]) for p in d["probes"]])
PY
	echo "$label:"
	cat "$WORK/bombs.txt"
	for i in 0 1 2 3; do
		why=$(val "d['bombs'][$i] and d['bombs'][$i]['refused'] or (d['bombs'][$i] and 'refused-ok') or 'no result'")
		if [ "$why" = refused-ok ]; then ok "$label: bomb $((i + 1)) refused"
		else check_fail "$label: bomb $((i + 1)): $why"; fi
	done
	[ "$(upstream_state app)" = "$before" ] && ok "$label: upstream unchanged" \
		|| check_fail "$label: upstream changed: $(diff <(echo "$before") <(upstream_state app) | head -4 | tr '\n' ' ')"
	no_quarantine app && ok "$label: no quarantine" || check_fail "$label: quarantine left"
	check "$label: VmRSS stays under 256 MB" "$(val "int(bool(d['rss_max_kb']) and d['rss_max_kb'] < 256*1024 and d['rss_samples'] > 0)")" \
		"max $(val "d['rss_max_kb']") kB, $(val "d['rss_samples']") samples"
	check "$label: VmHWM under 256 MB" "$(val "int(bool(d['hwm_kb']) and d['hwm_kb'] < 256*1024)")" "$(val "d['hwm_kb']") kB"
	check "$label: a probe started while bombs were in flight" "$(val "int(any(p['bombs_in_flight_at_start'] > 0 for p in d['probes']))")" \
		"$(val "sum(p['bombs_in_flight_at_start'] > 0 for p in d['probes'])") of $(val "len(d['probes'])")"
	check "$label: every info/refs GET through the gate completes in < 250 ms with 200" \
		"$(val "int(bool(d['probes']) and all(p['status'] == 200 and p['ms'] < 250 for p in d['probes']))")" \
		"max $(val "max(p['ms'] for p in d['probes'])") ms"
	# Gaps between WATCHDOG=1 datagrams from the round's start to its end
	# (the time since the last datagram counts as a gap too).
	python3 - "$WORK/notify.log" "$w0" "$w1" <<'PY' > "$WORK/wd.txt"
import sys
w0, w1 = float(sys.argv[2]), float(sys.argv[3])
ts = [float(l.split()[0]) for l in open(sys.argv[1]) if l.split()[1:] == ["WATCHDOG=1"]]
prev = [t for t in ts if t < w0]
pts = [prev[-1] if prev else w0] + [t for t in ts if w0 <= t <= w1] + [w1]
gaps = [b - a for a, b in zip(pts, pts[1:])]
print("%d %.3f %d %.1f" % (sum(1 for t in ts if w0 <= t <= w1), max(gaps), len(ts), w1 - w0))
PY
	local wd_n wd_gap wd_total wd_win
	read -r wd_n wd_gap wd_total wd_win < "$WORK/wd.txt"
	echo "  watchdog: $wd_n WATCHDOG=1 in the $wd_win s round ($wd_total in all), largest gap $wd_gap s"
	check "$label: WATCHDOG=1 datagrams keep coming" "$(python3 -c "print(int($wd_n >= 1 and $wd_total >= 2))")" "$wd_n in $wd_win s"
	check "$label: largest gap between WATCHDOG=1 under 5 s" "$(python3 -c "print(int($wd_gap < 5))")" "$wd_gap s"
}
val() { python3 -c "import json,sys; d=json.load(open('$WORK/bombs.json')); print($1)" 2>/dev/null || echo 0; }

bomb_round bomb16 "4 x 16-delta bombs (500 MiB each delta)"
# The same under an expansion-ratio limit: 256 KiB of incompressible data in
# front buys 16 deltas of 30 MiB; the secret sits at the end of the last one,
# so the push must be expanded (or refused for a limit) to be judged.
bomb_round bomb_padded_secret "4 x padded bombs (16 x 30 MiB, secret at the end)"
# A gzip request body of ~64 KB (Content-Length: held whole) that decodes to
# a 60 MiB pack (stored zlib blocks), the secret at its end: four of them
# must not make the gate hold 4 x 60 MiB.
bomb_round body_bomb "4 x gzip body bombs (64 KB -> 60 MiB, secret at the end)" gzip

# A real `git clone` on the same (only) worker while four padded bombs are
# being expanded and scanned: it may take at most 250 ms longer than the
# same clone with the gate idle.
clone_ms() {	# clone_ms DIR: wall milliseconds of a clone of app through the gate
	local t0 t1
	t0=$(mono)
	git clone -q "$GATE/app.git" "$1" 2> "$WORK/clone.err" || { echo 999999; return; }
	t1=$(mono)
	python3 -c "print(int(($t1 - $t0) * 1000))"
}
base_ms=$(clone_ms "$WORK/clone-idle")
timeout 150 python3 "$CRAFT" bombs "$GATE" app --case bomb_padded_secret --n 4 --pid "$SL_PID" --timeout 60 \
	> "$WORK/bg-bombs.json" 2> "$WORK/bg-bombs.err" &
BG=$!
sleep 0.3
# Two clones back to back while the bombs run; the faster one counts
# (a 2-core CI runner also runs another test beside this one).
during_ms=$(clone_ms "$WORK/clone-during")
during2_ms=$(clone_ms "$WORK/clone-during2")
in_flight=$(kill -0 "$BG" 2>/dev/null && echo yes || echo no)
[ "$during2_ms" -lt "$during_ms" ] && during_ms=$during2_ms
wait "$BG" || true
echo "clone: ${base_ms} ms idle, ${during_ms} ms during the bombs (bombs still in flight at its end: $in_flight)"
check "a git clone during the bombs was started while they were in flight" "$([ "$in_flight" = yes ] && echo 1 || echo 0)" "$in_flight"
check "a git clone on the same worker waits < 250 ms behind the bombs" \
	"$(python3 -c "print(int($during_ms - $base_ms < 250))")" "${base_ms} ms idle, ${during_ms} ms during"
kill -0 "$SL_PID" 2>/dev/null && ok "sluice still running" || check_fail "sluice died: $(tail -5 "$WORK/sluice.log")"

done_tests
