// SPDX-License-Identifier: GPL-2.0-only
/* sluiced's config file: the events: section, its defaults and its errors. */
#include <criterion/criterion.h>
#include <errno.h>
#include <string.h>
#include "config.h"

static int parse(const char *text, struct sl_events_cfg *ev, struct sl_diag *d)
{
	memset(ev, 0, sizeof(*ev));
	sl_diag_init(d);
	return sl_config_parse("t.yaml", text, strlen(text), ev, d);
}

/* d holds a message containing want. */
static bool has(const struct sl_diag *d, const char *want)
{
	for (size_t i = 0; i < d->n; i++)
		if (strstr(d->msg[i], want))
			return true;
	return false;
}

static void dump(const struct sl_diag *d)
{
	for (size_t i = 0; i < d->n; i++)
		cr_log_info("%s", d->msg[i]);
}

Test(config, the_documented_example)
{
	static const char text[] =
		"events:\n"
		"  ringbuf_size: 4194304\n"
		"  sample_allowed: 10\n"
		"  sinks:\n"
		"    - type: file\n"
		"      path: /var/log/sluice/events.ocsf.jsonl\n"
		"      format: ocsf\n"
		"      rotate: { size: 100M, keep: 5 }\n"
		"      verdicts: [deny, audit]\n"
		"      queue: 65536\n"
		"    - type: syslog\n"
		"      transport: tcp\n"
		"      address: 127.0.0.1:6514\n"
		"      format: cef\n"
		"      facility: auth\n"
		"    - type: syslog\n"
		"      transport: unix\n"
		"      path: /dev/log\n"
		"      sd_id: acme@32473.1\n"
		"      control: false\n"
		"    - type: stdout\n"
		"      format: json\n";
	struct sl_events_cfg ev;
	struct sl_diag d;

	cr_assert_eq(parse(text, &ev, &d), 0);
	dump(&d);
	cr_expect_eq(ev.ringbuf_bytes, 4194304);
	cr_expect_eq(ev.sample_allowed, 10);
	cr_assert_eq(ev.n_sinks, 4);
	cr_expect_eq(ev.sinks[0].type, SL_SINK_FILE);
	cr_expect_str_eq(ev.sinks[0].path, "/var/log/sluice/events.ocsf.jsonl");
	cr_expect_eq(ev.sinks[0].format, SL_EVFMT_OCSF);
	cr_expect_eq(ev.sinks[0].rotate_bytes, 100ull << 20);
	cr_expect_eq(ev.sinks[0].rotate_keep, 5);
	cr_expect_eq(ev.sinks[0].verdicts, 1u << SL_VERDICT_DENY | 1u << SL_VERDICT_AUDIT);
	cr_expect_eq(ev.sinks[0].queue, 65536);
	cr_expect_not(ev.sinks[0].no_control);
	cr_expect_eq(ev.sinks[1].type, SL_SINK_SYSLOG);
	cr_expect_eq(ev.sinks[1].transport, SL_TRANSPORT_TCP);
	cr_expect_str_eq(ev.sinks[1].address, "127.0.0.1:6514");
	cr_expect_eq(ev.sinks[1].format, SL_EVFMT_CEF);
	cr_expect_eq(ev.sinks[1].facility, 4);
	cr_expect_eq(ev.sinks[1].queue, SL_SINK_QUEUE_DEFAULT);
	cr_expect_eq(ev.sinks[2].transport, SL_TRANSPORT_UNIX);
	cr_expect_str_eq(ev.sinks[2].sd_id, "acme@32473.1");
	cr_expect(ev.sinks[2].no_control);
	cr_expect_eq(ev.sinks[2].facility, SL_SYSLOG_FACILITY);
	cr_expect_eq(ev.sinks[3].type, SL_SINK_STDOUT);
	sl_events_cfg_free(&ev);
	sl_diag_free(&d);
}

Test(config, every_error_with_its_place)
{
	static const struct { const char *text, *want; } cases[] = {
		{ "events:\n  ringbuf_size: 3000\n", "t.yaml:2:17: bad \"ringbuf_size\"" },
		{ "events:\n  ringbuf_size: 2G\n", "t.yaml:2:17: bad \"ringbuf_size\"" },
		{ "events:\n  sample_allowed: 0\n", "t.yaml:2:19: \"sample_allowed\" must be a number from 1" },
		{ "events:\n  sinks: {}\n", "t.yaml:2:10: \"sinks\" must be a list" },
		{ "events:\n  sinks:\n    - type: pipe\n", "t.yaml:3:13: bad \"type\" \"pipe\"" },
		{ "events:\n  sinks:\n    - format: json\n", "t.yaml:3:7: a sink needs \"type\"" },
		{ "events:\n  sinks:\n    - type: file\n", "t.yaml:3:7: a file sink needs \"path\"" },
		{ "events:\n  sinks:\n    - type: stdout\n      path: /x\n", "a stdout sink takes no \"path\"" },
		{ "events:\n  sinks:\n    - type: stdout\n      address: a:1\n",
		  "a stdout sink takes no address" },
		{ "events:\n  sinks:\n    - type: syslog\n      transport: unix\n",
		  "over a Unix socket needs \"path\"" },
		{ "events:\n  sinks:\n    - type: syslog\n      address: h:1\n      transport: sctp\n",
		  "t.yaml:5:18: bad \"transport\" \"sctp\" (expected one of udp, tcp, unix)" },
		{ "events:\n  sinks:\n    - type: syslog\n      address: h:1\n      path: /p\n",
		  "\"path\" is for transport: unix" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      rotate: { keep: 2 }\n",
		  "t.yaml:5:15: rotate needs \"size\"" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      rotate: { size: 10 }\n",
		  "bad rotate \"size\" \"10\"" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      verdicts: []\n",
		  "\"verdicts\" lists no verdict" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      queue: 0\n",
		  "\"queue\" must be a number from 1" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      control: maybe\n",
		  "bad \"control\" \"maybe\"" },
		{ "events:\n  sinks:\n    - type: syslog\n      address: h:1\n      sd_id: sluice\n",
		  "bad \"sd_id\" \"sluice\"" },
		{ "events:\n  sinks:\n    - type: syslog\n      address: h:1\n      sd_id: a@1.\n",
		  "bad \"sd_id\"" },
		{ "events:\n  sinks:\n    - type: syslog\n      address: h:1\n      facility: local9\n",
		  "bad \"facility\" \"local9\"" },
		{ "events:\n  sinks:\n    - type: file\n      path: /p\n      path: /q\n",
		  "t.yaml:5:7: \"path\" given twice in a sink" },
		{ "events:\n  colour: blue\n", "t.yaml:2:3: unknown key \"colour\" in events" },
		{ "policy: 1\n", "t.yaml:1:1: unknown key \"policy\" in the configuration" },
		{ "events: [\n", "t.yaml:2:1: syntax error" },
		{ "- a\n", "the configuration must be a mapping" },
	};

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct sl_events_cfg ev;
		struct sl_diag d;

		cr_expect_eq(parse(cases[i].text, &ev, &d), -EINVAL, "case %zu accepted", i);
		cr_expect(has(&d, cases[i].want), "case %zu: no \"%s\"", i, cases[i].want);
		if (!has(&d, cases[i].want))
			dump(&d);
		cr_expect_eq(ev.n_sinks, 0, "case %zu: sinks kept after an error", i);
		sl_diag_free(&d);
	}
}

Test(config, empty_is_no_sinks)
{
	struct sl_events_cfg ev;
	struct sl_diag d;

	cr_expect_eq(parse("", &ev, &d), 0);
	cr_expect_eq(parse("events:\n  sinks: []\n", &ev, &d), 0);
	cr_expect_eq(ev.n_sinks, 0);
}

Test(config, sizes)
{
	static const struct { const char *in; uint64_t out; } good[] = {
		{ "4096", 4096 }, { "64k", 65536 }, { "64K", 65536 }, { "100M", 100ull << 20 },
		{ "1G", 1ull << 30 }, { "2MiB", 2ull << 20 }, { "10MB", 10ull << 20 },
	};
	static const char *const bad[] = { "", "M", "-1", "1T", "1.5M", "12 M", "99999999999999999999" };
	uint64_t v;

	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		cr_expect_eq(sl_size_parse(good[i].in, &v), 0, "%s", good[i].in);
		cr_expect_eq(v, good[i].out, "%s", good[i].in);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_expect_neq(sl_size_parse(bad[i], &v), 0, "%s", bad[i]);
}
