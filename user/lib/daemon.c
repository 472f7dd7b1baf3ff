// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "cgroup.h"
#include "control.h"
#include "daemon.h"
#include "dnsproxy.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "maps.h"
#include "ops.h"
#include "policy.h"

#define MAX_CONNS 64

struct conn {
	int fd;
	struct sl_peer peer;
	struct sl_linebuf lb;
};

struct daemon {
	const struct sl_daemon_cfg *cfg;
	char root[PATH_MAX];
	struct sl_maps *maps;
	struct sl_engine *eng;
	struct sl_events *ev;
	struct sl_ops ops;
	struct sl_dnsproxy *dns;
	pthread_mutex_t lock;		/* engine and events: the loop and the DNS proxy */
	int epfd, lfd, sigfd, timerfd;
	int watchfd, settlefd;		/* --watch: the policy dir, and a debounce */
	struct conn conns[MAX_CONNS];
	bool stop;
};

/* Tags in epoll data: fds below this are ours, conns are 1000 + index. */
#define TAG_CONN 1000

int sl_daemon_root(const struct sl_daemon_cfg *cfg, char *buf, size_t len)
{
	const char *name = cfg->cgroup_root;
	char mnt[PATH_MAX];
	int err;

	/* Never the mount itself or anything outside it: attach only where we create. */
	if (!name || !*name || name[0] == '/' || strstr(name, "..") || !strcmp(name, ".")) {
		pr_warn("--cgroup-root must be a relative path below the cgroup2 mount, like \"sluice\"\n");
		return -EINVAL;
	}
	err = sl_cgroup_mount(mnt, sizeof(mnt));
	if (err) {
		pr_warn("no cgroup v2 hierarchy is mounted (nothing of type cgroup2 in /proc/self/mountinfo)\n");
		return err;
	}
	if ((size_t)snprintf(buf, len, "%s/%s", mnt, name) >= len)
		return -ENAMETOOLONG;
	return 0;
}

static void notify(void *ctx, const char *type, json_object *fields)
{
	struct daemon *d = ctx;

	if (d->ev)
		sl_events_control(d->ev, type, fields);
	else
		json_object_put(fields);
}

static void conn_close(struct daemon *d, struct conn *c, bool keep_fd)
{
	if (c->fd >= 0) {
		epoll_ctl(d->epfd, EPOLL_CTL_DEL, c->fd, NULL);
		if (!keep_fd)
			close(c->fd);
	}
	sl_linebuf_free(&c->lb);
	c->fd = -1;
}

static void conn_input(struct daemon *d, struct conn *c)
{
	int r = sl_linebuf_fill(&c->lb, c->fd);

	while (c->fd >= 0) {
		json_object *req, *reply;
		bool bad;

		req = sl_linebuf_next(&c->lb, &bad);
		if (!req && !bad)
			break;
		if (bad) {
			reply = json_tokener_parse("{\"ok\":false,\"error\":\"not a JSON object\"}");
		} else {
			reply = sl_ops_dispatch(&d->ops, c->fd, &c->peer, req);
		}
		json_object_put(req);
		if (!reply) {
			conn_close(d, c, true);	/* the fd is an event stream now */
			return;
		}
		/* Replies are small; a client that does not read them is dropped. */
		if (sl_json_send(c->fd, reply))
			r = -EIO;
		json_object_put(reply);
		if (r < 0)
			break;
	}
	if (r <= 0 && c->fd >= 0)
		conn_close(d, c, false);
}

static void on_accept(struct daemon *d)
{
	struct epoll_event ee = { .events = EPOLLIN };
	struct sl_peer peer;
	int fd, i;

	fd = sl_ctl_accept(d->lfd, d->cfg->group, &peer);
	if (fd == -EACCES) {
		struct sl_actor who = { .uid = peer.uid, .pid = peer.pid };
		json_object *f = sl_actor_json(&who);

		pr_warn("refused control connection from uid %d pid %d\n", (int)peer.uid, (int)peer.pid);
		json_object_object_add(f, "gid", json_object_new_int64(peer.gid));
		notify(d, "control_refused", f);
		return;
	}
	if (fd < 0)
		return;
	for (i = 0; i < MAX_CONNS && d->conns[i].fd >= 0; i++)
		;
	if (i == MAX_CONNS) {
		close(fd);
		return;
	}
	d->conns[i] = (struct conn){ .fd = fd, .peer = peer };
	ee.data.u32 = TAG_CONN + (uint32_t)i;
	epoll_ctl(d->epfd, EPOLL_CTL_ADD, fd, &ee);
}

static int setup_fds(struct daemon *d)
{
	struct itimerspec its = { .it_interval = { 1, 0 }, .it_value = { 1, 0 } };
	struct epoll_event ee = { .events = EPOLLIN };
	sigset_t mask;
	int fds[7], n = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	d->sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d->timerfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	d->epfd = epoll_create1(EPOLL_CLOEXEC);
	if (d->sigfd < 0 || d->timerfd < 0 || d->epfd < 0)
		return -errno;
	timerfd_settime(d->timerfd, 0, &its, NULL);
	fds[n++] = d->sigfd;
	fds[n++] = d->timerfd;
	fds[n++] = d->lfd;
	fds[n++] = sl_events_fd(d->ev);
	fds[n++] = sl_engine_watch_fd(d->eng);
	fds[n++] = d->watchfd;
	fds[n++] = d->settlefd;
	for (int i = 0; i < n; i++) {
		ee.data.u32 = (uint32_t)i;
		if (fds[i] >= 0 && epoll_ctl(d->epfd, EPOLL_CTL_ADD, fds[i], &ee))
			return -errno;
	}
	return 0;
}

/* --watch: the policy dir and a one-shot timer that lets a burst of writes settle. */
static int setup_watch(struct daemon *d)
{
	const uint32_t mask = IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_DELETE | IN_CREATE;

	d->watchfd = d->settlefd = -1;
	if (!d->cfg->watch || !d->cfg->policy_dir)
		return 0;
	d->watchfd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);
	d->settlefd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
	if (d->watchfd < 0 || d->settlefd < 0 ||
	    inotify_add_watch(d->watchfd, d->cfg->policy_dir, mask) < 0)
		return -errno;
	return 0;
}

static void on_policy_change(struct daemon *d)
{
	struct itimerspec its = { .it_value = { 0, 200 * 1000 * 1000 } };
	char buf[4096];

	while (read(d->watchfd, buf, sizeof(buf)) > 0)
		;
	timerfd_settime(d->settlefd, 0, &its, NULL);
}

/* The dir settled: apply it whole (prune), or record why not. */
static void reload_policy(struct daemon *d)
{
	uint32_t before = sl_engine_version(d->eng);
	json_object *result = NULL, *f, *ch;
	struct sl_policy pol;
	struct sl_diag dg;
	uint64_t ticks;
	int err;

	if (read(d->settlefd, &ticks, sizeof(ticks)) <= 0)
		return;
	sl_policy_init(&pol);
	sl_diag_init(&dg);
	err = sl_policy_load(&pol, d->cfg->policy_dir, &dg);
	if (!err)
		err = sl_engine_apply(d->eng, &pol, true, &result, &dg);
	f = json_object_new_object();
	json_object_object_add(f, "operator", json_object_new_string("watch"));
	json_object_object_add(f, "outcome", json_object_new_string(err ? "failure" : "success"));
	json_object_object_add(f, "version_before", json_object_new_int64(before));
	json_object_object_add(f, "version_after", json_object_new_int64(sl_engine_version(d->eng)));
	if (err) {
		json_object *errs = json_object_new_array();

		for (size_t i = 0; i < dg.n; i++) {
			pr_warn("%s\n", dg.msg[i]);
			json_object_array_add(errs, json_object_new_string(dg.msg[i]));
		}
		json_object_object_add(f, "errors", errs);
		pr_warn("the changed policy in %s is invalid; the policy in force stays\n",
			d->cfg->policy_dir);
	} else if (json_object_object_get_ex(result, "changes", &ch)) {
		json_object_object_add(f, "changes", json_object_get(ch));
	}
	notify(d, "policy_apply", f);
	json_object_put(result);
	sl_policy_free(&pol);
	sl_diag_free(&dg);
}

/*
 * Before any thread starts (sinks, DNS proxy): every thread inherits the
 * mask, so the signals reach only the signalfd of the main loop.
 */
static void block_signals(void)
{
	sigset_t mask;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
}

static void on_signal(struct daemon *d)
{
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		if (si.ssi_signo == SIGHUP) {
			pr_info("SIGHUP: reopening the event file\n");
			sl_events_reopen(d->ev);
		} else {
			d->stop = true;
		}
	}
}

static void loop(struct daemon *d)
{
	struct epoll_event evs[16];
	uint64_t ticks;

	while (!d->stop) {
		int n = epoll_wait(d->epfd, evs, 16, -1);

		pthread_mutex_lock(&d->lock);
		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			switch (tag) {
			case 0: on_signal(d); break;
			case 1:
				if (read(d->timerfd, &ticks, sizeof(ticks)) > 0) {
					sl_events_flush(d->ev);
					sl_engine_reap(d->eng);
					sl_engine_tick(d->eng);
				}
				break;
			case 2: on_accept(d); break;
			case 3: sl_events_consume(d->ev); break;
			case 4: sl_engine_reap(d->eng); break;
			case 5: on_policy_change(d); break;
			case 6: reload_policy(d); break;
			default:
				if (tag >= TAG_CONN && tag < TAG_CONN + MAX_CONNS &&
				    d->conns[tag - TAG_CONN].fd >= 0)
					conn_input(d, &d->conns[tag - TAG_CONN]);
			}
		}
		/* Decisions made while a request ran are drained before sleeping. */
		sl_events_consume(d->ev);
		pthread_mutex_unlock(&d->lock);
	}
}

static int load_policy_dir(const char *dir, struct sl_policy *pol)
{
	struct sl_diag dg;
	int err;

	sl_policy_init(pol);
	if (!dir)
		return 0;
	sl_diag_init(&dg);
	err = sl_policy_load(pol, dir, &dg);
	if (!err)
		err = sl_engine_validate(pol, &dg);
	if (err) {
		sl_diag_print(&dg, stderr);
		pr_warn("the policy in %s is invalid; nothing was applied\n", dir);
	}
	sl_diag_free(&dg);
	return err;
}

static int follow(void *ctx, int fd, json_object *req)
{
	struct daemon *d = ctx;

	return sl_events_follow(d->ev, fd, req);
}

/* The resolver proxy, once the engine and the events exist. */
static int start_dns(struct daemon *d)
{
	const struct sl_daemon_cfg *cfg = d->cfg;
	struct sl_dnsproxy_cfg pc = {
		.port = cfg->dns_port, .refuse_rcode = cfg->dns_refuse_rcode,
		.eng = d->eng, .lock = &d->lock, .notify = notify, .ctx = d,
	};

	if (!cfg->dns_port)
		return 0;
	for (int i = 0; i < cfg->n_dns_upstream; i++) {
		if (sl_dnsproxy_parse_upstream(cfg->dns_upstream[i], &pc.upstream[pc.n_upstream++])) {
			pr_warn("bad --dns-upstream \"%s\": ADDR or ADDR:PORT, [ADDR6]:PORT\n",
				cfg->dns_upstream[i]);
			return -EINVAL;
		}
	}
	if (!pc.n_upstream && sl_dnsproxy_resolv_conf(&pc)) {
		pr_warn("no upstream resolver: give --dns-upstream, or nameserver lines in /etc/resolv.conf\n");
		return -ENOENT;
	}
	return sl_dnsproxy_start(&d->dns, &pc);
}

static int start(struct daemon *d)
{
	const struct sl_daemon_cfg *cfg = d->cfg;
	struct sl_maps_cfg mc = {
		.pin_dir = cfg->bpffs, .cgroup_root = d->root, .rules_max = cfg->rules_max,
		.grants_max = cfg->grants_max, .ringbuf_bytes = cfg->ringbuf_bytes,
		.dns_port = cfg->dns_port,
	};
	struct sl_engine_cfg ec = {
		.cgroup_root = d->root, .notify = notify, .ctx = d,
		.max_ttl_ns = cfg->max_ttl_ns, .state_path = cfg->state,
		.dns_grace_ns = cfg->dns_grace_ns, .dns_max_ttl_ns = cfg->dns_max_ttl_ns,
	};
	static const struct sl_events_cfg no_events;
	json_object *result = NULL;
	struct sl_policy pol;
	struct sl_diag dg;
	bool adopted;
	int err;

	err = load_policy_dir(cfg->policy_dir, &pol);
	if (err)
		return err;
	err = sl_cgroup_mkdir(d->root);
	if (err) {
		pr_warn("cannot create the agents root %s: %s\n", d->root, strerror(-err));
		goto out;
	}
	err = sl_maps_open(&d->maps, &mc, &adopted);
	if (err)
		goto out;
	pr_info("%s programs at %s, pins in %s\n", adopted ? "adopted" : "attached", d->root, cfg->bpffs);
	ec.maps = d->maps;
	err = sl_engine_new(&d->eng, &ec);
	if (err)
		goto out;
	err = sl_events_new(&d->ev, d->eng, d->maps, cfg->events ? cfg->events : &no_events);
	if (err)
		goto out;
	if (adopted) {
		/* What the kernel decided while no daemon ran goes out first. */
		sl_engine_gap_scan(d->eng);
		sl_events_consume(d->ev);
		sl_engine_restore(d->eng);
	} else if (cfg->state) {
		unlink(cfg->state);	/* no pins: nothing it describes exists */
	}
	sl_diag_init(&dg);
	err = sl_engine_apply(d->eng, &pol, true, &result, &dg);
	sl_diag_print(&dg, stderr);
	sl_diag_free(&dg);
	if (err)
		goto out;
	notify(d, "policy_apply", json_object_get(result));
	json_object_put(result);
	if (adopted) {
		sl_engine_adopt(d->eng);
		sl_engine_gap_done(d->eng);
	}
	err = start_dns(d);
	if (err)
		goto out;
	d->ops = (struct sl_ops){
		.eng = d->eng, .ev = d->ev, .dns = d->dns, .bpffs = cfg->bpffs,
		.socket = cfg->socket, .follow = follow, .ctx = d,
	};
	d->lfd = sl_ctl_listen(cfg->socket, cfg->group);
	if (d->lfd < 0) {
		err = d->lfd;
		pr_warn("cannot listen on %s: %s\n", cfg->socket, strerror(-err));
	}
out:
	sl_policy_free(&pol);
	return err;
}

int sl_daemon_run(const struct sl_daemon_cfg *cfg)
{
	struct daemon d = {
		.cfg = cfg, .lfd = -1, .epfd = -1, .sigfd = -1, .timerfd = -1,
		.watchfd = -1, .settlefd = -1,
	};
	int err;

	for (int i = 0; i < MAX_CONNS; i++)
		d.conns[i].fd = -1;
	pthread_mutex_init(&d.lock, NULL);
	block_signals();
	err = sl_maps_probe();
	if (!err)
		err = sl_daemon_root(cfg, d.root, sizeof(d.root));
	if (!err)
		err = start(&d);
	if (!err)
		err = setup_watch(&d);
	if (!err)
		err = setup_fds(&d);
	if (!err) {
		pr_info("ready: policy version %u, control socket %s\n",
			sl_engine_version(d.eng), cfg->socket);
		notify(&d, "daemon_start", NULL);
		loop(&d);
		notify(&d, "daemon_stop", NULL);
		sl_events_consume(d.ev);
		pr_info("stopping; enforcement stays in force (sluiced --teardown removes it)\n");
	}
	sl_dnsproxy_stop(d.dns);
	for (int i = 0; i < MAX_CONNS; i++)
		if (d.conns[i].fd >= 0)
			conn_close(&d, &d.conns[i], false);
	if (d.lfd >= 0) {
		close(d.lfd);
		unlink(cfg->socket);
	}
	sl_events_free(d.ev);
	sl_engine_free(d.eng);
	sl_maps_close(d.maps);
	if (d.epfd >= 0)
		close(d.epfd);
	if (d.sigfd >= 0)
		close(d.sigfd);
	if (d.timerfd >= 0)
		close(d.timerfd);
	if (d.watchfd >= 0)
		close(d.watchfd);
	if (d.settlefd >= 0)
		close(d.settlefd);
	return err;
}

int sl_daemon_teardown(const struct sl_daemon_cfg *cfg)
{
	char root[PATH_MAX];
	int err, err2;

	err = sl_daemon_root(cfg, root, sizeof(root));
	if (err)
		return err;
	/* Agents die before the programs go: never a moment without enforcement. */
	err = sl_cgroup_destroy(root, 5000);
	if (err)
		pr_warn("cannot remove %s: %s\n", root, strerror(-err));
	err2 = sl_maps_teardown(cfg->bpffs);
	if (err2)
		pr_warn("cannot unpin %s: %s\n", cfg->bpffs, strerror(-err2));
	unlink(cfg->socket);
	if (cfg->state)
		unlink(cfg->state);
	return err ? err : err2;
}
