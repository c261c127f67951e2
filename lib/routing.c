/*
 * NAME
 *	routing - the transport's side of slimrelay-milter's routing headers
 * SYNOPSIS
 *	#include "routing.h"
 *
 *	int routing_apply(const struct config *cfg, struct msg_stream *ms,
 *	    const struct envelope *env, struct route_table *routes,
 *	    struct relay_result *why);
 * DESCRIPTION
 *	Routing headers (X-Slimrelay-Route, route_header.c) are written by
 *	slimrelay-milter at SMTP time; they must never leave the host, and
 *	one that the milter did not sign must have no effect.
 *
 *	routing_apply() removes every routing header field from the
 *	message (msg_stream_filter_headers(): any case, any folding, any
 *	number of copies), whether or not it is honoured. Each one is then
 *	checked with the key in routing_key_file: its signature, its age
 *	(routing_header_max_age) and its binding to this message (the
 *	Message-ID, or the MTA's queue id). A valid header whose domain is
 *	the domain of a recipient becomes a route rule for that domain in
 *	routes, the table of this message alone (the configuration is
 *	never changed: with many messages per process one message's routes
 *	must never reach the next). route_decide() looks there before the
 *	rules of slimrelay.conf, so the order of precedence is: routing
 *	header, route rule, smarthost, ${nexthop}, MX. Any other routing
 *	header is logged and ignored. routes belongs to the caller, who
 *	frees it (route_table_free()) with the message.
 *
 *	Routing headers are found in the first MSG_STREAM_PEEK_MAX bytes
 *	of the message only (a header block longer than that is logged).
 *	When a message has routing headers but routing_key_file is not set
 *	they are ignored; when the key cannot be read, the message is
 *	deferred (4.3.5): the routes it asks for might matter.
 *
 *	It returns 0, or -1 with why set.
 * SEE ALSO
 *	route_header.c, slimrelay-milter(8), msg_stream.c.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "log.h"
#include "route.h"
#include "route_header.h"
#include "routing.h"

struct found {
	char	values[ROUTING_HEADERS_MAX][ROUTE_HEADER_VALUE_MAX + 2];
	size_t	count;			/* kept in values[] */
	size_t	seen;			/* all routing headers removed */
	char	message_id[ROUTE_HEADER_BINDING_MAX + 1];
	bool	has_message_id;
};

/* copy_value - the field's value after its name, bounded, NUL-ended */
static void
copy_value(char *dst, size_t size, const char *v, size_t len)
{
	if (len >= size)
		len = size - 1;	/* too long: route_header says so */
	memcpy(dst, v, len);
	dst[len] = '\0';
}

/* take - msg_stream_filter_headers() callback: remove routing headers */
static bool
take(const char *field, size_t len, void *arg)
{
	struct found *f = arg;
	size_t name;

	if ((name = route_header_line_match(field, len)) > 0) {
		if (f->count < ROUTING_HEADERS_MAX)
			copy_value(f->values[f->count++],
			    sizeof(f->values[0]), field + name, len - name);
		f->seen++;
		return true;
	}
	if (!f->has_message_id && len > 11 &&
	    strncasecmp(field, "Message-ID:", 11) == 0) {
		copy_value(f->message_id, sizeof(f->message_id), field + 11,
		    len - 11);
		f->has_message_id = true;
	}
	return false;
}

/* has_recipient_domain - is domain the domain of a recipient? */
static bool
has_recipient_domain(const struct envelope *env, const char *domain)
{
	size_t i;

	for (i = 0; i < env->nrcpt; i++)
		if (strcasecmp(env->rcpt[i].domain, domain) == 0)
			return true;
	return false;
}

/* honour - a verified header becomes the first route of its domain */
static int
honour(struct route_table *routes, const struct route_header *h,
    struct relay_result *why)
{
	char nh[NEXTHOP_FORMAT_MAX];
	struct route r;

	memset(&r, 0, sizeof(r));
	snprintf(r.pattern, sizeof(r.pattern), "%s", h->domain);
	r.transport = ROUTE_SMTP;
	r.has_nexthop = true;
	r.nh = h->nh;
	r.tls_level = h->tls_level;
	r.tls_wrappermode = h->tls_wrappermode;
	nexthop_format(&h->nh, nh, sizeof(nh));
	snprintf(r.text, sizeof(r.text), "%s smtp:%s (routing header)",
	    h->domain, nh);
	return route_table_prepend(routes, &r, why);
}

/* routing_apply - strip every routing header, honour the valid ones */
int
routing_apply(const struct config *cfg, struct msg_stream *ms,
    const struct envelope *env, struct route_table *routes,
    struct relay_result *why)
{
	struct route_header_key key;
	struct route_header_message msg;
	struct route_header h;
	enum route_header_status st;
	struct found *f;
	size_t i;
	int ret = -1, rc;

	memset(&key, 0, sizeof(key));
	/* Not calloc: only the counters need zeroes (values are NUL-ended). */
	if ((f = malloc(sizeof(*f))) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	f->count = f->seen = 0;
	f->has_message_id = false;
	if ((rc = msg_stream_filter_headers(ms, take, f, why)) < 0)
		goto out;
	if (rc > 0)
		log_warn("routing: the message header is longer than %d "
		    "bytes: routing headers after that are not seen",
		    MSG_STREAM_PEEK_MAX);
	ret = 0;
	if (f->seen == 0)
		goto out;
	if (cfg->routing_key_file[0] == '\0') {
		log_warn("routing: %zu routing header(s) removed and ignored: "
		    "no routing_key_file", f->seen);
		goto out;
	}
	if (route_header_key_load(&key, cfg->routing_key_file, why) != 0) {
		ret = -1;
		goto out;
	}
	msg.message_id = f->has_message_id ? f->message_id : NULL;
	msg.queue_id = env->queue_id;
	for (i = 0; i < f->count; i++) {
		st = route_header_verify(&h, f->values[i], &key, &msg,
		    time(NULL), cfg->routing_header_max_age_ms);
		if (st != ROUTE_HEADER_VALID) {
			log_warn("routing: routing header ignored: %s",
			    route_header_status_name(st));
			continue;
		}
		if (!has_recipient_domain(env, h.domain)) {
			log_warn("routing: routing header for %s ignored: no "
			    "recipient in that domain", h.domain);
			continue;
		}
		if ((ret = honour(routes, &h, why)) != 0)
			goto out;
		log_info("routing: %s", routes->route[0].text);
	}
out:
	route_header_key_wipe(&key);
	free(f);
	return ret;
}
