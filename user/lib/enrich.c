// SPDX-License-Identifier: GPL-2.0-only
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "enrich.h"

#define USER_SLOTS	256	/* a host runs agents as a handful of users */
#define USER_MAX	64
#define EXE_SLOTS	64	/* processes whose exe is remembered */
#define EXE_FRESH_NS	1000000000ull	/* how long a read stays good */

struct user_slot {
	uint32_t uid;
	bool used;
	bool none;			/* no passwd entry */
	char name[USER_MAX];
};

/*
 * A burst of events comes from a few processes: reading /proc/PID/exe for
 * each (a path walk, slow for a process that is gone) was a fifth of the
 * cost of an event.  A read is reused for the same process and command
 * name for up to a second; an exec that keeps the name shows within that.
 */
struct exe_slot {
	uint32_t tgid;
	bool used, gone;
	uint64_t read_ns;		/* CLOCK_MONOTONIC */
	char comm[16];
	char *exe;
};

struct sl_enrich {
	char host[256];
	struct exe_slot exes[EXE_SLOTS];
	uint32_t run_a, run_b, run_c;	/* the random part of event ids */
	struct user_slot users[USER_SLOTS];
};

int sl_enrich_new(struct sl_enrich **out)
{
	struct sl_enrich *en = calloc(1, sizeof(*en));
	uint32_t r[3];

	if (!en)
		return -ENOMEM;
	if (gethostname(en->host, sizeof(en->host) - 1) || !en->host[0])
		strcpy(en->host, "localhost");
	/* getrandom never fails this early for 12 bytes; fall back to time anyway. */
	if (getrandom(r, sizeof(r), 0) != sizeof(r)) {
		r[0] = (uint32_t)time(NULL);
		r[1] = (uint32_t)getpid();
		r[2] = (uint32_t)clock();
	}
	en->run_a = r[0];
	en->run_b = r[1];
	en->run_c = r[2];
	*out = en;
	return 0;
}

void sl_enrich_free(struct sl_enrich *en)
{
	if (!en)
		return;
	for (size_t i = 0; i < EXE_SLOTS; i++)
		free(en->exes[i].exe);
	free(en);
}

const char *sl_enrich_host(const struct sl_enrich *en)
{
	return en->host;
}

static uint64_t mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

const char *sl_enrich_exe(struct sl_enrich *en, uint32_t tgid, const char *comm)
{
	struct exe_slot *s = &en->exes[tgid % EXE_SLOTS];
	uint64_t now = mono_ns();
	char path[32], buf[PATH_MAX];
	ssize_t n;

	if (s->used && s->tgid == tgid && !strncmp(s->comm, comm, sizeof(s->comm)) &&
	    now - s->read_ns < EXE_FRESH_NS)
		return s->gone ? NULL : s->exe;
	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	n = readlink(path, buf, sizeof(buf) - 1);
	free(s->exe);
	*s = (struct exe_slot){ .tgid = tgid, .used = true, .read_ns = now };
	strncpy(s->comm, comm, sizeof(s->comm));
	if (n > 0) {
		buf[n] = '\0';
		s->exe = strdup(buf);
	}
	s->gone = !s->exe;
	return s->exe;
}

const char *sl_enrich_user(struct sl_enrich *en, uint32_t uid)
{
	struct user_slot *s = &en->users[uid % USER_SLOTS];
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (!s->used || s->uid != uid) {
		/* A collision evicts: the next lookup of the other uid reads again. */
		s->used = true;
		s->uid = uid;
		s->none = getpwuid_r(uid, &pw, buf, sizeof(buf), &res) || !res ||
			  strlen(pw.pw_name) >= USER_MAX;
		if (!s->none)
			strcpy(s->name, pw.pw_name);
	}
	return s->none ? NULL : s->name;
}

void sl_enrich_reset(struct sl_enrich *en)
{
	memset(en->users, 0, sizeof(en->users));
}

void sl_enrich_event_id(const struct sl_enrich *en, uint64_t seq, char out[37])
{
	snprintf(out, 37, "%08x-%04x-8%03x-%04x-%012llx", en->run_a, en->run_b >> 16,
		 en->run_b & 0xfff, 0x8000 | (en->run_c & 0x3fff),
		 (unsigned long long)(seq & 0xffffffffffffull));
}
