/*
 * NAME
 *	fuzz_smtp_reply - libFuzzer entry point for lib/smtp_reply.c
 * DESCRIPTION
 *	The input is a server's byte stream: it is cut at each LF (one CR
 *	before it is dropped, as conn_read_line() does) and the lines are
 *	fed to smtp_reply_add_line(), a new reply after each complete or
 *	malformed one. After every line the reply's invariants are checked
 *	and a violation aborts: text and status are NUL-terminated inside
 *	their buffers, text has no control characters, a complete reply
 *	has a code of 100..999 that text starts with and a status that is
 *	a valid RFC 3463 code of class 2, 3, 4 or 5 matching the reply
 *	code (or 4.5.0), lines_len stays in bounds and the kept lines can
 *	be walked to their end.
 */
#include "autoconfig.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "smtp_reply.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check_status - "D.S.D" with 1-3 digit parts, or 3.x.x for 3yz */
static void
check_status(const struct smtp_reply *r)
{
	const char *s = r->status;
	size_t n;

	if (memchr(s, '\0', sizeof(r->status)) == NULL)
		abort();
	if (strcmp(s, "4.5.0") == 0)
		return;
	if (s[0] != '0' + r->code / 100 || s[1] != '.')
		abort();
	s += 2;
	for (n = 0; *s >= '0' && *s <= '9'; s++)
		n++;
	if (n < 1 || n > 3 || *s++ != '.')
		abort();
	for (n = 0; *s >= '0' && *s <= '9'; s++)
		n++;
	if (n < 1 || n > 3 || *s != '\0')
		abort();
}

/* check - the invariants of a reply after each line */
static void
check(const struct smtp_reply *r)
{
	const char *p, *q;
	size_t n = 0;

	if (memchr(r->text, '\0', sizeof(r->text)) == NULL ||
	    r->lines_len > sizeof(r->lines) ||
	    r->nlines > SMTP_REPLY_LINES_MAX)
		abort();
	for (p = r->text; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			abort();
	for (p = smtp_reply_next_line(r, NULL); p != NULL; p = q) {
		if (p + strlen(p) >= r->lines + r->lines_len)
			abort();
		q = smtp_reply_next_line(r, p);
		if (++n > r->nlines)
			abort();
	}
	if (!r->is_complete)
		return;
	if (r->code < 100 || r->code > 999 ||
	    r->text[0] != '0' + r->code / 100 ||
	    r->text[1] != '0' + r->code / 10 % 10 ||
	    r->text[2] != '0' + r->code % 10)
		abort();
	check_status(r);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct smtp_reply r;
	size_t len;

	smtp_reply_init(&r);
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		len = nl != NULL ? (size_t)(nl - p) : (size_t)(end - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		switch (smtp_reply_add_line(&r, p, len)) {
		case SMTP_REPLY_MORE:
			check(&r);
			break;
		case SMTP_REPLY_DONE:
		case SMTP_REPLY_BAD:
			check(&r);
			smtp_reply_init(&r);
			break;
		}
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	return 0;
}
