/*
 * NAME
 *	fuzz_exim_env - libFuzzer target: the envelope of the command line
 *	and of Exim's environment (-E), address_envelope_count() and
 *	address_envelope_build() in lib/address.c
 * DESCRIPTION
 *	Input: one byte saying which values are present (bit 0: -E, bit 1:
 *	-f, bit 2: $SENDER set, bit 3: $RECIPIENT set, bit 4: -s, bit 5:
 *	-q), then NUL-separated fields: -f's sender, $SENDER, $RECIPIENT,
 *	-s's size, -q's queue id, then up to 8 recipient operands.
 *	Invariants, any violation abort()s:
 *	- the recipient count is the operands, else 1 with -E and
 *	  $RECIPIENT, else 0;
 *	- without -f and -E the build fails with 4.3.5; with -f, or -E and
 *	  $SENDER, it succeeds and the sender is what address_parse_sender()
 *	  makes of that text ($SENDER unset under -E may be the null
 *	  sender or a 4.3.5 failure: both are accepted here);
 *	- the size is the -s number when it is a plain decimal that fits,
 *	  -1 when -s has no digits (empty included), never below -1; the
 *	  queue id is -q's;
 *	- a bad sender gives its 5.1.7 result to every recipient; else a
 *	  recipient either parses (its address is what address_parse_rcpt()
 *	  makes of its text, its result untouched) or has a permanent
 *	  5.1.3 result, and its addr is a printable bounded copy of the
 *	  text for the log;
 *	- every result text is one printable line.
 */
#include "autoconfig.h"

#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "address.h"
#include "result.h"

#define OPERANDS_MAX	8

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what)
{
	if (!ok) {
		fprintf(stderr, "fuzz_exim_env: %s\n", what);
		abort();
	}
}

/* check_text - one printable line */
static void
check_text(const char *s)
{
	for (; *s != '\0'; s++)
		check((unsigned char)*s >= 0x20 && *s != 0x7f,
		    "control character in a result or a logged address");
}

/* same - two parsed addresses agree */
static bool
same(const struct address *a, const struct address *b)
{
	return strcmp(a->addr, b->addr) == 0 &&
	    strcmp(a->domain, b->domain) == 0 &&
	    a->local_len == b->local_len && a->is_null == b->is_null &&
	    a->is_utf8 == b->is_utf8;
}

/* check_size - -s: a plain decimal that fits is taken, no digits is -1 */
static void
check_size(long long got, const char *s)
{
	long long n = 0;
	const char *p;
	bool fits = true;

	if (s == NULL) {
		check(got == -1, "a size without -s");
		return;
	}
	for (p = s; *p >= '0' && *p <= '9'; p++) {
		if (n > (LLONG_MAX - (*p - '0')) / 10)
			fits = false;
		else
			n = n * 10 + (*p - '0');
	}
	if (p != s && *p == '\0' && fits)
		check(got == n, "size differs from the number -s gave");
	else if (strpbrk(s, "0123456789") == NULL)
		check(got == -1, "a size from -s without digits");
	else
		check(got >= -1, "a negative size");
}

/* check_rcpts - every recipient's address or result */
static void
check_rcpts(const struct envelope *env, const struct relay_result *res,
    const struct envelope_args *a, const struct relay_result *sender_why)
{
	struct relay_result why;
	struct address want;
	const char *text;
	size_t i;

	for (i = 0; i < env->nrcpt; i++) {
		text = a->nrcpt > 0 ? a->rcpt[i] : a->env_recipient;
		check_text(res[i].text);
		if (sender_why != NULL) {
			check(res[i].class == RELAY_PERMANENT &&
			    strcmp(res[i].status, "5.1.7") == 0 &&
			    strcmp(res[i].text, sender_why->text) == 0,
			    "a bad sender's result not given to a recipient");
		} else {
			relay_result_init(&why);
			if (address_parse_rcpt(&want, text, &why) == 0) {
				check(res[i].class == RELAY_TRANSIENT &&
				    strcmp(res[i].status, "4.3.0") == 0 &&
				    res[i].text[0] == '\0',
				    "a good recipient's result was set");
				check(same(&env->rcpt[i], &want),
				    "recipient differs from its parse");
				continue;
			}
			check(res[i].class == RELAY_PERMANENT &&
			    strcmp(res[i].status, "5.1.3") == 0 &&
			    strcmp(res[i].text, why.text) == 0,
			    "a bad recipient without its 5.1.3 result");
		}
		check(memchr(env->rcpt[i].addr, '\0',
		    sizeof(env->rcpt[i].addr)) != NULL, "addr not terminated");
		check_text(env->rcpt[i].addr);
		check(strlen(env->rcpt[i].addr) == strlen(text) ||
		    strlen(env->rcpt[i].addr) == sizeof(env->rcpt[i].addr) - 1,
		    "logged address is not the whole (or a full) copy");
	}
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result res[OPERANDS_MAX], setup, sw;
	struct address rcpt[OPERANDS_MAX], want;
	struct envelope_args a;
	struct envelope env;
	char *buf, *p, *end, *field[5 + OPERANDS_MAX];
	const char *sender;
	size_t n, i, nf = 0;
	unsigned f;
	int rc;

	if (size < 1 || size > 8192)
		return 0;
	f = data[0];
	if ((buf = malloc(size)) == NULL)
		abort();
	memcpy(buf, data + 1, size - 1);
	buf[size - 1] = '\0';
	for (p = buf, end = buf + size - 1; nf < 5 + OPERANDS_MAX; nf++) {
		field[nf] = p;
		if (p >= end)
			break;
		p += strlen(p) + 1;
	}
	for (i = nf; i < 5; i++)
		field[i] = end;
	memset(&a, 0, sizeof(a));
	a.from_env = f & 1;
	a.sender = (f & 2) ? field[0] : NULL;
	a.env_sender = (f & 4) ? field[1] : NULL;
	a.env_recipient = (f & 8) ? field[2] : NULL;
	a.size = (f & 16) ? field[3] : NULL;
	a.queue_id = (f & 32) ? field[4] : NULL;
	a.rcpt = field + 5;
	a.nrcpt = nf > 5 ? nf - 5 : 0;

	n = address_envelope_count(&a);
	check(n == (a.nrcpt > 0 ? a.nrcpt :
	    a.from_env && a.env_recipient != NULL ? 1 : 0),
	    "wrong recipient count");
	memset(&env, 0, sizeof(env));
	memset(rcpt, 0, sizeof(rcpt));
	env.rcpt = rcpt;
	env.nrcpt = n;
	for (i = 0; i < n; i++)
		relay_result_init(&res[i]);
	relay_result_init(&setup);
	rc = address_envelope_build(&env, res, &a, &setup);

	sender = a.sender != NULL ? a.sender :
	    a.from_env && a.env_sender != NULL ? a.env_sender : NULL;
	if (a.sender == NULL && !a.from_env) {
		check(rc == -1 && strcmp(setup.status, "4.3.5") == 0,
		    "no sender, yet no 4.3.5 failure");
		goto out;
	}
	if (sender == NULL) {
		/* -E without $SENDER: the null sender, or refused. */
		check(rc == 0 ? env.sender.is_null :
		    strcmp(setup.status, "4.3.5") == 0,
		    "-E without $SENDER: neither <> nor 4.3.5");
		if (rc != 0)
			goto out;
		sender = "";
	}
	check(rc == 0, "a sender given, yet the build failed");
	check_text(setup.text);
	check(env.queue_id == a.queue_id, "queue id not -q's");
	check_size(env.size, a.size);
	relay_result_init(&sw);
	if (address_parse_sender(&want, sender, &sw) == 0) {
		check(same(&env.sender, &want),
		    "sender differs from its parse");
		check_rcpts(&env, res, &a, NULL);
	} else
		check_rcpts(&env, res, &a, &sw);
out:
	free(buf);
	return 0;
}
