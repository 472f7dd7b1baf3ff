// SPDX-License-Identifier: GPL-2.0-only
/*
 * File and stdout sinks: JSON lines appended with writev, rotated by size
 * between whole lines (PATH -> PATH.1 -> ... -> PATH.keep).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>
#include "sinks_int.h"

int sl_sink_file_open(struct sl_sink *s)
{
	struct stat st;

	s->fd = open(s->cfg.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (s->fd < 0) {
		int err = -errno;

		sl_sink_error(s, "open", -err);
		return err;
	}
	s->size = fstat(s->fd, &st) ? 0 : (uint64_t)st.st_size;
	return 0;
}

static int fd_open(struct sl_sink *s)
{
	if (s->cfg.type == SL_SINK_STDOUT) {
		s->fd = STDOUT_FILENO;
		return 0;
	}
	return sl_sink_file_open(s);
}

void sl_sink_file_close(struct sl_sink *s)
{
	if (s->fd > STDERR_FILENO)
		close(s->fd);
	s->fd = -1;
}

/* PATH.(keep-1) -> PATH.keep, ..., PATH -> PATH.1; the oldest falls off. */
static void rotate(struct sl_sink *s)
{
	size_t len = strlen(s->cfg.path) + 16;
	char from[len], to[len];

	sl_sink_file_close(s);
	for (uint32_t i = s->cfg.rotate_keep; i >= 1; i--) {
		if (i == 1)
			snprintf(from, len, "%s", s->cfg.path);
		else
			snprintf(from, len, "%s.%u", s->cfg.path, i - 1);
		snprintf(to, len, "%s.%u", s->cfg.path, i);
		if (rename(from, to) && errno != ENOENT)
			sl_sink_error(s, "rotate", errno);
	}
	if (!s->cfg.rotate_keep)
		unlink(s->cfg.path);
	pthread_mutex_lock(&s->mu);
	s->rotations++;
	pthread_mutex_unlock(&s->mu);
}

/* Would this line push the current file past its size?  Never for the first line. */
static bool must_rotate(const struct sl_sink *s, uint64_t pending, size_t len)
{
	return s->cfg.rotate_bytes && s->size + pending > 0 &&
	       s->size + pending + len > s->cfg.rotate_bytes;
}

/* Write iov[0..n) entirely.  0 or -errno. */
static int writev_all(int fd, struct iovec *iov, int n)
{
	while (n > 0) {
		ssize_t w = writev(fd, iov, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0)
			return -errno;
		while (n > 0 && (size_t)w >= iov->iov_len) {
			w -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n > 0) {
			iov->iov_base = (char *)iov->iov_base + w;
			iov->iov_len -= (size_t)w;
		}
	}
	return 0;
}

/*
 * Lines go out in runs that fit the current file; rotation happens only
 * between runs, so no line is ever split across two files.
 */
void sl_sink_file_deliver(struct sl_sink *s, struct item *it, size_t n)
{
	struct iovec iov[BATCH];

	for (size_t i = 0; i < n;) {
		uint64_t bytes = 0;
		size_t j = i;
		int err;

		if (s->fd < 0 && fd_open(s))
			return;
		if (must_rotate(s, 0, it[i].len)) {
			rotate(s);
			continue;
		}
		while (j < n && !must_rotate(s, bytes, it[j].len)) {
			iov[j - i] = (struct iovec){ .iov_base = it[j].buf, .iov_len = it[j].len };
			bytes += it[j++].len;
		}
		err = writev_all(s->fd, iov, (int)(j - i));
		if (err) {
			sl_sink_error(s, "write", -err);
			sl_sink_file_close(s);
			return;
		}
		s->size += bytes;
		for (; i < j; i++)
			it[i].sent = true;
	}
}

