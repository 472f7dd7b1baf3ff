/* SPDX-License-Identifier: GPL-2.0-only */
/* sluiced's life: start-up checks, the event loop, the control operations. */
#ifndef SLUICE_DAEMON_H
#define SLUICE_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct sl_events_cfg;

struct sl_daemon_cfg {
	const char *policy_dir;		/* NULL: start with no agents */
	const char *socket;
	const char *cgroup_root;	/* relative to the cgroup2 mount */
	const char *bpffs;
	const struct sl_events_cfg *events;	/* sinks, sampling; NULL: none */
	gid_t group;			/* (gid_t)-1: root only */
	uint32_t rules_max;
	uint32_t grants_max;
	uint32_t ringbuf_bytes;
	uint64_t max_ttl_ns;		/* 0: 24 h */
	const char *state;		/* grants and tasks across restarts, or NULL */
	bool watch;			/* re-apply the policy dir when it changes */
	/* The DNS proxy: port 0 turns it (and the redirection) off. */
	uint16_t dns_port;
	const char *dns_upstream[4];	/* ADDR[:PORT]; none: /etc/resolv.conf */
	int n_dns_upstream;
	int dns_refuse_rcode;		/* 5 REFUSED (default) or 3 NXDOMAIN */
	uint64_t dns_grace_ns, dns_max_ttl_ns;
};

/* Run until SIGTERM/SIGINT; enforcement stays in force after.  0 or -errno. */
int sl_daemon_run(const struct sl_daemon_cfg *cfg);
/* Kill agents, detach, unpin, remove the agents root.  0 or -errno. */
int sl_daemon_teardown(const struct sl_daemon_cfg *cfg);
/* The absolute agents root for cfg; checks the name stays below the mount. */
int sl_daemon_root(const struct sl_daemon_cfg *cfg, char *buf, size_t len);

#endif
