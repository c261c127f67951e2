/*
 * NAME
 *	macro - expand ${sender}, ${recipient} and friends into argv words
 * SYNOPSIS
 *	#include "macro.h"
 *
 *	void macro_values_set(struct macro_values *v,
 *	    const struct address *sender, const struct address *rcpt,
 *	    const char *queue_id);
 *	int macro_expand(struct macro_argv *out, const char *program,
 *	    const char *args, const struct macro_values *v,
 *	    struct relay_result *why);
 *	int macro_check(const char *args, struct relay_result *why);
 * DESCRIPTION
 *	The local delivery commands (maildrop_args, dovecot_lda_args,
 *	pipe_command in slimrelay.conf) are written like the argv= of a
 *	Postfix pipe(8) service: words separated by blanks, no quoting, no
 *	shell. Each word is expanded on its own, so a value with blanks or
 *	shell characters in it stays one argument and means nothing more.
 *
 *	macro_values_set() computes the values for one recipient:
 *	${sender} (the null sender is an empty argument, as with pipe(8)'s
 *	"null_sender="), ${recipient}, ${mailbox} (its local part),
 *	${user} (the local part up to the first '+', in lower case, so
 *	that Bob+lists@example.org is delivered to the local user bob),
 *	${extension} (what follows that '+', else empty), ${domain} (the
 *	recipient domain, lower case) and ${queue_id} (the MTA's, else
 *	empty; cut at MACRO_QUEUE_ID_MAX bytes).
 *
 *	macro_expand() fills out->argv: program first when it is not NULL
 *	(taken literally), then the expanded words of args; argv is
 *	NULL-terminated and points into out->buf. "$$" is a literal '$'.
 *	It fails with *why set:
 *	- "4.3.5" for a mistake in the configuration: an unknown macro, a
 *	  '$' that starts no macro, an unterminated "${", no words at all,
 *	  more than MACRO_ARGV_MAX words or MACRO_BUF_MAX bytes;
 *	- "5.1.7" when a word would begin with '-' because of the sender
 *	  address, "5.1.3" when because of the recipient address (maildrop
 *	  -d -x, dovecot-lda -d -x ...: the command could take it for an
 *	  option); "4.3.5" when because of the queue id.
 *
 *	macro_check() finds the configuration mistakes of args without
 *	values, for --check and the first delivery.
 * SEE ALSO
 *	Postfix pipe(8) (argv= and its macros), RFC 3463 (5.1.3, 5.1.7).
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "macro.h"

#define MACRO_NAME_MAX	32

/* The macros, their values, and what a leading '-' in them means. */
static const struct {
	const char *name;
	size_t	offset;
	const char *dash_status;	/* refusal when a word starts '-' */
	const char *what;
} macros[] = {
	{ "sender", offsetof(struct macro_values, sender), "5.1.7",
	    "sender address" },
	{ "recipient", offsetof(struct macro_values, recipient), "5.1.3",
	    "recipient address" },
	{ "mailbox", offsetof(struct macro_values, mailbox), "5.1.3",
	    "recipient address" },
	{ "user", offsetof(struct macro_values, user), "5.1.3",
	    "recipient address" },
	{ "extension", offsetof(struct macro_values, extension), "5.1.3",
	    "recipient address" },
	{ "domain", offsetof(struct macro_values, domain), "5.1.3",
	    "recipient domain" },
	{ "queue_id", offsetof(struct macro_values, queue_id), "4.3.5",
	    "queue id" },
};

static int expand_word(struct macro_argv *, size_t *, const char *,
	    size_t, const struct macro_values *, struct relay_result *);
static int find_macro(const char *, size_t, size_t *, size_t *,
	    struct relay_result *);

/* copy_part - copy n bytes of src into a buffer of size len, cut */
static void
copy_part(char *dst, size_t len, const char *src, size_t n)
{
	if (n >= len)
		n = len - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

/* macro_values_set - the macro values for one recipient */
void
macro_values_set(struct macro_values *v, const struct address *sender,
    const struct address *rcpt, const char *queue_id)
{
	const char *plus;
	size_t i, ulen;

	memset(v, 0, sizeof(*v));
	if (sender != NULL && !sender->is_null)
		copy_part(v->sender, sizeof(v->sender), sender->addr,
		    strlen(sender->addr));
	copy_part(v->recipient, sizeof(v->recipient), rcpt->addr,
	    strlen(rcpt->addr));
	copy_part(v->mailbox, sizeof(v->mailbox), rcpt->addr,
	    rcpt->local_len);
	plus = memchr(v->mailbox, MACRO_DELIMITER, strlen(v->mailbox));
	ulen = plus != NULL ? (size_t)(plus - v->mailbox) :
	    strlen(v->mailbox);
	copy_part(v->user, sizeof(v->user), v->mailbox, ulen);
	for (i = 0; v->user[i] != '\0'; i++)
		v->user[i] = (char)tolower((unsigned char)v->user[i]);
	if (plus != NULL)
		copy_part(v->extension, sizeof(v->extension), plus + 1,
		    strlen(plus + 1));
	copy_part(v->domain, sizeof(v->domain), rcpt->domain,
	    strlen(rcpt->domain));
	for (i = 0; v->domain[i] != '\0'; i++)
		v->domain[i] = (char)tolower((unsigned char)v->domain[i]);
	if (queue_id != NULL)
		copy_part(v->queue_id, sizeof(v->queue_id), queue_id,
		    strlen(queue_id));
}

/* macro_expand - program, then the expanded words of args */
int
macro_expand(struct macro_argv *out, const char *program, const char *args,
    const struct macro_values *v, struct relay_result *why)
{
	const char *p = args, *w;
	size_t used = 0, n;

	out->argc = 0;
	out->argv[0] = NULL;
	if (program != NULL) {
		n = strlen(program);
		if (n + 1 > sizeof(out->buf))
			return relay_result_set(why, "4.3.5", "command is "
			    "too long");
		memcpy(out->buf, program, n + 1);
		out->argv[out->argc++] = out->buf;
		used = n + 1;
	}
	for (;;) {
		while (*p == ' ' || *p == '\t')
			p++;
		if (*p == '\0')
			break;
		for (w = p; *p != '\0' && *p != ' ' && *p != '\t'; p++)
			;
		if (out->argc == MACRO_ARGV_MAX)
			return relay_result_set(why, "4.3.5", "command has "
			    "more than %d words", MACRO_ARGV_MAX);
		out->argv[out->argc] = out->buf + used;
		if (expand_word(out, &used, w, (size_t)(p - w), v, why) != 0)
			return -1;
		out->argc++;
	}
	out->argv[out->argc] = NULL;
	if (out->argc == 0)
		return relay_result_set(why, "4.3.5", "empty command");
	return 0;
}

/* macro_check - the configuration mistakes of args, without values */
int
macro_check(const char *args, struct relay_result *why)
{
	struct macro_values v;
	struct macro_argv *out;
	int ret;

	/* Expanding with empty values finds every mistake but a '-'. */
	memset(&v, 0, sizeof(v));
	/* Not calloc: macro_expand() sets what it uses, and the 8 KiB
	 * buffer need not be touched for a check at every start. */
	if ((out = malloc(sizeof(*out))) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	ret = macro_expand(out, NULL, args, &v, why);
	free(out);
	return ret;
}

/*
 * find_macro - the macro that starts at text[*pos] == '$': sets *end
 * past it and returns its index in macros[], or MACRO_DOLLAR for "$$";
 * -1 with why set when it is not a macro.
 */
#define MACRO_DOLLAR	((int)(sizeof(macros) / sizeof(macros[0])))
static int
find_macro(const char *text, size_t len, size_t *pos, size_t *end,
    struct relay_result *why)
{
	const char *close;
	size_t i = *pos, k, n;

	if (i + 1 < len && text[i + 1] == '$') {
		*end = i + 2;
		return MACRO_DOLLAR;
	}
	if (i + 1 >= len || text[i + 1] != '{')
		return relay_result_set(why, "4.3.5", "'$' without a macro "
		    "name in command (write \"$$\" for a '$')");
	close = memchr(text + i + 2, '}', len - i - 2);
	if (close == NULL)
		return relay_result_set(why, "4.3.5", "unterminated \"${\" "
		    "in command");
	n = (size_t)(close - (text + i + 2));
	for (k = 0; k < sizeof(macros) / sizeof(macros[0]); k++) {
		if (strlen(macros[k].name) == n &&
		    memcmp(macros[k].name, text + i + 2, n) == 0) {
			*end = (size_t)(close - text) + 1;
			return (int)k;
		}
	}
	return relay_result_set(why, "4.3.5", "unknown macro ${%.*s} in "
	    "command", n > MACRO_NAME_MAX ? MACRO_NAME_MAX : (int)n,
	    text + i + 2);
}

/* append - add n bytes to the word being built; -1 when out of room */
static int
append(struct macro_argv *out, size_t *used, const char *s, size_t n,
    struct relay_result *why)
{
	if (n >= sizeof(out->buf) - *used)
		return relay_result_set(why, "4.3.5", "command is longer "
		    "than %d bytes", MACRO_BUF_MAX);
	memcpy(out->buf + *used, s, n);
	*used += n;
	return 0;
}

/* expand_word - expand the word w (n bytes) at out->buf + *used */
static int
expand_word(struct macro_argv *out, size_t *used, const char *w, size_t n,
    const struct macro_values *v, struct relay_result *why)
{
	const size_t start = *used;
	const char *value;
	size_t i = 0, end = 0, lit;
	int k;

	while (i < n) {
		for (lit = i; lit < n && w[lit] != '$'; lit++)
			;
		if (append(out, used, w + i, lit - i, why) != 0)
			return -1;
		if ((i = lit) == n)
			break;
		if ((k = find_macro(w, n, &i, &end, why)) < 0)
			return -1;
		i = end;
		if (k == MACRO_DOLLAR) {
			if (append(out, used, "$", 1, why) != 0)
				return -1;
			continue;
		}
		value = (const char *)v + macros[k].offset;
		/* An argument the command could take for an option. */
		if (*used == start && value[0] == '-')
			return relay_result_set(why, macros[k].dash_status,
			    "%s \"%.300s\" begins with '-': refused as a "
			    "command argument", macros[k].what, value);
		if (append(out, used, value, strlen(value), why) != 0)
			return -1;
	}
	if (append(out, used, "", 1, why) != 0)	/* the NUL */
		return -1;
	out->buf[*used - 1] = '\0';
	return 0;
}
