// SPDX-License-Identifier: GPL-2.0-only
/*
 * RFC 5424 messages: "<PRI>1 TIMESTAMP HOST sluiced PID MSGID [SD] MSG".
 * The structured data element (SD-ID "sluice@32473" by default, 32473
 * being the example enterprise number of RFC 5612) carries what a
 * receiver filters on without parsing MSG: type, agent, verdict,
 * destination, rule, seq and event id.  MSG is the event in the sink's
 * format, without a BOM (JSON and CEF are UTF-8 already, and a BOM before
 * "CEF:" hides it from CEF parsers).
 */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "format_int.h"

/* Syslog severity from the OCSF severity id. */
static int syslog_severity(int ocsf)
{
	switch (ocsf) {
	case 0:
	case 1: return 6;	/* informational */
	case 2: return 5;	/* notice */
	case 3: return 4;	/* warning */
	case 4: return 3;	/* error */
	default: return 2;	/* critical */
	}
}

/* A header name: printable ASCII without spaces, cut at max, "-" if empty. */
static void name_field(struct sl_sbuf *b, const char *s, size_t max)
{
	size_t n = 0;

	for (; s && *s && n < max; s++, n++) {
		unsigned char c = (unsigned char)*s;

		sl_sb_put(b, c > 32 && c < 127 ? s : "_", 1);
	}
	sl_sb_puts(b, n ? " " : "- ");
}

/* PARAM-VALUE escapes '"', '\' and ']' (RFC 5424 section 6.3.3). */
static void param(struct sl_sbuf *b, const char *name, const char *v)
{
	if (!v)
		return;
	sl_sb_printf(b, " %s=\"", name);
	for (; *v; v++) {
		if (*v == '"' || *v == '\\' || *v == ']')
			sl_sb_put(b, "\\", 1);
		sl_sb_put(b, v, 1);
	}
	sl_sb_put(b, "\"", 1);
}

static void param_int(struct sl_sbuf *b, const char *name, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	param(b, name, buf);
}

static void structured_data(struct sl_sbuf *b, const struct sl_evrec *ev,
			    const struct sl_syslog_opts *o, const char *type)
{
	struct sl_evdst d;
	char rule[16];

	sl_ev_dst(ev, &d);
	sl_sb_printf(b, "[%s", o->sd_id);
	param(b, "type", type);
	param(b, "agent", sl_ev_agent(ev));
	param(b, "task", sl_ev_task(ev));
	param(b, "verdict", sl_evrec_verdict(ev));
	param(b, "dst", d.ip[0] ? d.ip : NULL);
	if (d.port >= 0)
		param_int(b, "dport", d.port);
	if (d.proto == SL_PROTO_TCP || d.proto == SL_PROTO_UDP)
		param(b, "proto", sl_proto_name(d.proto));
	if (ev->k && ev->k->rule_id) {
		snprintf(rule, sizeof(rule), "%u", ev->k->rule_id);
		param(b, "rule", ev->has_rule && ev->rule.id ? ev->rule.id : rule);
	} else if (!ev->k) {
		param(b, "rule", sl_ev_str(ev, "rule"));
	}
	param_int(b, "seq", (int64_t)ev->seq);
	param(b, "eventId", ev->event_id);
	sl_sb_put(b, "]", 1);
}

char *sl_format_syslog(const struct sl_evrec *ev, const struct sl_syslog_opts *o,
		       const char *msg, size_t msg_len, size_t *len)
{
	const struct sl_evkind *k = sl_evkind(ev);
	const char *type = ev->k ? k->name : ev->type;
	struct sl_sbuf b = { 0 };
	char ts[64];
	char *out;

	sl_ev_iso(ev, 6, ts, sizeof(ts));
	sl_sb_printf(&b, "<%d>1 %s ", o->facility * 8 + syslog_severity(sl_ev_severity(ev, k)), ts);
	name_field(&b, ev->host, 255);
	name_field(&b, "sluiced", 48);
	sl_sb_printf(&b, "%d ", o->procid);
	name_field(&b, type, 32);
	structured_data(&b, ev, o, type);
	sl_sb_put(&b, " ", 1);
	sl_sb_put(&b, msg, msg_len);
	out = sl_sb_take(&b, len);
	if (out)
		sl_utf8_scrub(out, *len);
	return out;
}
