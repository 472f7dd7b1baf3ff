// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include "control.h"
#include "log.h"

#define SEND_WAIT_MS 5000	/* how long a reply may wait for a slow reader */

static int sock_addr(struct sockaddr_un *sa, const char *path)
{
	memset(sa, 0, sizeof(*sa));
	sa->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sa->sun_path))
		return -ENAMETOOLONG;
	strcpy(sa->sun_path, path);
	return 0;
}

static int make_parent(const char *path, gid_t group)
{
	char dir[PATH_MAX], *slash;

	snprintf(dir, sizeof(dir), "%s", path);
	slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = '\0';
	if (mkdir(dir, 0750) && errno != EEXIST)
		return -errno;
	if (group != (gid_t)-1 && chown(dir, 0, group))
		return -errno;
	return 0;
}

int sl_ctl_listen(const char *path, gid_t group)
{
	struct sockaddr_un sa;
	int fd, err;

	err = sock_addr(&sa, path);
	if (!err)
		err = make_parent(path, group);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	/* A socket file left by a killed daemon: the flock on the pin dir
	 * already proved no other daemon runs, so it is stale. */
	unlink(path);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    chmod(path, group != (gid_t)-1 ? 0660 : 0600) ||
	    (group != (gid_t)-1 && chown(path, 0, group)) ||
	    listen(fd, 64)) {
		err = -errno;
		close(fd);
		return err;
	}
	return fd;
}

static bool in_group(int fd, gid_t group)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len))
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

int sl_ctl_accept(int lfd, gid_t group, struct sl_peer *peer)
{
	struct ucred cred;
	socklen_t len = sizeof(cred);
	int fd;

	fd = accept4(lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
	if (fd < 0)
		return -errno;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len)) {
		close(fd);
		return -EACCES;
	}
	*peer = (struct sl_peer){ .pid = cred.pid, .uid = cred.uid, .gid = cred.gid };
	if (cred.uid == 0 ||
	    (group != (gid_t)-1 && (cred.gid == group || in_group(fd, group))))
		return fd;
	close(fd);
	return -EACCES;
}

int sl_linebuf_fill(struct sl_linebuf *lb, int fd)
{
	for (;;) {
		ssize_t n;

		if (lb->cap - lb->len < 65536) {
			size_t cap = lb->cap ? lb->cap * 2 : 65536;
			char *p;

			if (cap > SL_CTL_MAX_LINE + 65536)
				return -E2BIG;
			p = realloc(lb->buf, cap);
			if (!p)
				return -ENOMEM;
			lb->buf = p;
			lb->cap = cap;
		}
		n = read(fd, lb->buf + lb->len, lb->cap - lb->len - 1);
		if (n == 0)
			return 0;
		if (n < 0)
			return errno == EAGAIN || errno == EWOULDBLOCK ? 1 : -errno;
		lb->len += (size_t)n;
		if (memchr(lb->buf + lb->len - (size_t)n, '\n', (size_t)n))
			return 1;
	}
}

json_object *sl_linebuf_next(struct sl_linebuf *lb, bool *bad)
{
	char *nl = lb->buf ? memchr(lb->buf, '\n', lb->len) : NULL;
	json_object *obj;
	size_t used;

	*bad = false;
	if (!nl)
		return NULL;
	*nl = '\0';
	used = (size_t)(nl - lb->buf) + 1;
	obj = json_tokener_parse(lb->buf);
	if (!obj || !json_object_is_type(obj, json_type_object)) {
		json_object_put(obj);
		obj = NULL;
		*bad = true;
	}
	memmove(lb->buf, lb->buf + used, lb->len - used);
	lb->len -= used;
	return obj;
}

void sl_linebuf_free(struct sl_linebuf *lb)
{
	free(lb->buf);
	memset(lb, 0, sizeof(*lb));
}

int sl_json_send(int fd, json_object *obj)
{
	size_t len;
	const char *s = json_object_to_json_string_length(obj, JSON_C_TO_STRING_PLAIN, &len);
	char *line = malloc(len + 1);
	size_t off = 0;
	int err = 0;

	if (!line)
		return -ENOMEM;
	memcpy(line, s, len);
	line[len++] = '\n';
	while (off < len) {
		ssize_t n = write(fd, line + off, len - off);
		struct pollfd pfd = { .fd = fd, .events = POLLOUT };

		if (n < 0 && errno == EINTR)
			continue;
		/* A big reply to a non-blocking peer: wait for it to read, a while. */
		if (n < 0 && errno == EAGAIN) {
			if (poll(&pfd, 1, SEND_WAIT_MS) == 1)
				continue;
			err = -ETIMEDOUT;
			break;
		}
		if (n <= 0) {
			err = n < 0 ? -errno : -EIO;
			break;
		}
		off += (size_t)n;
	}
	free(line);
	return err;
}

json_object *sl_json_recv(int fd, struct sl_linebuf *lb)
{
	bool bad;

	for (;;) {
		json_object *obj = sl_linebuf_next(lb, &bad);
		int r;

		if (obj)
			return obj;
		if (bad) {
			errno = EPROTO;
			return NULL;
		}
		r = sl_linebuf_fill(lb, fd);
		if (r <= 0) {
			errno = r ? -r : ECONNRESET;
			return NULL;
		}
	}
}

int sl_ctl_connect(const char *path)
{
	struct sockaddr_un sa;
	int fd, err;

	err = sock_addr(&sa, path);
	if (err)
		return err;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa))) {
		err = -errno;
		close(fd);
		if (err == -ENOENT || err == -ECONNREFUSED)
			pr_warn("sluiced is not running (no daemon at %s)\n", path);
		else if (err == -EACCES)
			pr_warn("no permission to use %s (root or the sluice group only)\n", path);
		else
			pr_warn("cannot connect to %s: %s\n", path, strerror(-err));
		return err;
	}
	return fd;
}
