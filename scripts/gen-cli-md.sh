#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0-only
# Write docs/cli.md from the programs' own --help, so the reference and the
# programs cannot disagree.  Usage: scripts/gen-cli-md.sh [OUTPUT_DIR]
set -euo pipefail
cd "$(dirname "$0")/.."
OUT=${1:-.output}
{
	echo "# Command-line reference"
	echo
	echo "Generated from \`--help\` by \`scripts/gen-cli-md.sh\`; the programs print the same text."
	echo
	echo "## sluiced"
	echo
	echo '```'
	"$OUT/sluiced" --help
	echo '```'
	echo
	echo "## sluicectl"
	echo
	echo '```'
	"$OUT/sluicectl" --help
	echo '```'
	for cmd in $("$OUT/sluicectl" --help | awk '/^Commands:/ { on = 1; next } /^$/ { on = 0 } on { print $1 }'); do
		echo
		echo "### sluicectl $cmd"
		echo
		echo '```'
		"$OUT/sluicectl" "$cmd" --help
		echo '```'
	done
} >docs/cli.md
