// SPDX-License-Identifier: GPL-2.0-only
/* sluiced: the privileged daemon that keeps agents' egress in check. */
#include <errno.h>
#include <getopt.h>
#include <grp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include "addr.h"
#include "control.h"
#include "daemon.h"
#include "log.h"

#define DEFAULT_POLICY_DIR	"/etc/sluice/policy.d"

static const char usage[] =
"Usage: sluiced [OPTION]...\n"
"       sluiced --teardown [--cgroup-root NAME] [--bpffs DIR]\n"
"\n"
"Enforce egress policy on AI agents in the kernel.  sluiced loads BPF\n"
"programs onto its agents root cgroup (<cgroup2 mount>/NAME), pins them and\n"
"their maps under bpffs, applies the policy in the policy directory, and\n"
"serves sluicectl on a Unix socket.  Enforcement outlives the daemon: when\n"
"sluiced stops or dies, the programs stay attached and keep denying what the\n"
"policy does not allow (fail closed); a restarted sluiced adopts them.\n"
"Only --teardown removes them.\n"
"\n"
"Options:\n"
"  -p, --policy-dir DIR   load every *.yaml in DIR at start; nothing is applied\n"
"                         if any file is invalid (default " DEFAULT_POLICY_DIR ",\n"
"                         skipped if it does not exist)\n"
"  -s, --socket PATH      control socket (default " SL_DEFAULT_SOCKET ")\n"
"  -c, --cgroup-root NAME agents root, relative to the cgroup2 mount found in\n"
"                         /proc/self/mountinfo (default sluice)\n"
"  -b, --bpffs DIR        where links and maps are pinned (default\n"
"                         /sys/fs/bpf/sluice); bpffs is mounted if missing\n"
"  -e, --events PATH      write events as JSON lines to PATH; - for stdout\n"
"  -g, --group NAME       members of group NAME may use the control socket\n"
"                         (default: root only)\n"
"      --state PATH       where grants, tasks and pending requests are kept\n"
"                         for a restarted daemon (default /run/sluice/state.json)\n"
"      --max-ttl DURATION longest grant or task TTL (default 24h)\n"
"  -w, --watch            re-apply the policy directory when its files change\n"
"      --rules-max N      capacity of the policy trie (default 262144 keys)\n"
"      --grants-max N     capacity of the grant trie (default 65536 keys)\n"
"      --ringbuf-size N   event ring buffer bytes, a power of two (default 4194304)\n"
"      --teardown         kill every process under the agents root, detach the\n"
"                         programs, unpin everything, remove the root, and exit\n"
"  -v, --verbose          debug output, including libbpf's and the verifier's\n"
"  -h, --help             this text\n"
"\n"
"Signals: SIGTERM and SIGINT stop the daemon (enforcement stays); SIGHUP\n"
"reopens the event file.\n"
"\n"
"Exit status: 0 on a clean stop, 1 when start-up fails (one line says why).\n"
"\n"
"Examples:\n"
"  sluiced --policy-dir /etc/sluice/policy.d --events /var/log/sluice/events.jsonl\n"
"  sluiced -p policies/ -e - -g sluice\n"
"  sluiced --teardown\n";

static int parse_u32(const char *s, const char *what, uint32_t min, uint32_t max, uint32_t *out)
{
	char *end;
	unsigned long long v;

	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno || !*s || *end || v < min || v > max) {
		fprintf(stderr, "sluiced: %s must be a number from %u to %u\n", what, min, max);
		return -EINVAL;
	}
	*out = (uint32_t)v;
	return 0;
}

enum { OPT_RULES = 256, OPT_GRANTS, OPT_RINGBUF, OPT_TEARDOWN, OPT_STATE, OPT_MAX_TTL };

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy-dir", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "events", required_argument, NULL, 'e' },
		{ "group", required_argument, NULL, 'g' },
		{ "rules-max", required_argument, NULL, OPT_RULES },
		{ "grants-max", required_argument, NULL, OPT_GRANTS },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "teardown", no_argument, NULL, OPT_TEARDOWN },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "max-ttl", required_argument, NULL, OPT_MAX_TTL },
		{ "watch", no_argument, NULL, 'w' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sl_daemon_cfg cfg = {
		.socket = SL_DEFAULT_SOCKET, .cgroup_root = "sluice",
		.bpffs = "/sys/fs/bpf/sluice", .group = (gid_t)-1,
		.state = "/run/sluice/state.json",
	};
	bool teardown = false, verbose = false, policy_given = false;
	struct group *gr;
	struct stat st;
	int c;

	while ((c = getopt_long(argc, argv, "p:s:c:b:e:g:wvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': cfg.policy_dir = optarg; policy_given = true; break;
		case 's': cfg.socket = optarg; break;
		case 'c': cfg.cgroup_root = optarg; break;
		case 'b': cfg.bpffs = optarg; break;
		case 'e': cfg.events = optarg; break;
		case 'g':
			gr = getgrnam(optarg);
			if (!gr) {
				fprintf(stderr, "sluiced: no group named \"%s\"\n", optarg);
				return 1;
			}
			cfg.group = gr->gr_gid;
			break;
		case OPT_RULES:
			if (parse_u32(optarg, "--rules-max", 16, 1u << 26, &cfg.rules_max))
				return 1;
			break;
		case OPT_GRANTS:
			if (parse_u32(optarg, "--grants-max", 16, 1u << 24, &cfg.grants_max))
				return 1;
			break;
		case OPT_RINGBUF:
			if (parse_u32(optarg, "--ringbuf-size", 4096, 1u << 30, &cfg.ringbuf_bytes))
				return 1;
			if (cfg.ringbuf_bytes & (cfg.ringbuf_bytes - 1)) {
				fprintf(stderr, "sluiced: --ringbuf-size must be a power of two\n");
				return 1;
			}
			break;
		case OPT_TEARDOWN: teardown = true; break;
		case OPT_STATE: cfg.state = optarg; break;
		case OPT_MAX_TTL:
			if (sl_duration_parse(optarg, &cfg.max_ttl_ns)) {
				fprintf(stderr, "sluiced: --max-ttl takes a duration like 30m, 12h, 7d\n");
				return 1;
			}
			break;
		case 'w': cfg.watch = true; break;
		case 'v': verbose = true; break;
		case 'h': fputs(usage, stdout); return 0;
		default:
			fprintf(stderr, "Try 'sluiced --help'.\n");
			return 1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "sluiced: unexpected argument \"%s\"\nTry 'sluiced --help'.\n", argv[optind]);
		return 1;
	}
	sl_log_init("sluiced", verbose ? SL_LOG_DEBUG : SL_LOG_INFO);
	sl_log_libbpf();
	if (teardown)
		return sl_daemon_teardown(&cfg) ? 1 : 0;
	if (!policy_given && stat(DEFAULT_POLICY_DIR, &st) == 0)
		cfg.policy_dir = DEFAULT_POLICY_DIR;
	else if (policy_given && stat(cfg.policy_dir, &st)) {
		fprintf(stderr, "sluiced: policy directory %s: %s\n", cfg.policy_dir, strerror(errno));
		return 1;
	}
	return sl_daemon_run(&cfg) ? 1 : 0;
}
