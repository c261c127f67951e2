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

#define ROUTE_TABLE_MAX	256	/* route lines in slimrelay.conf */
#define ROUTE_DOMAIN_MAX 255

enum route_transport {
	ROUTE_SMTP,		/* SMTP to a host or to MX hosts */
};

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
	char	text[2 * ROUTE_DOMAIN_MAX + 32];	/* as written, normalised */
};

struct route_table {
	struct route route[ROUTE_TABLE_MAX];
	size_t	count;
};

struct route_decision {
	enum route_transport transport;
	enum route_source source;
	struct nexthop nh;		/* where: a host, or MX of nh.host */
	const struct route *rule;	/* ROUTE_FROM_RULE only */
};

void	route_table_init(struct route_table *);
int	route_table_add(struct route_table *, const char *spec,
	    struct relay_result *why);
const struct route *route_table_lookup(const struct route_table *,
	    const char *domain);
int	route_decide(const struct route_table *, const char *smarthost,
	    const char *mta_nexthop, const char *domain,
	    struct route_decision *, struct relay_result *why);
bool	route_decision_same(const struct route_decision *,
	    const struct route_decision *);
const char *route_source_name(enum route_source);

#endif
