# SPDX-License-Identifier: GPL-2.0-only
# Plots for docs/bench.md; bench/report.py writes the data and runs:
#   gnuplot -e "datadir='D'; outdir='O'; prefix='bench'; metric='per CPU-second'" bench/plot.gp
# ratio-LOAD-FAM.dat: N, then median/min/max of the ratio to no program for
# empty, sluice, nft, ipt, ipset.  apply.dat: N, seconds for sluice, nft,
# iptables, ipset.  nsrun.dat: N, sluice ns/run for connect4 connect6
# sendmsg4 sendmsg6, empty connect4.
set terminal pngcairo size 1100,460 font "sans,10"
set datafile missing "?"
set logscale x 10
set format x "10^{%L}"
set xrange [0.5:2e6]
set grid
set key bottom left
set xlabel "rules (prefixes in the policy)"

names = "empty sluice nftables iptables-chain iptables+ipset"

do for [load in "tcp udp"] {
	what = (load eq "tcp") ? "connects/s" : "datagrams/s"
	set output sprintf("%s/%s-%s.png", outdir, prefix, (load eq "tcp") ? "connect" : "sendto")
	set multiplot layout 1,2 title sprintf("%s (%s) as a ratio to no program; allowed destination; median, min-max", what, metric)
	do for [fam in "4 6"] {
		set title sprintf("IPv%s", fam)
		set ylabel "ratio to no program"
		set yrange [0:1.15]
		plot for [i=1:5] sprintf("%s/ratio-%s-%s.dat", datadir, load, fam) \
			using 1:(column(3*i-1)):(column(3*i)):(column(3*i+1)) \
			with yerrorlines lw 2 title word(names, i)
	}
	unset multiplot
}

set terminal pngcairo size 700,460 font "sans,10"
set output sprintf("%s/%s-apply.png", outdir, prefix)
set title "time to replace a policy of N prefixes"
set logscale y 10
set format y "10^{%L}"
set yrange [*:*]
set ylabel "seconds"
set key top left
plot for [i=2:5] sprintf("%s/apply.dat", datadir) using 1:i with linespoints lw 2 \
	title word("sluicectl-apply nft-f iptables-restore ipset-restore+swap", i-1)

set output sprintf("%s/%s-nsrun.png", outdir, prefix)
set title "ns per program run (kernel.bpf_stats_enabled), allowed destination"
unset logscale y
set format y "%g"
set yrange [0:*]
set ylabel "ns per run"
plot for [i=2:6] sprintf("%s/nsrun.dat", datadir) using 1:i with linespoints lw 2 \
	title word("sluice-connect4 sluice-connect6 sluice-sendmsg4 sluice-sendmsg6 empty-connect4", i-1)
