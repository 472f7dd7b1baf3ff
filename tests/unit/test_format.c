// SPDX-License-Identifier: GPL-2.0-only
/*
 * The event formats: escaping in each, and every kind of event rendered in
 * every format passing ../shared/siem/validate.py (OCSF 1.8.0, ECS 9.4.0,
 * CEF, RFC 5424 syslog).
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "evsamples.h"

#define VALIDATE "../shared/siem/validate.py"

static char *render(const struct sl_evrec *ev, enum sl_evfmt f)
{
	size_t len;
	char *s = sl_format(ev, f, &len);

	cr_assert_not_null(s);
	cr_assert_eq(strlen(s), len, "NUL inside a rendered event");
	cr_assert_null(memchr(s, '\n', len), "newline inside an event: %s", s);
	return s;
}

static char *render_syslog(const struct sl_evrec *ev, enum sl_evfmt f)
{
	struct sl_syslog_opts o = { .facility = 16, .sd_id = "sluice@32473", .procid = 99 };
	char *msg = render(ev, f), *s;
	size_t len;

	s = sl_format_syslog(ev, &o, msg, strlen(msg), &len);
	free(msg);
	cr_assert_not_null(s);
	return s;
}

/* Run the validator over a file of lines; returns its last line. */
static void validate(const char *fmt, const char *path, size_t n)
{
	char cmd[512], line[4096], last[4096] = "", want[64];
	FILE *p;
	int rc;

	snprintf(cmd, sizeof(cmd), "/usr/bin/python3 %s --format %s --quiet %s 2>&1", VALIDATE,
		 fmt, path);
	p = popen(cmd, "r");
	cr_assert_not_null(p);
	while (fgets(line, sizeof(line), p)) {
		if (strstr(line, " passed, "))
			strcpy(last, line);
		else
			cr_log_error("%s: %s", fmt, line);
	}
	rc = pclose(p);
	snprintf(want, sizeof(want), "%zu passed, 0 failed\n", n);
	cr_expect_str_eq(last, want, "%s", fmt);
	cr_expect_eq(rc, 0, "validate.py --format %s exited %d", fmt, rc);
}

static void validate_all(enum sl_evfmt f, bool syslog)
{
	static const char *const names[] = { "json", "ocsf", "ecs", "cef" };
	char path[] = "/tmp/sluice-fmt-XXXXXX";
	struct evsamples s;
	int fd = mkstemp(path);
	FILE *out = fdopen(fd, "w");

	cr_assert_not_null(out);
	evs_all(&s);
	for (size_t i = 0; i < s.n; i++) {
		char *line = syslog ? render_syslog(&s.ev[i], f) : render(&s.ev[i], f);

		fprintf(out, "%s\n", line);
		free(line);
	}
	fclose(out);
	if (access(VALIDATE, R_OK))
		cr_skip_test("%s not found (run from the repository top)", VALIDATE);
	validate(syslog ? "syslog" : names[f], path, s.n);
	unlink(path);
	evs_free(&s);
}

Test(format, every_kind_is_valid_ocsf) { validate_all(SL_EVFMT_OCSF, false); }
Test(format, every_kind_is_valid_ecs) { validate_all(SL_EVFMT_ECS, false); }
Test(format, every_kind_is_valid_cef) { validate_all(SL_EVFMT_CEF, false); }
Test(format, every_kind_is_valid_syslog_cef) { validate_all(SL_EVFMT_CEF, true); }
Test(format, every_kind_is_valid_syslog_json) { validate_all(SL_EVFMT_JSON, true); }
Test(format, every_kind_is_valid_syslog_ocsf) { validate_all(SL_EVFMT_OCSF, true); }

/* Every kind, every format: one line, and the JSON ones parse. */
Test(format, json_formats_parse)
{
	struct evsamples s;

	evs_all(&s);
	for (size_t i = 0; i < s.n; i++) {
		for (int f = SL_EVFMT_JSON; f <= SL_EVFMT_ECS; f++) {
			char *line = render(&s.ev[i], f);
			json_object *o = json_tokener_parse(line);

			cr_assert_not_null(o, "%s: %s", sl_evfmt_name(f), line);
			json_object_put(o);
			free(line);
		}
	}
	evs_free(&s);
}

/* The native JSON has what docs/events.md promises. */
Test(format, native_json_fields)
{
	struct evsamples s;
	json_object *o, *v;
	char *line;

	evs_all(&s);
	line = render(&s.ev[5], SL_EVFMT_JSON);	/* the IPv6 delegated deny */
	o = json_tokener_parse(line);
	cr_assert(json_object_object_get_ex(o, "seq", &v));
	cr_expect_eq(json_object_get_int64(v), 6);
	cr_assert(json_object_object_get_ex(o, "event_id", &v));
	cr_expect_str_eq(json_object_get_string(v), s.ev[5].event_id);
	cr_assert(json_object_object_get_ex(o, "dst_ip", &v));
	cr_expect_str_eq(json_object_get_string(v), "2001:db8::1");
	cr_assert(json_object_object_get_ex(o, "dns_name", &v));
	cr_expect_str_eq(json_object_get_string(v), "api.example.com");
	cr_assert(json_object_object_get_ex(o, "delegators", &v));
	cr_expect_eq(json_object_array_length(v), 2);
	cr_assert(json_object_object_get_ex(o, "verdict", &v));
	cr_expect_str_eq(json_object_get_string(v), "deny");
	cr_assert(json_object_object_get_ex(o, "comm", &v));
	/* Not UTF-8 in the kernel's comm: replaced, so the line stays valid. */
	cr_expect_str_eq(json_object_get_string(v), "b??|x=y\\z\n");
	cr_expect(strstr(line, "\"b??|x=y\\\\z\\n\"") != NULL, "%s", line);
	json_object_put(o);
	free(line);
	evs_free(&s);
}

Test(format, cef_escaping)
{
	struct evsamples s;
	char *line;

	evs_all(&s);
	line = render(&s.ev[5], SL_EVFMT_CEF);
	/* Extension values: backslash, equals and newline escaped; pipes not. */
	cr_expect(strstr(line, " sproc=b??|x\\=y\\\\z\\n ") != NULL, "%s", line);
	cr_expect(strstr(line, "c6a3Label=destinationIPv6Address c6a3=2001:db8::1") != NULL,
		  "%s", line);
	cr_expect(strstr(line, " dst=") == NULL, "IPv6 in dst: %s", line);
	cr_expect(strstr(line, "cs5Label=delegators cs5=t-parent,t-root") != NULL, "%s", line);
	free(line);
	line = render(&s.ev[s.n - 2], SL_EVFMT_CEF);	/* something_new */
	cr_expect(strstr(line, "CEF:0|sluice|sluice|" SLUICE_VERSION "|control|") == line, "%s", line);
	cr_expect(strstr(line, "a\\=b|c\\\\nd") != NULL, "%s", line);
	free(line);
	evs_free(&s);
}

Test(format, cef_header_escaping)
{
	struct evsamples s;
	char *line;

	evs_all(&s);
	line = render(&s.ev[0], SL_EVFMT_CEF);
	cr_expect(strncmp(line, "CEF:0|sluice|sluice|" SLUICE_VERSION "|egress-allow|"
			  "Egress connection allowed|1|rt=", 64) == 0, "%s", line);
	free(line);
	/* A type with a pipe and a backslash names the event: both escaped. */
	line = render(&s.ev[s.n - 1], SL_EVFMT_CEF);
	cr_expect(strstr(line, "|control|odd\\|type\\\\|1|rt=") != NULL, "%s", line);
	free(line);
	evs_free(&s);
}

Test(format, syslog_structured_data_escaping)
{
	struct evsamples s;
	char *line;

	evs_all(&s);
	line = render_syslog(&s.ev[s.n - 2], SL_EVFMT_JSON);
	cr_expect(strncmp(line, "<134>1 2026-01-01T00:00:", 24) == 0, "%s", line);
	cr_expect(strstr(line, " build-07 sluiced 99 something_new [sluice@32473 "
			 "type=\"something_new\" agent=\"co\\\"der\\]\\\\\"") != NULL, "%s", line);
	free(line);
	line = render_syslog(&s.ev[1], SL_EVFMT_CEF);
	/* A deny is a warning: local0 (16) * 8 + 4. */
	cr_expect(strncmp(line, "<132>1 ", 7) == 0, "%s", line);
	cr_expect(strstr(line, " verdict=\"deny\" dst=\"203.0.113.7\" dport=\"443\" proto=\"tcp\"") != NULL,
		  "%s", line);
	cr_expect(strstr(line, "] CEF:0|") != NULL, "%s", line);
	free(line);
	evs_free(&s);
}

Test(format, utf8_scrub)
{
	static const struct { const char *in, *out; } cases[] = {
		{ "plain", "plain" },
		{ "caf\xc3\xa9", "caf\xc3\xa9" },
		{ "\xc3", "?" },
		{ "\xc0\xaf", "??" },			/* overlong '/' */
		{ "\xed\xa0\x80", "???" },		/* surrogate */
		{ "\xf4\x90\x80\x80", "????" },		/* past U+10FFFF */
		{ "\xf0\x9f\x98\x80!", "\xf0\x9f\x98\x80!" },
		{ "a\xffz", "a?z" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char buf[32];

		strcpy(buf, cases[i].in);
		sl_utf8_scrub(buf, strlen(buf));
		cr_expect_str_eq(buf, cases[i].out, "case %zu", i);
	}
}

Test(format, names_round_trip)
{
	for (int f = 0; f < SL_EVFMT_MAX; f++)
		cr_expect_eq(sl_evfmt_parse(sl_evfmt_name(f)), f);
	cr_expect_lt(sl_evfmt_parse("xml"), 0);
	cr_expect_lt(sl_evfmt_parse(NULL), 0);
}

Test(format, copies_outlive_their_source)
{
	struct evsamples s;
	struct sl_evrec *c[EVS_MAX];
	size_t n;
	char *a, *b;

	evs_all(&s);
	n = s.n;
	for (size_t i = 0; i < s.n; i++)
		c[i] = sl_evrec_dup(&s.ev[i]);
	for (size_t i = 0; i < s.n; i++) {
		a = render(&s.ev[i], SL_EVFMT_OCSF);
		b = render(c[i], SL_EVFMT_OCSF);
		cr_expect_str_eq(a, b);
		free(a);
		free(b);
	}
	evs_free(&s);
	for (size_t i = 0; i < n; i++)
		sl_evrec_free(c[i]);
}
