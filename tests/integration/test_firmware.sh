#!/usr/bin/env bash
# test_firmware.sh - firmware/: the systemd unit, the sysusers entry, the
# default config, the image recipe, and the contract between the unit and
# the binary (sd_notify READY/WATCHDOG/STOPPING, cipher order per board).
#
# Every check can fail: the unit is verified by systemd itself in a scratch
# root that holds the real binary, and a deliberately broken copy must be
# reported (so a verifier that checks nothing cannot pass); the config is
# read by the binary's own parser; the image recipe really installs into a
# scratch root; sluice serve really runs with a notify socket and a TLS
# client.  Needs: bash, python3, git, openssl, systemd-analyze,
# systemd-sysusers, systemctl (all in Debian 12's systemd), shellcheck.

# Single-quoted '$1' in bash -c snippets and awk programs is meant literally.
# shellcheck disable=SC2016
set -euo pipefail

src=${SLUICE_SOURCE_DIR:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)}
bin=${SLUICE_BINARY:-$src/build/sluice}
fw=$src/firmware
unit=$fw/systemd/sluice.service
conf=$fw/sluice.conf
image=$fw/image/build-image.sh

work=$(mktemp -d)
pids=()
cleanup() {
	local p
	for p in "${pids[@]}"; do
		kill "$p" 2>/dev/null || true
		wait "$p" 2>/dev/null || true
	done
	rm -rf "$work"
}
trap cleanup EXIT

failures=0
ok() { echo "ok   $*"; }
fail() { echo "FAIL $*" >&2; failures=$((failures + 1)); }
check() {	# check DESCRIPTION COMMAND...
	local what=$1
	shift
	if "$@"; then ok "$what"; else fail "$what"; fi
}
need() {
	command -v "$1" >/dev/null || { echo "FAIL required tool '$1' is not installed" >&2; exit 1; }
}
for t in python3 git openssl systemd-analyze systemd-sysusers systemctl shellcheck readelf dpkg; do
	need "$t"
done
[ -x "$bin" ] || { echo "FAIL no sluice binary at $bin" >&2; exit 1; }

# A scratch root that looks like an installed Debian system to systemd's
# offline tools: the host's unit files, our unit, and the real binary.
make_root() {	# make_root DIR
	mkdir -p "$1/etc" "$1/usr/bin" "$1/lib/systemd/system"
	cp -a /lib/systemd/system/. "$1/lib/systemd/system/"
	install -m 0755 "$bin" "$1/usr/bin/sluice"
}

# --- 1. the unit -------------------------------------------------------------

root=$work/root
make_root "$root"
cp "$unit" "$root/lib/systemd/system/sluice.service"

verify() {	# verify ROOT: prints what systemd-analyze says, returns its status
	systemd-analyze verify --root="$1" --man=no --generators=no sluice.service 2>&1
}
out=$(verify "$root") && rc=0 || rc=$?
check "systemd-analyze verify accepts sluice.service (status $rc, output: ${out:-none})" \
	test "$rc" -eq 0 -a -z "$out"

# systemd-analyze only warns (and exits 0) about unknown keys and bad
# values, so a clean result means no output; prove that it does speak up.
for bad in 's/^Type=notify$/Type=notfy/' 's/^ProtectSystem=strict$/ProtectSytem=strict/' \
	   's/^WatchdogSec=30s$/WatchdogSec=thirty/'; do
	sed "$bad" "$unit" >"$root/lib/systemd/system/sluice.service"
	out=$(verify "$root") || true
	check "systemd-analyze verify reports a broken unit ($bad)" test -n "$out"
done
cp "$unit" "$root/lib/systemd/system/sluice.service"

# The optional hwrng drop-in must verify too.
mkdir -p "$root/etc/systemd/system/sluice.service.d"
cp "$fw/systemd/sluice.service.d/hwrng.conf" "$root/etc/systemd/system/sluice.service.d/"
out=$(verify "$root") && rc=0 || rc=$?
check "sluice.service with the hwrng drop-in verifies (output: ${out:-none})" \
	test "$rc" -eq 0 -a -z "$out"
rm -r "$root/etc/systemd/system/sluice.service.d"

# systemd's own exposure score (0 = locked down, 10 = unprotected); the
# threshold is in tenths.  The unit scores 1.7 with Debian 12's systemd;
# dropping the user, the capability bound, the address families or the
# system call filter each lifts it past 2.0 (single lines are checked
# exactly below).
out=$(systemd-analyze security --offline=yes --root="$root" --threshold=20 sluice.service 2>&1) &&
	rc=0 || rc=$?
check "systemd-analyze security: $(echo "$out" | grep -o 'exposure level.*' || echo '?') (limit 2.0)" \
	test "$rc" -eq 0

# The settings the appliance depends on, exactly.
required=(
	"Type=notify" "WatchdogSec=30s" "Restart=on-failure" "User=sluice" "Group=sluice"
	"StateDirectory=sluice" "ExecStart=/usr/bin/sluice serve --config /etc/sluice/sluice.conf"
	"NoNewPrivileges=yes" "ProtectSystem=strict" "ReadWritePaths=/var/lib/sluice"
	"ProtectHome=yes" "PrivateTmp=yes" "PrivateDevices=yes" "ProtectKernelTunables=yes"
	"ProtectKernelModules=yes" "ProtectKernelLogs=yes" "ProtectControlGroups=yes"
	"RestrictAddressFamilies=AF_UNIX AF_INET AF_INET6" "RestrictNamespaces=yes"
	"LockPersonality=yes" "SystemCallFilter=@system-service"
	"CapabilityBoundingSet=CAP_NET_BIND_SERVICE" "AmbientCapabilities=CAP_NET_BIND_SERVICE"
)
for line in "${required[@]}"; do
	check "unit sets $line" grep -qxF -- "$line" "$unit"
done
# PCRE2 JIT needs W+X pages: as long as the engine JIT-compiles, the unit
# must not deny them (the fallback would work, but slowly and silently).
if grep -rqs pcre2_jit_compile "$src/core"; then
	check "MemoryDenyWriteExecute is off while PCRE2 JIT is used" \
		grep -qxF "MemoryDenyWriteExecute=no" "$unit"
fi
# The unit, the image and the config agree on paths.
check "the image installs the config where ExecStart reads it" \
	grep -qF '"$root/etc/sluice/sluice.conf"' "$image"
check "the unit's StateDirectory is the config's data directory" \
	grep -qxE 'data = /var/lib/sluice' "$conf"

# --- 2. the system user -------------------------------------------------------

sys=$work/sysusers
mkdir -p "$sys/etc"
systemd-sysusers --root="$sys" "$fw/systemd/sluice.sysusers" >/dev/null 2>&1 || true
pw=$(grep '^sluice:' "$sys/etc/passwd" 2>/dev/null || true)
IFS=: read -r _ _ uid gid _ home shell <<<"${pw:-::::::}"
check "sysusers creates user sluice ($pw)" test -n "$pw"
check "sluice is a system user (uid $uid < 1000) with its own group" \
	test -n "$uid" -a "${uid:-1000}" -lt 1000 -a "$uid" = "$gid"
check "sluice has no login shell and lives in the data directory" \
	test "$shell" = /usr/sbin/nologin -a "$home" = /var/lib/sluice
check "group sluice exists" grep -q '^sluice:' "$sys/etc/group"

# --- 3. the default config ----------------------------------------------------

# Keys documented in firmware/README.md's table.
mapfile -t documented < <(sed -n 's/^| `\([a-z_]*\)` | .*/\1/p' "$fw/README.md")
mapfile -t present < <(sed -n 's/^\([a-z_][a-z_.]*\) *=.*/\1/p' "$conf")
check "firmware/README.md documents keys (${#documented[@]})" test "${#documented[@]}" -ge 15
for k in "${documented[@]}"; do
	check "sluice.conf sets documented key $k" grep -qE "^$k *=" "$conf"
done
for k in "${present[@]}"; do
	check "sluice.conf key $k is documented in firmware/README.md" \
		grep -qF "| \`$k\` |" "$fw/README.md"
	# Documented where it is set too: walking up over neighbouring keys,
	# the first other line is a comment.
	check "sluice.conf key $k has a comment above it" \
		awk -v k="$k" '
			$0 ~ "^" k " *=" { found = 1; exit }
			/^#/ { last = "comment"; next }
			/^[a-z_]+ *=/ { next }
			{ last = "other" }
			END { exit !(found && last == "comment") }' "$conf"
done
# The values the issue fixes.
for kv in "listen = 0.0.0.0:8443" "data = /var/lib/sluice" "upstream =" "cert =" "key =" \
	  "verdict_deadline_ms = 4000" "on_timeout = fail-closed" "iac_action = warn" \
	  "bypass = anyone" "hold_whole_max = 1048576" "log_level = info"; do
	check "sluice.conf: $kv" grep -qxE "${kv// /\\s*}\\s*" "$conf"
done
# The binary's own parser reads it, and rejects what it should.
if out=$("$bin" serve --config "$conf" --print-config 2>&1); then
	check "sluice serve parses sluice.conf: listen" grep -qx 'listen = 0.0.0.0:8443' <<<"$out"
	check "sluice serve parses sluice.conf: verdict_deadline_ms" \
		grep -qx 'verdict_deadline_ms = 4000' <<<"$out"
	check "sluice serve parses sluice.conf: upstream empty" grep -qx 'upstream = ' <<<"$out"
else
	fail "sluice serve --config firmware/sluice.conf --print-config: $out"
fi
{ cat "$conf"; echo "no_such_key = 1"; } >"$work/bad.conf"
check "sluice serve rejects an unknown key" \
	bash -c '! "$1" serve --config "$2" --print-config >/dev/null 2>&1' _ "$bin" "$work/bad.conf"

# --- 4. the image recipe ------------------------------------------------------

check "build-image.sh: bash -n" bash -n "$image"
check "build-image.sh: shellcheck" shellcheck "$image"
arch=$(dpkg --print-architecture)
pkgs=$(bash "$image" --dry-run --binary "$bin" "$work/never" | sed -n 's/^packages: //p')
check "build-image.sh --dry-run lists packages" test -n "$pkgs"
check "--dry-run created nothing" test ! -e "$work/never"
# Every library the binary links directly comes from a package the image
# installs.
while read -r lib; do
	path=$(ldd "$bin" | awk -v l="$lib" '$1 == l { print $3 }')
	pkg=$( { dpkg -S "$path" 2>/dev/null || dpkg -S "$(realpath "$path")" 2>/dev/null; } |
		head -1 | cut -d: -f1)
	check "image has $lib (package ${pkg:-?})" grep -qw -- "${pkg:-unknown-package}" <<<"$pkgs"
done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
other=amd64
[ "$arch" = amd64 ] && other=arm64
opkgs=$(bash "$image" --dry-run --arch "$other" "$work/never" | sed -n 's/^packages: //p')
if [ "$other" = arm64 ]; then
	check "arm64 image uses Vectorscan, not Hyperscan" \
		bash -c 'grep -qw libvectorscan5 <<<"$1" && ! grep -qw libhyperscan5 <<<"$1"' _ "$opkgs"
fi
check "build-image.sh rejects an unknown architecture" \
	bash -c '! bash "$1" --dry-run --arch riscv64 x >/dev/null 2>&1' _ "$image"
mkdir -p "$work/nonempty" && touch "$work/nonempty/file"
out=$(bash "$image" --binary "$bin" "$work/nonempty" 2>&1) && rc=0 || rc=$?
check "build-image.sh refuses a non-empty target ($out)" \
	test "$rc" -ne 0 -a -n "$(grep 'not empty' <<<"$out")"
check "... and leaves it alone" test "$(ls -A "$work/nonempty")" = file

# Install into a scratch root; the result must be a root systemd accepts.
img=$work/img
make_root "$img"
rm "$img/usr/bin/sluice"
out=$(bash "$image" --no-bootstrap --binary "$bin" "$img" 2>&1) && rc=0 || rc=$?
check "build-image.sh --no-bootstrap installs (status $rc)" test "$rc" -eq 0
[ "$rc" -eq 0 ] || echo "$out" >&2
check "image: /usr/bin/sluice is the built binary" cmp -s "$bin" "$img/usr/bin/sluice"
check "image: /usr/bin/sluice is executable" test -x "$img/usr/bin/sluice"
check "image: unit installed" cmp -s "$unit" "$img/lib/systemd/system/sluice.service"
check "image: config installed" cmp -s "$conf" "$img/etc/sluice/sluice.conf"
check "image: sysusers entry installed" \
	cmp -s "$fw/systemd/sluice.sysusers" "$img/usr/lib/sysusers.d/sluice.conf"
check "image: user sluice created" grep -q '^sluice:' "$img/etc/passwd"
check "image: sluice.service enabled" \
	test -L "$img/etc/systemd/system/multi-user.target.wants/sluice.service"
npacks=$(find "$src/rules/packs" -maxdepth 1 -name '*.yaml' | wc -l)
ipacks=$(find "$img/usr/share/sluice/packs" -maxdepth 1 -name '*.yaml' | wc -l)
check "image: rule packs installed ($ipacks of $npacks)" test "$npacks" -gt 0 -a "$ipacks" -eq "$npacks"
out=$(verify "$img") && rc=0 || rc=$?
check "image: systemd-analyze verify passes in the installed root (${out:-no output})" \
	test "$rc" -eq 0 -a -z "$out"

# --- 5. the binary keeps the unit's contract ---------------------------------

# A notify socket the test binds itself; systemd would pass the same two
# variables to a Type=notify service with WatchdogSec=.
cat >"$work/notify.py" <<'EOF'
import socket, sys, time
path, out = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(path)
s.settimeout(0.5)
end = time.time() + 60
with open(out, "w") as f:
    while time.time() < end:
        try:
            m = s.recv(4096).decode()
        except socket.timeout:
            continue
        f.write(m.replace("\n", "|") + "\n")
        f.flush()
        if m.startswith("STOPPING=1"):
            break
EOF
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {	# wait_for SECONDS COMMAND...: polls until COMMAND succeeds
	local n=$(($1 * 10))
	shift
	while [ "$n" -gt 0 ]; do
		"$@" && return 0
		sleep 0.1
		n=$((n - 1))
	done
	return 1
}

p=$(port)
python3 "$work/notify.py" "$work/notify.sock" "$work/notify.log" &
pids+=($!)
wait_for 10 test -S "$work/notify.sock" || fail "notify listener did not start"
NOTIFY_SOCKET=$work/notify.sock WATCHDOG_USEC=1000000 \
	"$bin" serve --config "$conf" --data "$work/data" --listen "127.0.0.1:$p" \
	2>"$work/serve.log" &
spid=$!
pids+=("$spid")
check "sluice serve sends READY=1 under Type=notify" \
	wait_for 60 grep -qs '^READY=1' "$work/notify.log"
# WATCHDOG_USEC=1 s: a ping every 0.5 s, so about 6 within 3 s; pinging
# only once per full interval would give 3.
sleep 3
pings=$(grep -c '^WATCHDOG=1' "$work/notify.log" || true)
check "sluice serve pings the watchdog at half the interval ($pings pings in 3 s)" \
	test "$pings" -ge 5
check "first start created the certificate and the demo repository" \
	test -s "$work/data/tls/cert.pem" -a -d "$work/data/repos/demo.git"

# Cipher order: the server's preference decides, whatever the client lists
# first.  This machine: AES-GCM first when the CPU has AES-NI and PCLMULQDQ
# (x86-64; mbedTLS 2.28 has no ARMv8 AES code, so never first on arm64).
negotiated() {	# negotiated PORT: the TLS 1.2 suite chosen when the client prefers AES
	echo | timeout 10 openssl s_client -connect "127.0.0.1:$1" -tls1_2 \
		-cipher 'ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-CHACHA20-POLY1305' 2>/dev/null |
		sed -n 's/.*Cipher is \(.*\)/\1/p' | head -1
}
want=ECDHE-ECDSA-CHACHA20-POLY1305
if [ "$(uname -m)" = x86_64 ] && grep -qw aes /proc/cpuinfo && grep -qw pclmulqdq /proc/cpuinfo; then
	want=ECDHE-ECDSA-AES128-GCM-SHA256
fi
got=$(negotiated "$p")
check "detected board: negotiated $got, expected $want" test "$got" = "$want"

kill -TERM "$spid"
wait "$spid" && rc=0 || rc=$?
check "sluice serve exits 0 on SIGTERM (status $rc)" test "$rc" -eq 0
check "sluice serve sends STOPPING=1 on SIGTERM" wait_for 10 grep -qs '^STOPPING=1' "$work/notify.log"

# A forced Raspberry Pi 4 profile (no AES instructions): ChaCha20 first even
# for a client that prefers AES.
p=$(port)
"$bin" serve --config "$conf" --data "$work/data" --listen "127.0.0.1:$p" --board rpi4 \
	2>"$work/serve-rpi4.log" &
spid=$!
pids+=("$spid")
wait_for 60 grep -qs 'listening' "$work/serve-rpi4.log" || fail "sluice serve --board rpi4 did not start"
got=$(negotiated "$p")
check "--board rpi4: negotiated $got, expected ECDHE-ECDSA-CHACHA20-POLY1305" \
	test "$got" = ECDHE-ECDSA-CHACHA20-POLY1305
kill -TERM "$spid"
wait "$spid" || true

if [ "$failures" -ne 0 ]; then
	echo "test_firmware: $failures check(s) failed" >&2
	for f in "$work"/serve*.log; do
		echo "--- $f" >&2
		cat "$f" >&2
	done
	exit 1
fi
echo "test_firmware: all checks passed"
