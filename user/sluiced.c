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
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "events.h"
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
"  -C, --config FILE      sluiced's configuration (YAML): event sinks -- files\n"
"                         with rotation, stdout, syslog over UDP, TCP or a Unix\n"
"                         socket --, their formats and filters, sampling, ring\n"
"                         buffer size (docs/siem.md)\n"
"      --check-config     check --config FILE, print what is wrong, and exit\n"
"  -e, --events PATH      also write events, one per line, to PATH (- for stdout)\n"
"  -f, --event-format FMT format of --events: json (sluice's own, the default),\n"
"                         ocsf (OCSF 1.8.0), ecs (Elastic) or cef (ArcSight CEF)\n"
"      --sample-allowed N keep one allowed event in N (denied and audit events\n"
"                         are never sampled; the kernel counters count all)\n"
"  -g, --group NAME       members of group NAME may use the control socket\n"
"                         (default: root only)\n"
"      --state PATH       where grants, tasks and pending requests are kept\n"
"                         for a restarted daemon (default /run/sluice/state.json)\n"
"      --max-ttl DURATION longest grant or task TTL (default 24h)\n"
"  -w, --watch            re-apply the policy directory when its files change\n"
"\n"
"DNS (agents' port-53 traffic goes to sluiced's resolver proxy, which answers\n"
"only names their policy allows and installs the answers' addresses into\n"
"the kernel before releasing them; agents with `dns: direct` are not sent):\n"
"      --dns-port N       the proxy's port on 127.0.0.1 and ::1 (default 5300);\n"
"                         0 turns the proxy and the redirection off\n"
"      --dns-upstream ADDR[:PORT]\n"
"                         where allowed queries go (up to 4, tried in order;\n"
"                         default: the nameservers of /etc/resolv.conf)\n"
"      --dns-refuse R     answer names that are not allowed with refused\n"
"                         (default) or nxdomain\n"
"      --dns-grace D      added to an answer's TTL (default 10s)\n"
"      --dns-max-ttl D    longest a learned address lives (default 1h); answers\n"
"                         tell agents no longer TTL than this\n"
"      --rules-max N      capacity of the policy trie (default 262144 keys)\n"
"      --grants-max N     capacity of the grant trie (default 65536 keys)\n"
"      --ringbuf-size N   event ring buffer bytes, a power of two (default 4194304;\n"
"                         a restarted sluiced keeps the pinned buffer's size)\n"
"      --teardown         kill every process under the agents root, detach the\n"
"                         programs, unpin everything, remove the root, and exit\n"
"  -v, --verbose          debug output, including libbpf's and the verifier's\n"
"  -h, --help             this text\n"
"\n"
"Signals: SIGTERM and SIGINT stop the daemon (enforcement stays); SIGHUP\n"
"reopens event files (after logrotate) and reconnects syslog sinks.\n"
"\n"
"Exit status: 0 on a clean stop, 1 when start-up fails (one line says why).\n"
"\n"
"Examples:\n"
"  sluiced --policy-dir /etc/sluice/policy.d --events /var/log/sluice/events.jsonl\n"
"  sluiced -p policies/ -e - -g sluice\n"
"  sluiced --events /var/log/sluice/events.ocsf.jsonl --event-format ocsf\n"
"  sluiced --config /etc/sluice/sluiced.yaml --check-config\n"
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

enum {
	OPT_RULES = 256, OPT_GRANTS, OPT_RINGBUF, OPT_TEARDOWN, OPT_CHECK_CONFIG, OPT_SAMPLE,
	OPT_STATE, OPT_MAX_TTL, OPT_DNS_PORT, OPT_DNS_UPSTREAM, OPT_DNS_REFUSE, OPT_DNS_GRACE,
	OPT_DNS_MAX_TTL,
};

/* --dns-* options: the resolver proxy agents' DNS goes to. */
static int dns_option(int c, const char *arg, struct sl_daemon_cfg *cfg)
{
	uint32_t port;

	switch (c) {
	case OPT_DNS_PORT:
		if (parse_u32(arg, "--dns-port", 0, 65535, &port))
			return -EINVAL;
		cfg->dns_port = (uint16_t)port;
		return 0;
	case OPT_DNS_UPSTREAM:
		if (cfg->n_dns_upstream == 4) {
			fprintf(stderr, "sluiced: at most 4 --dns-upstream\n");
			return -EINVAL;
		}
		cfg->dns_upstream[cfg->n_dns_upstream++] = arg;
		return 0;
	case OPT_DNS_REFUSE:
		if (strcmp(arg, "refused") && strcmp(arg, "nxdomain")) {
			fprintf(stderr, "sluiced: --dns-refuse is refused or nxdomain\n");
			return -EINVAL;
		}
		cfg->dns_refuse_rcode = strcmp(arg, "refused") ? 3 : 5;
		return 0;
	case OPT_DNS_GRACE:
	case OPT_DNS_MAX_TTL:
		if (sl_duration_parse(arg, c == OPT_DNS_GRACE ? &cfg->dns_grace_ns : &cfg->dns_max_ttl_ns)) {
			fprintf(stderr, "sluiced: %s takes a duration like 10s, 5m, 1h\n",
				c == OPT_DNS_GRACE ? "--dns-grace" : "--dns-max-ttl");
			return -EINVAL;
		}
		return 0;
	}
	return -EINVAL;
}

/* The events: section of --config, then --events as one more sink. */
static int events_cfg(const char *config, const char *path, const char *format,
		      struct sl_events_cfg *ev)
{
	struct sl_sink_cfg sink;
	struct sl_diag dg;
	int f = format ? sl_evfmt_parse(format) : SL_EVFMT_JSON, err = 0;

	if (f < 0) {
		fprintf(stderr, "sluiced: --event-format is json, ocsf, ecs or cef, not \"%s\"\n", format);
		return -EINVAL;
	}
	if (format && !path) {
		fprintf(stderr, "sluiced: --event-format goes with --events PATH\n");
		return -EINVAL;
	}
	if (config) {
		sl_diag_init(&dg);
		err = sl_config_load(config, ev, &dg);
		sl_diag_print(&dg, stderr);
		sl_diag_free(&dg);
		if (err)
			return err;
	}
	if (!path)
		return 0;
	sl_sink_cfg_init(&sink, strcmp(path, "-") ? SL_SINK_FILE : SL_SINK_STDOUT);
	sink.format = (enum sl_evfmt)f;
	sink.rotate_keep = 0;
	if (sink.type == SL_SINK_FILE)
		sink.path = (char *)path;
	err = sl_events_cfg_add(ev, &sink);
	return err;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "policy-dir", required_argument, NULL, 'p' },
		{ "socket", required_argument, NULL, 's' },
		{ "cgroup-root", required_argument, NULL, 'c' },
		{ "bpffs", required_argument, NULL, 'b' },
		{ "config", required_argument, NULL, 'C' },
		{ "check-config", no_argument, NULL, OPT_CHECK_CONFIG },
		{ "events", required_argument, NULL, 'e' },
		{ "event-format", required_argument, NULL, 'f' },
		{ "sample-allowed", required_argument, NULL, OPT_SAMPLE },
		{ "group", required_argument, NULL, 'g' },
		{ "rules-max", required_argument, NULL, OPT_RULES },
		{ "grants-max", required_argument, NULL, OPT_GRANTS },
		{ "ringbuf-size", required_argument, NULL, OPT_RINGBUF },
		{ "teardown", no_argument, NULL, OPT_TEARDOWN },
		{ "state", required_argument, NULL, OPT_STATE },
		{ "max-ttl", required_argument, NULL, OPT_MAX_TTL },
		{ "watch", no_argument, NULL, 'w' },
		{ "dns-port", required_argument, NULL, OPT_DNS_PORT },
		{ "dns-upstream", required_argument, NULL, OPT_DNS_UPSTREAM },
		{ "dns-refuse", required_argument, NULL, OPT_DNS_REFUSE },
		{ "dns-grace", required_argument, NULL, OPT_DNS_GRACE },
		{ "dns-max-ttl", required_argument, NULL, OPT_DNS_MAX_TTL },
		{ "verbose", no_argument, NULL, 'v' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct sl_daemon_cfg cfg = {
		.socket = SL_DEFAULT_SOCKET, .cgroup_root = "sluice",
		.bpffs = "/sys/fs/bpf/sluice", .group = (gid_t)-1,
		.state = "/run/sluice/state.json", .dns_port = 5300,
	};
	const char *config = NULL, *events = NULL, *event_format = NULL;
	bool teardown = false, verbose = false, policy_given = false, check_config = false;
	struct sl_events_cfg ev = { 0 };
	uint32_t sample = 0, ringbuf = 0;
	struct group *gr;
	struct stat st;
	int c, rc;

	while ((c = getopt_long(argc, argv, "p:s:c:b:C:e:f:g:wvh", opts, NULL)) != -1) {
		switch (c) {
		case 'p': cfg.policy_dir = optarg; policy_given = true; break;
		case 's': cfg.socket = optarg; break;
		case 'c': cfg.cgroup_root = optarg; break;
		case 'b': cfg.bpffs = optarg; break;
		case 'C': config = optarg; break;
		case OPT_CHECK_CONFIG: check_config = true; break;
		case 'e': events = optarg; break;
		case 'f': event_format = optarg; break;
		case OPT_SAMPLE:
			if (parse_u32(optarg, "--sample-allowed", 1, 1000000, &sample))
				return 1;
			break;
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
			if (parse_u32(optarg, "--ringbuf-size", 4096, 1u << 30, &ringbuf))
				return 1;
			if (ringbuf & (ringbuf - 1)) {
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
		case OPT_DNS_PORT: case OPT_DNS_UPSTREAM: case OPT_DNS_REFUSE:
		case OPT_DNS_GRACE: case OPT_DNS_MAX_TTL:
			if (dns_option(c, optarg, &cfg))
				return 1;
			break;
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
	if (check_config && !config) {
		fprintf(stderr, "sluiced: --check-config needs --config FILE\n");
		return 1;
	}
	if (events_cfg(config, events, event_format, &ev))
		return 1;
	if (check_config) {
		printf("%s: valid, %zu event sink%s\n", config, ev.n_sinks, ev.n_sinks == 1 ? "" : "s");
		sl_events_cfg_free(&ev);
		return 0;
	}
	if (sample)
		ev.sample_allowed = sample;
	cfg.ringbuf_bytes = ringbuf ? ringbuf : ev.ringbuf_bytes;
	cfg.events = &ev;
	if (!policy_given && stat(DEFAULT_POLICY_DIR, &st) == 0)
		cfg.policy_dir = DEFAULT_POLICY_DIR;
	else if (policy_given && stat(cfg.policy_dir, &st)) {
		fprintf(stderr, "sluiced: policy directory %s: %s\n", cfg.policy_dir, strerror(errno));
		sl_events_cfg_free(&ev);
		return 1;
	}
	rc = sl_daemon_run(&cfg) ? 1 : 0;
	sl_events_cfg_free(&ev);
	return rc;
}
