// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>
#include "cgroup.h"
#include "control.h"
#include "daemon.h"
#include "engine.h"
#include "events.h"
#include "log.h"
#include "maps.h"
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
	int epfd, lfd, sigfd, timerfd;
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

static json_object *peer_json(const struct sl_peer *p)
{
	json_object *o = json_object_new_object();

	json_object_object_add(o, "uid", json_object_new_int64(p->uid));
	json_object_object_add(o, "pid", json_object_new_int64(p->pid));
	return o;
}

static json_object *diag_json(const struct sl_diag *dg)
{
	json_object *arr = json_object_new_array();

	for (size_t i = 0; i < dg->n; i++)
		json_object_array_add(arr, json_object_new_string(dg->msg[i]));
	return arr;
}

static json_object *reply_err(int err, const struct sl_diag *dg)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(0));
	json_object_object_add(r, "error", json_object_new_string(
		dg && dg->n ? dg->msg[0] : strerror(-err)));
	if (dg && dg->n)
		json_object_object_add(r, "errors", diag_json(dg));
	return r;
}

static json_object *reply_ok(json_object *result)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "ok", json_object_new_boolean(1));
	if (result)
		json_object_object_add(r, "result", result);
	return r;
}

static const char *req_str(json_object *req, const char *key)
{
	json_object *v;

	if (!json_object_object_get_ex(req, key, &v) || !json_object_is_type(v, json_type_string))
		return NULL;
	return json_object_get_string(v);
}

/* Parse the files a client sent: [{"name": ..., "content": ...}, ...]. */
static int parse_files(json_object *req, struct sl_policy *pol, struct sl_diag *dg)
{
	json_object *files;
	int err = 0;

	if (!json_object_object_get_ex(req, "files", &files) ||
	    !json_object_is_type(files, json_type_array)) {
		sl_diag_add(dg, NULL, "request has no \"files\"");
		return -EINVAL;
	}
	for (size_t i = 0; i < json_object_array_length(files); i++) {
		json_object *f = json_object_array_get_idx(files, i);
		const char *name = req_str(f, "name"), *content = req_str(f, "content");

		if (!name || !content) {
			sl_diag_add(dg, NULL, "file %zu has no name or content", i);
			err = -EINVAL;
			continue;
		}
		if (sl_policy_parse_buf(pol, name, content, strlen(content), dg))
			err = -EINVAL;
	}
	return err;
}

static json_object *op_apply(struct daemon *d, struct conn *c, json_object *req)
{
	json_object *result = NULL, *prune, *fields;
	uint32_t before = sl_engine_version(d->eng);
	struct sl_policy pol;
	struct sl_diag dg;
	int err;

	sl_policy_init(&pol);
	sl_diag_init(&dg);
	err = parse_files(req, &pol, &dg);
	if (!err)
		err = sl_engine_apply(d->eng, &pol, json_object_object_get_ex(req, "prune", &prune) &&
				      json_object_get_boolean(prune), &result, &dg);
	sl_policy_free(&pol);
	fields = json_object_new_object();
	json_object_object_add(fields, "operator", peer_json(&c->peer));
	json_object_object_add(fields, "outcome", json_object_new_string(err ? "failure" : "success"));
	json_object_object_add(fields, "version_before", json_object_new_int64(before));
	json_object_object_add(fields, "version_after", json_object_new_int64(sl_engine_version(d->eng)));
	if (err) {
		json_object_object_add(fields, "errors", diag_json(&dg));
		notify(d, "policy_apply", fields);
		result = reply_err(err, &dg);
	} else {
		json_object *ch;

		json_object_object_get_ex(result, "changes", &ch);
		json_object_object_add(fields, "changes", json_object_get(ch));
		notify(d, "policy_apply", fields);
		result = reply_ok(result);
	}
	sl_diag_free(&dg);
	return result;
}

/* The pid must be the caller's own child, so nobody moves others' processes. */
static int verify_child(const struct sl_peer *peer, pid_t pid)
{
	char path[64], line[256];
	int ppid = -1, uid = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -ESRCH;
	while (fgets(line, sizeof(line), f)) {
		sscanf(line, "PPid: %d", &ppid);
		sscanf(line, "Uid: %d", &uid);
	}
	fclose(f);
	if (ppid != peer->pid || (peer->uid != 0 && (uid_t)uid != peer->uid))
		return -EPERM;
	return 0;
}

static json_object *op_run(struct daemon *d, struct conn *c, json_object *req)
{
	const char *agent = req_str(req, "agent"), *task = req_str(req, "task");
	json_object *result = NULL, *pidv, *fields;
	struct sl_diag dg;
	pid_t pid;
	int err;

	sl_diag_init(&dg);
	if (!agent || !json_object_object_get_ex(req, "pid", &pidv)) {
		sl_diag_add(&dg, NULL, "run needs \"agent\" and \"pid\"");
		err = -EINVAL;
		goto out;
	}
	pid = (pid_t)json_object_get_int(pidv);
	err = verify_child(&c->peer, pid);
	if (err) {
		sl_diag_add(&dg, NULL, "pid %d is not a child of the caller", (int)pid);
		goto out;
	}
	err = sl_engine_run(d->eng, agent, task, pid, &result, &dg);
	if (!err) {
		fields = json_object_get(result);
		json_object_object_add(fields, "operator", peer_json(&c->peer));
		json_object_object_add(fields, "pid", json_object_new_int(pid));
		notify(d, "run_start", fields);
	}
out:
	result = err ? reply_err(err, &dg) : reply_ok(result);
	sl_diag_free(&dg);
	return result;
}

static json_object *op_check(struct daemon *d, json_object *req)
{
	const char *agent = req_str(req, "agent"), *to = req_str(req, "to");
	const char *proto = req_str(req, "proto");
	json_object *result = NULL;
	struct sl_diag dg;
	uint8_t addr[16];
	uint16_t port;
	int p = SL_PROTO_TCP, err = -EINVAL;

	sl_diag_init(&dg);
	if (!agent || !to)
		sl_diag_add(&dg, NULL, "check needs \"agent\" and \"to\"");
	else if (sl_hostport_parse(to, addr, &port))
		sl_diag_add(&dg, NULL, "bad destination \"%s\": expected ADDR:PORT or [ADDR6]:PORT", to);
	else if (proto && ((p = sl_proto_parse(proto)) < 0 || p == SL_PROTO_ANY))
		sl_diag_add(&dg, NULL, "bad protocol \"%s\": tcp or udp", proto);
	else
		err = sl_engine_check(d->eng, agent, req_str(req, "task"), addr, port, (uint8_t)p,
				      &result, &dg);
	result = err ? reply_err(err, &dg) : reply_ok(result);
	sl_diag_free(&dg);
	return result;
}

static json_object *op_status(struct daemon *d)
{
	json_object *s = sl_engine_status(d->eng);

	json_object_object_add(s, "events", sl_events_status(d->ev));
	json_object_object_add(s, "bpffs", json_object_new_string(d->cfg->bpffs));
	json_object_object_add(s, "socket", json_object_new_string(d->cfg->socket));
	return reply_ok(s);
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

/* Returns the reply, or NULL when the connection became an event stream. */
static json_object *dispatch(struct daemon *d, struct conn *c, json_object *req)
{
	const char *op = req_str(req, "op");
	json_object *follow;

	if (!op)
		return reply_err(-EINVAL, NULL);
	if (!strcmp(op, "ping"))
		return reply_ok(NULL);
	if (!strcmp(op, "apply"))
		return op_apply(d, c, req);
	if (!strcmp(op, "run"))
		return op_run(d, c, req);
	if (!strcmp(op, "check"))
		return op_check(d, req);
	if (!strcmp(op, "agents"))
		return reply_ok(sl_engine_agents(d->eng));
	if (!strcmp(op, "status"))
		return op_status(d);
	if (!strcmp(op, "events")) {
		if (!json_object_object_get_ex(req, "follow", &follow) ||
		    !json_object_get_boolean(follow))
			return reply_ok(sl_events_recent(d->ev, req));
		json_object *ok = reply_ok(NULL);

		sl_json_send(c->fd, ok);
		json_object_put(ok);
		sl_events_follow(d->ev, c->fd, req);
		conn_close(d, c, true);
		return NULL;
	}
	struct sl_diag dg;
	json_object *r;

	sl_diag_init(&dg);
	sl_diag_add(&dg, NULL, "unknown operation \"%s\"", op);
	r = reply_err(-EINVAL, &dg);
	sl_diag_free(&dg);
	return r;
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
		reply = bad ? reply_err(-EPROTO, NULL) : dispatch(d, c, req);
		json_object_put(req);
		if (!reply)
			return;	/* now an event stream */
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
		json_object *f = peer_json(&peer);

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
	int fds[5], n = 0;

	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);
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
	for (int i = 0; i < n; i++) {
		ee.data.u32 = (uint32_t)i;
		if (epoll_ctl(d->epfd, EPOLL_CTL_ADD, fds[i], &ee))
			return -errno;
	}
	return 0;
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

		for (int i = 0; i < n; i++) {
			uint32_t tag = evs[i].data.u32;

			switch (tag) {
			case 0: on_signal(d); break;
			case 1:
				if (read(d->timerfd, &ticks, sizeof(ticks)) > 0) {
					sl_events_flush(d->ev);
					sl_engine_reap(d->eng);
				}
				break;
			case 2: on_accept(d); break;
			case 3: sl_events_consume(d->ev); break;
			case 4: sl_engine_reap(d->eng); break;
			default:
				if (tag >= TAG_CONN && tag < TAG_CONN + MAX_CONNS &&
				    d->conns[tag - TAG_CONN].fd >= 0)
					conn_input(d, &d->conns[tag - TAG_CONN]);
			}
		}
		/* Decisions made while a request ran are drained before sleeping. */
		sl_events_consume(d->ev);
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

static int start(struct daemon *d)
{
	const struct sl_daemon_cfg *cfg = d->cfg;
	struct sl_maps_cfg mc = {
		.pin_dir = cfg->bpffs, .cgroup_root = d->root, .rules_max = cfg->rules_max,
		.grants_max = cfg->grants_max, .ringbuf_bytes = cfg->ringbuf_bytes,
	};
	struct sl_engine_cfg ec = { .cgroup_root = d->root, .notify = notify, .ctx = d };
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
	struct daemon d = { .cfg = cfg, .lfd = -1, .epfd = -1, .sigfd = -1, .timerfd = -1 };
	int err;

	for (int i = 0; i < MAX_CONNS; i++)
		d.conns[i].fd = -1;
	err = sl_maps_probe();
	if (!err)
		err = sl_daemon_root(cfg, d.root, sizeof(d.root));
	if (!err)
		err = start(&d);
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
	return err ? err : err2;
}
