/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * Inside a sink, shared by sinks.c (the queue, the writer thread, the API)
 * and the writers of each kind: sink_file.c (files, stdout) and
 * sink_syslog.c (UDP, TCP, Unix sockets).
 */
#ifndef SLUICE_SINKS_INT_H
#define SLUICE_SINKS_INT_H

#include <limits.h>
#include <pthread.h>
#include <sys/socket.h>
#include "sinks.h"

/* Items the writer takes at once. */
#define BATCH		64

struct item {
	char *buf;
	size_t len;
	uint64_t seq;
	bool sent;
};

struct sl_sink {
	struct sl_sink_cfg cfg;		/* strings owned */
	char name[PATH_MAX + 32];
	struct sl_syslog_opts sopts;

	pthread_mutex_t mu;		/* guards what follows, up to the writer's state */
	pthread_cond_t cv;
	struct item *q;
	uint32_t head, n;
	bool stopping, reopen, connected;
	bool held;			/* a burst is being queued: see sl_sink_hold */
	int64_t deadline_ms;
	uint64_t written, dropped, errors, rotations;
	uint64_t reported;		/* dropped when losses were last taken */
	uint64_t loss_first, loss_last;	/* seq range dropped since then */
	char last_error[128];

	/* The writer thread's own state. */
	pthread_t thread;
	bool started;
	int fd;
	uint64_t size;			/* file: bytes in the current file */
	bool stream;			/* socket: octet-counted stream */
	struct sockaddr_storage sa;
	socklen_t sa_len;
	int backoff_ms;
};

/* Count a failed operation and remember why, for status. */
void sl_sink_error(struct sl_sink *s, const char *what, int err);
/* Stopping and past the deadline: blocking operations give up. */
bool sl_sink_giving_up(struct sl_sink *s);

/* Files and stdout (sink_file.c). */
int sl_sink_file_open(struct sl_sink *s);
void sl_sink_file_close(struct sl_sink *s);
/* Write items; each one written gets .sent. */
void sl_sink_file_deliver(struct sl_sink *s, struct item *it, size_t n);

/* Syslog sockets (sink_syslog.c). */
int sl_sink_resolve(struct sl_sink *s);
void sl_sink_net_close(struct sl_sink *s);
void sl_sink_net_deliver(struct sl_sink *s, struct item *it, size_t n);

#endif
