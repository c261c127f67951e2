/*
 * NAME
 *	result - the outcome of one delivery attempt for one recipient
 * SYNOPSIS
 *	#include "result.h"
 *
 *	void relay_result_init(struct relay_result *r);
 *	int relay_result_set(struct relay_result *r, const char *status,
 *	    const char *fmt, ...);
 *	void relay_result_set_relay(struct relay_result *r, const char *relay);
 *	void relay_result_copy(struct relay_result *dst,
 *	    const struct relay_result *src);
 *	const char *relay_class_name(enum relay_class c);
 *	const char *relay_class_log_status(enum relay_class c);
 *	bool relay_status_valid(const char *status);
 *	int relay_result_worse(const struct relay_result *a,
 *	    const struct relay_result *b);
 * DESCRIPTION
 *	Every attempt ends, for every recipient, in exactly one of three
 *	classes: delivered, transient failure, permanent failure. The
 *	class is never set on its own: relay_result_set() takes an RFC 3463
 *	status ("4.4.1") and derives the class from its first digit, so
 *	the two cannot disagree. An invalid status is replaced by "4.3.0"
 *	(defer: we never bounce mail because of our own bug). The text is
 *	formatted, truncated to RELAY_TEXT_MAX - 1 bytes, and made one
 *	printable line by printable_fix() (CR, LF and TAB become spaces;
 *	other control bytes and bytes that are not valid UTF-8 become '?'),
 *	whatever the arguments brought in: every status line and delivery
 *	record is clean, whoever set the result.
 *
 *	relay_result_set() returns 0 for a 2.x.x status and -1 otherwise,
 *	so that a fallible function can end with
 *	"return relay_result_set(why, ...);".
 *
 *	relay_result_set_relay() records which host gave the result
 *	("mx.example.com[192.0.2.1]:25", "none").
 *
 *	relay_class_log_status() names a class the way Postfix's delivery
 *	log does: "sent", "deferred", "bounced".
 *
 *	relay_result_worse() orders results for a combined outcome:
 *	transient before permanent before delivered (see slimrelay(8),
 *	MIXED RESULTS); it returns >0 when a is worse than b.
 * SEE ALSO
 *	RFC 3463 (enhanced status codes), Postfix dsn_util.c.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "printable.h"
#include "result.h"

/* relay_result_init - an empty result: transient, nothing known yet */
void
relay_result_init(struct relay_result *r)
{
	memset(r, 0, sizeof(*r));
	r->class = RELAY_TRANSIENT;
	strcpy(r->status, "4.3.0");
	strcpy(r->relay, "none");
}

/* relay_status_valid - RFC 3463 class.subject.detail, class 2, 4 or 5 */
bool
relay_status_valid(const char *s)
{
	int n;

	if (s == NULL || (s[0] != '2' && s[0] != '4' && s[0] != '5') ||
	    s[1] != '.')
		return false;
	s += 2;
	for (n = 0; isdigit((unsigned char)*s); s++)
		n++;
	if (n < 1 || n > 3 || *s++ != '.')
		return false;
	for (n = 0; isdigit((unsigned char)*s); s++)
		n++;
	return n >= 1 && n <= 3 && *s == '\0';
}

/* relay_result_set - set status, derived class and one-line text */
int
relay_result_set(struct relay_result *r, const char *status,
    const char *fmt, ...)
{
	char st[RELAY_STATUS_MAX], text[RELAY_TEXT_MAX];
	va_list ap;

	/*
	 * Format into local buffers first: status and the arguments may
	 * be r's own fields ("relay_result_set(r, r->status, "x: %s",
	 * r->text)"), which must not overlap the destination.
	 */
	if (!relay_status_valid(status))
		status = "4.3.0";
	/* status is at most 9 bytes once valid. */
	snprintf(st, sizeof(st), "%s", status);
	va_start(ap, fmt);
	vsnprintf(text, sizeof(text), fmt, ap);
	va_end(ap);
	memcpy(r->status, st, sizeof(st));
	memcpy(r->text, text, sizeof(text));
	switch (st[0]) {
	case '2':
		r->class = RELAY_OK;
		break;
	case '5':
		r->class = RELAY_PERMANENT;
		break;
	default:
		r->class = RELAY_TRANSIENT;
		break;
	}
	printable_fix(r->text);
	return r->class == RELAY_OK ? 0 : -1;
}

/* relay_result_set_relay - record the host that gave the result */
void
relay_result_set_relay(struct relay_result *r, const char *relay)
{
	snprintf(r->relay, sizeof(r->relay), "%s",
	    relay != NULL && *relay != '\0' ? relay : "none");
}

/* relay_result_copy - copy a result (the stage is a static string) */
void
relay_result_copy(struct relay_result *dst, const struct relay_result *src)
{
	if (dst != src)
		memcpy(dst, src, sizeof(*dst));
}

/* relay_class_name - a class for people */
const char *
relay_class_name(enum relay_class c)
{
	switch (c) {
	case RELAY_OK:
		return "ok";
	case RELAY_TRANSIENT:
		return "transient";
	case RELAY_PERMANENT:
		return "permanent";
	}
	return "unknown";
}

/* relay_class_log_status - a class as Postfix's status= field */
const char *
relay_class_log_status(enum relay_class c)
{
	switch (c) {
	case RELAY_OK:
		return "sent";
	case RELAY_TRANSIENT:
		return "deferred";
	case RELAY_PERMANENT:
		return "bounced";
	}
	return "deferred";
}

/* rank - transient outranks permanent outranks delivered */
static int
rank(enum relay_class c)
{
	switch (c) {
	case RELAY_TRANSIENT:
		return 2;
	case RELAY_PERMANENT:
		return 1;
	default:
		return 0;
	}
}

/* relay_result_worse - >0 when a should decide the combined outcome */
int
relay_result_worse(const struct relay_result *a, const struct relay_result *b)
{
	return rank(a->class) - rank(b->class);
}
