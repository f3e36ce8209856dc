#!/usr/bin/env bash
# build-image.sh - a minimal Debian 12 (bookworm) root file system running
# sluice as a systemd service (issue 3 §4 "firmware/"; see README.md here).
#
#   build-image.sh [options] ROOTFS_DIR
#
# Creates ROOTFS_DIR with debootstrap (variant minbase plus the runtime
# libraries the sluice binary links, git for the embedded backend, and
# systemd as init), then installs sluice into it: the binary, the systemd
# unit, the sysusers entry, the default config, the rule packs; creates the
# sluice user and enables the service.  The result is a directory; turning
# it into a bootable disk (kernel, boot loader, partitions) is board
# specific and described in README.md.
#
# Needs root, network access to the Debian archive and debootstrap; for a
# foreign architecture (arm64 on an amd64 host) also qemu-user-static and
# binfmt-support.  --no-bootstrap (install into an existing root) needs
# neither network nor, for a directory the caller owns, root.  Not run by the test suite (tests/integration/
# test_firmware.sh runs --dry-run and --no-bootstrap, which need neither).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
src=$(cd "$here/../.." && pwd)

suite=bookworm
mirror=http://deb.debian.org/debian
components=main
arch=$(dpkg --print-architecture 2>/dev/null || echo amd64)
binary=$src/build/sluice
extra=""
bootstrap=yes
dry_run=no
hostname=sluice

usage() {
	cat <<EOF
usage: $(basename "$0") [options] ROOTFS_DIR

  --binary PATH     sluice binary to install (default: build/sluice)
  --arch ARCH       Debian architecture: amd64 or arm64 (default: $arch)
  --mirror URL      Debian mirror (default: $mirror)
  --components LIST archive components, comma-separated (default: $components;
                    raspi-firmware needs main,non-free-firmware)
  --extra PKGS      more packages, comma-separated (e.g. linux-image-arm64)
  --hostname NAME   host name of the image (default: $hostname)
  --no-bootstrap    install sluice into an existing Debian root in
                    ROOTFS_DIR instead of creating one
  --dry-run         print the package list and the plan, change nothing
  -h, --help        this text
EOF
}

die() {
	echo "build-image.sh: $*" >&2
	exit 1
}

while [ $# -gt 0 ]; do
	case $1 in
	--binary) binary=${2:?--binary needs a path}; shift 2 ;;
	--arch) arch=${2:?--arch needs a value}; shift 2 ;;
	--mirror) mirror=${2:?--mirror needs a URL}; shift 2 ;;
	--components) components=${2:?--components needs a list}; shift 2 ;;
	--extra) extra=${2:?--extra needs a list}; shift 2 ;;
	--hostname) hostname=${2:?--hostname needs a name}; shift 2 ;;
	--no-bootstrap) bootstrap=no; shift ;;
	--dry-run) dry_run=yes; shift ;;
	-h|--help) usage; exit 0 ;;
	--) shift; break ;;
	-*) usage >&2; exit 2 ;;
	*) break ;;
	esac
done
[ $# -eq 1 ] || { usage >&2; exit 2; }
root=$1

# Runtime packages.  The library list mirrors what the binary links
# (readelf -d sluice | grep NEEDED); tests/integration/test_firmware.sh
# fails when the binary needs a library whose package is missing here.
case $arch in
amd64) regex_pkg=libhyperscan5 ;;	# Hyperscan needs x86-64 SSSE3+
arm64) regex_pkg=libvectorscan5 ;;	# the Hyperscan port for Arm NEON
*) die "unsupported architecture '$arch' (amd64 or arm64)" ;;
esac
packages=(
	# init, service manager, networking (systemd-networkd is part of
	# systemd), a clock for certificate validity on boards without RTC
	systemd systemd-sysv systemd-timesyncd
	# libraries of /usr/bin/sluice
	libc6 libstdc++6 libgcc-s1 "$regex_pkg" libpcre2-8-0 zlib1g libyaml-0-2
	liblmdb0 libmbedtls14 libmbedx509-1 libmbedcrypto7 libevent-2.1-7
	libevent-pthreads-2.1-7 libsystemd0 libssl3
	# the embedded backend runs `git http-backend`; CAs for https upstreams
	git ca-certificates
)
if [ -n "$extra" ]; then
	IFS=, read -r -a more <<<"$extra"
	packages+=("${more[@]}")
fi
include=$(IFS=,; echo "${packages[*]}")

if [ "$dry_run" = yes ]; then
	echo "root: $root"
	echo "arch: $arch"
	echo "suite: $suite"
	echo "mirror: $mirror"
	echo "components: $components"
	echo "bootstrap: $bootstrap"
	echo "binary: $binary"
	echo "packages: ${packages[*]}"
	exit 0
fi

[ -x "$binary" ] || die "no executable sluice binary at $binary (build it first, or --binary)"
for f in firmware/systemd/sluice.service firmware/systemd/sluice.sysusers firmware/sluice.conf; do
	[ -f "$src/$f" ] || die "missing $src/$f"
done

# A binary for the wrong architecture would install fine and fail at boot.
if command -v readelf >/dev/null; then
	machine=$(readelf -h "$binary" | sed -n 's/^ *Machine: *//p')
	case $arch:$machine in
	amd64:*X86-64*|arm64:AArch64) ;;
	*) die "$binary is built for '$machine', not $arch" ;;
	esac
fi

host_arch=$(dpkg --print-architecture 2>/dev/null || echo unknown)
foreign=no
[ "$arch" = "$host_arch" ] || foreign=yes

# --- 1. the Debian root ------------------------------------------------
if [ "$bootstrap" = yes ]; then
	if [ -e "$root" ] && [ -n "$(ls -A "$root")" ]; then
		die "$root exists and is not empty"
	fi
	[ "$(id -u)" -eq 0 ] || die "must run as root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap is not installed (apt-get install debootstrap)"
	mkdir -p "$root"
	if [ "$foreign" = yes ]; then
		# The second stage runs the target's maintainer scripts, so the
		# host must execute arm64 binaries through qemu binfmt.
		[ -e "/proc/sys/fs/binfmt_misc/qemu-${arch/arm64/aarch64}" ] ||
			die "no binfmt handler for $arch (apt-get install qemu-user-static binfmt-support)"
		debootstrap --arch="$arch" --variant=minbase --include="$include" \
			--components="$components" --foreign "$suite" "$root" "$mirror"
		chroot "$root" /debootstrap/debootstrap --second-stage
	else
		debootstrap --arch="$arch" --variant=minbase --include="$include" \
			--components="$components" "$suite" "$root" "$mirror"
	fi

	comps=${components//,/ }
	cat >"$root/etc/apt/sources.list" <<EOF
deb $mirror $suite $comps
deb $mirror $suite-updates $comps
deb http://security.debian.org/debian-security $suite-security $comps
EOF
	echo "$hostname" >"$root/etc/hostname"
	printf '127.0.0.1\tlocalhost\n127.0.1.1\t%s\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' \
		"$hostname" >"$root/etc/hosts"
	# DHCP on every wired interface, by systemd-networkd.
	mkdir -p "$root/etc/systemd/network"
	cat >"$root/etc/systemd/network/80-wired-dhcp.network" <<'EOF'
[Match]
Name=en* eth*

[Network]
DHCP=yes
EOF
	chroot "$root" apt-get clean
	rm -rf "$root/var/lib/apt/lists/"*
else
	[ -d "$root/etc" ] || die "$root does not look like a root file system (no etc/)"
fi

# --- 2. sluice ---------------------------------------------------------
install -D -m 0755 "$binary" "$root/usr/bin/sluice"
install -D -m 0644 "$src/firmware/systemd/sluice.service" "$root/lib/systemd/system/sluice.service"
install -D -m 0644 "$src/firmware/systemd/sluice.sysusers" "$root/usr/lib/sysusers.d/sluice.conf"
install -D -m 0644 "$src/firmware/sluice.conf" "$root/etc/sluice/sluice.conf"
install -d -m 0755 "$root/usr/share/sluice/packs"
for pack in "$src"/rules/packs/*.yaml; do
	[ -e "$pack" ] || continue
	install -m 0644 "$pack" "$root/usr/share/sluice/packs/"
done
install -D -m 0644 "$src/README.md" "$root/usr/share/doc/sluice/README.md"
# The optional hwrng drop-in and udev rule, for the operator to copy.
install -D -m 0644 "$src/firmware/systemd/sluice.service.d/hwrng.conf" \
	"$root/usr/share/sluice/examples/hwrng.conf"
install -D -m 0644 "$src/firmware/systemd/60-sluice-hwrng.rules" \
	"$root/usr/share/sluice/examples/60-sluice-hwrng.rules"

# The user now, not at first boot, so that files can be owned by it.
# The host's tools act on the target's files only (--root), which also
# works for a foreign architecture.
systemd-sysusers --root="$root" "$root/usr/lib/sysusers.d/sluice.conf"
systemctl --root="$root" enable sluice.service
if [ "$bootstrap" = yes ]; then
	systemctl --root="$root" enable systemd-networkd.service systemd-timesyncd.service
fi

# --- 3. check ----------------------------------------------------------
# The binary must find every library in the image.  Needs root for
# chroot, a complete root (a --no-bootstrap target may be a bare skeleton)
# and the target architecture runnable here (natively or through qemu).
if [ "$(id -u)" -eq 0 ] && [ -x "$root/usr/bin/ldd" ] && [ -x "$root/bin/sh" ]; then
	if missing=$(chroot "$root" ldd /usr/bin/sluice | grep 'not found'); then
		die "libraries missing in the image: $missing"
	fi
	chroot "$root" /usr/bin/sluice version
fi

echo "sluice root file system ready in $root"
