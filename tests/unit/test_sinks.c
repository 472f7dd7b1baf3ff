// SPDX-License-Identifier: GPL-2.0-only
/*
 * Sinks without a daemon: size rotation (no line split, the oldest file
 * falls off), queue overflow accounting (written + dropped = pushed, the
 * seq range of the losses), filters, and delivery to a Unix datagram
 * receiver that is slow to read; a held sink (a drained ring burst) and
 * the exe cache of the enrichment.
 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>
#include <limits.h>
#include <signal.h>
#include <sys/wait.h>
#include "enrich.h"
#include "sinks.h"

static struct sl_evrec ev_seq(uint64_t seq)
{
	struct sl_evrec ev = { .seq = seq, .type = "test" };

	return ev;
}

static void push_lines(struct sl_sink *s, uint64_t from, uint64_t to, size_t len)
{
	char line[512];

	cr_assert_lt(len, sizeof(line));
	for (uint64_t seq = from; seq <= to; seq++) {
		struct sl_evrec ev = ev_seq(seq);
		int n = snprintf(line, sizeof(line), "{\"seq\":%llu,\"pad\":\"", (unsigned long long)seq);

		memset(line + n, 'x', len - (size_t)n - 2);
		memcpy(line + len - 2, "\"}", 2);
		sl_sink_push(s, &ev, line, len);
	}
}

static char *tmpdir(void)
{
	char *d = strdup("/tmp/sluice-sinks-XXXXXX");

	cr_assert_not_null(mkdtemp(d));
	return d;
}

static void rmdir_all(const char *dir)
{
	char cmd[256];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	cr_assert_eq(system(cmd), 0);
}

/* Lines of a file, checking each is whole; -1 when it does not exist. */
static long file_lines(const char *path, uint64_t *first, uint64_t *last, off_t *size)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	long n = 0;
	unsigned long long seq;

	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		cr_assert(strchr(line, '\n'), "%s: a line without its end", path);
		cr_assert_eq(sscanf(line, "{\"seq\":%llu,", &seq), 1, "%s: %s", path, line);
		if (!n)
			*first = seq;
		*last = seq;
		n++;
	}
	*size = ftello(f);
	fclose(f);
	return n;
}

Test(sinks, rotation_keeps_lines_whole_and_drops_the_oldest)
{
	char *dir = tmpdir(), path[256], name[300];
	struct sl_sink_cfg cfg;
	struct sl_sink *s;
	uint64_t prev_last = 0, total = 0;

	snprintf(path, sizeof(path), "%s/ev.jsonl", dir);
	sl_sink_cfg_init(&cfg, SL_SINK_FILE);
	cfg.path = path;
	cfg.rotate_bytes = 4096;
	cfg.rotate_keep = 3;
	cfg.queue = 1000;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	/* 300 lines of 100 bytes: 40 a file, 8 files written, 4 kept (140 lines). */
	push_lines(s, 1, 300, 99);
	sl_sink_free(s);
	snprintf(name, sizeof(name), "%s.4", path);
	cr_expect_neq(access(name, F_OK), 0, "more files kept than keep: 3");
	/* Oldest first: PATH.3, PATH.2, PATH.1, PATH; seqs continue across them. */
	for (int i = 3; i >= 0; i--) {
		uint64_t first = 0, last = 0;
		off_t size = 0;
		long n;

		if (i)
			snprintf(name, sizeof(name), "%s.%d", path, i);
		else
			snprintf(name, sizeof(name), "%s", path);
		n = file_lines(name, &first, &last, &size);
		cr_assert_gt(n, 0, "%s missing or empty", name);
		cr_expect_leq(size, 4096, "%s is %lld bytes", name, (long long)size);
		if (prev_last)
			cr_expect_eq(first, prev_last + 1, "%s starts at %llu", name,
				     (unsigned long long)first);
		prev_last = last;
		total += (uint64_t)n;
	}
	cr_expect_eq(prev_last, 300);
	cr_expect_eq(total, 140);
	rmdir_all(dir);
	free(dir);
}

Test(sinks, a_line_bigger_than_the_size_gets_a_file_of_its_own)
{
	char *dir = tmpdir(), path[256], name[300];
	struct sl_sink_cfg cfg;
	struct sl_sink *s;
	uint64_t first, last;
	off_t size;

	snprintf(path, sizeof(path), "%s/ev.jsonl", dir);
	sl_sink_cfg_init(&cfg, SL_SINK_FILE);
	cfg.path = path;
	cfg.rotate_bytes = 4096;
	cfg.rotate_keep = 5;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	push_lines(s, 1, 1, 99);
	push_lines(s, 2, 2, 500);
	sl_sink_free(s);
	/* 100 + 500 bytes fit in 4096: no rotation at all. */
	cr_expect_eq(file_lines(path, &first, &last, &size), 2);
	snprintf(name, sizeof(name), "%s.1", path);
	cr_expect_eq(access(name, F_OK), -1);
	rmdir_all(dir);
	free(dir);
}

/* A receiver that does not read: the queue fills, the rest is counted. */
Test(sinks, overflow_is_counted_with_its_seq_range)
{
	char *dir = tmpdir(), path[256], buf[2048];
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct sl_sink_losses l;
	struct sl_sink_cfg cfg;
	struct sl_sink *s;
	json_object *st, *v;
	uint64_t written, dropped, received = 0;
	int rx;

	snprintf(path, sizeof(path), "%s/log.sock", dir);
	strcpy(sa.sun_path, path);
	rx = socket(AF_UNIX, SOCK_DGRAM, 0);
	cr_assert_eq(bind(rx, (struct sockaddr *)&sa, sizeof(sa)), 0);
	sl_sink_cfg_init(&cfg, SL_SINK_SYSLOG);
	cfg.transport = SL_TRANSPORT_UNIX;
	cfg.path = path;
	cfg.queue = 50;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	push_lines(s, 1, 3000, 200);
	cr_assert(sl_sink_take_losses(s, &l), "nothing was dropped");
	cr_expect_gt(l.lost, 0);
	cr_expect_eq(l.total, l.lost);
	cr_expect_gt(l.first_seq, 1);
	cr_expect_eq(l.last_seq, 3000, "the newest events are the ones dropped");
	cr_expect_not(sl_sink_take_losses(s, &l), "losses are reported once");
	/* Read everything while the writer drains its queue, then stop it. */
	for (int idle = 0; idle < 20;) {
		struct timeval tv = { 0, 50000 };

		setsockopt(rx, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		if (recv(rx, buf, sizeof(buf), 0) > 0) {
			received++;
			idle = 0;
		} else {
			idle++;
		}
	}
	st = sl_sink_status(s);
	cr_assert(json_object_object_get_ex(st, "written", &v));
	written = json_object_get_uint64(v);
	cr_assert(json_object_object_get_ex(st, "dropped", &v));
	dropped = json_object_get_uint64(v);
	json_object_put(st);
	cr_expect_eq(written + dropped, 3000, "written %llu + dropped %llu",
		     (unsigned long long)written, (unsigned long long)dropped);
	cr_expect_eq(received, written);
	cr_expect_eq(dropped, sl_sink_dropped(s));
	sl_sink_free(s);
	close(rx);
	rmdir_all(dir);
	free(dir);
}

Test(sinks, filters)
{
	struct sl_sink_cfg cfg;
	struct sl_sink *s;

	sl_sink_cfg_init(&cfg, SL_SINK_STDOUT);
	cfg.verdicts = 1u << SL_VERDICT_DENY | 1u << SL_VERDICT_AUDIT;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	cr_expect(sl_sink_wants(s, "deny"));
	cr_expect(sl_sink_wants(s, "audit"));
	cr_expect_not(sl_sink_wants(s, "allow"));
	cr_expect(sl_sink_wants(s, NULL), "control events pass by default");
	cr_expect_str_eq(sl_sink_name(s), "stdout");
	sl_sink_free(s);
	cfg.verdicts = 0;
	cfg.no_control = true;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	cr_expect(sl_sink_wants(s, "allow"));
	cr_expect_not(sl_sink_wants(s, NULL));
	sl_sink_free(s);
}

Test(sinks, an_unwritable_file_fails_at_start)
{
	struct sl_sink_cfg cfg;
	struct sl_sink *s = NULL;

	sl_sink_cfg_init(&cfg, SL_SINK_FILE);
	cfg.path = "/nonexistent-dir/ev.jsonl";
	cr_expect_eq(sl_sink_new(&s, &cfg), -ENOENT);
	cr_expect_null(s);
}

/* Has the writer written want events within tries x 10 ms (0: now)? */
static bool wait_written(struct sl_sink *s, uint64_t want, int tries)
{
	for (int i = 0; i <= tries; i++) {
		json_object *st = sl_sink_status(s), *v;
		uint64_t n = json_object_object_get_ex(st, "written", &v) ? json_object_get_uint64(v) : 0;

		json_object_put(st);
		if (n >= want)
			return true;
		if (i < tries)
			usleep(10000);
	}
	return false;
}

Test(sinks, a_held_sink_writes_every_event_once_released)
{
	char *dir = tmpdir(), path[256];
	struct sl_sink_cfg cfg;
	struct sl_sink *s;
	uint64_t first = 0, last = 0;
	off_t size = 0;

	snprintf(path, sizeof(path), "%s/ev.jsonl", dir);
	sl_sink_cfg_init(&cfg, SL_SINK_FILE);
	cfg.path = path;
	cfg.queue = 5000;
	cr_assert_eq(sl_sink_new(&s, &cfg), 0);
	/*
	 * Fewer events than a batch while held: the writer is not woken for
	 * them, and releasing the sink must wake it.  Waited for before the
	 * sink is freed, which would flush the queue anyway.  One event first,
	 * so the writer has started and gone back to waiting.
	 */
	push_lines(s, 1, 1, 80);
	cr_assert(wait_written(s, 1, 200));
	usleep(100000);
	sl_sink_hold(s, true);
	push_lines(s, 2, 10, 80);
	usleep(50000);
	cr_expect(!wait_written(s, 2, 0), "a held sink woke its writer for less than a batch");
	sl_sink_hold(s, false);
	cr_expect(wait_written(s, 10, 200), "releasing the sink wakes its writer");
	/* A drained ring's worth, not a multiple of the batch. */
	sl_sink_hold(s, true);
	push_lines(s, 11, 1000, 80);
	sl_sink_hold(s, false);
	cr_expect(wait_written(s, 1000, 200), "every held event written after release");
	push_lines(s, 1001, 1010, 80);
	cr_expect(wait_written(s, 1010, 200), "events after release are written at once");
	sl_sink_free(s);
	cr_expect_eq(file_lines(path, &first, &last, &size), 1010);
	cr_expect_eq(first, 1);
	cr_expect_eq(last, 1010);
	rmdir_all(dir);
	free(dir);
}

Test(enrich, exe_is_read_once_per_process_and_name)
{
	struct sl_enrich *en;
	char self[PATH_MAX];
	const char *exe;
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	pid_t child;

	cr_assert_gt(n, 0);
	self[n] = '\0';
	cr_assert_eq(sl_enrich_new(&en), 0);
	exe = sl_enrich_exe(en, (uint32_t)getpid(), "test_sinks");
	cr_assert_not_null(exe);
	cr_expect_str_eq(exe, self);
	/* A child that is gone: the read made while it ran is reused for its name... */
	child = fork();
	cr_assert_geq(child, 0);
	if (!child) {
		pause();
		_exit(0);
	}
	cr_assert_not_null(sl_enrich_exe(en, (uint32_t)child, "child"));
	kill(child, SIGKILL);
	waitpid(child, NULL, 0);
	exe = sl_enrich_exe(en, (uint32_t)child, "child");
	cr_assert_not_null(exe, "a read is reused for the same process and name");
	cr_expect_str_eq(exe, self);
	/* ...but another name (an exec) reads again, and finds it gone. */
	cr_expect_null(sl_enrich_exe(en, (uint32_t)child, "other"));
	cr_expect_null(sl_enrich_exe(en, (uint32_t)child, "other"), "gone is remembered too");
	sl_enrich_free(en);
}
