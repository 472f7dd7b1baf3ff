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

struct user_slot {
	uint32_t uid;
	bool used;
	bool none;			/* no passwd entry */
	char name[USER_MAX];
};

struct sl_enrich {
	char host[256];
	char exe[PATH_MAX];
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
	free(en);
}

const char *sl_enrich_host(const struct sl_enrich *en)
{
	return en->host;
}

const char *sl_enrich_exe(struct sl_enrich *en, uint32_t tgid)
{
	char path[32];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%u/exe", tgid);
	n = readlink(path, en->exe, sizeof(en->exe) - 1);
	if (n <= 0)
		return NULL;
	en->exe[n] = '\0';
	return en->exe;
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
