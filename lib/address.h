/*
 * address.h - envelope addresses (RFC 5321 paths) and the envelope.
 * See address.c.
 */
#ifndef SLIMRELAY_ADDRESS_H
#define SLIMRELAY_ADDRESS_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define ADDRESS_MAX		254	/* RFC 5321 4.5.3.1.3 path minus <> */
#define ADDRESS_LOCAL_MAX	64	/* RFC 5321 4.5.3.1.1 */
#define ADDRESS_DOMAIN_MAX	255	/* RFC 5321 4.5.3.1.2 */

struct address {
	char	addr[ADDRESS_MAX + 1];	/* as given, without <>; "" = null */
	char	domain[ADDRESS_DOMAIN_MAX + 1];	/* lower case; "" if none */
	size_t	local_len;		/* bytes of addr before the '@' */
	bool	is_null;		/* the null sender <> */
	bool	is_utf8;		/* has non-ASCII bytes (SMTPUTF8) */
};

struct envelope {
	const char *queue_id;		/* MTA's queue id, or NULL */
	struct address sender;
	struct address *rcpt;		/* array of nrcpt, owned by caller */
	size_t	nrcpt;
	long long size;			/* MTA's size estimate; -1 unknown */
};

/* What the MTA says about one message: the command line (transport/
 * main.c) and, with -E, Exim's environment. Strings are borrowed. */
struct envelope_args {
	const char *sender;		/* -f; NULL: not given */
	bool	from_env;		/* -E */
	const char *env_sender;		/* $SENDER; NULL: unset */
	const char *env_recipient;	/* $RECIPIENT; NULL: unset */
	const char *queue_id;		/* -q; NULL: none */
	const char *size;		/* -s; NULL: none */
	char *const *rcpt;		/* the recipient operands */
	size_t	nrcpt;
};

int	address_parse_sender(struct address *, const char *text,
	    struct relay_result *why);
int	address_parse_rcpt(struct address *, const char *text,
	    struct relay_result *why);
int	address_check_domain(const char *domain, size_t len, bool allow_utf8,
	    bool *is_utf8, char *reason, size_t reason_len);
size_t	address_envelope_count(const struct envelope_args *);
int	address_envelope_build(struct envelope *, struct relay_result *results,
	    const struct envelope_args *, struct relay_result *setup);

#endif
