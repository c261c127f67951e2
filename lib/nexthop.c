/*
 * NAME
 *	nexthop - Postfix next-hop destination syntax
 * SYNOPSIS
 *	#include "nexthop.h"
 *
 *	int nexthop_parse(struct nexthop *nh, const char *spec,
 *	    unsigned default_port, struct relay_result *why);
 *	void nexthop_format(const struct nexthop *nh, char *buf, size_t len);
 *	bool nexthop_valid_hostname(const char *name);
 * DESCRIPTION
 *	nexthop_parse() reads a destination the way Postfix's transport(5)
 *	and smtp(8) write one (what pipe(8) passes as ${nexthop}):
 *
 *	    domain              MX lookup of domain, port default_port
 *	    domain:port         MX lookup, that port
 *	    [host]              host's addresses, no MX lookup
 *	    [host]:port
 *	    [192.0.2.1]         an IPv4 address (is_address)
 *	    [ipv6:2001:db8::1]  an IPv6 address; "[2001:db8::1]" works too
 *	    192.0.2.1[:port]    a bare IPv4 address: no MX lookup either,
 *	                        since an address has no MX records
 *
 *	A port is a number 1..65535 or a service name: smtp (25),
 *	submission (587), smtps and submissions (465), lmtp (24), else
 *	whatever getservbyname(3) knows for tcp. A bare IPv6 address is
 *	refused: "host:port" would be ambiguous. Host names must be valid
 *	DNS host names (see nexthop_valid_hostname()). Addresses are stored
 *	in their canonical numeric form ("2001:DB8::0001" becomes
 *	"2001:db8::1"), names as given.
 *
 *	On error nexthop_parse() returns -1 and sets why to 4.3.5 "bad
 *	next-hop destination": a wrong destination is a configuration
 *	problem, and mail must be deferred, not bounced, until it is fixed.
 *	nh is then zeroed.
 *
 *	nexthop_format() writes the canonical form: "[host]:port" without
 *	MX lookup, "[ipv6:addr]:port" for IPv6 addresses, "host:port" with
 *	MX lookup, "unix:PATH" for a unix socket (is_unix, which only an
 *	LMTP route sets: nexthop_parse() never does). The output of a
 *	network next hop, parsed again, gives the same struct.
 *	NEXTHOP_FORMAT_MAX bytes are always enough; a shorter buffer gets a
 *	truncated, NUL-terminated string.
 *
 *	nexthop_valid_hostname() accepts RFC 1123 host names: labels of 1
 *	to 63 letters, digits, '-' (not first or last) and '_' (seen in
 *	real DNS), at most 253 characters plus an optional final dot, and
 *	a last label that is not all digits (so that an address is never
 *	taken for a name).
 * SEE ALSO
 *	transport(5), smtp(8) (Postfix), RFC 1123 section 2.1, RFC 1035
 *	section 2.3.4.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "nexthop.h"

#define NEXTHOP_NAME_MAX	253	/* RFC 1035: 255 octets on the wire */
#define NEXTHOP_LABEL_MAX	63
#define NEXTHOP_SERVICE_MAX	32
#define NEXTHOP_SPEC_SHOWN	200	/* destination text in messages */

/* Well-known mail ports, so that the common names never depend on
 * /etc/services. */
static const struct {
	const char *name;
	unsigned port;
} mail_services[] = {
	{ "smtp", 25 },
	{ "submission", 587 },
	{ "smtps", 465 },
	{ "submissions", 465 },
	{ "lmtp", 24 },
};

static int bad(struct nexthop *, const char *, struct relay_result *,
    const char *);
static const char *parse_port(const char *, unsigned *);
static const char *parse_bracketed(struct nexthop *, const char *,
    size_t);
static const char *parse_plain(struct nexthop *, const char *, size_t);
static bool canonical_address(const char *, int, char *, size_t);

/* nexthop_valid_hostname - RFC 1123 host name, see above */
bool
nexthop_valid_hostname(const char *name)
{
	size_t len, label = 0;
	const char *p;
	bool all_digits = true;

	if (name == NULL)
		return false;
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len == 0 || len > NEXTHOP_NAME_MAX)
		return false;
	for (p = name; p < name + len; p++) {
		if (*p == '.') {
			/* Empty label, or one ending in '-'. */
			if (label == 0 || p[-1] == '-')
				return false;
			label = 0;
			all_digits = true;
			continue;
		}
		if (*p >= '0' && *p <= '9') {
			/* Digits keep all_digits as it is. */
		} else if ((*p >= 'a' && *p <= 'z') ||
		    (*p >= 'A' && *p <= 'Z') || *p == '_') {
			all_digits = false;
		} else if (*p == '-') {
			if (label == 0)
				return false;
			all_digits = false;
		} else {
			return false;
		}
		if (++label > NEXTHOP_LABEL_MAX)
			return false;
	}
	/* The last label: not empty, no trailing '-', not numeric. */
	return label > 0 && p[-1] != '-' && !all_digits;
}

/* bad - zero nh and report a bad destination (always -1) */
static int
bad(struct nexthop *nh, const char *spec, struct relay_result *why,
    const char *reason)
{
	memset(nh, 0, sizeof(*nh));
	return relay_result_set(why, "4.3.5",
	    "bad next-hop destination \"%.*s%s\": %s", NEXTHOP_SPEC_SHOWN,
	    spec != NULL ? spec : "",
	    spec != NULL && strlen(spec) > NEXTHOP_SPEC_SHOWN ? "..." : "",
	    reason);
}

/* canonical_address - numeric address of family af, re-printed */
static bool
canonical_address(const char *text, int af, char *out, size_t len)
{
	unsigned char raw[sizeof(struct in6_addr)];

	if (inet_pton(af, text, raw) != 1)
		return false;
	return inet_ntop(af, raw, out, (socklen_t)len) != NULL;
}

/* parse_port - number 1..65535 or service name; NULL or the reason */
static const char *
parse_port(const char *s, unsigned *port)
{
	const struct servent *se;
	unsigned long n = 0;
	size_t i, len = strlen(s);

	if (len == 0)
		return "empty port after \":\"";
	if (strspn(s, "0123456789") == len) {
		if (len > 5)
			return "port out of range 1..65535";
		for (i = 0; i < len; i++)
			n = n * 10 + (unsigned long)(s[i] - '0');
		if (n < 1 || n > 65535)
			return "port out of range 1..65535";
		*port = (unsigned)n;
		return NULL;
	}
	if (len > NEXTHOP_SERVICE_MAX || strspn(s,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789-") != len)
		return "bad port or service name";
	for (i = 0; i < sizeof(mail_services) / sizeof(mail_services[0]);
	    i++) {
		if (strcasecmp(s, mail_services[i].name) == 0) {
			*port = mail_services[i].port;
			return NULL;
		}
	}
	se = getservbyname(s, "tcp");
	if (se == NULL || ntohs((unsigned short)se->s_port) == 0)
		return "unknown service name";
	*port = ntohs((unsigned short)se->s_port);
	return NULL;
}

/* parse_bracketed - "[host]" content of length len: no MX lookup */
static const char *
parse_bracketed(struct nexthop *nh, const char *host, size_t len)
{
	char buf[NEXTHOP_HOST_MAX + 8];

	if (len == 0)
		return "empty host name in \"[]\"";
	if (len >= sizeof(buf))
		return "host name too long";
	memcpy(buf, host, len);
	buf[len] = '\0';
	nh->want_mx = false;
	if (strncasecmp(buf, "ipv6:", 5) == 0) {
		if (!canonical_address(buf + 5, AF_INET6, nh->host,
		    sizeof(nh->host)))
			return "bad IPv6 address";
		nh->is_address = true;
		return NULL;
	}
	if (canonical_address(buf, AF_INET, nh->host, sizeof(nh->host)) ||
	    (strchr(buf, ':') != NULL &&
	    canonical_address(buf, AF_INET6, nh->host, sizeof(nh->host)))) {
		nh->is_address = true;
		return NULL;
	}
	if (strchr(buf, ':') != NULL)
		return "bad IPv6 address";
	if (!nexthop_valid_hostname(buf))
		return len > NEXTHOP_NAME_MAX + 1 ? "host name too long" :
		    "bad host name syntax";
	memcpy(nh->host, buf, len + 1);
	return NULL;
}

/* parse_plain - "domain" of length len (MX lookup) or a bare IPv4 */
static const char *
parse_plain(struct nexthop *nh, const char *host, size_t len)
{
	char buf[NEXTHOP_HOST_MAX + 8];

	if (len == 0)
		return "empty host name";
	if (len >= sizeof(buf))
		return "domain name too long";
	memcpy(buf, host, len);
	buf[len] = '\0';
	if (canonical_address(buf, AF_INET, nh->host, sizeof(nh->host))) {
		/* An address has no MX records: deliver to it directly. */
		nh->is_address = true;
		nh->want_mx = false;
		return NULL;
	}
	if (!nexthop_valid_hostname(buf))
		return len > NEXTHOP_NAME_MAX + 1 ? "domain name too long" :
		    "bad domain name syntax";
	memcpy(nh->host, buf, len + 1);
	nh->want_mx = true;
	return NULL;
}

/* nexthop_parse - read a Postfix next-hop destination */
int
nexthop_parse(struct nexthop *nh, const char *spec, unsigned default_port,
    struct relay_result *why)
{
	const char *p, *close, *colon, *rest, *reason;

	memset(nh, 0, sizeof(*nh));
	if (spec == NULL || *spec == '\0')
		return bad(nh, spec, why, "empty destination");
	if (default_port < 1 || default_port > 65535)
		return bad(nh, spec, why, "default port out of range");
	for (p = spec; *p != '\0'; p++)
		if ((unsigned char)*p <= ' ' || *p == 0x7f)
			return bad(nh, spec, why,
			    "white space or control character");

	if (spec[0] == '[') {
		close = strchr(spec, ']');
		if (close == NULL)
			return bad(nh, spec, why, "missing \"]\"");
		reason = parse_bracketed(nh, spec + 1,
		    (size_t)(close - spec - 1));
		rest = close + 1;
		if (reason == NULL && *rest != '\0' && *rest != ':')
			reason = "unexpected text after \"]\"";
	} else {
		colon = strrchr(spec, ':');
		if (colon != NULL && memchr(spec, ':',
		    (size_t)(colon - spec)) != NULL)
			return bad(nh, spec, why, "an IPv6 address must be "
			    "written as [ipv6:address]");
		if (colon == NULL)
			colon = spec + strlen(spec);
		reason = parse_plain(nh, spec, (size_t)(colon - spec));
		rest = colon;
	}
	if (reason != NULL)
		return bad(nh, spec, why, reason);

	nh->port = default_port;
	if (*rest == ':' && (reason = parse_port(rest + 1, &nh->port)) != NULL)
		return bad(nh, spec, why, reason);
	return 0;
}

/* nexthop_format - canonical text of a destination */
void
nexthop_format(const struct nexthop *nh, char *buf, size_t len)
{
	if (len == 0)
		return;
	if (nh->is_unix)
		snprintf(buf, len, "unix:%s", nh->host);
	else if (nh->is_address && strchr(nh->host, ':') != NULL)
		snprintf(buf, len, "[ipv6:%s]:%u", nh->host, nh->port);
	else if (!nh->want_mx)
		snprintf(buf, len, "[%s]:%u", nh->host, nh->port);
	else
		snprintf(buf, len, "%s:%u", nh->host, nh->port);
}
