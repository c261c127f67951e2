/*
 * NAME
 *	fuzz_macro - libFuzzer target: macro_expand() and macro_check() in
 *	lib/macro.c
 * DESCRIPTION
 *	Input: NUL-separated fields: the argument template (maildrop_args,
 *	pipe_command), the sender, the recipient, the queue id. The
 *	addresses go through address_parse_sender() and
 *	address_parse_rcpt() (a refused one is left out: the transport
 *	never gets that far), then macro_values_set(). The template is
 *	expanded with and without a program name, and checked alone.
 *	Invariants, any violation abort()s:
 *	- the expansion equals a reference written here: one word per
 *	  blank-separated word of the template (values never split or
 *	  join words), "$$" a '$', ${name} its value;
 *	- it fails exactly when the reference does: 4.3.5 for a template
 *	  mistake (unknown or unterminated macro, lone '$', no words, more
 *	  than MACRO_ARGV_MAX words, more than MACRO_BUF_MAX bytes), 5.1.7
 *	  or 5.1.3 when a sender or recipient value would start a word
 *	  with '-' (a command could take it for an option);
 *	- no word of a successful expansion starts with '-' unless the
 *	  template's word does; argv is NULL-terminated inside argv[] and
 *	  every word lies inside buf;
 *	- macro_check() fails exactly on the template mistakes.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "macro.h"
#include "result.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* The reference expansion. */
struct ref {
	char	buf[MACRO_BUF_MAX * 2];
	size_t	used;
	size_t	argc;
	size_t	start[MACRO_ARGV_MAX + 2];
	const char *status;	/* NULL: expanded */
};

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_macro: %s\n", what);
		abort();
	}
}

/* value - the value of macro name (n bytes); NULL if unknown */
static const char *
value(const struct macro_values *v, const char *name, size_t n,
    const char **dash)
{
	static const struct {
		const char *name;
		size_t	off;
		const char *dash;
	} m[] = {
		{ "sender", offsetof(struct macro_values, sender), "5.1.7" },
		{ "recipient", offsetof(struct macro_values, recipient),
		    "5.1.3" },
		{ "mailbox", offsetof(struct macro_values, mailbox), "5.1.3" },
		{ "user", offsetof(struct macro_values, user), "5.1.3" },
		{ "extension", offsetof(struct macro_values, extension),
		    "5.1.3" },
		{ "domain", offsetof(struct macro_values, domain), "5.1.3" },
		{ "queue_id", offsetof(struct macro_values, queue_id),
		    "4.3.5" },
	};
	size_t i;

	for (i = 0; i < sizeof(m) / sizeof(m[0]); i++)
		if (strlen(m[i].name) == n && memcmp(m[i].name, name, n) == 0) {
			*dash = m[i].dash;
			return (const char *)v + m[i].off;
		}
	return NULL;
}

/* put - bytes into the reference buffer; false when over the limit */
static bool
put(struct ref *r, const char *s, size_t n)
{
	if (n >= MACRO_BUF_MAX - r->used)
		return false;
	memcpy(r->buf + r->used, s, n);
	r->used += n;
	return true;
}

/* reference - expand args the way the contract says */
static void
reference(struct ref *r, const char *program, const char *args,
    const struct macro_values *v)
{
	const char *p = args, *w, *end, *val, *dash, *close;
	size_t word;

	memset(r, 0, sizeof(*r));
	if (program != NULL) {
		if (!put(r, program, strlen(program) + 1)) {
			r->status = "4.3.5";
			return;
		}
		r->argc = 1;
	}
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0')
			break;
		end = p + strcspn(p, " \t");
		if (r->argc == MACRO_ARGV_MAX) {
			r->status = "4.3.5";
			return;
		}
		r->start[r->argc] = word = r->used;
		for (w = p; w < end; ) {
			if (*w != '$') {
				if (!put(r, w++, 1))
					goto too_long;
				continue;
			}
			if (w + 1 < end && w[1] == '$') {
				if (!put(r, "$", 1))
					goto too_long;
				w += 2;
				continue;
			}
			close = w + 2 < end ? memchr(w + 2, '}',
			    (size_t)(end - w - 2)) : NULL;
			if (w + 1 >= end || w[1] != '{' || close == NULL ||
			    (val = value(v, w + 2, (size_t)(close - w - 2),
			    &dash)) == NULL) {
				r->status = "4.3.5";
				return;
			}
			if (r->used == word && val[0] == '-') {
				r->status = dash;
				return;
			}
			if (!put(r, val, strlen(val)))
				goto too_long;
			w = close + 1;
		}
		if (!put(r, "", 1))
			goto too_long;
		r->argc++;
		p = end;
	}
	if (r->argc == 0)
		r->status = "4.3.5";
	return;
too_long:
	r->status = "4.3.5";
}

/* compare - macro_expand() against the reference */
static void
compare(const char *program, const char *args, const struct macro_values *v)
{
	static struct macro_argv out;
	static struct ref r;
	struct relay_result why;
	size_t i;
	int rc;

	reference(&r, program, args, v);
	relay_result_init(&why);
	rc = macro_expand(&out, program, args, v, &why);
	if (r.status != NULL) {
		check(rc == -1 && strcmp(why.status, r.status) == 0,
		    "expansion and reference disagree on the failure");
		return;
	}
	check(rc == 0, "the reference expands, macro_expand() fails");
	check(out.argc == r.argc && out.argv[out.argc] == NULL,
	    "a different number of words");
	for (i = 0; i < out.argc; i++) {
		check(out.argv[i] >= out.buf &&
		    out.argv[i] + strlen(out.argv[i]) < out.buf +
		    sizeof(out.buf), "a word outside buf");
		check(strcmp(out.argv[i], r.buf + r.start[i]) == 0,
		    "a word differs from the reference");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result why;
	struct address sender, rcpt;
	struct macro_values v;
	char *buf, *f[4], *p, *end;
	size_t i;
	int rc;

	if (size > 3 * MACRO_BUF_MAX)
		return 0;
	if ((buf = malloc(size + 1)) == NULL)
		abort();
	memcpy(buf, data, size);
	buf[size] = '\0';
	end = buf + size;
	for (p = buf, i = 0; i < 4; i++) {
		f[i] = p;
		if (p < end && (p += strlen(p) + 1) > end)
			p = end;
	}
	relay_result_init(&why);
	if (address_parse_sender(&sender, f[1], &why) != 0 ||
	    address_parse_rcpt(&rcpt, f[2], &why) != 0) {
		memset(&sender, 0, sizeof(sender));
		memset(&rcpt, 0, sizeof(rcpt));
		snprintf(rcpt.addr, sizeof(rcpt.addr), "u+ext@example.test");
		snprintf(rcpt.domain, sizeof(rcpt.domain), "example.test");
		rcpt.local_len = 5;
		sender.is_null = true;
	}
	macro_values_set(&v, &sender, &rcpt, f[3]);
	compare(NULL, f[0], &v);
	compare("/usr/bin/maildrop", f[0], &v);
	rc = macro_check(f[0], &why);
	check(rc == 0 || strcmp(why.status, "4.3.5") == 0,
	    "macro_check failed without 4.3.5");
	free(buf);
	return 0;
}
