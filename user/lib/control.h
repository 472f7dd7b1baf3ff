/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * The control socket: a Unix stream socket carrying one JSON object per
 * line each way.  The daemon admits root and members of one configured
 * group (checked on the peer's credentials, not on file modes alone).
 */
#ifndef SLUICE_CONTROL_H
#define SLUICE_CONTROL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <json-c/json.h>

#define SL_DEFAULT_SOCKET	"/run/sluice/sluiced.sock"
/* Largest request: a policy of a million rules fits. */
#define SL_CTL_MAX_LINE		(256u << 20)

struct sl_peer {
	pid_t pid;
	uid_t uid;
	gid_t gid;
};

/* Daemon side: bind path (parent made 0750), mode 0660, group-owned. */
int sl_ctl_listen(const char *path, gid_t group);
/*
 * Accept one connection and check who it is.  Returns the fd, or -EACCES
 * (the peer is in *peer, the connection already closed) or another -errno.
 */
int sl_ctl_accept(int lfd, gid_t group, struct sl_peer *peer);

/* A line buffer for a non-blocking reader. */
struct sl_linebuf {
	char *buf;
	size_t len;
	size_t cap;
};

/*
 * Read what is available on fd into lb.  Returns 1 while the peer is open,
 * 0 at end of file, -errno on error (-E2BIG past SL_CTL_MAX_LINE).
 */
int sl_linebuf_fill(struct sl_linebuf *lb, int fd);
/* The next complete line as JSON (caller puts it), NULL if none yet; *bad on a bad line. */
json_object *sl_linebuf_next(struct sl_linebuf *lb, bool *bad);
void sl_linebuf_free(struct sl_linebuf *lb);

/* Write obj as one line, all of it (blocking fd).  0 or -errno. */
int sl_json_send(int fd, json_object *obj);
/* Blocking read of one JSON line.  NULL with errno set on error or EOF. */
json_object *sl_json_recv(int fd, struct sl_linebuf *lb);

/* Client side: connect to the daemon's socket; -errno with a message printed. */
int sl_ctl_connect(const char *path);

#endif
