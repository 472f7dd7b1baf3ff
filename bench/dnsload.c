// SPDX-License-Identifier: GPL-2.0-only
/*
 * dnsload: part (e) of the benchmark, the DNS proxy's added latency.
 *
 *   dnsload server --addr ADDR [--port P] --answer IPV4 [--cpu N]
 *   dnsload client --to ADDR [--port P] --name NAME --rate QPS --seconds S
 *                  [--cpu N] [--cgroup DIR]
 *
 * The server is the upstream both paths share: it answers every A query at
 * once with one record (--answer, TTL 300), so what the client measures is
 * the path, not a resolver.  The client sends queries for NAME at a fixed
 * rate (one every 1/QPS seconds, on an absolute clock so a slow answer never
 * delays the next query) from one unconnected UDP socket, and a second
 * thread takes the answers.  Latency is from just before sendto() to just
 * after recv(), per query, matched by the DNS id.  It prints one line of
 * key=value fields: sent, answered, late (no answer within 1 s), and the
 * p50, p90, p99, p99.9 and max latency in microseconds.
 *
 * From inside an agent's cgroup the kernel sends the query to sluiced's
 * proxy (sendmsg4) and gives the answer the upstream's address back
 * (recvmsg4); from any other cgroup it goes to the server directly.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <netinet/in.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "common.h"

#define HDR		12
#define MAX_MSG		512
#define IDS		65536
#define LATE_S		1.0	/* no answer after this: late */

struct opts {
	const char *to, *name, *answer, *cgroup;
	unsigned int port;
	int cpu;
	double rate, seconds;
};

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- server ------------------------------------------------------------- */

/* The question's end, or 0 if the message is not one plain query. */
static size_t question_end(const uint8_t *m, size_t len)
{
	size_t off = HDR;

	if (len < HDR || (m[2] & 0x80) || m[4] != 0 || m[5] != 1)
		return 0;
	while (off < len && m[off]) {
		if (m[off] > 63)
			return 0;
		off += 1u + m[off];
	}
	off += 5;	/* the root label, type, class */
	return off <= len ? off : 0;
}

static int run_server(const struct opts *o)
{
	static const uint8_t rr[] = { 0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0x01, 0x2c, 0, 4 };
	struct sockaddr_storage ss, peer;
	socklen_t len = parse_addr(o->to, &ss), plen;
	uint8_t m[MAX_MSG + sizeof(rr) + 4];
	struct in_addr ans;
	struct timeval tv = { .tv_usec = 200000 };
	int fd;

	if (len)
		set_port(&ss, o->port);
	if (!len || inet_pton(AF_INET, o->answer ? o->answer : "", &ans) != 1) {
		fprintf(stderr, "dnsload: --addr and --answer must be addresses\n");
		return 2;
	}
	fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&ss, len)) {
		perror("dnsload: server socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	printf("ready\n");
	fflush(stdout);
	while (!stop) {
		ssize_t n;
		size_t q;

		plen = sizeof(peer);
		n = recvfrom(fd, m, MAX_MSG, 0, (struct sockaddr *)&peer, &plen);
		if (n < 0 || !(q = question_end(m, (size_t)n)))
			continue;
		m[2] = 0x84 | (m[2] & 0x01);	/* QR, AA, RD as asked */
		m[3] = 0x80;			/* RA, NOERROR */
		m[6] = 0;
		m[7] = 1;			/* one answer */
		memset(m + 8, 0, 4);		/* no authority, no additional */
		memcpy(m + q, rr, sizeof(rr));
		memcpy(m + q + sizeof(rr), &ans, 4);
		sendto(fd, m, q + sizeof(rr) + 4, 0, (struct sockaddr *)&peer, plen);
	}
	close(fd);
	return 0;
}

/* ---- client ------------------------------------------------------------- */

struct client {
	int fd;
	double sent_at[IDS];		/* by DNS id; 0: nothing outstanding */
	double *lat;			/* answered queries' latencies, seconds */
	uint64_t sent, answered, cap;
	volatile bool sending_done;
	double done_at;
	pthread_mutex_t lock;
};

static size_t make_query(uint8_t *m, const char *name, uint16_t id)
{
	size_t off = HDR;
	const char *p = name;

	memset(m, 0, HDR);
	m[0] = (uint8_t)(id >> 8);
	m[1] = (uint8_t)id;
	m[2] = 0x01;	/* RD */
	m[5] = 1;	/* one question */
	while (*p) {
		const char *dot = strchr(p, '.');
		size_t l = dot ? (size_t)(dot - p) : strlen(p);

		m[off++] = (uint8_t)l;
		memcpy(m + off, p, l);
		off += l;
		p += l + (dot ? 1 : 0);
	}
	m[off++] = 0;
	m[off++] = 0;
	m[off++] = 1;	/* A */
	m[off++] = 0;
	m[off++] = 1;	/* IN */
	return off;
}

static void *receiver(void *arg)
{
	struct client *c = arg;
	uint8_t m[MAX_MSG];

	for (;;) {
		ssize_t n = recv(c->fd, m, sizeof(m), 0);
		double t = now_s();

		pthread_mutex_lock(&c->lock);
		if (n >= HDR && (m[2] & 0x80)) {
			uint16_t id = (uint16_t)(m[0] << 8 | m[1]);

			if (c->sent_at[id] > 0 && c->answered < c->cap) {
				c->lat[c->answered++] = t - c->sent_at[id];
				c->sent_at[id] = 0;
			}
		}
		bool over = c->sending_done &&
			    (c->answered == c->sent || t > c->done_at + LATE_S);
		pthread_mutex_unlock(&c->lock);
		if (over || stop)
			return NULL;
	}
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return (x > y) - (x < y);
}

static double pct(const double *v, uint64_t n, double p)
{
	if (!n)
		return 0;
	uint64_t i = (uint64_t)(p * (double)(n - 1) + 0.5);

	return v[i] * 1e6;
}

static int run_client(const struct opts *o)
{
	struct client *c = calloc(1, sizeof(*c));
	struct sockaddr_storage ss;
	socklen_t len = parse_addr(o->to, &ss);
	struct timeval tv = { .tv_usec = 100000 };
	double interval = 1.0 / o->rate, start;
	struct timespec next;
	uint8_t q[MAX_MSG];
	pthread_t th;

	if (len)
		set_port(&ss, o->port);
	if (!c || !len || !o->name || strlen(o->name) > 200 || o->rate <= 0) {
		fprintf(stderr, "dnsload: client needs --to ADDR, --name NAME and --rate QPS\n");
		return 2;
	}
	c->cap = (uint64_t)(o->rate * o->seconds) + 16;
	c->lat = calloc(c->cap, sizeof(*c->lat));
	c->fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (!c->lat || c->fd < 0) {
		perror("dnsload: client");
		return 1;
	}
	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	pthread_mutex_init(&c->lock, NULL);
	if (pthread_create(&th, NULL, receiver, c)) {
		perror("dnsload: thread");
		return 1;
	}
	clock_gettime(CLOCK_MONOTONIC, &next);
	start = now_s();
	while (!stop && c->sent + 1 < c->cap && now_s() - start < o->seconds) {
		uint16_t id = (uint16_t)c->sent;
		size_t qlen = make_query(q, o->name, id);

		clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &next, NULL);
		pthread_mutex_lock(&c->lock);
		c->sent_at[id] = now_s();
		c->sent++;
		pthread_mutex_unlock(&c->lock);
		sendto(c->fd, q, qlen, 0, (struct sockaddr *)&ss, len);
		next.tv_nsec += (long)(interval * 1e9);
		while (next.tv_nsec >= 1000000000L) {
			next.tv_nsec -= 1000000000L;
			next.tv_sec++;
		}
	}
	pthread_mutex_lock(&c->lock);
	c->done_at = now_s();
	c->sending_done = true;
	pthread_mutex_unlock(&c->lock);
	pthread_join(th, NULL);
	qsort(c->lat, c->answered, sizeof(*c->lat), cmp_double);
	printf("rate=%.0f\tsent=%llu\tanswered=%llu\tlate=%llu\tp50_us=%.1f\tp90_us=%.1f"
	       "\tp99_us=%.1f\tp999_us=%.1f\tmax_us=%.1f\n", o->rate,
	       (unsigned long long)c->sent, (unsigned long long)c->answered,
	       (unsigned long long)(c->sent - c->answered), pct(c->lat, c->answered, 0.50),
	       pct(c->lat, c->answered, 0.90), pct(c->lat, c->answered, 0.99),
	       pct(c->lat, c->answered, 0.999), pct(c->lat, c->answered, 1.0));
	close(c->fd);
	free(c->lat);
	free(c);
	return 0;
}

/* ---- options ------------------------------------------------------------ */

static const char usage[] =
"Usage: dnsload server --addr ADDR [--port P] --answer IPV4 [--cpu N]\n"
"       dnsload client --to ADDR [--port P] --name NAME --rate QPS --seconds S\n"
"                      [--cpu N] [--cgroup DIR]\n"
"\n"
"server: answers every A query with one record (--answer), at once.\n"
"client: queries NAME at QPS from one UDP socket and prints key=value fields:\n"
"sent, answered, late (unanswered after 1 s), p50/p90/p99/p99.9/max in us.\n"
"\n"
"  --port P      UDP port (default 53)\n"
"  --cpu N       pin to CPU N\n"
"  --cgroup DIR  move into cgroup DIR first (writes DIR/cgroup.procs)\n"
"\n"
"Examples:\n"
"  dnsload server --addr 127.0.0.53 --answer 127.1.2.3 --cpu 1\n"
"  dnsload client --to 127.0.0.53 --name a.bench.test --rate 1000 --seconds 2\n";

int main(int argc, char **argv)
{
	static const struct option lo[] = {
		{ "addr", required_argument, NULL, 't' },
		{ "to", required_argument, NULL, 't' },
		{ "port", required_argument, NULL, 'p' },
		{ "answer", required_argument, NULL, 'a' },
		{ "name", required_argument, NULL, 'n' },
		{ "rate", required_argument, NULL, 'r' },
		{ "seconds", required_argument, NULL, 's' },
		{ "cpu", required_argument, NULL, 'c' },
		{ "cgroup", required_argument, NULL, 'g' },
		{ "help", no_argument, NULL, 'h' },
		{ 0 },
	};
	struct opts o = { .port = 53, .cpu = -1, .seconds = 1 };
	bool server;
	int c, err;

	if (argc < 2 || (strcmp(argv[1], "client") && strcmp(argv[1], "server"))) {
		fputs(usage, stderr);
		return 2;
	}
	server = !strcmp(argv[1], "server");
	argc--;
	argv++;
	while ((c = getopt_long(argc, argv, "h", lo, NULL)) != -1) {
		switch (c) {
		case 't': o.to = optarg; break;
		case 'p': o.port = (unsigned int)strtoul(optarg, NULL, 10); break;
		case 'a': o.answer = optarg; break;
		case 'n': o.name = optarg; break;
		case 'r': o.rate = atof(optarg); break;
		case 's': o.seconds = atof(optarg); break;
		case 'c': o.cpu = atoi(optarg); break;
		case 'g': o.cgroup = optarg; break;
		case 'h': fputs(usage, stdout); return 0;
		default: fputs(usage, stderr); return 2;
		}
	}
	if (!o.to || !o.port || o.port > 65535) {
		fputs(usage, stderr);
		return 2;
	}
	signal(SIGTERM, on_signal);
	signal(SIGINT, on_signal);
	err = o.cgroup ? enter_cgroup(o.cgroup) : 0;
	if (!err)
		err = pin_cpu(o.cpu);
	if (err) {
		fprintf(stderr, "dnsload: cgroup/cpu: %s\n", strerror(-err));
		return 1;
	}
	return server ? run_server(&o) : run_client(&o);
}
