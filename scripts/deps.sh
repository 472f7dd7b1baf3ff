#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Install what sluice needs to build, test, demo and benchmark on Debian 12.
# Idempotent: installs only packages that are missing; exits 0 when all are
# present.  Needs root (apt-get).
set -euo pipefail

PKGS=(
	# build
	make clang llvm gcc libbpf-dev libelf-dev zlib1g-dev bpftool pkg-config
	libyaml-dev libjson-c-dev liburing-dev
	# tests
	libcriterion-dev iproute2 curl netcat-openbsd dnsutils socat python3
	python3-yaml dnsmasq rsyslog libclang-rt-14-dev valgrind
	# fuzzing and benchmarks
	libfuzzer-14-dev nftables iptables ipset gnuplot-nox jq
)

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
		missing+=("$p")
done

if [ ${#missing[@]} -eq 0 ]; then
	exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
	echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
	exit 1
fi
echo "deps.sh: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# Debian starts these services on install; sluice's tests run their own
# instances on loopback and must not find the system ones holding ports.
for svc in dnsmasq rsyslog; do
	if command -v systemctl >/dev/null 2>&1 && systemctl is-active -q "$svc" 2>/dev/null; then
		systemctl stop "$svc" || true
		systemctl disable -q "$svc" 2>/dev/null || true
	fi
done
