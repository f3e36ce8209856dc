#!/usr/bin/env bash
# Slow clients (slow-loris): sluice with one worker and max_connections=60,
# 200 attacker connections that send one byte per second (half dribble a TLS
# ClientHello, half finish TLS and dribble an HTTP request head), all
# reconnecting when dropped.  Meanwhile a real `git push` (clean) must
# succeed within 30 s and be applied upstream: early in the attack, 12 s
# into it, and once 20 more connections send a POST head for a push and
# dribble its body one byte a second.  The gate answers normally once the
# attack stops.  Bounded: the attack stops itself after 75 s at the latest,
# the script in under 2 minutes.  Loopback only.  Every check runs; the
# script ends with `N passed, M failed`.
. "$(dirname "$0")/lib.sh"

CRAFT="$SRC/tests/integration/craft.py"

start_gate --workers 1 --set max_connections=60
grep -E "listening" "$WORK/sluice.log" | head -1
grep -q "(1 worker" "$WORK/sluice.log" || check_fail "log does not say 1 worker: $(head -2 "$WORK/sluice.log")"
new_upstream_repo app
git init -q -b main "$WORK/seed"
git_user "$WORK/seed"
echo "# app" > "$WORK/seed/README.md"
git -C "$WORK/seed" add -A
git -C "$WORK/seed" commit -qm init
git -C "$WORK/seed" push -q "$WORK/upstream/app.git" main
clone_through_gate app "$WORK/w"

attackers() { ss -Htn state established "( dport = :$SL_PORT )" | wc -l; }
STOP="$WORK/stop-attack"
timeout 100 python3 "$CRAFT" slow "$GATE" app --n 200 --duration 75 --stop-file "$STOP" \
	> "$WORK/slow.json" 2> "$WORK/slow.err" &
ATTACK=$!
PIDS+=($ATTACK)
# Let the attack fill the worker: every attacker connected at least once.
for _ in $(seq 1 40); do
	[ "$(attackers)" -ge 150 ] && break
	sleep 0.25
done
sleep 2
n_before=$(attackers)
echo "attacker connections established before the push: $n_before"
if [ "$n_before" -ge 60 ]; then
	ok "attack in effect: $n_before slow connections established (max_connections=60)"
else
	check_fail "attack not in effect: only $n_before connections established"
fi

# push_under_attack N: a clean commit pushed with a real git client, within 30 s.
push_under_attack() {
	local n=$1 t0 t1 el rc
	echo "change $n" >> "$WORK/w/README.md"
	git -C "$WORK/w" commit -qam "clean change $n under attack"
	t0=$(date +%s.%N)
	set +e
	timeout 30 git -C "$WORK/w" push origin main > "$WORK/push.out" 2>&1
	rc=$?
	set -e
	t1=$(date +%s.%N)
	el=$(python3 -c "print('%.2f' % ($t1 - $t0))")
	echo "git push $n: exit $rc after $el s; attacker connections after it: $(attackers)"
	if [ "$rc" = 0 ]; then
		ok "clean git push $n succeeded in $el s under the attack"
	else
		check_fail "clean git push $n under the attack: exit $rc after $el s: $(tail -3 "$WORK/push.out" | tr '\n' ' ')"
	fi
	if [ "$(git -C "$WORK/upstream/app.git" rev-parse main)" = "$(git -C "$WORK/w" rev-parse main)" ]; then
		ok "push $n applied upstream"
	else
		check_fail "push $n not applied upstream"
	fi
}
ATTACK_T0=$(date +%s)
push_under_attack 1
# Later in the attack the slow heads have dribbled more bytes and every
# connection slot has been fought over for a while: push again.
while [ $(( $(date +%s) - ATTACK_T0 )) -lt 12 ]; do sleep 1; done
echo "attacker connections established before push 2: $(attackers)"
push_under_attack 2
# And 20 more connections that send a whole POST head for a push and then
# dribble its body, one byte a second (they reconnect when dropped).
timeout 60 python3 "$CRAFT" slow "$GATE" app --n 0 --body 20 --duration 40 --stop-file "$STOP" \
	> "$WORK/slowbody.json" 2> "$WORK/slowbody.err" &
PIDS+=($!)
BODY_PID=$!
sleep 5
echo "attacker connections established before push 3 (with 20 body dribblers): $(attackers)"
push_under_attack 3

touch "$STOP"
wait "$ATTACK" 2>/dev/null || true
wait "$BODY_PID" 2>/dev/null || true
echo "attacker: $(cat "$WORK/slow.json" 2>/dev/null) $(tail -2 "$WORK/slow.err")"
echo "body dribblers: $(cat "$WORK/slowbody.json" 2>/dev/null) $(tail -2 "$WORK/slowbody.err")"
grep -q '"opened"' "$WORK/slowbody.json" 2>/dev/null && ok "body dribblers ran ($(cat "$WORK/slowbody.json"))" \
	|| check_fail "body dribblers did not run: $(tail -3 "$WORK/slowbody.err")"
python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if d["opened"] >= 200 and d["bytes_dribbled"] > 0 else 1)' \
	"$WORK/slow.json" && ok "attacker opened >= 200 connections and dribbled bytes" \
	|| check_fail "attacker did not run as intended: $(cat "$WORK/slow.json" 2>/dev/null) $(tail -3 "$WORK/slow.err")"

# After the attack: the gate answers at once.
t0=$(date +%s.%N)
if timeout 10 git ls-remote "$GATE/app.git" > "$WORK/ls.out" 2>&1; then
	ok "ls-remote after the attack ($(python3 -c "print('%.2f' % ($(date +%s.%N) - $t0))") s)"
else
	check_fail "ls-remote after the attack: $(tail -2 "$WORK/ls.out")"
fi
kill -0 "$SL_PID" 2>/dev/null && ok "sluice still running" || check_fail "sluice died: $(tail -5 "$WORK/sluice.log")"

done_tests
