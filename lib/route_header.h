/*
 * route_header.h - signed routing headers (X-Slimrelay-Route) written
 * by slimrelay-milter and honoured by the transport. See route_header.c.
 */
#ifndef SLIMRELAY_ROUTE_HEADER_H
#define SLIMRELAY_ROUTE_HEADER_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "nexthop.h"
#include "result.h"
#include "route.h"

#define ROUTE_HEADER_NAME	"X-Slimrelay-Route"
#define ROUTE_HEADER_VALUE_MAX	900	/* longest value we sign or read */
#define ROUTE_HEADER_KEY_MIN	16	/* bytes */
#define ROUTE_HEADER_KEY_MAX	1024	/* bytes */
#define ROUTE_HEADER_MAC_LEN	32	/* HMAC-SHA256 */
#define ROUTE_HEADER_BINDING_MAX 998	/* a Message-ID or a queue id */
#define ROUTE_HEADER_SKEW_S	300	/* t= at most this far in the future */

/* What binds a header to one message (b=KIND:HASH). */
enum route_header_binding {
	ROUTE_HEADER_BIND_MSGID,	/* "mid": the Message-ID header */
	ROUTE_HEADER_BIND_QUEUEID,	/* "qid": the MTA's queue id */
};

enum route_header_status {
	ROUTE_HEADER_VALID,
	ROUTE_HEADER_MALFORMED,		/* syntax, unknown or missing tag */
	ROUTE_HEADER_TOO_LONG,		/* over ROUTE_HEADER_VALUE_MAX */
	ROUTE_HEADER_BAD_VERSION,	/* v= other than 1 */
	ROUTE_HEADER_BAD_SIGNATURE,	/* wrong key or a tampered field */
	ROUTE_HEADER_WRONG_MESSAGE,	/* b= is for another message */
	ROUTE_HEADER_EXPIRED,		/* older than the maximum age */
	ROUTE_HEADER_FUTURE,		/* t= too far in the future */
	ROUTE_HEADER_NO_KEY,		/* no key to check it with */
};

struct route_header_key {
	unsigned char data[ROUTE_HEADER_KEY_MAX];
	size_t	len;			/* 0: no key loaded */
};

/* The fields of one header. */
struct route_header {
	char	domain[ROUTE_DOMAIN_MAX + 1];	/* d=, lower case */
	struct nexthop nh;			/* r=, where the mail goes */
	int	tls_level;		/* o=tls=LEVEL; -1: default */
	int	tls_wrappermode;	/* o=wrappermode=; -1: default */
	long long time;			/* t=, seconds since the epoch */
	enum route_header_binding binding;	/* b= kind */
	char	binding_hash[65];	/* b= hash, 64 hex digits */
};

/* Identifies a message for the binding check: either may be NULL. */
struct route_header_message {
	const char *message_id;		/* Message-ID header value */
	const char *queue_id;		/* the MTA's queue id */
};

int	route_header_key_load(struct route_header_key *, const char *path,
	    struct relay_result *why);
void	route_header_key_wipe(struct route_header_key *);
int	route_header_from_route(struct route_header *, const char *domain,
	    const struct route *, time_t now,
	    const struct route_header_message *, struct relay_result *why);
int	route_header_sign(const struct route_header *,
	    const struct route_header_key *, char *buf, size_t len,
	    struct relay_result *why);
enum route_header_status route_header_parse(struct route_header *,
	    unsigned char mac[ROUTE_HEADER_MAC_LEN], const char *value);
enum route_header_status route_header_verify(struct route_header *,
	    const char *value, const struct route_header_key *,
	    const struct route_header_message *, time_t now,
	    long max_age_ms);
bool	route_header_name_is(const char *name);
size_t	route_header_line_match(const char *line, size_t len);
const char *route_header_status_name(enum route_header_status);

#endif
