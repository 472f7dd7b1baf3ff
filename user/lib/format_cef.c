// SPDX-License-Identifier: GPL-2.0-only
/*
 * ArcSight CEF (version 0) rendering, as Microsoft Sentinel and most SIEMs
 * read it.  The header escapes \ and |, extension values escape \, =, CR
 * and LF; custom values use the labelled csN/cnN/flexStringN keys, and
 * one vendor key, sluiceEventId.  CEF documents src/dst as IPv4, so an
 * IPv6 destination goes to c6a3.
 */
#include <stdio.h>
#include <string.h>
#include "addr.h"
#include "format_int.h"

static void header_field(struct sl_sbuf *b, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '|')
			sl_sb_put(b, "\\", 1);
		sl_sb_put(b, *s == '\n' || *s == '\r' ? " " : s, 1);
	}
	sl_sb_put(b, "|", 1);
}

/* " key=value" with the value escaped; nothing for a NULL value. */
static void ext(struct sl_sbuf *b, const char *key, const char *v)
{
	if (!v)
		return;
	sl_sb_printf(b, " %s=", key);
	for (; *v; v++) {
		switch (*v) {
		case '\\': sl_sb_puts(b, "\\\\"); break;
		case '=': sl_sb_puts(b, "\\="); break;
		case '\n': sl_sb_puts(b, "\\n"); break;
		case '\r': sl_sb_puts(b, "\\r"); break;
		default: sl_sb_put(b, v, 1);
		}
	}
}

static void ext_int(struct sl_sbuf *b, const char *key, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	ext(b, key, buf);
}

/* A labelled custom key: "cs1Label=agentSpiffeId cs1=spiffe://...". */
static void custom(struct sl_sbuf *b, const char *key, const char *label, const char *v)
{
	char lk[32];

	if (!v)
		return;
	snprintf(lk, sizeof(lk), "%sLabel", key);
	ext(b, lk, label);
	ext(b, key, v);
}

static void custom_int(struct sl_sbuf *b, const char *key, const char *label, int64_t v)
{
	char buf[24];

	snprintf(buf, sizeof(buf), "%lld", (long long)v);
	custom(b, key, label, buf);
}

/* CEF severity 0-10 from the OCSF severity id. */
static int cef_severity(int ocsf)
{
	static const int map[] = { 0, 1, 5, 7, 9, 10, 10 };

	return ocsf >= 0 && ocsf < (int)ARRAY_SIZE(map) ? map[ocsf] : 5;
}

static void destination(struct sl_sbuf *b, const struct sl_evrec *ev, const char *dhost)
{
	struct sl_evdst d;

	sl_ev_dst(ev, &d);
	if (d.ip[0] && d.v6)
		custom(b, "c6a3", "destinationIPv6Address", d.ip);
	else if (d.ip[0])
		ext(b, "dst", d.ip);
	if (d.port >= 0)
		ext_int(b, "dpt", d.port);
	if (d.proto == SL_PROTO_TCP)
		ext(b, "proto", "TCP");
	else if (d.proto == SL_PROTO_UDP)
		ext(b, "proto", "UDP");
	ext(b, "dhost", dhost);
	ext(b, "deviceDirection", "1");
}

static const char *act_name(uint8_t verdict)
{
	switch (verdict) {
	case SL_VERDICT_ALLOW: return "allowed";
	case SL_VERDICT_AUDIT: return "audited";
	case SL_VERDICT_REDIRECT: return "redirected";
	default: return "blocked";
	}
}

static void decision(struct sl_sbuf *b, const struct sl_evrec *ev)
{
	const struct sl_event *k = ev->k;
	char comm[SL_COMM_LEN + 1], rule[600], src[512], dlg[256];

	ext(b, "act", act_name(k->verdict));
	ext(b, "outcome", k->verdict == SL_VERDICT_DENY ? "failure" : "success");
	ext(b, "reason", sl_reason_name(k->reason));
	destination(b, ev, ev->dns_name);
	ext_int(b, "spid", k->tgid);
	ext(b, "sproc", sl_ev_comm(ev, comm));
	ext_int(b, "suid", k->uid);
	ext(b, "suser", ev->user);
	/* The rule: its id: label and where it is written, or sluiced's number. */
	if (sl_ev_rule_src(ev, src, sizeof(src)))
		snprintf(rule, sizeof(rule), "%s%s%s", ev->rule.id ? ev->rule.id : "",
			 ev->rule.id ? " " : "", src);
	else
		snprintf(rule, sizeof(rule), "%u", k->rule_id);
	if (k->rule_id)
		custom(b, "cs2", "rule", rule);
	if (ev->id.agent && k->agent) {
		custom(b, "cs3", "policy", ev->id.agent);
		custom_int(b, "cn1", "policyVersion", k->version);
	}
	custom(b, "cs5", "delegators", sl_ev_delegators(ev, dlg, sizeof(dlg)));
	custom(b, "flexString1", "exe", ev->exe);
	custom(b, "flexString2", "cgroup", ev->id.cgroup);
}

/* Control events: who did it, to which agent, and every field as JSON. */
static void control(struct sl_sbuf *b, const struct sl_evrec *ev, const struct sl_evkind *k)
{
	int64_t uid, pid;

	ext(b, "act", ev->type);
	ext(b, "outcome", sl_ev_failed(ev) ? "failure" : "success");
	ext(b, "reason", sl_ev_str(ev, "reason"));
	if (sl_ev_operator(ev, &uid, &pid)) {
		ext_int(b, "suid", uid);
		if (pid > 0)
			ext_int(b, "spid", pid);
	} else if (sl_ev_int(ev, "pid", &pid)) {
		ext_int(b, "spid", pid);
	}
	ext(b, "duser", sl_ev_agent(ev));
	if (k->ocsf_class == OCSF_NETWORK || k->ocsf_class == OCSF_DNS)
		destination(b, ev, sl_ev_str(ev, k->ocsf_class == OCSF_DNS ? "query" : "dns_name"));
	if (ev->fields)
		custom(b, "flexString2", "details", sl_jtext(ev->fields));
}

char *sl_format_cef(const struct sl_evrec *ev, size_t *len)
{
	const struct sl_evkind *k = sl_evkind(ev);
	struct sl_sbuf b = { 0 };
	char msg[512];

	sl_sb_puts(&b, "CEF:0|");
	header_field(&b, "sluice");
	header_field(&b, "sluice");
	header_field(&b, SLUICE_VERSION);
	header_field(&b, k->cef_class);
	/* A type without a row of its own is named by the type itself. */
	header_field(&b, !ev->k && !strcmp(k->name, "control") && ev->type ? ev->type : k->title);
	/* The first key has no space before it; ext() puts one before the rest. */
	sl_sb_printf(&b, "%d|rt=%lld", cef_severity(sl_ev_severity(ev, k)), (long long)sl_ev_ms(ev));
	/*
	 * externalId is the increasing number CEF (and Sentinel's integer
	 * ExternalID) expect: seq.  The UUID rides in a vendor key.
	 */
	ext_int(&b, "externalId", (int64_t)ev->seq);
	ext(&b, "sluiceEventId", ev->event_id);
	ext(&b, "dvchost", ev->host);
	sl_ev_message(ev, k, msg, sizeof(msg));
	ext(&b, "msg", msg);
	custom(&b, "cs6", "agentName", sl_ev_agent(ev));
	custom(&b, "cs1", "agentSpiffeId", sl_ev_spiffe(ev));
	custom(&b, "cs4", "taskId", sl_ev_task(ev));
	if (ev->k)
		decision(&b, ev);
	else
		control(&b, ev, k);
	return sl_sb_take(&b, len);
}
