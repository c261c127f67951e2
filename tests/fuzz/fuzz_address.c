/*
 * NAME
 *	fuzz_address - libFuzzer target for lib/address.c
 * DESCRIPTION
 *	The input (up to its first NUL) is parsed as a sender and as a
 *	recipient. An accepted address must satisfy the documented
 *	invariants and parse again, with and without <>, to the same
 *	fields; a refused one must carry the right status and a printable
 *	one-line text. address_check_domain() gets the raw bytes too.
 *	Any broken invariant abort()s.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "address.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* check - abort with a message when an invariant does not hold */
static void
check(bool ok, const char *what, const char *input)
{
	if (!ok) {
		fprintf(stderr, "fuzz_address: %s (input \"%s\")\n", what,
		    input);
		abort();
	}
}

/* same - two parses gave the same fields */
static bool
same(const struct address *a, const struct address *b)
{
	return strcmp(a->addr, b->addr) == 0 &&
	    strcmp(a->domain, b->domain) == 0 &&
	    a->local_len == b->local_len && a->is_null == b->is_null &&
	    a->is_utf8 == b->is_utf8;
}

/* check_accepted - the invariants of a parsed address */
static void
check_accepted(const struct address *a, const char *in, bool is_sender)
{
	struct relay_result why;
	struct address again;
	char bracketed[ADDRESS_MAX + 3];
	size_t len = strlen(a->addr), i;
	bool high = false;

	check(len <= ADDRESS_MAX, "address too long", in);
	check(a->local_len <= ADDRESS_LOCAL_MAX, "local part too long", in);
	check(a->local_len <= len, "local_len past the end", in);
	check(strlen(a->domain) <= ADDRESS_DOMAIN_MAX, "domain too long", in);
	if (a->is_null) {
		check(is_sender, "null recipient", in);
		check(len == 0 && a->domain[0] == '\0' && !a->is_utf8,
		    "null with content", in);
		return;
	}
	check(len > 0 && a->addr[0] != '-', "empty or leading '-'", in);
	for (i = 0; i < len; i++) {
		unsigned char c = (unsigned char)a->addr[i];

		check(c >= 0x20 && c != 0x7f, "control character kept", in);
		high |= c >= 0x80;
	}
	check(high == a->is_utf8, "is_utf8 disagrees with the bytes", in);
	if (a->local_len == len) {
		check(strcasecmp(a->addr, "postmaster") == 0 &&
		    a->domain[0] == '\0', "unqualified, not postmaster", in);
	} else {
		check(a->addr[a->local_len] == '@', "no '@' after local", in);
		check(strlen(a->domain) == len - a->local_len - 1,
		    "domain length", in);
		for (i = 0; a->domain[i] != '\0'; i++) {
			char c = a->addr[a->local_len + 1 + i];

			check(a->domain[i] == (c >= 'A' && c <= 'Z' ?
			    c - 'A' + 'a' : c), "domain not lower-cased", in);
		}
	}
	/* Parsing the result again gives the same, bare or in brackets. */
	relay_result_init(&why);
	check(address_parse_rcpt(&again, a->addr, &why) == 0,
	    "accepted address refused on a second parse", in);
	check(same(&again, a), "second parse differs", in);
	snprintf(bracketed, sizeof(bracketed), "<%s>", a->addr);
	check(address_parse_rcpt(&again, bracketed, &why) == 0 &&
	    same(&again, a), "<addr> differs", in);
}

/* check_refused - the result of a refused address */
static void
check_refused(const struct relay_result *why, const char *in,
    bool is_sender)
{
	const char *p;

	check(strcmp(why->status, is_sender ? "5.1.7" : "5.1.3") == 0,
	    "wrong status", in);
	check(why->class == RELAY_PERMANENT, "wrong class", in);
	check(strncmp(why->text, "bad address syntax: <", 21) == 0,
	    "wrong text", in);
	for (p = why->text; *p != '\0'; p++)
		check((unsigned char)*p >= 0x20 && *p != 0x7f,
		    "control character in the text", in);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct relay_result why;
	struct address a;
	char *in, reason[128];
	bool utf8;
	int i;

	if ((in = malloc(size + 1)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	for (i = 0; i < 2; i++) {
		bool is_sender = i == 0;

		memset(&a, 0, sizeof(a));
		relay_result_init(&why);
		if ((is_sender ? address_parse_sender(&a, in, &why) :
		    address_parse_rcpt(&a, in, &why)) == 0)
			check_accepted(&a, in, is_sender);
		else
			check_refused(&why, in, is_sender);
	}
	/* Raw bytes, embedded NULs and all. */
	reason[0] = '\0';
	if (address_check_domain((const char *)data, size, true, &utf8,
	    reason, sizeof(reason)) < 0)
		check(reason[0] != '\0', "domain refused without a reason", in);
	(void)address_check_domain((const char *)data, size, false, NULL,
	    reason, sizeof(reason));
	free(in);
	return 0;
}
