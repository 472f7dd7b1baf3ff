#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Generate vmlinux.h from the running kernel's BTF (CO-RE: the object built
# from it relocates on other kernels with BTF).
set -euo pipefail
bpftool=$1 out=$2
btf=/sys/kernel/btf/vmlinux
if [ ! -r "$btf" ]; then
	echo "gen-vmlinux.sh: $btf is missing: this kernel has no BTF (CONFIG_DEBUG_INFO_BTF=y is needed)" >&2
	exit 1
fi
"$bpftool" btf dump file "$btf" format c > "$out.tmp"
mv "$out.tmp" "$out"
