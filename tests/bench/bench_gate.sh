#!/usr/bin/env bash
# Push-gate benchmark (issue 3): the same history-rich repository pushed
# through `sluice serve` and through a plain TLS-terminating nginx in front
# of the same upstream (lighttpd + git http-backend), alternating, with
# the wall-time ratio; verdict latency after the last byte (p50/p99) for
# pushes up to 10 MB; RSS idle and under 32 concurrent pushes.
# Usage: bench_gate.sh [path/to/sluice]   (prints a table; ~3 minutes)
set -euo pipefail
export SLUICE_BINARY=$(readlink -f "${1:-build/sluice}")
export SLUICE_SOURCE_DIR=$(cd "$(dirname "$0")/../.." && pwd)
. "$SLUICE_SOURCE_DIR/tests/integration/lib.sh"
ROUNDS=${ROUNDS:-5}

start_gate
sleep 1
rss_start_kb=$(awk '/^VmRSS/ {print $2}' "/proc/$SL_PID/status")
# nginx: TLS termination and proxying only, same certificate.
NG_PORT=$(free_port)
mkdir -p "$WORK/nginx/logs"
cat > "$WORK/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $WORK/nginx/nginx.pid;
error_log $WORK/nginx/logs/error.log;
events { worker_connections 1024; }
http {
	access_log off;
	client_body_temp_path $WORK/nginx/body;
	proxy_temp_path $WORK/nginx/proxy;
	server {
		listen 127.0.0.1:$NG_PORT ssl;
		ssl_certificate $DATA/tls/cert.pem;
		ssl_certificate_key $DATA/tls/key.pem;
		ssl_protocols TLSv1.2 TLSv1.3;
		client_max_body_size 0;
		proxy_request_buffering off;
		proxy_buffering off;
		proxy_http_version 1.1;
		location / { proxy_pass http://127.0.0.1:$UP_PORT/git/; }
	}
}
CONF
nginx -c "$WORK/nginx/nginx.conf" -p "$WORK/nginx" -g 'daemon off;' &
PIDS+=($!)
wait_port "$NG_PORT" || fail "nginx did not start: $(cat "$WORK/nginx/logs/error.log")"
NGINX="https://localhost:$NG_PORT"

# A history-rich repository: 40 commits editing source files, ~25 MB pack.
git init -q -b main "$WORK/src"
git_user "$WORK/src"
python3 - "$WORK/src" <<'PY'
import os, random, subprocess, sys
w = sys.argv[1]
r = random.Random(3)
words = [l.strip() for l in open("/usr/share/dict/words")] if os.path.exists("/usr/share/dict/words") else \
        ["alpha","beta","gamma","delta","epsilon","server","client","config","value","index","query","table"]
for n in range(40):
    for i in range(30):
        d = os.path.join(w, f"pkg{i % 6}")
        os.makedirs(d, exist_ok=True)
        p = os.path.join(d, f"file{i}.go")
        lines = open(p).read().splitlines() if os.path.exists(p) else []
        for _ in range(250):
            lines.insert(r.randrange(len(lines) + 1),
                         "\t" + " ".join(r.choice(words) for _ in range(7)) + f" // {r.getrandbits(48):x}")
        open(p, "w").write("\n".join(lines) + "\n")
    subprocess.run(["git", "-C", w, "add", "-A"], check=True)
    subprocess.run(["git", "-C", w, "commit", "-qm", f"change {n}"], check=True)
PY
git -C "$WORK/src" gc -q
pack_mb=$(du -sm "$WORK/src/.git/objects/pack" | cut -f1)

push_time() {  # push_time URL REPO -> seconds
	local url=$1 repo=$2 t0 t1
	rm -rf "$WORK/upstream/$repo.git"
	new_upstream_repo "$repo"
	t0=$(date +%s.%N)
	git -C "$WORK/src" push -q "$url/$repo.git" main 2>"$WORK/push.err" || fail "push $url: $(cat "$WORK/push.err")"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
sl=(); ng=()
for i in $(seq 1 "$ROUNDS"); do
	sl+=("$(push_time "$GATE" "rs$i")")
	ng+=("$(push_time "$NGINX" "rn$i")")
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}'; }
sl_med=$(median "${sl[@]}"); ng_med=$(median "${ng[@]}")
ratio=$(echo "$sl_med / $ng_med" | bc -l)

# Incremental pushes, the everyday case: 3 new commits on top of history
# the upstream already has, into the repositories pushed above.
inc_push() {  # inc_push URL REPO -> seconds
	local t0 t1
	t0=$(date +%s.%N)
	git -C "$WORK/src" push -q "$1/$2.git" main 2>"$WORK/push.err" || fail "incremental push $1: $(cat "$WORK/push.err")"
	t1=$(date +%s.%N)
	echo "$t1 - $t0" | bc -l
}
isl=(); ing=()
for i in $(seq 1 "$ROUNDS"); do
	python3 - "$WORK/src" "$i" <<'PY'
import os, random, subprocess, sys
w, n = sys.argv[1], int(sys.argv[2])
r = random.Random(100 + n)
for c in range(3):
    for i in r.sample(range(30), 3):
        p = os.path.join(w, f"pkg{i % 6}", f"file{i}.go")
        lines = open(p).read().splitlines()
        for _ in range(20):
            lines.insert(r.randrange(len(lines) + 1), f"\t// change {n}.{c} {r.getrandbits(48):x}")
        open(p, "w").write("\n".join(lines) + "\n")
    subprocess.run(["git", "-C", w, "commit", "-qam", f"inc {n}.{c}"], check=True)
PY
	for j in $(seq 1 "$ROUNDS"); do
		if [ "$j" = "$i" ]; then
			isl+=("$(inc_push "$GATE" "rs$j")")
			ing+=("$(inc_push "$NGINX" "rn$j")")
		else
			git -C "$WORK/src" push -q "$WORK/upstream/rs$j.git" main 2>/dev/null
			git -C "$WORK/src" push -q "$WORK/upstream/rn$j.git" main 2>/dev/null
		fi
	done
done
isl_med=$(median "${isl[@]}"); ing_med=$(median "${ing[@]}")
iratio=$(echo "$isl_med / $ing_med" | bc -l)

# Verdict latency: 40 pushes from 0.1 to 10 MB, verdict_ms from the audit log.
lat_from=$(wc -l < "$DATA/audit.jsonl")
git init -q -b main "$WORK/lat"
git_user "$WORK/lat"
for i in $(seq 1 40); do
	kb=$(( (i * 250) % 10000 + 100 ))
	head -c $((kb * 1024)) /dev/urandom | base64 -w 76 > "$WORK/lat/f$i.txt"
	git -C "$WORK/lat" add -A
	git -C "$WORK/lat" commit -qm "lat $i"
	[ "$i" = 1 ] && new_upstream_repo lat
	git -C "$WORK/lat" push -q "$GATE/lat.git" main 2>/dev/null || fail "latency push $i"
done
tail -n +"$((lat_from + 1))" "$DATA/audit.jsonl" | grep -o '"verdict_ms":[0-9.]*' | cut -d: -f2 | sort -g > "$WORK/lat.txt"
n=$(wc -l < "$WORK/lat.txt")
p50=$(awk -v n="$n" 'NR==int((n+1)*0.5){print}' "$WORK/lat.txt")
p99=$(awk -v n="$n" 'NR==(int(n*0.99)>0?int(n*0.99):1){v=$1} END{print v}' "$WORK/lat.txt")
pmax=$(tail -1 "$WORK/lat.txt")

# RSS: idle, then peak under 32 concurrent pushes (each its own repo).
rss() { awk '/^VmRSS/ {print $2}' "/proc/$SL_PID/status"; }
hwm() { awk '/^VmHWM/ {print $2}' "/proc/$SL_PID/status"; }
sleep 1
idle_kb=$(rss)
for i in $(seq 1 32); do new_upstream_repo "c$i"; done
pids=()
for i in $(seq 1 32); do
	git -C "$WORK/src" push -q "$GATE/c$i.git" main 2>"$WORK/c$i.err" &
	pids+=($!)
done
failed=0
for i in "${!pids[@]}"; do
	if ! wait "${pids[$i]}"; then
		failed=$((failed + 1))
		[ "$failed" = 1 ] && { echo "first failed push:"; head -5 "$WORK/c$((i + 1)).err"; } >&2
	fi
done
peak_kb=$(hwm)

cpu=$(lscpu | sed -n 's/^Model name: *//p' | head -1)
cat <<REPORT
## push gate ($(date -u +%Y-%m-%d), $cpu, $(nproc) cores)
| figure | value | target |
|---|---|---|
| repository pushed | $pack_mb MB pack, 40 commits, $ROUNDS rounds alternating | |
| push wall time, sluice (median) | ${sl_med} s | |
| push wall time, nginx TLS proxy (median) | ${ng_med} s | |
| push overhead ratio sluice/nginx, whole history | $(printf '%.3f' "$ratio") | <= 1.10 |
| incremental push (3 commits on known history), sluice / nginx (medians) | ${isl_med} s / ${ing_med} s | |
| push overhead ratio sluice/nginx, incremental | $(printf '%.3f' "$iratio") | <= 1.10 |
| verdict latency after last byte, p50 ($n pushes, 0.1-10 MB) | ${p50} ms | |
| verdict latency after last byte, p99 | ${p99} ms (max ${pmax} ms) | <= 50 ms |
| RSS idle, fresh start | $((rss_start_kb / 1024)) MB | |
| RSS idle, after the pushes above | $((idle_kb / 1024)) MB | |
| RSS peak, 32 concurrent pushes of the $pack_mb MB pack | $((peak_kb / 1024)) MB ($failed failed) | |
REPORT
