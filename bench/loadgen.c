// SPDX-License-Identifier: GPL-2.0-only
/*
 * loadgen: the benchmark's load generator and the server it talks to.
 *
 *   loadgen client --load tcp|udp --to ADDR --ports LO-HI --cpu N
 *                  [--seconds S] [--count N] [--warmup S] [--cgroup DIR] [--go FILE]
 *   loadgen server --load tcp|udp --addr ADDR[,ADDR...] --ports LO-HI --cpu N
 *
 * The client pins itself to one CPU and either connects and closes TCP
 * sockets (SO_LINGER 0, so close() sends a RST and frees the port at once:
 * no TIME_WAIT builds up on either side) or sends small UDP datagrams with
 * sendto() on one unconnected socket.  Each call goes to the next port of
 * LO-HI in turn, so connections spread over one listener per port and the
 * kernel's ephemeral port search (whose start depends on the destination)
 * never walks over ports still in use.  It prints one line of key=value
 * fields: how many calls, how many succeeded, the last errno, the rate per
 * second of wall-clock time and per second of its own CPU time.  On
 * loopback the kernel does the whole exchange in the caller's context, so
 * the CPU-time rate is what the calls cost, whatever else shares the CPU.
 *
 * The server pins itself to another CPU, listens (TCP) or binds (UDP) on
 * every ADDR x port, accepts and closes or drains until SIGTERM, and prints
 * "ready" once every socket is bound.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

#define MAX_SOCKS	256
#define CHECK_EVERY	64	/* calls between clock reads */
#define PAYLOAD		32	/* UDP payload bytes */

struct opts {
	bool server;
	bool udp;
	const char *to;
	const char *cgroup;
	const char *go;			/* wait for this file before the calls */
	unsigned int port_lo, port_hi;
	int cpu;
	double seconds, warmup;
	uint64_t count;
};

struct tally {
	uint64_t ops, ok;
	int last_errno;
	double cpu;			/* CPU seconds this thread used, kernel work included */
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double clock_s(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now_s(void)
{
	return clock_s(CLOCK_MONOTONIC);
}

/* ---- client ------------------------------------------------------------- */

static void tcp_once(struct sockaddr_storage *dst, socklen_t len, struct tally *t)
{
	static const struct linger lg = { .l_onoff = 1, .l_linger = 0 };
	int fd = socket(dst->ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);

	t->ops++;
	if (fd < 0) {
		t->last_errno = errno;
		return;
	}
	setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
	if (connect(fd, (struct sockaddr *)dst, len) == 0)
		t->ok++;
	else
		t->last_errno = errno;
	close(fd);
}

static void udp_once(int fd, struct sockaddr_storage *dst, socklen_t len, struct tally *t)
{
	static const char buf[PAYLOAD];

	t->ops++;
	if (sendto(fd, buf, sizeof(buf), 0, (struct sockaddr *)dst, len) == (ssize_t)sizeof(buf))
		t->ok++;
	else
		t->last_errno = errno;
}

/* Calls until the deadline or count; returns the seconds it took. */
static double drive(const struct opts *o, int ufd, struct sockaddr_storage *dst,
		    socklen_t len, double secs, uint64_t count, struct tally *t)
{
	unsigned int port = o->port_lo;
	double cpu = clock_s(CLOCK_THREAD_CPUTIME_ID);
	double start = now_s(), end = start + secs, now = start;

	while (!stop && (!count || t->ops < count)) {
		set_port(dst, port);
		port = port == o->port_hi ? o->port_lo : port + 1;
		if (o->udp)
			udp_once(ufd, dst, len, t);
		else
			tcp_once(dst, len, t);
		if (t->ops % CHECK_EVERY == 0) {
			now = now_s();
			if (secs > 0 && now >= end)
				break;
		}
	}
	t->cpu = clock_s(CLOCK_THREAD_CPUTIME_ID) - cpu;
	return now_s() - start;
}

/*
 * Say "ready" by creating FILE.ready, then wait for FILE: the harness makes
 * a burst start only once it has stopped the event reader (part d).
 */
static int wait_go(const char *file)
{
	char ready[4096];
	int fd;

	snprintf(ready, sizeof(ready), "%s.ready", file);
	fd = open(ready, O_WRONLY | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0) {
		fprintf(stderr, "loadgen: %s: %s\n", ready, strerror(errno));
		return -1;
	}
	close(fd);
	while (!stop && access(file, F_OK))
		usleep(1000);
	return stop ? -1 : 0;
}

static int run_client(const struct opts *o)
{
	struct tally warm = { 0 }, t = { 0 };
	struct sockaddr_storage dst;
	socklen_t len = parse_addr(o->to, &dst);
	double took;
	int ufd = -1;

	if (!len) {
		fprintf(stderr, "loadgen: --to %s is not an IPv4 or IPv6 address\n", o->to);
		return 2;
	}
	if (o->udp) {
		ufd = socket(dst.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (ufd < 0) {
			perror("loadgen: socket");
			return 1;
		}
	}
	if (o->go && wait_go(o->go))
		return 1;
	if (o->warmup > 0)
		drive(o, ufd, &dst, len, o->warmup, 0, &warm);
	took = drive(o, ufd, &dst, len, o->seconds, o->count, &t);
	printf("load=%s\tto=%s\tops=%llu\tok=%llu\tfailed=%llu\terrno=%s\tseconds=%.6f"
	       "\trate=%.1f\tcpu=%.6f\tcpu_rate=%.1f\n",
	       o->udp ? "udp" : "tcp", o->to, (unsigned long long)t.ops,
	       (unsigned long long)t.ok, (unsigned long long)(t.ops - t.ok),
	       t.last_errno ? strerrorname_np(t.last_errno) : "-", took,
	       took > 0 ? (double)t.ops / took : 0.0, t.cpu,
	       t.cpu > 0 ? (double)t.ops / t.cpu : 0.0);
	if (ufd >= 0)
		close(ufd);
	return 0;
}

/* ---- server ------------------------------------------------------------- */

static int listen_one(const struct opts *o, struct sockaddr_storage *ss, socklen_t len)
{
	int one = 1, fd;

	fd = socket(ss->ss_family, (o->udp ? SOCK_DGRAM : SOCK_STREAM) | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (ss->ss_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
	if (bind(fd, (struct sockaddr *)ss, len) || (!o->udp && listen(fd, 4096))) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

/* Accept and close (TCP) or read and drop (UDP) everything that is ready. */
static void serve_ready(const struct opts *o, int fd)
{
	static char bufs[64][PAYLOAD * 2];
	struct mmsghdr msgs[64];
	struct iovec iov[64];
	int c;

	if (!o->udp) {
		while ((c = accept4(fd, NULL, NULL, SOCK_CLOEXEC)) >= 0)
			close(c);
		return;
	}
	for (int i = 0; i < 64; i++) {
		iov[i] = (struct iovec){ .iov_base = bufs[i], .iov_len = sizeof(bufs[i]) };
		msgs[i] = (struct mmsghdr){ .msg_hdr = { .msg_iov = &iov[i], .msg_iovlen = 1 } };
	}
	while (recvmmsg(fd, msgs, 64, MSG_DONTWAIT, NULL) > 0)
		;
}

static int open_listeners(const struct opts *o, char *addrs, int ep, int *fds, int *n)
{
	struct sockaddr_storage ss;
	char *save = NULL;

	for (char *a = strtok_r(addrs, ",", &save); a; a = strtok_r(NULL, ",", &save)) {
		socklen_t len = parse_addr(a, &ss);

		if (!len) {
			fprintf(stderr, "loadgen: %s is not an IPv4 or IPv6 address\n", a);
			return -EINVAL;
		}
		for (unsigned int p = o->port_lo; p <= o->port_hi; p++) {
			struct epoll_event ev = { .events = EPOLLIN };
			int fd;

			if (*n == MAX_SOCKS)
				return -E2BIG;
			set_port(&ss, p);
			fd = listen_one(o, &ss, len);
			if (fd < 0) {
				fprintf(stderr, "loadgen: %s port %u: %s\n", a, p, strerror(-fd));
				return fd;
			}
			fds[(*n)++] = fd;
			ev.data.fd = fd;
			epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
		}
	}
	return 0;
}

static int run_server(const struct opts *o)
{
	struct epoll_event evs[64];
	int fds[MAX_SOCKS], n = 0, ep, err;
	char *addrs = strdup(o->to);

	ep = epoll_create1(EPOLL_CLOEXEC);
	if (ep < 0 || !addrs) {
		perror("loadgen: epoll");
		free(addrs);
		return 1;
	}
	err = open_listeners(o, addrs, ep, fds, &n);
	free(addrs);
	if (!err) {
		printf("ready\n");
		fflush(stdout);
	}
	while (!err && !stop) {
		int k = epoll_wait(ep, evs, 64, 200);

		for (int i = 0; i < k; i++)
			serve_ready(o, evs[i].data.fd);
	}
	for (int i = 0; i < n; i++)
		close(fds[i]);
	close(ep);
	return err ? 1 : 0;
}

/* ---- options ------------------------------------------------------------ */

static const char usage[] =
"Usage: loadgen client --load tcp|udp --to ADDR --ports LO-HI [--cpu N]\n"
"                      [--seconds S] [--count N] [--warmup S] [--cgroup DIR]\n"
"                      [--go FILE]\n"
"       loadgen server --load tcp|udp --addr ADDR[,ADDR...] --ports LO-HI [--cpu N]\n"
"\n"
"client: TCP connect + close with SO_LINGER 0, or a UDP sendto flood, to ADDR,\n"
"cycling the destination port over LO-HI; prints key=value fields with the\n"
"rate of calls per second (failed calls count: a refused connect is a call).\n"
"server: accepts and closes (TCP) or drains (UDP) on every ADDR x port;\n"
"prints \"ready\" when bound, stops on SIGTERM.\n"
"\n"
"  --cpu N       pin to CPU N (sched_setaffinity)\n"
"  --seconds S   measure for S seconds (default 1)\n"
"  --count N     stop after N calls (whichever comes first)\n"
"  --warmup S    run S seconds before measuring (default 0.1)\n"
"  --cgroup DIR  move into cgroup DIR first (writes DIR/cgroup.procs)\n"
"  --go FILE     create FILE.ready, then start only once FILE exists\n"
"\n"
"Examples:\n"
"  loadgen server --load tcp --addr 127.0.0.1,::1 --ports 20000-20015 --cpu 1\n"
"  loadgen client --load tcp --to 127.0.0.1 --ports 20000-20015 --cpu 0 --seconds 2\n";

static int parse_ports(const char *s, struct opts *o)
{
	char *end;
	unsigned long lo = strtoul(s, &end, 10), hi = lo;

	if (*end == '-')
		hi = strtoul(end + 1, &end, 10);
	if (*end || lo < 1 || hi > 65535 || lo > hi || hi - lo >= 64)
		return -EINVAL;
	o->port_lo = (unsigned int)lo;
	o->port_hi = (unsigned int)hi;
	return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
	static const struct option lo[] = {
		{ "load", required_argument, NULL, 'l' },
		{ "to", required_argument, NULL, 't' },
		{ "addr", required_argument, NULL, 't' },
		{ "ports", required_argument, NULL, 'p' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "seconds", required_argument, NULL, 's' },
		{ "count", required_argument, NULL, 'n' },
		{ "warmup", required_argument, NULL, 'w' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "go", required_argument, NULL, 'G' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	int c;

	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 'l':
			if (strcmp(optarg, "tcp") && strcmp(optarg, "udp"))
				return -EINVAL;
			o->udp = !strcmp(optarg, "udp");
			break;
		case 't': o->to = optarg; break;
		case 'p':
			if (parse_ports(optarg, o))
				return -EINVAL;
			break;
		case 'c': o->cpu = atoi(optarg); break;
		case 's': o->seconds = atof(optarg); break;
		case 'n': o->count = strtoull(optarg, NULL, 10); break;
		case 'w': o->warmup = atof(optarg); break;
		case 'g': o->cgroup = optarg; break;
		case 'G': o->go = optarg; break;
		case 'h': fputs(usage, stdout); exit(0);
		default: return -EINVAL;
		}
	}
	if (!o->to || !o->port_lo || (o->seconds <= 0 && !o->count))
		return -EINVAL;
	return 0;
}

int main(int argc, char **argv)
{
	struct opts o = { .cpu = -1, .seconds = 1, .warmup = 0.1 };
	int err;

	if (argc < 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
		fputs(usage, stderr);
		return 2;
	}
	o.server = !strcmp(argv[1], "server");
	if (parse_opts(argc - 1, argv + 1, &o)) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	signal(SIGPIPE, SIG_IGN);
	err = o.cgroup ? enter_cgroup(o.cgroup) : 0;
	if (!err)
		err = pin_cpu(o.cpu);
	if (err) {
		fprintf(stderr, "loadgen: %s: %s\n", o.cgroup ? "cgroup/cpu" : "cpu", strerror(-err));
		return 1;
	}
	return o.server ? run_server(&o) : run_client(&o);
}
