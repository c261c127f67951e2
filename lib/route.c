/*
 * NAME
 *	route - the route table (force_mx rules) and routing decisions
 * SYNOPSIS
 *	#include "route.h"
 *
 *	void route_table_init(struct route_table *t);
 *	void route_table_free(struct route_table *t);
 *	int route_table_copy(struct route_table *dst,
 *	    const struct route_table *src, struct relay_result *why);
 *	int route_table_add(struct route_table *t, const char *spec,
 *	    struct relay_result *why);
 *	int route_table_prepend(struct route_table *t, const struct route *r,
 *	    struct relay_result *why);
 *	const struct route *route_table_lookup(const struct route_table *t,
 *	    const char *domain);
 *	const struct route *route_table_match(const struct route_table *t,
 *	    const char *domain, const struct route_session *s);
 *	bool route_conditions_hold(const struct route *r,
 *	    const struct route_session *s);
 *	bool route_pattern_matches(const struct route *r,
 *	    const char *domain);
 *	int route_decide(const struct route_table *first,
 *	    const struct route_table *t, const char *smarthost,
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
 *	"smtp", "maildrop" (courier maildrop), "dovecot" (dovecot-lda) or
 *	"pipe" (pipe_command), the last three for final delivery on this
 *	host and without a next hop. For smtp, NEXTHOP uses Postfix's syntax:
 *	"[host]" or "[host]:port" pins the host (no MX lookup, the
 *	seed's force_mx), "domain" or "domain:port" sends to the MX hosts
 *	of that domain, and an empty NEXTHOP ("smtp:" or "smtp") means
 *	the MX hosts of the recipient's own domain. A NEXTHOP without
 *	"smtp:" ("[host]:port") is accepted as shorthand. TRANSPORT "lmtp"
 *	sends by LMTP (RFC 2033, one reply per recipient after the data) to
 *	"unix:/path" (a mail store's LMTP socket) or to a host, written
 *	"[host]:port", "host:port" or "inet:host:port", port 24 by default
 *	and never by MX (as Postfix's lmtp(8)). Errors are 4.3.5 (a
 *	configuration problem defers mail).
 *
 *	After an smtp destination, options may follow: tls=LEVEL and
 *	wrappermode=yes|no, and conditions on the SMTP session that only
 *	slimrelay-milter can evaluate (it writes a signed routing header
 *	when they hold): client=ADDRESS[/PREFIX] (IPv4 or IPv6 client
 *	network), sasl=LOGIN (exact SASL login; sasl=* any login),
 *	sender=ADDRESS, sender=@DOMAIN (the envelope sender's domain) or
 *	sender=<> (the null sender); addresses and domains compare without
 *	regard to case. A rule with conditions needs a next hop. Several
 *	conditions must all hold.
 *
 *	The table is an array on the heap that grows as rules are added,
 *	by doubling, up to ROUTE_TABLE_MAX (10000) rules: a bound against
 *	a runaway configuration, not a size to plan for. route_table_init()
 *	makes an empty table and allocates nothing; route_table_free()
 *	releases the array and leaves the table empty and usable again.
 *	route_table_copy() makes dst a deep copy of src: dst's old
 *	contents are overwritten, not freed (dst must own nothing: a new
 *	table, a freed one, or a struct copy that shares another table's
 *	array); on failure dst is empty. route_table_add() appends a rule,
 *	route_table_prepend() puts a copy of *r before all others; both
 *	leave the table as it was when they fail. Errors: more than
 *	ROUTE_TABLE_MAX rules is 4.3.5 "too many route lines (limit
 *	10000)", out of memory is 4.3.0.
 *
 *	route_table_lookup() finds the rule for a domain: an exact entry
 *	first, then the nearest ".parent" entry, then "*"; the first of
 *	several equal entries wins. Domains compare without regard to
 *	case. Rules with conditions are skipped: the transport cannot
 *	evaluate them and honours them only through a routing header. It
 *	returns NULL when no rule matches; the pointer (and the rule of a
 *	route_decision) stays valid until the table is next changed or
 *	freed.
 *
 *	route_table_match() is the milter's lookup: the same order, but a
 *	rule with conditions takes part when route_conditions_hold() for
 *	the session s; the first rule that holds wins.
 *
 *	route_pattern_matches() tells whether r's DOMAIN covers domain
 *	(exact, ".parent" or "*"), whatever its conditions: --route and -t
 *	use it to name the conditional rules only the milter applies.
 *
 *	route_decide() decides where mail for one recipient domain goes,
 *	in this order: a rule of first (NULL: none; the routes one
 *	message's routing headers grant), a rule of t; the smarthost
 *	parameter; the MTA's
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

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config.h"
#include "route.h"

#define ROUTE_TABLE_START	4	/* first allocation, in rules */

/* route_table_init - an empty table; allocates nothing */
void
route_table_init(struct route_table *t)
{
	t->route = NULL;
	t->count = 0;
	t->cap = 0;
}

/* route_table_free - release the rules; the table is empty again */
void
route_table_free(struct route_table *t)
{
	free(t->route);
	route_table_init(t);
}

/* route_table_copy - dst becomes a deep copy of src (dst owns nothing) */
int
route_table_copy(struct route_table *dst, const struct route_table *src,
    struct relay_result *why)
{
	size_t n = src->count;
	struct route *p = NULL;

	/* Exactly count rules: a later add doubles from there. */
	if (n > 0 && (p = malloc(n * sizeof(*p))) == NULL) {
		route_table_init(dst);
		return relay_result_set(why, "4.3.0", "out of memory");
	}
	if (n > 0)
		memcpy(p, src->route, n * sizeof(*p));
	dst->route = p;
	dst->count = dst->cap = n;
	return 0;
}

/* make_room - room for one more rule: the limit, then grow by doubling */
static int
make_room(struct route_table *t, struct relay_result *why)
{
	struct route *p;
	size_t cap;

	if (t->count >= ROUTE_TABLE_MAX)
		return relay_result_set(why, "4.3.5", "too many route lines "
		    "(limit %d)", ROUTE_TABLE_MAX);
	if (t->count < t->cap)
		return 0;
	/* No overflow: cap stays at most ROUTE_TABLE_MAX. */
	cap = t->cap == 0 ? ROUTE_TABLE_START : 2 * t->cap;
	if (cap > ROUTE_TABLE_MAX)
		cap = ROUTE_TABLE_MAX;
	if ((p = realloc(t->route, cap * sizeof(*p))) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	t->route = p;
	t->cap = cap;
	return 0;
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

/* parse_client - "192.0.2.0/24", "2001:db8::/32" or one address */
static bool
parse_client(struct route *r, const char *v)
{
	char addr[INET6_ADDRSTRLEN + 1], *slash, *end;
	unsigned max;
	long bits;
	size_t i;

	if (strlen(v) >= sizeof(addr))
		return false;
	snprintf(addr, sizeof(addr), "%s", v);
	if ((slash = strchr(addr, '/')) != NULL)
		*slash++ = '\0';
	if (inet_pton(AF_INET, addr, r->client_net) == 1) {
		r->client_family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, r->client_net) == 1) {
		r->client_family = AF_INET6;
		max = 128;
	} else
		return false;
	bits = max;
	if (slash != NULL) {
		if (!isdigit((unsigned char)*slash))
			return false;
		bits = strtol(slash, &end, 10);
		if (*end != '\0' || bits < 0 || bits > (long)max)
			return false;
	}
	r->client_prefix = (unsigned)bits;
	/* Host bits must be zero, as in Postfix's cidr tables. */
	for (i = r->client_prefix; i < max; i++)
		if (r->client_net[i / 8] & (0x80 >> (i % 8)))
			return false;
	r->has_client = true;
	return true;
}

/* parse_condition - client=, sasl= or sender=, each at most once */
static int
parse_condition(struct route *r, const char *opt, const char *spec,
    struct relay_result *why)
{
	const char *v = strchr(opt, '=') + 1;
	char *dst;
	size_t i;

	if (*v == '\0')
		goto bad;
	if (strncasecmp(opt, "client=", 7) == 0) {
		if (r->has_client || !parse_client(r, v))
			goto bad;
	} else {
		dst = strncasecmp(opt, "sasl=", 5) == 0 ? r->sasl : r->sender;
		if (*dst != '\0' || strlen(v) >= ROUTE_COND_MAX)
			goto bad;
		if (dst == r->sender && strcmp(v, "<>") != 0 &&
		    (strchr(v, '@') == NULL || strchr(v, '@')[1] == '\0' ||
		    strchr(v, '<') != NULL || strchr(v, '>') != NULL))
			goto bad;
		for (i = 0; v[i] != '\0'; i++)
			dst[i] = dst == r->sender ?
			    (char)tolower((unsigned char)v[i]) : v[i];
		dst[i] = '\0';
	}
	r->has_conditions = true;
	return 0;
bad:
	return relay_result_set(why, "4.3.5", "route \"%.300s\": bad "
	    "condition \"%.300s\" (expected one each of client=ADDRESS[/BITS], "
	    "sasl=LOGIN|*, sender=ADDRESS|@DOMAIN|<>)", spec, opt);
}

/* parse_option - "tls=LEVEL", "wrappermode=yes|no" or a condition */
static int
parse_option(struct route *r, const char *opt, const char *spec,
    struct relay_result *why)
{
	int level;

	/* LMTP over TCP takes tls= too; a unix socket has no TLS. */
	if (r->transport == ROUTE_LMTP && (r->nh.is_unix ||
	    strncasecmp(opt, "tls=", 4) != 0))
		goto bad;
	if (r->transport != ROUTE_SMTP && r->transport != ROUTE_LMTP)
		goto bad;
	if (strncasecmp(opt, "tls=", 4) == 0) {
		if ((level = config_tls_level_parse(opt + 4)) >= 0) {
			r->tls_level = level;
			return 0;
		}
	} else if (strcasecmp(opt, "wrappermode=yes") == 0) {
		r->tls_wrappermode = 1;
		return 0;
	} else if (strcasecmp(opt, "wrappermode=no") == 0) {
		r->tls_wrappermode = 0;
		return 0;
	} else if (strncasecmp(opt, "client=", 7) == 0 ||
	    strncasecmp(opt, "sasl=", 5) == 0 ||
	    strncasecmp(opt, "sender=", 7) == 0)
		return parse_condition(r, opt, spec, why);
bad:
	return relay_result_set(why, "4.3.5", "route \"%.300s\": bad option "
	    "\"%.100s\" (expected tls=LEVEL, wrappermode=yes, client=, sasl= "
	    "or sender= after an smtp destination, tls=LEVEL after an lmtp "
	    "host)", spec, opt);
}

/*
 * parse_lmtp - the next hop of "lmtp:": "unix:/path" (Dovecot's or
 * Cyrus's LMTP socket), else "inet:host:port", "[host]:port" or
 * "host:port" as Postfix's lmtp(8) writes them: port 24 by default,
 * and never an MX lookup (LMTP goes to the host named)
 */
static int
parse_lmtp(struct route *r, const char *dest, const char *spec,
    struct relay_result *why)
{
	const char *p;

	r->transport = ROUTE_LMTP;
	r->has_nexthop = true;
	if (strncasecmp(dest, "unix:", 5) == 0) {
		dest += 5;
		for (p = dest; *p != '\0'; p++)
			if ((unsigned char)*p <= ' ' || *p == 0x7f)
				break;
		if (dest[0] != '/' || *p != '\0' ||
		    strlen(dest) > NEXTHOP_UNIX_MAX)
			return relay_result_set(why, "4.3.5", "route "
			    "\"%.300s\": bad LMTP socket \"%.300s\" (expected "
			    "lmtp:unix:/absolute/path, at most %d bytes)", spec,
			    dest, NEXTHOP_UNIX_MAX);
		snprintf(r->nh.host, sizeof(r->nh.host), "%s", dest);
		r->nh.is_unix = true;
		return 0;
	}
	if (strncasecmp(dest, "inet:", 5) == 0)
		dest += 5;
	if (*dest == '\0')
		return relay_result_set(why, "4.3.5", "route \"%.300s\": lmtp: "
		    "needs a next hop (lmtp:unix:/path or lmtp:[host]:port)",
		    spec);
	if (nexthop_parse(&r->nh, dest, 24, why) != 0)
		return -1;
	r->nh.want_mx = false;
	return 0;
}

/* parse_destination - "smtp:NEXTHOP", "[host]:port", "maildrop", ... */
static int
parse_destination(struct route *r, const char *dest, const char *spec,
    struct relay_result *why)
{
	static const struct {
		const char *name;
		enum route_transport t;
	} local[] = {
		{ "maildrop", ROUTE_MAILDROP },
		{ "dovecot", ROUTE_DOVECOT },
		{ "pipe", ROUTE_PIPE },
	};
	size_t i;

	for (i = 0; i < sizeof(local) / sizeof(local[0]); i++) {
		if (strcasecmp(dest, local[i].name) == 0) {
			r->transport = local[i].t;
			return 0;
		}
	}
	if (strncasecmp(dest, "lmtp:", 5) == 0)
		return parse_lmtp(r, dest + 5, spec, why);
	r->transport = ROUTE_SMTP;
	if (strncasecmp(dest, "smtp:", 5) == 0)
		dest += 5;
	else if (strcasecmp(dest, "smtp") == 0)
		dest += 4;
	else if (dest[0] != '[')
		return relay_result_set(why, "4.3.5", "route \"%.300s\": "
		    "unknown transport in \"%.300s\" (expected smtp:NEXTHOP, "
		    "[host]:port, lmtp:NEXTHOP, maildrop, dovecot or pipe)",
		    spec, dest);
	if (*dest == '\0')
		return 0;
	if (nexthop_parse(&r->nh, dest, 25, why) != 0)
		return -1;
	r->has_nexthop = true;
	return 0;
}

/* format_conditions - " client=... sasl=... sender=..." */
static void
format_conditions(const struct route *r, char *buf, size_t len)
{
	char addr[INET6_ADDRSTRLEN];
	size_t used = 0;

	buf[0] = '\0';
	if (r->has_client && inet_ntop(r->client_family, r->client_net, addr,
	    sizeof(addr)) != NULL)
		used += (size_t)snprintf(buf, len, " client=%s/%u", addr,
		    r->client_prefix);
	if (r->sasl[0] != '\0' && used < len)
		used += (size_t)snprintf(buf + used, len - used, " sasl=%s",
		    r->sasl);
	if (r->sender[0] != '\0' && used < len)
		snprintf(buf + used, len - used, " sender=%s", r->sender);
}

/* route_table_add - parse "DOMAIN DESTINATION [OPTION...]" */
int
route_table_add(struct route_table *t, const char *spec,
    struct relay_result *why)
{
	char buf[2 * ROUTE_DOMAIN_MAX + 64], nh_text[NEXTHOP_FORMAT_MAX];
	char text[sizeof(((struct route *)0)->text)];
	char *pattern, *dest, *opt, *save = NULL;
	struct route rule, *r = &rule;
	size_t used;

	if (t->count >= ROUTE_TABLE_MAX)
		return relay_result_set(why, "4.3.5", "too many route lines "
		    "(limit %d)", ROUTE_TABLE_MAX);
	if (strlen(spec) >= sizeof(buf))
		return relay_result_set(why, "4.3.5", "route too long");
	snprintf(buf, sizeof(buf), "%s", spec);
	pattern = strtok_r(buf, " \t", &save);
	dest = strtok_r(NULL, " \t", &save);
	if (pattern == NULL || dest == NULL)
		return relay_result_set(why, "4.3.5", "route \"%.300s\": "
		    "expected \"DOMAIN smtp:NEXTHOP\"", spec);
	/* Parsed aside: a bad line leaves the table as it was. */
	memset(r, 0, sizeof(*r));
	r->tls_level = -1;
	r->tls_wrappermode = -1;
	if (!lower(r->pattern, sizeof(r->pattern), pattern) ||
	    !valid_pattern(r->pattern))
		return relay_result_set(why, "4.3.5", "route \"%.300s\": bad "
		    "domain \"%.300s\"", spec, pattern);
	if (parse_destination(r, dest, spec, why) != 0)
		return -1;
	while ((opt = strtok_r(NULL, " \t", &save)) != NULL)
		if (parse_option(r, opt, spec, why) != 0)
			return -1;
	if (r->has_conditions && !r->has_nexthop)
		return relay_result_set(why, "4.3.5", "route \"%.300s\": a "
		    "rule with conditions needs a next hop (smtp:[host]:port "
		    "or smtp:domain)", spec);

	/* The normalised text, for config_dump() and --route. */
	nh_text[0] = '\0';
	if (r->has_nexthop)
		nexthop_format(&r->nh, nh_text, sizeof(nh_text));
	if (r->transport == ROUTE_SMTP || r->transport == ROUTE_LMTP)
		used = (size_t)snprintf(text, sizeof(text), "%s %s:%s",
		    r->pattern, route_transport_name(r->transport), nh_text);
	else
		used = (size_t)snprintf(text, sizeof(text), "%s %s",
		    r->pattern, route_transport_name(r->transport));
	if (r->tls_level >= 0 && used < sizeof(text))
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    " tls=%s", config_tls_level_name(r->tls_level));
	if (r->tls_wrappermode >= 0 && used < sizeof(text))
		used += (size_t)snprintf(text + used, sizeof(text) - used,
		    " wrappermode=%s", r->tls_wrappermode ? "yes" : "no");
	if (used < sizeof(text))
		format_conditions(r, text + used, sizeof(text) - used);
	memcpy(r->text, text, sizeof(text));
	if (make_room(t, why) != 0)
		return -1;
	t->route[t->count++] = rule;
	return 0;
}

/* route_table_prepend - put a copy of *r before all others */
int
route_table_prepend(struct route_table *t, const struct route *r,
    struct relay_result *why)
{
	struct route rule = *r;	/* r may point into the table */

	if (make_room(t, why) != 0)
		return -1;
	memmove(&t->route[1], &t->route[0], t->count * sizeof(t->route[0]));
	t->route[0] = rule;
	t->count++;
	return 0;
}

/* find - the first usable rule whose pattern is exactly p */
static const struct route *
find(const struct route_table *t, const char *p, const struct route_session *s)
{
	const struct route *r;
	size_t i;

	for (i = 0; i < t->count; i++) {
		r = &t->route[i];
		if (strcmp(r->pattern, p) != 0)
			continue;
		/* Without a session (the transport), skip conditional rules. */
		if (r->has_conditions && (s == NULL ||
		    !route_conditions_hold(r, s)))
			continue;
		return r;
	}
	return NULL;
}

/* lookup - exact, then nearest .parent, then "*" */
static const struct route *
lookup(const struct route_table *t, const char *domain,
    const struct route_session *s)
{
	char d[ROUTE_DOMAIN_MAX + 2];
	const struct route *r;
	const char *dot;

	if (t->count == 0 || !lower(d, sizeof(d), domain))
		return NULL;
	if (*d != '\0' && (r = find(t, d, s)) != NULL)
		return r;
	/* ".example.com" matches a.example.com and a.b.example.com. */
	for (dot = strchr(d, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
		if ((r = find(t, dot, s)) != NULL)
			return r;
	return find(t, "*", s);
}

/* route_pattern_matches - does r's DOMAIN cover domain? */
bool
route_pattern_matches(const struct route *r, const char *domain)
{
	char d[ROUTE_DOMAIN_MAX + 2];
	const char *dot;

	if (strcmp(r->pattern, "*") == 0)
		return true;
	if (!lower(d, sizeof(d), domain) || *d == '\0')
		return false;
	if (strcmp(r->pattern, d) == 0)
		return true;
	for (dot = strchr(d, '.'); dot != NULL; dot = strchr(dot + 1, '.'))
		if (strcmp(r->pattern, dot) == 0)
			return true;
	return false;
}

/* route_table_lookup - the transport's lookup: unconditional rules */
const struct route *
route_table_lookup(const struct route_table *t, const char *domain)
{
	return lookup(t, domain, NULL);
}

/* route_table_match - the milter's lookup: conditions evaluated */
const struct route *
route_table_match(const struct route_table *t, const char *domain,
    const struct route_session *s)
{
	return lookup(t, domain, s);
}

/* client_in_net - is the client address inside the rule's network? */
static bool
client_in_net(const struct route *r, const struct sockaddr *sa)
{
	const unsigned char *a;
	unsigned char mapped[16];
	unsigned i;

	if (sa == NULL)
		return false;
	if (sa->sa_family == AF_INET) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in *)(const void *)sa)->sin_addr;
		if (r->client_family == AF_INET6) {
			/* IPv4 client, IPv6 rule: as ::ffff:a.b.c.d */
			memset(mapped, 0, 10);
			mapped[10] = mapped[11] = 0xff;
			memcpy(mapped + 12, a, 4);
			a = mapped;
		}
	} else if (sa->sa_family == AF_INET6) {
		a = (const unsigned char *)
		    &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr;
		if (r->client_family == AF_INET) {
			/* An IPv4-mapped IPv6 client against an IPv4 rule. */
			if (!IN6_IS_ADDR_V4MAPPED(
			    &((const struct sockaddr_in6 *)(const void *)sa)
			    ->sin6_addr))
				return false;
			a += 12;
		}
	} else
		return false;
	for (i = 0; i < r->client_prefix / 8; i++)
		if (a[i] != r->client_net[i])
			return false;
	if (r->client_prefix % 8 != 0 && ((a[i] ^ r->client_net[i]) &
	    (0xff << (8 - r->client_prefix % 8)) & 0xff) != 0)
		return false;
	return true;
}

/* sender_matches - "<>", "@domain" or a whole address, any case */
static bool
sender_matches(const char *cond, const char *sender)
{
	const char *at;

	if (sender == NULL)
		return false;
	if (strcmp(cond, "<>") == 0)
		return *sender == '\0';
	if (cond[0] == '@')
		return (at = strrchr(sender, '@')) != NULL &&
		    strcasecmp(at, cond) == 0;
	return strcasecmp(sender, cond) == 0;
}

/* route_conditions_hold - every condition of r holds for session s */
bool
route_conditions_hold(const struct route *r, const struct route_session *s)
{
	if (r->has_client && !client_in_net(r, s->client))
		return false;
	if (r->sasl[0] != '\0') {
		if (s->sasl_login == NULL || s->sasl_login[0] == '\0')
			return false;
		if (strcmp(r->sasl, "*") != 0 &&
		    strcmp(r->sasl, s->sasl_login) != 0)
			return false;
	}
	if (r->sender[0] != '\0' && !sender_matches(r->sender, s->sender))
		return false;
	return true;
}

/* route_decide - rule, smarthost, ${nexthop}, then MX of the domain */
int
route_decide(const struct route_table *first, const struct route_table *t,
    const char *smarthost, const char *mta_nexthop, const char *domain,
    struct route_decision *d, struct relay_result *why)
{
	const struct route *r = NULL;

	memset(d, 0, sizeof(*d));
	d->transport = ROUTE_SMTP;
	if (first != NULL)
		r = route_table_lookup(first, domain);
	if (r != NULL || (r = route_table_lookup(t, domain)) != NULL) {
		d->source = ROUTE_FROM_RULE;
		d->rule = r;
		d->transport = r->transport;
		if (r->transport == ROUTE_LMTP) {
			d->nh = r->nh;	/* always a host or a socket */
			return 0;
		}
		if (r->transport != ROUTE_SMTP)
			return 0;	/* final delivery here: no next hop */
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
	if (a->transport != b->transport)
		return false;
	if (a->transport != ROUTE_SMTP && a->transport != ROUTE_LMTP)
		return true;
	if (a->nh.is_unix || b->nh.is_unix)
		return a->nh.is_unix == b->nh.is_unix &&
		    strcmp(a->nh.host, b->nh.host) == 0;
	return a->nh.port == b->nh.port && a->nh.want_mx == b->nh.want_mx &&
	    strcasecmp(a->nh.host, b->nh.host) == 0;
}

/* route_transport_name - "smtp", "maildrop", "dovecot", "pipe" */
const char *
route_transport_name(enum route_transport t)
{
	switch (t) {
	case ROUTE_SMTP:
		return "smtp";
	case ROUTE_LMTP:
		return "lmtp";
	case ROUTE_MAILDROP:
		return "maildrop";
	case ROUTE_DOVECOT:
		return "dovecot";
	case ROUTE_PIPE:
		return "pipe";
	}
	return "unknown";
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
