// SPDX-License-Identifier: GPL-2.0-only
/* The client side of the control protocol, and what every command prints with. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "control.h"
#include "ctl.h"

const char *socket_path = SL_DEFAULT_SOCKET;
bool json_out;

int usage_error(const char *cmd, const char *fmt, const char *arg)
{
	fprintf(stderr, "sluicectl %s: ", cmd);
	fprintf(stderr, fmt, arg);
	fprintf(stderr, "\nTry 'sluicectl %s --help'.\n", cmd);
	return EXIT_TROUBLE;
}

void print_help(const char *name)
{
	fputs(sl_ctl_help(name), stdout);
}

/* One request, one reply.  Returns the reply (caller puts it) or NULL. */
json_object *call(json_object *req)
{
	struct sl_linebuf lb = { 0 };
	json_object *reply = NULL;
	int fd = sl_ctl_connect(socket_path);

	if (fd < 0)
		goto out;
	if (sl_json_send(fd, req)) {
		fprintf(stderr, "sluicectl: sending to sluiced failed: %s\n", strerror(errno));
		goto out;
	}
	reply = sl_json_recv(fd, &lb);
	if (!reply)
		fprintf(stderr, "sluicectl: no reply from sluiced: %s\n", strerror(errno));
out:
	if (fd >= 0)
		close(fd);
	sl_linebuf_free(&lb);
	json_object_put(req);
	return reply;
}

json_object *request(const char *op)
{
	json_object *r = json_object_new_object();

	json_object_object_add(r, "op", json_object_new_string(op));
	return r;
}

/* ok: *result is the reply's result.  Not ok: the errors are printed. */
bool reply_ok(json_object *reply, json_object **result)
{
	json_object *ok, *errs, *err;

	if (!reply)
		return false;
	if (json_object_object_get_ex(reply, "ok", &ok) && json_object_get_boolean(ok)) {
		if (result && !json_object_object_get_ex(reply, "result", result))
			*result = NULL;
		return true;
	}
	if (json_object_object_get_ex(reply, "errors", &errs)) {
		for (size_t i = 0; i < json_object_array_length(errs); i++)
			fprintf(stderr, "%s\n", json_object_get_string(json_object_array_get_idx(errs, i)));
	} else if (json_object_object_get_ex(reply, "error", &err)) {
		fprintf(stderr, "sluicectl: %s\n", json_object_get_string(err));
	}
	return false;
}

const char *jstr(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_string(v) : NULL;
}

/* For printing: never NULL. */
const char *js(json_object *o, const char *key)
{
	const char *s = jstr(o, key);

	return s ? s : "-";
}

int64_t jint(json_object *o, const char *key)
{
	json_object *v;

	return o && json_object_object_get_ex(o, key, &v) ? json_object_get_int64(v) : 0;
}

void print_json(json_object *o)
{
	puts(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN));
}
