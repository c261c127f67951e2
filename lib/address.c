/*
 * NAME
 *	address - envelope addresses as the MTA hands them over
 * SYNOPSIS
 *	#include "address.h"
 *
 *	int address_parse_sender(struct address *a, const char *text,
 *	    struct relay_result *why);
 *	int address_parse_rcpt(struct address *a, const char *text,
 *	    struct relay_result *why);
 *	int address_check_domain(const char *domain, size_t len,
 *	    bool allow_utf8, bool *is_utf8, char *reason, size_t reason_len);
 *	size_t address_envelope_count(const struct envelope_args *a);
 *	int address_envelope_build(struct envelope *env,
 *	    struct relay_result *results, const struct envelope_args *a,
 *	    struct relay_result *setup);
 *
 *	bool address_xtext_valid(const char *text, size_t len,
 *	    bool allow_utf8);
 *	int address_xtext_decode(const char *text, size_t len, char *out,
 *	    size_t out_len);
 *	int address_parse_notify(struct address *a, const char *value,
 *	    struct relay_result *why);
 *	int address_parse_orcpt(struct address *a, const char *value,
 *	    struct relay_result *why);
 *	int address_parse_envid(struct envelope *env, const char *value,
 *	    struct relay_result *why);
 * DESCRIPTION
 *	address_parse_sender() and address_parse_rcpt() check one envelope
 *	address as the MTA passes it (Postfix ${sender} and ${recipient},
 *	Exim $sender_address and $pipe_addresses), with or without the
 *	angle brackets of an SMTP path, and fill *a: addr is the address
 *	without brackets, exactly as given (it goes into MAIL FROM and
 *	RCPT TO unchanged); domain is the domain lower-cased (ASCII letters
 *	only); local_len is the length of the local part; is_utf8 is set
 *	when the address has non-ASCII (UTF-8) bytes and so needs SMTPUTF8
 *	(RFC 6531).
 *
 *	The syntax is RFC 5321 section 4.1.2: the local part is a dot-atom
 *	or a quoted string (backslash escapes allowed inside the quotes),
 *	RFC 6531 adds UTF-8 to both. The address is split at the last '@'
 *	outside the quoted local part. The domain is dot-separated labels
 *	of letters, digits and hyphens (not at either end of a label;
 *	'_' is accepted, as real mail systems use it), or an address
 *	literal "[192.0.2.1]" or "[IPv6:2001:db8::1]", or UTF-8 labels.
 *	An address without '@' is accepted only for "postmaster" (RFC 5321
 *	section 4.5.1, any case). The null path "" or "<>" is accepted as
 *	a sender (is_null) and refused as a recipient.
 *
 *	Refused: control characters (CR, LF, TAB and the rest), unquoted
 *	spaces, invalid UTF-8, a local part over 64 bytes, a domain over
 *	255, an address over 254 (RFC 5321 section 4.5.3.1), empty local
 *	parts or domains, source routes, and an address that begins with
 *	'-', which a program could take for an option.
 *
 *	Both return 0, or -1 with *why set to a permanent result: "5.1.7"
 *	(bad sender address syntax) or "5.1.3" (bad destination address
 *	syntax), with a text like "bad address syntax: <a b@c>: unquoted
 *	space in local part". The input is shown sanitised: control
 *	characters and invalid UTF-8 as '?', cut at 100 bytes.
 *
 *	address_check_domain() checks len bytes of domain syntax as above
 *	(config.c uses it for ehlo_name); it returns 0 and sets *is_utf8
 *	(which may be NULL), or -1 with the reason in reason[]. With
 *	allow_utf8 false, non-ASCII bytes are refused.
 *
 *	address_envelope_count() is the number of recipients a delivery
 *	has: the operands, else (with -E) one from $RECIPIENT, else none.
 *	address_envelope_build() fills env (whose rcpt array of that many
 *	the caller sets, with nrcpt) from a: the queue id, the size (-1
 *	when missing or not a number: an estimate only), the sender (-f;
 *	with -E and no -f, $SENDER) and the recipients (the operands, or
 *	$RECIPIENT). A bad sender gives its result to every recipient; a
 *	bad recipient gets its own result (results[], one per recipient,
 *	initialised by the caller), and its addr holds the input made
 *	printable, for the log. It returns 0, or -1 with *setup set
 *	(4.3.5) when there is no sender at all: neither -f nor -E, or -E
 *	with $SENDER unset (an empty one is the null sender).
 *
 *	The DSN parameters (RFC 3461) arrive only in LMTP mode; pipe mode
 *	leaves them zero. address_xtext_valid() checks len bytes of xtext
 *	(RFC 3461 section 4): printable ASCII from '!' to '~' except '+'
 *	and '=', and "+XX" for any byte (upper-case hex digits per the
 *	RFC; lower case is accepted too, as a robust reader should). With
 *	allow_utf8, valid UTF-8 sequences are accepted as well (RFC 6533
 *	utf-8-addr-unitext, used with SMTPUTF8). address_xtext_decode()
 *	writes the decoded bytes of valid xtext to out and a NUL, and
 *	returns their number, or -1 when the text is not valid xtext or
 *	out is too small.
 *
 *	address_parse_notify() sets a->notify from a NOTIFY= value:
 *	"NEVER", or a comma-separated list of SUCCESS, FAILURE and DELAY
 *	(any case, each at most once; NEVER alone). address_parse_orcpt()
 *	checks an ORCPT= value, "addr-type;xtext" with addr-type an atom
 *	and the xtext not empty, at most ADDRESS_ORCPT_MAX bytes, and
 *	keeps it as given in a->orcpt (to be passed on unchanged); the
 *	type "utf-8" (RFC 6533) allows UTF-8 in the text.
 *	address_parse_envid() checks an ENVID= value (1 to
 *	ENVELOPE_ENVID_MAX bytes of xtext) and keeps it in env->envid.
 *	The three return 0, or -1 with *why set to "5.5.4" and a text
 *	that names the parameter ("bad NOTIFY parameter: ..."); the
 *	address or envelope is then unchanged.
 * SEE ALSO
 *	RFC 5321 sections 4.1.2, 4.1.3, 4.5.1 and 4.5.3.1; RFC 6531;
 *	RFC 3461 (DSN) sections 4.1 to 4.4; RFC 6533 section 3.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"
#include "printable.h"

#define SHOW_MAX	100	/* input bytes shown in an error */
#define LABEL_MAX	63	/* RFC 1035 section 2.3.4 */

static int parse(struct address *, const char *, bool, char *, size_t);
static int check_local(const char *, size_t, bool *, char *, size_t);
static int check_quoted(const char *, size_t, size_t *, bool *, char *,
	    size_t);
static int check_literal(const char *, size_t, char *, size_t);
static void show(char *, size_t, const char *);
static void show_char(char *, size_t, const char *, int);
static void sanitize_copy(char *, size_t, const char *);

/* address_parse_sender - an envelope sender; "" and "<>" are null */
int
address_parse_sender(struct address *a, const char *text,
    struct relay_result *why)
{
	char reason[128], shown[SHOW_MAX * 4 + 8];

	if (parse(a, text, true, reason, sizeof(reason)) == 0)
		return 0;
	show(shown, sizeof(shown), text);
	return relay_result_set(why, "5.1.7", "bad address syntax: <%s>: %s",
	    shown, reason);
}

/* address_parse_rcpt - an envelope recipient; never null */
int
address_parse_rcpt(struct address *a, const char *text,
    struct relay_result *why)
{
	char reason[128], shown[SHOW_MAX * 4 + 8];

	if (parse(a, text, false, reason, sizeof(reason)) == 0)
		return 0;
	show(shown, sizeof(shown), text);
	return relay_result_set(why, "5.1.3", "bad address syntax: <%s>: %s",
	    shown, reason);
}

/* parse - split and check one path; the reason on failure */
static int
parse(struct address *a, const char *text, bool is_sender, char *reason,
    size_t rlen)
{
	const char *p, *end, *at, *dom;
	size_t len, n, local_len, i;
	bool quoted, utf8 = false, dom_utf8 = false;

	memset(a, 0, sizeof(*a));
	len = strlen(text);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c < 0x20 || c == 0x7f) {
			snprintf(reason, rlen, "%s in address",
			    c == '\r' ? "carriage return" : c == '\n' ?
			    "line feed" : "control character");
			return -1;
		}
	}
	p = text;
	end = text + len;
	if (len > 0 && (*p == '<' || end[-1] == '>')) {
		if (len < 2 || *p != '<' || end[-1] != '>') {
			snprintf(reason, rlen, "unbalanced angle brackets");
			return -1;
		}
		p++;
		end--;
	}
	n = (size_t)(end - p);
	if (n == 0) {
		if (!is_sender) {
			snprintf(reason, rlen, "empty address");
			return -1;
		}
		a->is_null = true;
		return 0;
	}
	if (n > ADDRESS_MAX) {
		snprintf(reason, rlen, "address longer than %d bytes",
		    ADDRESS_MAX);
		return -1;
	}
	if (*p == '-') {
		snprintf(reason, rlen, "address begins with '-'");
		return -1;
	}
	if (*p == '@') {
		snprintf(reason, rlen, "%s", memchr(p, ':', n) != NULL ?
		    "source routes are not supported" : "empty local part");
		return -1;
	}

	/* Find the end of the local part: a quoted string, or the last @. */
	quoted = *p == '"';
	if (quoted) {
		if (check_quoted(p, n, &local_len, &utf8, reason, rlen) < 0)
			return -1;
		at = p + local_len < end ? p + local_len : NULL;
		if (at != NULL && *at != '@') {
			snprintf(reason, rlen,
			    "text after the quoted local part");
			return -1;
		}
	} else {
		at = memrchr(p, '@', n);
		local_len = at != NULL ? (size_t)(at - p) : n;
	}
	if (local_len > ADDRESS_LOCAL_MAX) {
		snprintf(reason, rlen, "local part longer than %d bytes",
		    ADDRESS_LOCAL_MAX);
		return -1;
	}
	if (!quoted && check_local(p, local_len, &utf8, reason, rlen) < 0)
		return -1;

	if (at == NULL) {
		/* RFC 5321 4.5.1: only postmaster may go unqualified. */
		if (quoted || n != 10 ||
		    strncasecmp(p, "postmaster", 10) != 0) {
			snprintf(reason, rlen, "missing domain (only "
			    "\"postmaster\" may be unqualified)");
			return -1;
		}
	} else {
		dom = at + 1;
		if (address_check_domain(dom, (size_t)(end - dom), true,
		    &dom_utf8, reason, rlen) < 0)
			return -1;
		for (i = 0; dom + i < end; i++) {
			char c = dom[i];

			a->domain[i] = c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
		}
		a->domain[i] = '\0';
	}
	memcpy(a->addr, p, n);
	a->addr[n] = '\0';
	a->local_len = local_len;
	a->is_utf8 = utf8 || dom_utf8;
	return 0;
}

/* is_atext - RFC 5321 atext, ASCII part */
static bool
is_atext(unsigned char c)
{
	if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9'))
		return true;
	return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

/* check_local - a dot-atom local part (RFC 5321 Dot-string, RFC 6531) */
static int
check_local(const char *s, size_t len, bool *utf8, char *reason,
    size_t rlen)
{
	size_t i, k;

	if (len == 0) {
		snprintf(reason, rlen, "empty local part");
		return -1;
	}
	if (s[0] == '.' || s[len - 1] == '.') {
		snprintf(reason, rlen, "local part %s with a dot",
		    s[0] == '.' ? "begins" : "ends");
		return -1;
	}
	for (i = 0; i < len; i += k) {
		unsigned char c = (unsigned char)s[i];

		k = 1;
		if (c == '.') {
			if (s[i + 1] == '.') {
				snprintf(reason, rlen,
				    "two dots in a row in local part");
				return -1;
			}
		} else if (c == ' ') {
			snprintf(reason, rlen, "unquoted space in local part");
			return -1;
		} else if (c >= 0x80) {
			if ((k = printable_utf8_len((const unsigned char *)s + i,
			    len - i)) == 0) {
				snprintf(reason, rlen,
				    "invalid UTF-8 in local part");
				return -1;
			}
			*utf8 = true;
		} else if (!is_atext(c)) {
			show_char(reason, rlen, "in local part (quote it)", c);
			return -1;
		}
	}
	return 0;
}

/* check_quoted - a Quoted-string at s; *qlen = its length with quotes */
static int
check_quoted(const char *s, size_t len, size_t *qlen, bool *utf8,
    char *reason, size_t rlen)
{
	size_t i, k;

	for (i = 1; i < len; i += k) {
		unsigned char c = (unsigned char)s[i];

		k = 1;
		if (c == '"') {
			if (i == 1) {
				snprintf(reason, rlen, "empty local part");
				return -1;
			}
			*qlen = i + 1;
			return 0;
		}
		if (c == '\\') {
			/* quoted-pairSMTP: backslash and one of %d32-126. */
			if (i + 1 >= len || (unsigned char)s[i + 1] < 0x20 ||
			    (unsigned char)s[i + 1] > 0x7e) {
				snprintf(reason, rlen, "bad backslash escape "
				    "in quoted local part");
				return -1;
			}
			k = 2;
		} else if (c >= 0x80) {
			if ((k = printable_utf8_len((const unsigned char *)s + i,
			    len - i)) == 0) {
				snprintf(reason, rlen,
				    "invalid UTF-8 in local part");
				return -1;
			}
			*utf8 = true;
		}
		/* Every other byte here is qtextSMTP (%d32-33/35-91/93-126). */
	}
	snprintf(reason, rlen, "unterminated quoted local part");
	return -1;
}

/* address_check_domain - a domain name or address literal */
int
address_check_domain(const char *d, size_t len, bool allow_utf8,
    bool *is_utf8, char *reason, size_t rlen)
{
	size_t i, k, label = 0;
	bool utf8 = false, label_utf8 = false;

	if (len == 0) {
		snprintf(reason, rlen, "empty domain");
		return -1;
	}
	if (len > ADDRESS_DOMAIN_MAX) {
		snprintf(reason, rlen, "domain longer than %d bytes",
		    ADDRESS_DOMAIN_MAX);
		return -1;
	}
	if (d[0] == '[') {
		if (check_literal(d, len, reason, rlen) < 0)
			return -1;
		if (is_utf8 != NULL)
			*is_utf8 = false;
		return 0;
	}
	for (i = 0; i <= len; i += k) {
		unsigned char c = i < len ? (unsigned char)d[i] : '.';

		k = 1;
		if (c == '.') {
			if (label == 0) {
				snprintf(reason, rlen, "empty label in domain");
				return -1;
			}
			if (!label_utf8 && label > LABEL_MAX) {
				snprintf(reason, rlen,
				    "domain label longer than %d bytes",
				    LABEL_MAX);
				return -1;
			}
			if (d[i - label] == '-' || d[i - 1] == '-') {
				snprintf(reason, rlen,
				    "domain label %s with '-'",
				    d[i - label] == '-' ? "begins" : "ends");
				return -1;
			}
			label = 0;
			label_utf8 = false;
			continue;
		}
		if (c >= 0x80) {
			if (!allow_utf8) {
				snprintf(reason, rlen,
				    "non-ASCII character in domain");
				return -1;
			}
			if ((k = printable_utf8_len((const unsigned char *)d + i,
			    len - i)) == 0) {
				snprintf(reason, rlen,
				    "invalid UTF-8 in domain");
				return -1;
			}
			utf8 = label_utf8 = true;
		} else if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '_')) {
			show_char(reason, rlen, "in domain", c);
			return -1;
		}
		label += k;
	}
	if (is_utf8 != NULL)
		*is_utf8 = utf8;
	return 0;
}

/* check_literal - "[192.0.2.1]" or "[IPv6:2001:db8::1]" */
static int
check_literal(const char *d, size_t len, char *reason, size_t rlen)
{
	char text[INET6_ADDRSTRLEN + 1];
	unsigned char bin[sizeof(struct in6_addr)];
	const char *p = d + 1;
	size_t n;
	int af = AF_INET;

	if (len < 3 || d[len - 1] != ']') {
		snprintf(reason, rlen, "bad address literal in domain");
		return -1;
	}
	n = len - 2;
	if (n > 5 && strncasecmp(p, "IPv6:", 5) == 0) {
		af = AF_INET6;
		p += 5;
		n -= 5;
	}
	if (n >= sizeof(text)) {
		snprintf(reason, rlen, "bad address literal in domain");
		return -1;
	}
	memcpy(text, p, n);
	text[n] = '\0';
	if (inet_pton(af, text, bin) != 1) {
		snprintf(reason, rlen, "bad %s address literal in domain",
		    af == AF_INET6 ? "IPv6" : "IPv4");
		return -1;
	}
	return 0;
}

/* show - the input for an error text: printable, cut at SHOW_MAX */
static void
show(char *buf, size_t size, const char *text)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t len = strlen(text), i = 0, o = 0, k;

	/* Show "<a@b>" as "a@b": the message adds its own brackets. */
	if (len >= 2 && s[0] == '<' && s[len - 1] == '>') {
		s++;
		len -= 2;
	}
	while (i < len && i < SHOW_MAX && o + 8 < size) {
		k = 1;
		if (s[i] >= 0x80 && (k = printable_utf8_len(s + i, len - i)) > 0) {
			memcpy(buf + o, s + i, k);
			o += k;
		} else {
			k = 1;
			buf[o++] = s[i] < 0x20 || s[i] >= 0x7f ? '?' : s[i];
		}
		i += k;
	}
	if (i < len) {
		memcpy(buf + o, "...", 3);
		o += 3;
	}
	buf[o] = '\0';
}

/* show_char - "bad character 'x' in ..." with the byte made printable */
static void
show_char(char *reason, size_t rlen, const char *where, int c)
{
	if (c >= 0x20 && c < 0x7f)
		snprintf(reason, rlen, "bad character '%c' %s", c, where);
	else
		snprintf(reason, rlen, "bad character 0x%02x %s", c, where);
}

/* sanitize_copy - a printable, bounded copy of untrusted input for logs */
static void
sanitize_copy(char *dst, size_t len, const char *src)
{
	size_t i;

	for (i = 0; i + 1 < len && src[i] != '\0'; i++)
		dst[i] = (unsigned char)src[i] < 0x20 || src[i] == 0x7f ?
		    '?' : src[i];
	dst[i] = '\0';
}

/* address_envelope_count - the recipients of the operands or of -E */
size_t
address_envelope_count(const struct envelope_args *a)
{
	return a->nrcpt > 0 ? a->nrcpt :
	    a->from_env && a->env_recipient != NULL ? 1 : 0;
}

/* address_envelope_build - sender and recipients; bad ones fail alone */
int
address_envelope_build(struct envelope *env, struct relay_result *results,
    const struct envelope_args *a, struct relay_result *setup)
{
	struct relay_result why;
	const char *sender = a->sender;
	char *end;
	size_t i;

	env->queue_id = a->queue_id;
	env->size = -1;
	if (a->size != NULL) {
		errno = 0;
		env->size = strtoll(a->size, &end, 10);
		if (errno != 0 || end == a->size || *end != '\0' ||
		    env->size < 0)
			env->size = -1;	/* an estimate only: ignore junk */
	}
	/*
	 * Exim sets SENDER for every pipe command, empty for a bounce. An
	 * unset SENDER means we were not run by Exim as configured: a set-up
	 * error, never the null sender, which would turn the message into
	 * one whose failures nobody is told about.
	 */
	if (a->from_env && sender == NULL) {
		if ((sender = a->env_sender) == NULL)
			return relay_result_set(setup, "4.3.5", "no envelope "
			    "sender: -E given but SENDER is not set in the "
			    "environment");
	}
	if (sender == NULL)
		return relay_result_set(setup, "4.3.5", "no envelope sender: "
		    "use -f sender (Postfix: -f ${sender} with null_sender=) "
		    "or -E (Exim)");
	relay_result_init(&why);
	if (address_parse_sender(&env->sender, sender, &why) != 0) {
		for (i = 0; i < env->nrcpt; i++)
			relay_result_copy(&results[i], &why);
	}
	for (i = 0; i < env->nrcpt; i++) {
		const char *text = a->nrcpt > 0 ? a->rcpt[i] :
		    a->env_recipient;

		if (results[i].class == RELAY_PERMANENT)
			;	/* the sender was bad */
		else if (address_parse_rcpt(&env->rcpt[i], text, &results[i])
		    == 0)
			continue;
		sanitize_copy(env->rcpt[i].addr, sizeof(env->rcpt[i].addr),
		    text);
	}
	return 0;
}

/* address_xtext_valid - RFC 3461 xtext (and UTF-8 when allowed) */
bool
address_xtext_valid(const char *text, size_t len, bool allow_utf8)
{
	const unsigned char *s = (const unsigned char *)text;
	size_t i, k;

	for (i = 0; i < len; i += k) {
		k = 1;
		if (s[i] == '+') {
			/* hexchar: '+' and exactly two hex digits */
			if (len - i < 3 || printable_hex_value(s[i + 1]) < 0 ||
			    printable_hex_value(s[i + 2]) < 0)
				return false;
			k = 3;
		} else if (s[i] >= 0x80) {
			if (!allow_utf8 || (k = printable_utf8_len(s + i, len - i)) == 0)
				return false;
		} else if (s[i] < '!' || s[i] > '~' || s[i] == '=')
			return false;
	}
	return true;
}

/* address_xtext_decode - the bytes xtext stands for; -1 if invalid */
int
address_xtext_decode(const char *text, size_t len, char *out,
    size_t out_len)
{
	size_t i, o = 0;

	if (!address_xtext_valid(text, len, true) || out_len == 0)
		return -1;
	for (i = 0; i < len; i++) {
		if (o + 1 >= out_len)
			return -1;
		if (text[i] == '+') {
			out[o++] = (char)(printable_hex_value(
			    (unsigned char)text[i + 1]) * 16 +
			    printable_hex_value((unsigned char)text[i + 2]));
			i += 2;
		} else
			out[o++] = text[i];
	}
	out[o] = '\0';
	return o > INT_MAX ? -1 : (int)o;
}

/* address_parse_notify - NOTIFY=NEVER | SUCCESS,FAILURE,DELAY */
int
address_parse_notify(struct address *a, const char *value,
    struct relay_result *why)
{
	static const struct {
		const char *name;
		unsigned flag;
	} words[] = {
		{ "NEVER", ADDRESS_NOTIFY_NEVER },
		{ "SUCCESS", ADDRESS_NOTIFY_SUCCESS },
		{ "FAILURE", ADDRESS_NOTIFY_FAILURE },
		{ "DELAY", ADDRESS_NOTIFY_DELAY },
	};
	const char *p = value, *end;
	unsigned flags = 0, flag;
	size_t n, i;

	for (;;) {
		end = strchr(p, ',');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		flag = 0;
		for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
			if (strlen(words[i].name) == n &&
			    strncasecmp(p, words[i].name, n) == 0)
				flag = words[i].flag;
		if (flag == 0 || (flags & flag) != 0)
			return relay_result_set(why, "5.5.4", "bad NOTIFY "
			    "parameter: %s keyword", flag == 0 ? "unknown" :
			    "repeated");
		flags |= flag;
		if (end == NULL)
			break;
		p = end + 1;
	}
	/* RFC 3461 4.1: NEVER must not be combined with anything. */
	if ((flags & ADDRESS_NOTIFY_NEVER) != 0 &&
	    flags != ADDRESS_NOTIFY_NEVER)
		return relay_result_set(why, "5.5.4", "bad NOTIFY parameter: "
		    "NEVER combined with other keywords");
	a->notify = flags;
	return 0;
}

/* address_parse_orcpt - ORCPT=addr-type;xtext, kept as given */
int
address_parse_orcpt(struct address *a, const char *value,
    struct relay_result *why)
{
	const char *semi;
	size_t len = strlen(value), tlen, i;

	if (len > ADDRESS_ORCPT_MAX)
		return relay_result_set(why, "5.5.4", "bad ORCPT parameter: "
		    "longer than %d bytes", ADDRESS_ORCPT_MAX);
	if ((semi = strchr(value, ';')) == NULL || semi == value)
		return relay_result_set(why, "5.5.4", "bad ORCPT parameter: "
		    "want addr-type;address");
	/* addr-type is an atom (RFC 3461 4.2, RFC 5322 atext). */
	tlen = (size_t)(semi - value);
	for (i = 0; i < tlen; i++)
		if (!is_atext((unsigned char)value[i]))
			return relay_result_set(why, "5.5.4", "bad ORCPT "
			    "parameter: bad address type");
	if (semi[1] == '\0' || !address_xtext_valid(semi + 1,
	    len - tlen - 1, tlen == 5 && strncasecmp(value, "utf-8", 5) == 0))
		return relay_result_set(why, "5.5.4", "bad ORCPT parameter: "
		    "bad xtext");
	memcpy(a->orcpt, value, len + 1);
	return 0;
}

/* address_parse_envid - ENVID=xtext, kept as given */
int
address_parse_envid(struct envelope *env, const char *value,
    struct relay_result *why)
{
	size_t len = strlen(value);

	if (len == 0 || len > ENVELOPE_ENVID_MAX)
		return relay_result_set(why, "5.5.4", "bad ENVID parameter: "
		    "%s", len == 0 ? "empty" : "too long");
	if (!address_xtext_valid(value, len, false))
		return relay_result_set(why, "5.5.4", "bad ENVID parameter: "
		    "bad xtext");
	memcpy(env->envid, value, len + 1);
	return 0;
}
