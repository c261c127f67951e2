/*
 * NAME
 *	route - the route table (force_mx rules) and routing decisions
 * SYNOPSIS
 *	#include "route.h"
 *
 *	void route_table_init(struct route_table *t);
 *	int route_table_add(struct route_table *t, const char *spec,
 *	    struct relay_result *why);
 *	const struct route *route_table_lookup(const struct route_table *t,
 *	    const char *domain);
 *	int route_decide(const struct route_table *t, const char *smarthost,
 *	    const char *mta_nexthop, const char *domain,
 *	    struct route_decision *d, struct relay_result *why);
 *	bool route_decision_same(const struct route_decision *a,
 *	    const struct route_decision *b);
 *	const char *route_source_name(enum route_source s);
 * DESCRIPTION
 *	A route line of slimrelay.conf reads like an entry of Postfix's
 *	transport(5) table: "DOMAIN TRANSPORT:NEXTHOP". The seed's
 *	force_mx(domain, host, port) is
 *
 *	    route = example.com smtp:[smarthost.example.com]:2525
 *
 *	DOMAIN is a domain (exact match), ".domain" (every subdomain of
 *	domain, not domain itself) or "*" (any domain). TRANSPORT is
 *	"smtp" (the only one so far); NEXTHOP uses Postfix's syntax:
 *	"[host]" or "[host]:port" pins the host (no MX lookup, the
 *	seed's force_mx), "domain" or "domain:port" sends to the MX hosts
 *	of that domain, and an empty NEXTHOP ("smtp:" or "smtp") means
 *	the MX hosts of the recipient's own domain. A NEXTHOP without
 *	"smtp:" ("[host]:port") is accepted as shorthand. Errors are 4.3.5
 *	(a configuration problem defers mail).
 *
 *	route_table_lookup() finds the rule for a domain: an exact entry
 *	first, then the nearest ".parent" entry, then "*"; the first of
 *	several equal entries wins. Domains compare without regard to
 *	case. It returns NULL when no rule matches; the pointer stays
 *	valid as long as the table.
 *
 *	route_decide() decides where mail for one recipient domain goes,
 *	in this order: a route rule; the smarthost parameter; the MTA's
 *	next hop (Postfix ${nexthop}); the MX hosts of the recipient
 *	domain (an address literal, user@[192.0.2.1], goes to that
 *	address). It fails (4.3.5) for a next hop that does not parse.
 *
 *	route_decision_same() tells whether two recipients can share one
 *	delivery (same transport, host, port and kind of lookup).
 * SEE ALSO
 *	transport(5), slimrelay.conf(5), nexthop.c.
 */
#include "autoconfig.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "route.h"

/* route_table_init - an empty table */
void
route_table_init(struct route_table *t)
{
	t->count = 0;
}

/* valid_pattern - "*", "example.com" or ".example.com" */
static bool
valid_pattern(const char *p)
{
	if (strcmp(p, "*") == 0)
		return true;
	if (*p == '.')
		p++;
	return *p != '\0' && nexthop_valid_hostname(p);
}

/* lower - copy s into buf in lower case; false if it does not fit */
static bool
lower(char *buf, size_t len, const char *s)
{
	size_t i;

	for (i = 0; s[i] != '\0'; i++) {
		if (i + 1 >= len)
			return false;
		buf[i] = (char)tolower((unsigned char)s[i]);
	}
	buf[i] = '\0';
	return true;
}

/* route_table_add - parse "DOMAIN [smtp:]NEXTHOP" into the table */
int
route_table_add(struct route_table *t, const char *spec,
    struct relay_result *why)
{
	char buf[2 * ROUTE_DOMAIN_MAX + 32], nh_text[ROUTE_DOMAIN_MAX + 16];
	char *pattern, *dest, *extra, *save = NULL;
	struct route *r;

	if (t->count >= ROUTE_TABLE_MAX)
		return relay_result_set(why, "4.3.5", "more than %d route "
		    "lines", ROUTE_TABLE_MAX);
	if (strlen(spec) >= sizeof(buf))
		return relay_result_set(why, "4.3.5", "route too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	pattern = strtok_r(buf, " \t", &save);
	dest = strtok_r(NULL, " \t", &save);
	extra = strtok_r(NULL, " \t", &save);
	if (pattern == NULL || dest == NULL || extra != NULL)
		return relay_result_set(why, "4.3.5", "route \"%.300s\": "
		    "expected \"DOMAIN smtp:NEXTHOP\"", spec);
	r = &t->route[t->count];
	memset(r, 0, sizeof(*r));
	if (!lower(r->pattern, sizeof(r->pattern), pattern) ||
	    !valid_pattern(r->pattern))
		return relay_result_set(why, "4.3.5", "route \"%.300s\": bad "
		    "domain \"%.300s\"", spec, pattern);
	r->transport = ROUTE_SMTP;
	if (strncasecmp(dest, "smtp:", 5) == 0)
		dest += 5;
	else if (strcasecmp(dest, "smtp") == 0)
		dest += 4;
	else if (dest[0] != '[')
		return relay_result_set(why, "4.3.5", "route \"%.300s\": "
		    "unknown transport in \"%.300s\" (expected smtp:NEXTHOP "
		    "or [host]:port)", spec, dest);
	if (*dest != '\0') {
		if (nexthop_parse(&r->nh, dest, 25, why) != 0)
			return -1;
		r->has_nexthop = true;
		nexthop_format(&r->nh, nh_text, sizeof(nh_text));
	} else {
		nh_text[0] = '\0';
	}
	snprintf(buf, sizeof(buf), "%s smtp:%s", r->pattern, nh_text);
	memcpy(r->text, buf, sizeof(r->text) < sizeof(buf) ? sizeof(r->text) :
	    sizeof(buf));
	r->text[sizeof(r->text) - 1] = '\0';
	t->count++;
	return 0;
}

/* find - the first rule whose pattern is exactly p */
static const struct route *
find(const struct route_table *t, const char *p)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (strcmp(t->route[i].pattern, p) == 0)
			return &t->route[i];
	return NULL;
}

/* route_table_lookup - exact, then nearest .parent, then "*" */
const struct route *
route_table_lookup(const struct route_table *t, const char *domain)
{
	char d[ROUTE_DOMAIN_MAX + 2];
	const struct route *r;
	const char *dot;

	if (t->count == 0 || !lower(d, sizeof(d), domain))
		return NULL;
	if (*d != '\0' && (r = find(t, d)) != NULL)
		return r;
	/* ".example.com" matches a.example.com and a.b.example.com. */
	for (dot = strchr(d, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
		if ((r = find(t, dot)) != NULL)
			return r;
	return find(t, "*");
}

/* route_decide - rule, smarthost, ${nexthop}, then MX of the domain */
int
route_decide(const struct route_table *t, const char *smarthost,
    const char *mta_nexthop, const char *domain, struct route_decision *d,
    struct relay_result *why)
{
	const struct route *r;

	memset(d, 0, sizeof(*d));
	d->transport = ROUTE_SMTP;
	if ((r = route_table_lookup(t, domain)) != NULL) {
		d->source = ROUTE_FROM_RULE;
		d->rule = r;
		d->transport = r->transport;
		if (r->has_nexthop) {
			d->nh = r->nh;
			return 0;
		}
		goto domain_mx;
	}
	if (smarthost != NULL && *smarthost != '\0') {
		d->source = ROUTE_FROM_SMARTHOST;
		return nexthop_parse(&d->nh, smarthost, 25, why);
	}
	if (mta_nexthop != NULL && *mta_nexthop != '\0') {
		d->source = ROUTE_FROM_NEXTHOP;
		return nexthop_parse(&d->nh, mta_nexthop, 25, why);
	}
	d->source = ROUTE_FROM_DOMAIN;
domain_mx:
	/* The recipient's own domain, by MX, port 25. */
	if (domain != NULL && domain[0] == '[')	/* user@[192.0.2.1] */
		return nexthop_parse(&d->nh, domain, 25, why);
	if (domain == NULL || *domain == '\0' ||
	    strlen(domain) > NEXTHOP_HOST_MAX)
		return relay_result_set(why, "5.1.2", "no MX lookup for "
		    "recipient domain \"%.300s\"", domain ? domain : "");
	snprintf(d->nh.host, sizeof(d->nh.host), "%s", domain);
	d->nh.port = 25;
	d->nh.want_mx = true;
	d->nh.is_address = false;
	return 0;
}

/* route_decision_same - can two recipients share one delivery? */
bool
route_decision_same(const struct route_decision *a,
    const struct route_decision *b)
{
	return a->transport == b->transport &&
	    a->nh.port == b->nh.port && a->nh.want_mx == b->nh.want_mx &&
	    strcasecmp(a->nh.host, b->nh.host) == 0;
}

/* route_source_name - for slimrelay --route */
const char *
route_source_name(enum route_source s)
{
	switch (s) {
	case ROUTE_FROM_RULE:
		return "route rule";
	case ROUTE_FROM_SMARTHOST:
		return "smarthost";
	case ROUTE_FROM_NEXTHOP:
		return "MTA next hop";
	case ROUTE_FROM_DOMAIN:
		return "recipient domain";
	}
	return "unknown";
}
