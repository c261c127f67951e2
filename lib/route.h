/*
 * route.h - the route table (force_mx rules) and the routing decision
 * for one recipient domain. See route.c.
 */
#ifndef SLIMRELAY_ROUTE_H
#define SLIMRELAY_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "nexthop.h"
#include "result.h"

#define ROUTE_TABLE_MAX	10000	/* route lines: a bound, not a size */
#define ROUTE_DOMAIN_MAX 255
#define ROUTE_COND_MAX	256	/* a sasl= or sender= condition */

enum route_transport {
	ROUTE_SMTP,		/* SMTP to a host or to MX hosts */
	ROUTE_LMTP,		/* LMTP to a host or a unix socket */
	ROUTE_MAILDROP,		/* courier maildrop, final delivery */
	ROUTE_DOVECOT,		/* dovecot-lda, final delivery */
	ROUTE_PIPE,		/* pipe_command, like Postfix pipe(8) */
};
#define ROUTE_TRANSPORT_COUNT	(ROUTE_PIPE + 1)

enum route_source {
	ROUTE_FROM_RULE,	/* a route line of slimrelay.conf */
	ROUTE_FROM_SMARTHOST,	/* smarthost = in slimrelay.conf */
	ROUTE_FROM_NEXTHOP,	/* the MTA's ${nexthop} (-n) */
	ROUTE_FROM_DOMAIN,	/* MX lookup of the recipient domain */
};

struct route {
	char	pattern[ROUTE_DOMAIN_MAX + 2];	/* "example.com", ".x.org", "*" */
	enum route_transport transport;
	bool	has_nexthop;		/* false: MX of the recipient domain */
	struct nexthop nh;
	int	tls_level;		/* enum config_tls_level; -1: default */
	int	tls_wrappermode;	/* 1 implicit TLS, 0 not, -1 default */
	/*
	 * Conditions on the SMTP session, which only slimrelay-milter
	 * sees: a rule with any of them is skipped by route_table_lookup()
	 * and route_decide(), and matched by route_table_match().
	 */
	bool	has_conditions;
	bool	has_client;		/* client=ADDR[/PREFIX] */
	int	client_family;		/* AF_INET or AF_INET6 */
	unsigned char client_net[16];
	unsigned client_prefix;		/* bits */
	char	sasl[ROUTE_COND_MAX];	/* sasl=LOGIN or "*"; "" none */
	char	sender[ROUTE_COND_MAX];	/* sender=ADDR, @DOMAIN or <> */
	char	text[2 * ROUTE_DOMAIN_MAX + 3 * ROUTE_COND_MAX + 64];
					/* as written, normalised */
	unsigned line;			/* in the configuration file; 0: -o,
					   a routing header, or unknown */
};

struct sockaddr;

/* What slimrelay-milter knows of one SMTP session and message. */
struct route_session {
	const struct sockaddr *client;	/* NULL: unknown (no client=) */
	const char *sasl_login;		/* NULL or "": not authenticated */
	const char *sender;		/* envelope sender, no <>; "" null;
					   NULL: unknown (no sender=) */
};

/* A growable array on the heap; route_table_init() allocates nothing. */
struct route_table {
	struct route *route;		/* NULL while cap is 0 */
	size_t	count;			/* rules in route[] */
	size_t	cap;			/* room in route[] */
};

struct route_decision {
	enum route_transport transport;
	enum route_source source;
	struct nexthop nh;		/* where: a host, or MX of nh.host */
	const struct route *rule;	/* ROUTE_FROM_RULE only */
};

void	route_table_init(struct route_table *);
void	route_table_free(struct route_table *);
int	route_table_copy(struct route_table *dst,
	    const struct route_table *src, struct relay_result *why);
int	route_table_add(struct route_table *, const char *spec,
	    struct relay_result *why);
int	route_table_prepend(struct route_table *, const struct route *,
	    struct relay_result *why);
const struct route *route_table_lookup(const struct route_table *,
	    const char *domain);
const struct route *route_table_match(const struct route_table *,
	    const char *domain, const struct route_session *);
bool	route_conditions_hold(const struct route *,
	    const struct route_session *);
bool	route_pattern_matches(const struct route *, const char *domain);
int	route_decide(const struct route_table *first,
	    const struct route_table *, const char *smarthost,
	    const char *mta_nexthop, const char *domain,
	    struct route_decision *, struct relay_result *why);
bool	route_decision_same(const struct route_decision *,
	    const struct route_decision *);
const char *route_source_name(enum route_source);
const char *route_transport_name(enum route_transport);

#endif
