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
#define ADDRESS_ORCPT_MAX	500	/* RFC 3461 4.2: ORCPT= value */
#define ENVELOPE_ENVID_MAX	100	/* RFC 3461 4.4: ENVID= value */

/* RFC 3461 4.1 NOTIFY= flags; 0 = no NOTIFY parameter was given. */
#define ADDRESS_NOTIFY_NEVER	0x01
#define ADDRESS_NOTIFY_SUCCESS	0x02
#define ADDRESS_NOTIFY_FAILURE	0x04
#define ADDRESS_NOTIFY_DELAY	0x08

struct address {
	char	addr[ADDRESS_MAX + 1];	/* as given, without <>; "" = null */
	char	domain[ADDRESS_DOMAIN_MAX + 1];	/* lower case; "" if none */
	size_t	local_len;		/* bytes of addr before the '@' */
	bool	is_null;		/* the null sender <> */
	bool	is_utf8;		/* has non-ASCII bytes (SMTPUTF8) */
	/* DSN (RFC 3461), recipients only; LMTP mode fills them. */
	unsigned notify;		/* ADDRESS_NOTIFY_*; 0 = none given */
	char	orcpt[ADDRESS_ORCPT_MAX + 1];	/* "rfc822;xtext"; "" = none */
};

enum envelope_ret {
	ENVELOPE_RET_NONE,		/* no RET= parameter */
	ENVELOPE_RET_FULL,		/* RET=FULL */
	ENVELOPE_RET_HDRS,		/* RET=HDRS */
};

enum envelope_body {
	ENVELOPE_BODY_NONE,		/* no BODY= parameter */
	ENVELOPE_BODY_7BIT,		/* BODY=7BIT */
	ENVELOPE_BODY_8BITMIME,		/* BODY=8BITMIME */
};

struct envelope {
	const char *queue_id;		/* MTA's queue id, or NULL */
	struct address sender;
	struct address *rcpt;		/* array of nrcpt, owned by caller */
	size_t	nrcpt;
	long long size;			/* MTA's size estimate; -1 unknown */
	/* From MAIL FROM parameters in LMTP mode; zero in pipe mode. */
	enum envelope_ret ret;		/* DSN RET= (RFC 3461 4.3) */
	char	envid[ENVELOPE_ENVID_MAX + 1];	/* DSN ENVID= xtext; "" none */
	enum envelope_body body;	/* BODY= (RFC 6152) */
	bool	smtputf8;		/* SMTPUTF8 was given (RFC 6531) */
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
bool	address_xtext_valid(const char *text, size_t len, bool allow_utf8);
int	address_xtext_decode(const char *text, size_t len, char *out,
	    size_t out_len);
int	address_parse_notify(struct address *, const char *value,
	    struct relay_result *why);
int	address_parse_orcpt(struct address *, const char *value,
	    struct relay_result *why);
int	address_parse_envid(struct envelope *, const char *value,
	    struct relay_result *why);
size_t	address_envelope_count(const struct envelope_args *);
int	address_envelope_build(struct envelope *, struct relay_result *results,
	    const struct envelope_args *, struct relay_result *setup);

#endif
