/*
 * NAME
 *	dns - host address and MX lookups through ldns
 * SYNOPSIS
 *	#include "dns.h"
 *
 *	struct dns *dns_new(const struct config *cfg);
 *	void dns_free(struct dns *d);
 *	int dns_lookup_host(struct dns *d, const char *name, unsigned port,
 *	    struct dns_addr *out, size_t max, size_t *count,
 *	    struct relay_result *why);
 *	int dns_lookup_mx(struct dns *d, const char *domain,
 *	    struct dns_mxrrs *set, struct relay_result *why);
 *	int dns_lookup_tlsa(struct dns *d, const char *host, unsigned port,
 *	    struct dns_tlsa_set *set, struct relay_result *why);
 *	int dns_tlsa_from_wire(const unsigned char *wire, size_t len,
 *	    const char *owner, struct dns_tlsa_set *set);
 *	void dns_set_dnssec(struct dns *d, bool want);
 *	bool dns_dnssec(const struct dns *d);
 *	bool dns_last_secure(const struct dns *d);
 *	const char *dns_last_target(const struct dns *d);
 *	unsigned dns_queries(const struct dns *d);
 *	const char *dns_last_error(const struct dns *d);
 *	uint32_t dns_last_negative_ttl(const struct dns *d);
 *	enum config_addr_pref dns_address_preference(const struct dns *d);
 *	const char *dns_outcome_name(enum dns_outcome out);
 *	int dns_set_resolv_conf(struct dns *d, const char *path);
 *	enum dns_outcome dns_reply(struct dns *d, const char *name,
 *	    const ldns_pkt *query, const ldns_pkt *reply, unsigned port,
 *	    struct dns_addr_list *list, struct dns_mxrrs *set);
 *	int dns_addr_text(const struct sockaddr *sa, socklen_t salen,
 *	    char *host, size_t hostlen, unsigned *port);
 * DESCRIPTION
 *	dns_new() copies the name service settings of cfg (dns_servers,
 *	dns_timeout, dns_retries, host_lookup, address_preference,
 *	dnssec_trust_resolver, dnssec_probe) and
 *	does nothing slow: the ldns resolver is built at the first lookup
 *	that needs DNS, so that deliveries to address literals never read
 *	resolv.conf. It returns NULL when out of memory; dns_free() frees
 *	it all (NULL is a no-op).
 *
 *	The resolver asks the servers of dns_servers ("addr", "addr:port",
 *	"[v6addr]:port", "v6addr", separated by commas or spaces, at most
 *	DNS_SERVERS_MAX, all on one port because ldns has one port per
 *	resolver), or those of /etc/resolv.conf when dns_servers is empty
 *	(none there, or no such file: 127.0.0.1, as resolv.conf(5) says).
 *	Each server gets 1 + dns_retries tries of dns_timeout each; a
 *	server that never answered is not asked again during the same
 *	dns_lookup_host() call, so one lookup takes at most about
 *	servers * tries * dns_timeout. Queries ask for recursion, use no
 *	search list and no EDNS; a truncated UDP reply is retried with
 *	EDNS and then TCP. A bad dns_servers setting or an unreadable
 *	resolv.conf is a configuration problem: 4.3.5.
 *
 *	dns_lookup_host() finds the addresses of name and writes at most
 *	max (and at most DNS_ADDRS_MAX) of them to out[], port set, with
 *	the number in *count. An IPv4 or IPv6 literal is its own single
 *	address without any query. Otherwise, with host_lookup = dns, it
 *	asks for A and AAAA records, IPv4 first for address_preference
 *	any and ipv4, IPv6 first for ipv6, one family for ipv4_only and
 *	ipv6_only; the output keeps that order, duplicates removed. The
 *	answer's CNAME chain is followed from the name asked, matching
 *	owner names, for at most DNS_CNAME_MAX hops; an address's TTL is
 *	the smallest TTL along its chain (a TTL above 2^31-1 counts as 0,
 *	RFC 2181 section 8). With host_lookup = native, getaddrinfo(3)
 *	answers instead (TTL 0); with both, getaddrinfo is asked only when
 *	DNS says that the name or its addresses do not exist.
 *
 *	When one family has addresses and the other fails, the addresses
 *	are used. Otherwise the outcome table below decides, the texts
 *	being Postfix's ("Host or domain name not found. Name service
 *	error for name=N type=T: ..."):
 *
 *	    NXDOMAIN                          5.4.4  Host not found
 *	    name exists, no address (NODATA)  5.4.4  Host found but no
 *	                                             data record of
 *	                                             requested type
 *	    SERVFAIL, REFUSED, no reply       4.4.3  Host not found,
 *	                                             try again
 *	    malformed or unexpected reply     4.4.3  Malformed or
 *	                                             unexpected name
 *	                                             server reply
 *	    malformed name (no query sent)    5.4.4  Malformed domain name
 *
 *	A transient outcome of either family wins over a permanent one:
 *	mail is deferred, never bounced, while a server has trouble.
 *	Everything in a reply is untrusted: the ID, QR bit, opcode and
 *	question must match the query, records must be class IN with
 *	well-formed data, records of other owners are ignored.
 *	getaddrinfo errors map to 5.4.4 (no such name or address) or 4.4.3
 *	(anything that may pass), with Postfix's text "unable to look up
 *	host N: <gai_strerror>".
 *
 *	dns_lookup_mx() asks for the MX records of domain, with the same
 *	resolver, checks and outcome table (type=MX in the texts). The
 *	CNAME chain of the answer is followed as above. Each record's
 *	exchange is kept in lower case without the final dot; the root
 *	(RFC 7505 null MX) is kept as ".". A record whose exchange is not
 *	a valid host name is skipped and counted in set->nbad, as Postfix
 *	does; when every record was skipped, the outcome is DNS_OUT_BADNAME
 *	(5.4.4, "Malformed domain name"). A host named twice keeps its
 *	lowest preference. When the answer holds more than DNS_MXRR_MAX
 *	records, the most preferred are kept. It returns 0 with
 *	set->outcome DNS_OUT_OK and at least one record, else -1 with why
 *	set by the table, set->outcome telling NODATA (no MX records: the
 *	caller's cue for an implicit MX, RFC 5321 section 5.1) from the
 *	rest. set->ttl is the smallest TTL of the records and their CNAME
 *	chain when found; for NXDOMAIN and NODATA it is how long the
 *	answer may be cached by RFC 2308 section 5, the smaller of the
 *	TTL and the MINIMUM field of the SOA record in the authority
 *	section (0 without one); for a malformed-only answer the records'
 *	TTL; 0 otherwise. With host_lookup = native only, no MX query can
 *	be made: the outcome is DNS_OUT_NODATA with TTL 0, at no cost.
 *
 *	DNSSEC. dns_set_dnssec(d, true) sets the DO bit (EDNS0, 1232-byte
 *	UDP size) on every later query, which a validating resolver needs
 *	before it sets the AD bit in its replies; dns_dnssec() says whether
 *	it is set. slimrelay does not validate: it believes a reply's AD
 *	bit when the reply came from a resolver of dnssec_trust_resolver,
 *	"loopback" (127.0.0.0/8 and ::1: the path to a local resolver
 *	cannot be tampered with) and listed addresses; by default only
 *	"loopback". ldns reads resolv.conf's servers but ignores its
 *	"options trust-ad" line, so that setting is slimrelay's own.
 *	dns_last_secure() tells whether the last dns_lookup_host(),
 *	dns_lookup_mx() or dns_lookup_tlsa() was asked with DNSSEC and
 *	every reply it used was so validated (no query, a literal or
 *	getaddrinfo(3): not secure); dns_lookup_mx() and dns_lookup_tlsa()
 *	also set set->is_secure, for the records or their denial.
 *	dns_last_target() is the name at the end of the CNAME chain that
 *	the last dns_lookup_host() followed to the addresses, in lower case
 *	without the final dot ("" when there was none), the TLSA base
 *	domain of RFC 7672 section 2.2.2; it belongs to d.
 *	When a lookup with DNSSEC gets a reply that is not validated, the
 *	dnssec_probe query (Postfix's, "TYPE:NAME", default "ns:.") is
 *	asked once per handle: when its reply is not validated either, a
 *	warning says that the resolver does not validate (or is not
 *	trusted) and that DANE is not used.
 *
 *	dns_lookup_tlsa() asks for the TLSA records of _port._tcp.host
 *	(RFC 6698, RFC 7672 section 2.2.3) with the same checks and
 *	outcome table (type=TLSA), CNAMEs followed. It keeps at most
 *	DNS_TLSA_MAX records of at most DNS_TLSA_DATA_MAX bytes of data in
 *	set->rr[]; a malformed record, a larger one or one too many is
 *	counted in set->nbad (it exists but cannot be used). It returns 0
 *	when the answer has records, else -1 with why set and set->outcome
 *	telling a denial (NODATA, NXDOMAIN, with set->ttl its RFC 2308
 *	TTL) from a failure (SERVFAIL, as a validating resolver answers a
 *	bogus record, timeout, malformed reply). dns_tlsa_from_wire() does
 *	the same with a reply in wire format instead of a query (the
 *	fuzzer's way in): it checks that it answers the TLSA question for
 *	owner, and returns 0 or -1 in the same way.
 *
 *	dns_queries() counts the DNS queries sent since dns_new(), so that
 *	tests can tell that a literal or a cached answer cost none.
 *	dns_last_error() describes the last trouble seen by the last
 *	lookup, for logs ("mx.example/A: SERVFAIL from 192.0.2.53"), even
 *	when the lookup succeeded through the other family; "" if none.
 *	The string belongs to d and changes with the next lookup.
 *
 *	dns_last_negative_ttl() says how long the negative answers of the
 *	last lookup (dns_lookup_host() or dns_lookup_mx()) may be cached:
 *	the smallest RFC 2308 TTL over its NXDOMAIN and NODATA replies, 0
 *	when one of them had no SOA record or getaddrinfo(3) was asked,
 *	DNS_TTL_NONE when there was no negative reply (nothing asked, or
 *	only positive or transient outcomes).
 *
 *	dns_address_preference() is the address_preference d was made
 *	with (it decides which addresses a lookup returns).
 *	dns_outcome_name() names an outcome: "OK", "NXDOMAIN", "NODATA",
 *	"TRYAGAIN", "BADREPLY", "BADNAME".
 *
 *	dns_set_resolv_conf() reads name servers from path instead of
 *	/etc/resolv.conf (tests, chroots); it returns -1 when the path is
 *	too long. It only takes effect before the first lookup.
 *
 *	dns_reply() reads a reply as every A, AAAA and MX lookup does (and
 *	is the fuzz target's way in): reply is checked against query (ID,
 *	QR, opcode, the question, TC) as above; for an A or AAAA query the
 *	addresses it finds are added to list (port set), for an MX query
 *	the records to set (whose counts and ttl the caller zeroes first,
 *	as dns_lookup_mx() does); a negative answer's RFC 2308 TTL counts
 *	for dns_last_negative_ttl(). Unless the outcome is DNS_OUT_OK,
 *	nothing of the reply is added (one malformed record spoils the
 *	records before it too). It returns the outcome and leaves the
 *	reason in dns_last_error(); list, set and the packets stay the
 *	caller's. port is only copied into the addresses.
 *
 *	dns_addr_text() writes the numeric text of a socket address as
 *	getnameinfo(NI_NUMERICHOST) does ("192.0.2.1", "2001:db8::1",
 *	"fe80::1%eth0") and its port to *port (port may be NULL); it
 *	returns 0 or getnameinfo's EAI_* code.
 * SEE ALSO
 *	RFC 1035, RFC 2181, RFC 2308 (NODATA, negative caching), RFC 5321
 *	section 5.1, RFC 7505 (null MX), RFC 4035 3.2.3 (AD), RFC 6698
 *	(TLSA), RFC 7672, Postfix dns_lookup.c,
 *	dns_strerror.c and smtp_addr.c, ldns resolver.h.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <stdarg.h>
#include <netinet/in.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <ldns/ldns.h>

#include "dl_ldns.h"
#include "dns.h"
#include "log.h"
#include "nexthop.h"

#define DNS_RESOLV_CONF		"/etc/resolv.conf"
#define DNS_PATH_MAX		1024
#define DNS_DEFAULT_PORT	53
#define DNS_DEFAULT_TIMEOUT_MS	5000
#define DNS_NAME_SHOWN		255	/* name text in messages */
#define DNS_EDNS_SIZE		1232	/* DNS flag day 2020 */

/* The one table from DNS outcome (dns.h) to status and Postfix's text. */
static const struct {
	const char *name;
	const char *status;
	const char *text;
	int	rank;		/* which of two failures is reported */
} outcomes[] = {
	[DNS_OUT_OK] = { "OK", "2.0.0", "OK", 0 },
	[DNS_OUT_NXDOMAIN] = { "NXDOMAIN", "5.4.4", "Host not found", 1 },
	[DNS_OUT_NODATA] = { "NODATA", "5.4.4",
	    "Host found but no data record of requested type", 2 },
	[DNS_OUT_TRYAGAIN] = { "TRYAGAIN", "4.4.3",
	    "Host not found, try again", 4 },
	[DNS_OUT_BADREPLY] = { "BADREPLY", "4.4.3",
	    "Malformed or unexpected name server reply", 3 },
	[DNS_OUT_BADNAME] = { "BADNAME", "5.4.4", "Malformed domain name", 5 },
};

struct dns {
	char	servers[CONFIG_STR_MAX];	/* "" = resolv.conf */
	char	resolv_conf[DNS_PATH_MAX];
	long	timeout_ms;		/* per try */
	int	retries;		/* tries after the first */
	bool	use_dns;
	bool	use_native;
	enum config_addr_pref pref;
	ldns_resolver *res;		/* NULL until needed */
	unsigned queries;
	char	error[DNS_ERROR_MAX];	/* dns_last_error() */
	uint32_t neg_ttl;		/* dns_last_negative_ttl() */
	/* DNSSEC: whose AD bit counts, and what the last lookup had. */
	bool	want_dnssec;		/* DO bit on every query */
	bool	trust_loopback;		/* 127.0.0.0/8 and ::1 */
	size_t	ntrust;
	struct {
		int	af;
		unsigned char b[16];
	} trust[DNS_SERVERS_MAX];
	char	probe[CONFIG_STR_MAX];	/* dnssec_probe, "" none */
	bool	has_probed;		/* once per handle */
	bool	reply_secure;		/* the last reply that was checked */
	bool	reply_untrusted_ad;	/* AD from an untrusted server */
	unsigned nsecure;		/* replies of the last lookup */
	unsigned ninsecure;
	char	target[DNS_NAME_MAX + 1];	/* dns_last_target() */
};

static const char *type_name(int);
static const char *rr_type_name(ldns_rr_type);
static void set_error(struct dns *, const char *, ...) PRINTFLIKE(2, 3);
static int fail(enum dns_outcome, const char *, const char *,
    struct relay_result *);
static bool parse_port(const char *, size_t, uint16_t *);
static const char *parse_server(const char *, size_t, ldns_resolver *,
    uint16_t *);
static int parse_servers(const char *, ldns_resolver *, uint16_t *,
    const char **);
static int load_ldns(struct dns *, struct relay_result *);
static int build_resolver(struct dns *, struct relay_result *);
static void reset_servers(ldns_resolver *);
static bool servers_left(ldns_resolver *);
static void describe_servers(ldns_resolver *, char *, size_t);
static void describe_from(const ldns_pkt *, uint16_t, char *, size_t);
static uint32_t rr_ttl(const ldns_rr *);
static const ldns_rr *find_rr(const ldns_rr_list *, const ldns_rdf *,
    ldns_rr_type);
static bool add_addr(struct dns_addr_list *, const struct sockaddr *,
    socklen_t, uint32_t);
static bool add_raw(struct dns_addr_list *, int, const void *, unsigned,
    uint32_t);
static enum dns_outcome check_reply(struct dns *, const char *,
    ldns_rr_type, const ldns_pkt *, const ldns_pkt *, const ldns_rdf *);
static enum dns_outcome follow_cname(struct dns *, const char *,
    ldns_rr_type, const ldns_rr_list *, const ldns_rdf *, const ldns_rdf **,
    uint32_t *);
static uint32_t negative_ttl(const ldns_pkt *, const ldns_rdf *,
    const ldns_rdf *);
static void note_negative(struct dns *, uint32_t);
static enum dns_outcome extract(struct dns *, const char *, int,
    const ldns_pkt *, const ldns_rdf *, unsigned, struct dns_addr_list *);
static enum dns_outcome read_answer(struct dns *, const char *,
    ldns_rr_type, enum dns_outcome, const ldns_pkt *, const ldns_rdf *,
    unsigned, struct dns_addr_list *, struct dns_mxrrs *);
static enum dns_outcome send_query(struct dns *, const char *,
    const ldns_rdf *, ldns_rr_type, ldns_pkt **);
static enum dns_outcome query_family(struct dns *, const char *,
    const ldns_rdf *, int, unsigned, struct dns_addr_list *);
static bool mx_host_text(const ldns_rdf *, char *, size_t);
static void add_mx(struct dns *, const char *, struct dns_mxrrs *, unsigned,
    uint32_t, const char *);
static enum dns_outcome extract_mx(struct dns *, const char *,
    const ldns_pkt *, const ldns_rdf *, struct dns_mxrrs *);
static int lookup_native(struct dns *, const char *, unsigned,
    struct dns_addr_list *, struct dns_addr_list *, struct relay_result *);
static int family_order(enum config_addr_pref, int *);
static void parse_trust(struct dns *, const char *);
static bool is_trusted(const struct dns *, const ldns_pkt *);
static void start_lookup(struct dns *);
static void probe_resolver(struct dns *);
static enum dns_outcome extract_tlsa(struct dns *, const char *,
    const ldns_pkt *, const ldns_rdf *, struct dns_tlsa_set *);
static size_t merge(const int *, int, const struct dns_addr_list *,
    const struct dns_addr_list *, struct dns_addr *, size_t);

/* type_name - "A" or "AAAA" for an address family */
static const char *
type_name(int af)
{
	return af == AF_INET6 ? "AAAA" : "A";
}

/* rr_type_name - "A", "AAAA", "MX", "TLSA"... for a query type */
static const char *
rr_type_name(ldns_rr_type type)
{
	switch (type) {
	case LDNS_RR_TYPE_TLSA:
		return "TLSA";
	case LDNS_RR_TYPE_NS:
		return "NS";
	case LDNS_RR_TYPE_SOA:
		return "SOA";
	case LDNS_RR_TYPE_A:
		return "A";
	case LDNS_RR_TYPE_AAAA:
		return "AAAA";
	case LDNS_RR_TYPE_MX:
		return "MX";
	default:
		return "?";
	}
}

/* set_error - remember what went wrong, for dns_last_error() */
static void
set_error(struct dns *d, const char *fmt, ...)
{
	va_list ap;
	char *p;

	va_start(ap, fmt);
	vsnprintf(d->error, sizeof(d->error), fmt, ap);
	va_end(ap);
	/* Server data may hold anything: keep the text one line. */
	for (p = d->error; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = '?';
}

/* fail - report an outcome through the table (always -1) */
static int
fail(enum dns_outcome out, const char *name, const char *type,
    struct relay_result *why)
{
	return relay_result_set(why, outcomes[out].status,
	    "Host or domain name not found. Name service error for "
	    "name=%.*s type=%s: %s", DNS_NAME_SHOWN, name, type,
	    outcomes[out].text);
}

/* load_ldns - libldns, at the first lookup that needs it (dl.c) */
static int
load_ldns(struct dns *d, struct relay_result *why)
{
	if (dl_load(DL_LDNS, why) != 0) {
		set_error(d, "%s", why->text);
		return -1;
	}
	return 0;
}

/* dns_new - store the settings; nothing slow happens here */
struct dns *
dns_new(const struct config *cfg)
{
	struct dns *d;

	if ((d = calloc(1, sizeof(*d))) == NULL)
		return NULL;
	snprintf(d->servers, sizeof(d->servers), "%s", cfg->dns_servers);
	snprintf(d->resolv_conf, sizeof(d->resolv_conf), "%s",
	    DNS_RESOLV_CONF);
	d->timeout_ms = cfg->dns_timeout_ms > 0 ? cfg->dns_timeout_ms :
	    DNS_DEFAULT_TIMEOUT_MS;
	d->retries = cfg->dns_retries < 0 ? 0 : cfg->dns_retries > 254 ?
	    254 : cfg->dns_retries;
	d->use_dns = cfg->host_lookup_dns || !cfg->host_lookup_native;
	d->use_native = cfg->host_lookup_native;
	d->pref = cfg->address_preference;
	d->neg_ttl = DNS_TTL_NONE;
	parse_trust(d, cfg->dnssec_trust_resolver);
	snprintf(d->probe, sizeof(d->probe), "%s", cfg->dnssec_probe);
	return d;
}

/* parse_trust - dnssec_trust_resolver: "loopback" and addresses */
static void
parse_trust(struct dns *d, const char *s)
{
	char addr[INET6_ADDRSTRLEN + 1];
	size_t n;

	for (;;) {
		s += strspn(s, ", \t");
		if (*s == '\0')
			return;
		n = strcspn(s, ", \t");
		if (n == 8 && strncmp(s, "loopback", 8) == 0) {
			d->trust_loopback = true;
		} else if (n < sizeof(addr) && d->ntrust < DNS_SERVERS_MAX) {
			memcpy(addr, s, n);
			addr[n] = '\0';
			/* config.c checked it; anything else trusts nobody. */
			if (inet_pton(AF_INET, addr,
			    d->trust[d->ntrust].b) == 1)
				d->trust[d->ntrust++].af = AF_INET;
			else if (inet_pton(AF_INET6, addr,
			    d->trust[d->ntrust].b) == 1)
				d->trust[d->ntrust++].af = AF_INET6;
		}
		s += n;
	}
}

/* dns_set_dnssec - ask for DNSSEC (the DO bit) from now on, or not */
void
dns_set_dnssec(struct dns *d, bool want)
{
	d->want_dnssec = want;
}

/* dns_dnssec - whether queries ask for DNSSEC */
bool
dns_dnssec(const struct dns *d)
{
	return d->want_dnssec;
}

/* dns_last_secure - every reply of the last lookup was validated */
bool
dns_last_secure(const struct dns *d)
{
	return d->want_dnssec && d->nsecure > 0 && d->ninsecure == 0;
}

/* is_trusted - did a server whose AD bit we believe send ans? */
static bool
is_trusted(const struct dns *d, const ldns_pkt *ans)
{
	ldns_rdf *from = ldns_pkt_answerfrom(ans);
	const unsigned char *b;
	size_t i, len;
	int af;

	if (from == NULL)
		return false;
	b = ldns_rdf_data(from);
	len = ldns_rdf_size(from);
	if (ldns_rdf_get_type(from) == LDNS_RDF_TYPE_A && len == 4)
		af = AF_INET;
	else if (ldns_rdf_get_type(from) == LDNS_RDF_TYPE_AAAA && len == 16)
		af = AF_INET6;
	else
		return false;
	if (d->trust_loopback) {
		static const unsigned char v6lo[16] = { [15] = 1 };

		if ((af == AF_INET && b[0] == 127) ||
		    (af == AF_INET6 && memcmp(b, v6lo, 16) == 0))
			return true;
	}
	for (i = 0; i < d->ntrust; i++)
		if (d->trust[i].af == af && memcmp(d->trust[i].b, b, len) == 0)
			return true;
	return false;
}

/* start_lookup - forget what the last lookup found */
static void
start_lookup(struct dns *d)
{
	d->error[0] = '\0';
	d->neg_ttl = DNS_TTL_NONE;
	d->nsecure = d->ninsecure = 0;
	d->reply_untrusted_ad = false;
	d->target[0] = '\0';
}

/* dns_last_target - the end of the last host lookup's CNAME chain */
const char *
dns_last_target(const struct dns *d)
{
	return d->target;
}

/* dns_free - the resolver and the handle */
void
dns_free(struct dns *d)
{
	if (d == NULL)
		return;
	if (d->res != NULL)
		ldns_resolver_deep_free(d->res);
	free(d);
}

/* dns_queries - DNS queries sent since dns_new() */
unsigned
dns_queries(const struct dns *d)
{
	return d->queries;
}

/* dns_last_error - the last trouble of the last lookup, or "" */
const char *
dns_last_error(const struct dns *d)
{
	return d->error;
}

/* dns_last_negative_ttl - RFC 2308 lifetime of the last negatives */
uint32_t
dns_last_negative_ttl(const struct dns *d)
{
	return d->neg_ttl;
}

/* dns_address_preference - the address_preference of d */
enum config_addr_pref
dns_address_preference(const struct dns *d)
{
	return d->pref;
}

/* dns_outcome_name - "NXDOMAIN" and so on */
const char *
dns_outcome_name(enum dns_outcome out)
{
	if ((unsigned)out >= sizeof(outcomes) / sizeof(outcomes[0]))
		return "?";
	return outcomes[out].name;
}

/* dns_set_resolv_conf - read name servers from another file */
int
dns_set_resolv_conf(struct dns *d, const char *path)
{
	if (strlen(path) >= sizeof(d->resolv_conf))
		return -1;
	snprintf(d->resolv_conf, sizeof(d->resolv_conf), "%s", path);
	return 0;
}

/* parse_port - "1".."65535" into *port */
static bool
parse_port(const char *s, size_t len, uint16_t *port)
{
	unsigned long n = 0;
	size_t i;

	if (len == 0 || len > 5)
		return false;
	for (i = 0; i < len; i++) {
		if (s[i] < '0' || s[i] > '9')
			return false;
		n = n * 10 + (unsigned long)(s[i] - '0');
	}
	if (n < 1 || n > 65535)
		return false;
	*port = (uint16_t)n;
	return true;
}

/* parse_server - one dns_servers item into res; NULL or the reason */
static const char *
parse_server(const char *item, size_t len, ldns_resolver *res,
    uint16_t *port)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *end = item + len, *colon, *close;
	unsigned char raw[sizeof(struct in6_addr)];
	ldns_rdf *rdf;
	ldns_status st;
	int af;

	*port = DNS_DEFAULT_PORT;
	if (item[0] == '[') {
		if ((close = memchr(item, ']', len)) == NULL)
			return "missing \"]\"";
		if (close + 1 < end && (close[1] != ':' ||
		    !parse_port(close + 2, (size_t)(end - close - 2), port)))
			return "bad port";
		item++;
		len = (size_t)(close - item);
	} else if ((colon = memchr(item, ':', len)) != NULL &&
	    memchr(colon + 1, ':', (size_t)(end - colon - 1)) == NULL) {
		/* One colon: "addr:port". More: a bare IPv6 address. */
		if (!parse_port(colon + 1, (size_t)(end - colon - 1), port))
			return "bad port";
		len = (size_t)(colon - item);
	}
	if (len == 0 || len >= sizeof(addr))
		return "bad address";
	memcpy(addr, item, len);
	addr[len] = '\0';
	if (inet_pton(AF_INET, addr, raw) == 1)
		af = AF_INET;
	else if (inet_pton(AF_INET6, addr, raw) == 1)
		af = AF_INET6;
	else
		return "name servers must be IP addresses";
	rdf = ldns_rdf_new_frm_data(af == AF_INET ? LDNS_RDF_TYPE_A :
	    LDNS_RDF_TYPE_AAAA, af == AF_INET ? 4 : 16, raw);
	if (rdf == NULL)
		return "out of memory";
	st = ldns_resolver_push_nameserver(res, rdf);
	ldns_rdf_deep_free(rdf);
	return st == LDNS_STATUS_OK ? NULL : "out of memory";
}

/* parse_servers - all of dns_servers into res; -1 and *reason */
static int
parse_servers(const char *list, ldns_resolver *res, uint16_t *port,
    const char **reason)
{
	const char *p = list;
	uint16_t item_port;
	size_t len, n = 0;

	while (*(p += strspn(p, ", \t")) != '\0') {
		len = strcspn(p, ", \t");
		if (++n > DNS_SERVERS_MAX) {
			*reason = "too many name servers";
			return -1;
		}
		if ((*reason = parse_server(p, len, res, &item_port)) != NULL)
			return -1;
		if (n > 1 && item_port != *port) {
			*reason = "all name servers must use the same port";
			return -1;
		}
		*port = item_port;
		p += len;
	}
	if (n == 0) {
		*reason = "no name server";
		return -1;
	}
	return 0;
}

/* build_resolver - the ldns resolver, from dns_servers or resolv.conf */
static int
build_resolver(struct dns *d, struct relay_result *why)
{
	ldns_resolver *res = NULL;
	const char *reason;
	struct timeval tv;
	uint16_t port = DNS_DEFAULT_PORT;
	ldns_status st;
	ldns_rdf *local;
	FILE *fp;

	if (d->servers[0] != '\0') {
		if ((res = ldns_resolver_new()) == NULL)
			return relay_result_set(why, "4.3.0",
			    "out of memory");
		if (parse_servers(d->servers, res, &port, &reason) != 0) {
			ldns_resolver_deep_free(res);
			return relay_result_set(why, "4.3.5",
			    "bad dns_servers setting \"%s\": %s", d->servers,
			    reason);
		}
	} else if ((fp = fopen(d->resolv_conf, "re")) != NULL) {
		st = ldns_resolver_new_frm_fp(&res, fp);
		fclose(fp);
		if (st != LDNS_STATUS_OK)
			return relay_result_set(why, "4.3.5",
			    "cannot use name servers of %s: %s",
			    d->resolv_conf, ldns_get_errorstr_by_id(st));
	} else if (errno == ENOENT) {
		if ((res = ldns_resolver_new()) == NULL)
			return relay_result_set(why, "4.3.0",
			    "out of memory");
	} else {
		return relay_result_set(why, "4.3.5", "cannot read %s: %s",
		    d->resolv_conf, strerror(errno));
	}
	if (ldns_resolver_nameserver_count(res) == 0) {
		/* resolv.conf(5): no nameserver means the local one. */
		local = ldns_rdf_new_frm_str(LDNS_RDF_TYPE_A, "127.0.0.1");
		if (local == NULL || ldns_resolver_push_nameserver(res,
		    local) != LDNS_STATUS_OK) {
			ldns_rdf_deep_free(local);
			ldns_resolver_deep_free(res);
			return relay_result_set(why, "4.3.0",
			    "out of memory");
		}
		ldns_rdf_deep_free(local);
	}

	ldns_resolver_set_port(res, port);
	tv.tv_sec = d->timeout_ms / 1000;
	tv.tv_usec = (d->timeout_ms % 1000) * 1000;
	ldns_resolver_set_timeout(res, tv);
	/* ldns' "retry" is the number of tries per server. */
	ldns_resolver_set_retry(res, (uint8_t)(d->retries + 1));
	ldns_resolver_set_retrans(res, 0);
	ldns_resolver_set_recursive(res, true);
	ldns_resolver_set_dnsrch(res, false);
	ldns_resolver_set_defnames(res, false);
	ldns_resolver_set_random(res, false);
	ldns_resolver_set_fail(res, false);
	ldns_resolver_set_dnssec(res, false);
	ldns_resolver_set_edns_udp_size(res, 0);
	ldns_resolver_set_fallback(res, true);
	ldns_resolver_set_igntc(res, false);
	ldns_resolver_set_usevc(res, false);
	d->res = res;
	return 0;
}

/* reset_servers - every server may be asked again */
static void
reset_servers(ldns_resolver *res)
{
	size_t i;

	for (i = 0; i < ldns_resolver_nameserver_count(res); i++)
		ldns_resolver_set_nameserver_rtt(res, i, LDNS_RESOLV_RTT_MIN);
}

/* servers_left - has some server not yet failed to answer? */
static bool
servers_left(ldns_resolver *res)
{
	size_t i;

	for (i = 0; i < ldns_resolver_nameserver_count(res); i++)
		if (ldns_resolver_nameserver_rtt(res, i) !=
		    LDNS_RESOLV_RTT_INF)
			return true;
	return false;
}

/* describe_servers - "127.0.0.1:53, [::1]:53" for messages */
static void
describe_servers(ldns_resolver *res, char *buf, size_t len)
{
	ldns_rdf **ns = ldns_resolver_nameservers(res);
	size_t i, used = 0;
	char *text;
	int n;

	buf[0] = '\0';
	for (i = 0; i < ldns_resolver_nameserver_count(res); i++) {
		if ((text = ldns_rdf2str(ns[i])) == NULL)
			continue;
		n = snprintf(buf + used, len - used, "%s%s%s%s:%u",
		    i > 0 ? ", " : "",
		    ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_AAAA ? "[" : "",
		    text,
		    ldns_rdf_get_type(ns[i]) == LDNS_RDF_TYPE_AAAA ? "]" : "",
		    (unsigned)ldns_resolver_port(res));
		free(text);
		if (n < 0 || (size_t)n >= len - used)
			break;
		used += (size_t)n;
	}
}

/* describe_from - the server that sent a reply, for messages */
static void
describe_from(const ldns_pkt *ans, uint16_t port, char *buf, size_t len)
{
	ldns_rdf *from = ldns_pkt_answerfrom(ans);
	char *text = from != NULL ? ldns_rdf2str(from) : NULL;

	if (text == NULL)
		snprintf(buf, len, "the name server");
	else if (ldns_rdf_get_type(from) == LDNS_RDF_TYPE_AAAA)
		snprintf(buf, len, "[%s]:%u", text, (unsigned)port);
	else
		snprintf(buf, len, "%s:%u", text, (unsigned)port);
	free(text);
}

/* rr_ttl - a record's TTL; RFC 2181 section 8: above 2^31-1 is 0 */
static uint32_t
rr_ttl(const ldns_rr *rr)
{
	uint32_t ttl = ldns_rr_ttl(rr);

	return ttl > 0x7fffffffU ? 0 : ttl;
}

/* rr_is - rr is a class IN record of type owned by owner */
static bool
rr_is(const ldns_rr *rr, const ldns_rdf *owner, ldns_rr_type type)
{
	return rr != NULL && ldns_rr_get_type(rr) == type &&
	    ldns_rr_get_class(rr) == LDNS_RR_CLASS_IN &&
	    ldns_rr_owner(rr) != NULL &&
	    ldns_dname_compare(ldns_rr_owner(rr), owner) == 0;
}

/* find_rr - the first class IN record of type in list owned by owner */
static const ldns_rr *
find_rr(const ldns_rr_list *list, const ldns_rdf *owner, ldns_rr_type type)
{
	const ldns_rr *rr;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(list); i++) {
		rr = ldns_rr_list_rr(list, i);
		if (rr_is(rr, owner, type))
			return rr;
	}
	return NULL;
}

/*
 * dns_addr_text - an address as numbers, and its port. inet_ntop(3)
 * does the common cases, so that no resolver code is touched.
 */
int
dns_addr_text(const struct sockaddr *sa, socklen_t salen, char *host,
    size_t hostlen, unsigned *port)
{
	const struct sockaddr_in *sin = (const struct sockaddr_in *)sa;
	const struct sockaddr_in6 *sin6 = (const struct sockaddr_in6 *)sa;
	char serv[NI_MAXSERV];
	unsigned p;
	int err;

	if (sa->sa_family == AF_UNIX) {
		/* An LMTP socket: its path, port 0. */
		const struct sockaddr_un *sun = (const struct sockaddr_un *)sa;
		size_t off = offsetof(struct sockaddr_un, sun_path);
		size_t n = salen > off ? strnlen(sun->sun_path,
		    salen - off) : 0;

		if (n == 0 || n >= hostlen)
			return EAI_FAMILY;
		memcpy(host, sun->sun_path, n);
		host[n] = '\0';
		p = 0;
	} else if (sa->sa_family == AF_INET && salen >= sizeof(*sin) &&
	    inet_ntop(AF_INET, &sin->sin_addr, host, hostlen) != NULL)
		p = ntohs(sin->sin_port);
	else if (sa->sa_family == AF_INET6 && salen >= sizeof(*sin6) &&
	    sin6->sin6_scope_id == 0 &&
	    inet_ntop(AF_INET6, &sin6->sin6_addr, host, hostlen) != NULL)
		p = ntohs(sin6->sin6_port);
	else {
		/* A scoped IPv6 address names its interface: libc's job. */
		if ((err = getnameinfo(sa, salen, host, hostlen, serv,
		    sizeof(serv), NI_NUMERICHOST | NI_NUMERICSERV)) != 0)
			return err;
		p = (unsigned)strtoul(serv, NULL, 10);
	}
	if (port != NULL)
		*port = p;
	return 0;
}

/* add_addr - append a socket address unless present or full */
static bool
add_addr(struct dns_addr_list *list, const struct sockaddr *sa,
    socklen_t salen, uint32_t ttl)
{
	struct dns_addr *a;
	size_t i;

	if (list->n >= DNS_ADDRS_MAX || salen > sizeof(a->sa))
		return false;
	a = &list->a[list->n];
	memset(a, 0, sizeof(*a));
	if (dns_addr_text(sa, salen, a->text, sizeof(a->text), NULL) != 0)
		return false;
	for (i = 0; i < list->n; i++) {
		if (strcmp(list->a[i].text, a->text) == 0) {
			/* Seen: keep the smaller TTL. */
			if (ttl < list->a[i].ttl)
				list->a[i].ttl = ttl;
			return false;
		}
	}
	memcpy(&a->sa, sa, salen);
	a->salen = salen;
	a->ttl = ttl;
	list->n++;
	return true;
}

/* add_raw - append a 4- or 16-byte address with the port */
static bool
add_raw(struct dns_addr_list *list, int af, const void *raw, unsigned port,
    uint32_t ttl)
{
	struct sockaddr_in sin;
	struct sockaddr_in6 sin6;

	if (af == AF_INET) {
		memset(&sin, 0, sizeof(sin));
		sin.sin_family = AF_INET;
		sin.sin_port = htons((uint16_t)port);
		memcpy(&sin.sin_addr, raw, 4);
		return add_addr(list, (struct sockaddr *)&sin, sizeof(sin),
		    ttl);
	}
	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	sin6.sin6_port = htons((uint16_t)port);
	memcpy(&sin6.sin6_addr, raw, 16);
	return add_addr(list, (struct sockaddr *)&sin6, sizeof(sin6), ttl);
}

/* check_reply - is ans the reply to q, and what does its code say? */
static enum dns_outcome
check_reply(struct dns *d, const char *name, ldns_rr_type type,
    const ldns_pkt *q, const ldns_pkt *ans, const ldns_rdf *qname)
{
	const ldns_lookup_table *rcode;
	const ldns_rr *qrr;
	char from[INET6_ADDRSTRLEN + 16];
	const char *t = rr_type_name(type);

	describe_from(ans, d->res != NULL ? ldns_resolver_port(d->res) :
	    DNS_DEFAULT_PORT, from, sizeof(from));
	if (!ldns_pkt_qr(ans) || ldns_pkt_id(ans) != ldns_pkt_id(q) ||
	    ldns_pkt_get_opcode(ans) != LDNS_PACKET_QUERY) {
		set_error(d, "%.*s/%s: reply from %s does not match the "
		    "query (ID, QR or opcode)", DNS_NAME_SHOWN, name, t, from);
		return DNS_OUT_BADREPLY;
	}
	switch (ldns_pkt_get_rcode(ans)) {
	case LDNS_RCODE_NOERROR:
	case LDNS_RCODE_NXDOMAIN:
		break;
	case LDNS_RCODE_SERVFAIL:
		set_error(d, "%.*s/%s: SERVFAIL from %s", DNS_NAME_SHOWN,
		    name, t, from);
		return DNS_OUT_TRYAGAIN;
	case LDNS_RCODE_REFUSED:
		set_error(d, "%.*s/%s: REFUSED by %s", DNS_NAME_SHOWN, name, t,
		    from);
		return DNS_OUT_TRYAGAIN;
	default:
		rcode = ldns_lookup_by_id(ldns_rcodes,
		    (int)ldns_pkt_get_rcode(ans));
		set_error(d, "%.*s/%s: %s from %s", DNS_NAME_SHOWN, name, t,
		    rcode != NULL ? rcode->name : "unknown rcode", from);
		return DNS_OUT_BADREPLY;
	}
	qrr = ldns_rr_list_rr(ldns_pkt_question(ans), 0);
	if (ldns_pkt_qdcount(ans) != 1 || qrr == NULL ||
	    ldns_rr_owner(qrr) == NULL ||
	    ldns_dname_compare(ldns_rr_owner(qrr), qname) != 0 ||
	    ldns_rr_get_type(qrr) != type ||
	    ldns_rr_get_class(qrr) != LDNS_RR_CLASS_IN) {
		set_error(d, "%.*s/%s: reply from %s is for another question",
		    DNS_NAME_SHOWN, name, t, from);
		return DNS_OUT_BADREPLY;
	}
	if (ldns_pkt_tc(ans)) {
		set_error(d, "%.*s/%s: truncated reply from %s",
		    DNS_NAME_SHOWN, name, t, from);
		return DNS_OUT_BADREPLY;
	}
	if (ldns_pkt_get_rcode(ans) == LDNS_RCODE_NXDOMAIN) {
		set_error(d, "%.*s/%s: NXDOMAIN from %s", DNS_NAME_SHOWN, name,
		    t, from);
		return DNS_OUT_NXDOMAIN;
	}
	return DNS_OUT_OK;
}

/* follow_cname - walk the answer's CNAME chain from qname to *cur */
static enum dns_outcome
follow_cname(struct dns *d, const char *name, ldns_rr_type type,
    const ldns_rr_list *rrs, const ldns_rdf *qname, const ldns_rdf **cur,
    uint32_t *chain_ttl)
{
	const ldns_rdf *rdf;
	const ldns_rr *rr;
	int hops;

	*cur = qname;
	*chain_ttl = UINT32_MAX;
	for (hops = 0; (rr = find_rr(rrs, *cur, LDNS_RR_TYPE_CNAME)) != NULL;
	    hops++) {
		if (hops == DNS_CNAME_MAX) {
			set_error(d, "%.*s/%s: CNAME chain longer than %d",
			    DNS_NAME_SHOWN, name, rr_type_name(type),
			    DNS_CNAME_MAX);
			return DNS_OUT_BADREPLY;
		}
		rdf = ldns_rr_rdf(rr, 0);
		if (ldns_rr_rd_count(rr) != 1 || rdf == NULL ||
		    ldns_rdf_get_type(rdf) != LDNS_RDF_TYPE_DNAME) {
			set_error(d, "%.*s/%s: malformed CNAME record",
			    DNS_NAME_SHOWN, name, rr_type_name(type));
			return DNS_OUT_BADREPLY;
		}
		if (rr_ttl(rr) < *chain_ttl)
			*chain_ttl = rr_ttl(rr);
		*cur = rdf;
	}
	return DNS_OUT_OK;
}

/* negative_ttl - RFC 2308 section 5: how long a negative reply may be
 * cached, the smaller of the SOA record's TTL and its MINIMUM field;
 * 0 without a usable SOA record for qname or the end of its chain */
static uint32_t
negative_ttl(const ldns_pkt *ans, const ldns_rdf *qname, const ldns_rdf *cur)
{
	const ldns_rr_list *auth = ldns_pkt_authority(ans);
	const ldns_rdf *owner, *min;
	const ldns_rr *rr;
	uint32_t ttl, minimum;
	size_t i;

	for (i = 0; i < ldns_rr_list_rr_count(auth); i++) {
		rr = ldns_rr_list_rr(auth, i);
		if (rr == NULL || ldns_rr_get_type(rr) != LDNS_RR_TYPE_SOA ||
		    ldns_rr_get_class(rr) != LDNS_RR_CLASS_IN ||
		    ldns_rr_rd_count(rr) != 7 ||
		    (owner = ldns_rr_owner(rr)) == NULL)
			continue;
		/* The SOA of the zone of the name, not of anything else. */
		if (ldns_dname_compare(owner, qname) != 0 &&
		    !ldns_dname_is_subdomain(qname, owner) &&
		    ldns_dname_compare(owner, cur) != 0 &&
		    !ldns_dname_is_subdomain(cur, owner))
			continue;
		min = ldns_rr_rdf(rr, 6);
		if (min == NULL || ldns_rdf_size(min) != 4)
			continue;
		/* As for any TTL, above 2^31-1 means 0 (RFC 2181). */
		minimum = ldns_rdf2native_int32(min);
		if (minimum > 0x7fffffffU)
			minimum = 0;
		ttl = rr_ttl(rr);
		return ttl < minimum ? ttl : minimum;
	}
	return 0;
}

/* note_negative - remember a negative reply's cache lifetime */
static void
note_negative(struct dns *d, uint32_t ttl)
{
	if (ttl < d->neg_ttl)
		d->neg_ttl = ttl;
}

/* extract - follow the CNAME chain and collect the addresses */
static enum dns_outcome
extract(struct dns *d, const char *name, int af, const ldns_pkt *ans,
    const ldns_rdf *qname, unsigned port, struct dns_addr_list *list)
{
	const ldns_rr_list *rrs = ldns_pkt_answer(ans);
	const ldns_rdf *cur, *rdf;
	ldns_rr_type type = af == AF_INET6 ? LDNS_RR_TYPE_AAAA :
	    LDNS_RR_TYPE_A;
	size_t want = af == AF_INET6 ? 16 : 4, i, found = 0;
	uint32_t chain_ttl, ttl;
	enum dns_outcome out;
	const ldns_rr *rr;

	if ((out = follow_cname(d, name, type, rrs, qname, &cur,
	    &chain_ttl)) != DNS_OUT_OK)
		return out;
	/* The first family's chain names the target; "" if not a name. */
	if (d->target[0] == '\0' && ldns_dname_compare(cur, qname) != 0 &&
	    !mx_host_text(cur, d->target, sizeof(d->target)))
		d->target[0] = '\0';
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		rr = ldns_rr_list_rr(rrs, i);
		if (!rr_is(rr, cur, type))
			continue;
		rdf = ldns_rr_rdf(rr, 0);
		if (ldns_rr_rd_count(rr) != 1 || rdf == NULL ||
		    ldns_rdf_size(rdf) != want ||
		    ldns_rdf_get_type(rdf) != (af == AF_INET6 ?
		    LDNS_RDF_TYPE_AAAA : LDNS_RDF_TYPE_A)) {
			set_error(d, "%.*s/%s: malformed %s record",
			    DNS_NAME_SHOWN, name, type_name(af),
			    type_name(af));
			return DNS_OUT_BADREPLY;
		}
		ttl = rr_ttl(rr) < chain_ttl ? rr_ttl(rr) : chain_ttl;
		add_raw(list, af, ldns_rdf_data(rdf), port, ttl);
		found++;
	}
	if (found == 0) {
		set_error(d, "%.*s/%s: no %s record (NODATA)", DNS_NAME_SHOWN,
		    name, type_name(af), type_name(af));
		note_negative(d, negative_ttl(ans, qname, cur));
		return DNS_OUT_NODATA;
	}
	return DNS_OUT_OK;
}

/* send_query - ask for the type records of qname; the checked reply
 * goes to *ansp (the caller frees it) for OK and NXDOMAIN */
static enum dns_outcome
send_query(struct dns *d, const char *name, const ldns_rdf *qname,
    ldns_rr_type type, ldns_pkt **ansp)
{
	char servers[DNS_ERROR_MAX];
	const char *t = rr_type_name(type);
	enum dns_outcome out;
	ldns_pkt *q = NULL, *ans = NULL;
	ldns_rdf *qcopy = NULL;
	ldns_status st;

	*ansp = NULL;
	if (!servers_left(d->res)) {
		describe_servers(d->res, servers, sizeof(servers));
		/* All timed out on an earlier query: do not wait again. */
		set_error(d, "%.*s/%s: no reply from %s", DNS_NAME_SHOWN,
		    name, t, servers);
		return DNS_OUT_TRYAGAIN;
	}
	/*
	 * Not ldns_resolver_prepare_query_pkt(): it takes the query ID from
	 * OpenSSL's RAND_bytes(), whose first use seeds a DRBG and costs
	 * milliseconds of CPU in every run. arc4random() (getrandom(2))
	 * gives an unpredictable ID as well.
	 */
	if ((qcopy = ldns_rdf_clone(qname)) == NULL ||
	    (q = ldns_pkt_query_new(qcopy, type, LDNS_RR_CLASS_IN,
	    LDNS_RD)) == NULL) {
		if (q == NULL)
			ldns_rdf_deep_free(qcopy);
		set_error(d, "%.*s/%s: cannot make a query", DNS_NAME_SHOWN,
		    name, t);
		return DNS_OUT_TRYAGAIN;
	}
	ldns_pkt_set_id(q, (uint16_t)arc4random());
	if (d->want_dnssec) {
		/* The DO bit: a validating resolver sets AD only then. */
		ldns_pkt_set_edns_udp_size(q, DNS_EDNS_SIZE);
		ldns_pkt_set_edns_do(q, true);
	}
	d->queries++;
	st = ldns_resolver_send_pkt(&ans, d->res, q);
	if (st != LDNS_STATUS_OK || ans == NULL) {
		describe_servers(d->res, servers, sizeof(servers));
		switch (st) {
		case LDNS_STATUS_OK:
		case LDNS_STATUS_ERR:
		case LDNS_STATUS_NETWORK_ERR:
		case LDNS_STATUS_RES_NO_NS:
		case LDNS_STATUS_SOCKET_ERROR:
		case LDNS_STATUS_ADDRESS_ERR:
		case LDNS_STATUS_MEM_ERR:
			set_error(d, "%.*s/%s: no reply from %s (%s)",
			    DNS_NAME_SHOWN, name, t, servers,
			    ldns_get_errorstr_by_id(st));
			out = DNS_OUT_TRYAGAIN;
			break;
		default:
			/* The reply did not parse. */
			set_error(d, "%.*s/%s: malformed reply from %s (%s)",
			    DNS_NAME_SHOWN, name, t, servers,
			    ldns_get_errorstr_by_id(st));
			out = DNS_OUT_BADREPLY;
			break;
		}
		goto out;
	}
	out = check_reply(d, name, type, q, ans, qname);
	if (out == DNS_OUT_OK || out == DNS_OUT_NXDOMAIN) {
		/*
		 * RFC 4035 3.2.3: AD means the resolver validated the
		 * answer. It counts only from a server we trust, which
		 * must validate and be reached over a safe path.
		 */
		d->reply_secure = d->want_dnssec && ldns_pkt_ad(ans) &&
		    is_trusted(d, ans);
		if (d->want_dnssec && ldns_pkt_ad(ans) && !d->reply_secure)
			d->reply_untrusted_ad = true;
		if (d->reply_secure)
			d->nsecure++;
		else
			d->ninsecure++;
		*ansp = ans;
		ans = NULL;
	}
out:
	ldns_pkt_free(q);
	ldns_pkt_free(ans);
	return out;
}

/* query_family - ask for the A or AAAA records of qname */
static enum dns_outcome
query_family(struct dns *d, const char *name, const ldns_rdf *qname, int af,
    unsigned port, struct dns_addr_list *list)
{
	ldns_rr_type type = af == AF_INET6 ? LDNS_RR_TYPE_AAAA :
	    LDNS_RR_TYPE_A;
	enum dns_outcome out;
	ldns_pkt *ans;

	out = send_query(d, name, qname, type, &ans);
	out = read_answer(d, name, type, out, ans, qname, port, list, NULL);
	ldns_pkt_free(ans);
	return out;
}

/*
 * read_answer - the records of a checked reply (out is check_reply()'s
 * verdict): A or AAAA added to list, MX to set, or the cache lifetime
 * of a negative answer. Nothing is added unless the outcome is OK.
 */
static enum dns_outcome
read_answer(struct dns *d, const char *name, ldns_rr_type type,
    enum dns_outcome out, const ldns_pkt *ans, const ldns_rdf *qname,
    unsigned port, struct dns_addr_list *list, struct dns_mxrrs *set)
{
	size_t had = type == LDNS_RR_TYPE_MX ? set->nrr : list->n;

	if (out == DNS_OUT_OK)
		out = type == LDNS_RR_TYPE_MX ?
		    extract_mx(d, name, ans, qname, set) :
		    extract(d, name, type == LDNS_RR_TYPE_AAAA ? AF_INET6 :
		    AF_INET, ans, qname, port, list);
	else if (out == DNS_OUT_NXDOMAIN && type == LDNS_RR_TYPE_MX) {
		set->ttl = negative_ttl(ans, qname, qname);
		note_negative(d, set->ttl);
	} else if (out == DNS_OUT_NXDOMAIN)
		note_negative(d, negative_ttl(ans, qname, qname));
	/* A malformed record spoils the reply: none of its records count. */
	if (out != DNS_OUT_OK && type == LDNS_RR_TYPE_MX)
		set->nrr = had;
	else if (out != DNS_OUT_OK)
		list->n = had;
	return out;
}

/*
 * dns_reply - what the reply ans to the query q says, as every lookup
 * reads it: check_reply(), then read_answer()
 */
enum dns_outcome
dns_reply(struct dns *d, const char *name, const ldns_pkt *q,
    const ldns_pkt *ans, unsigned port, struct dns_addr_list *list,
    struct dns_mxrrs *set)
{
	const ldns_rr *qrr = ldns_rr_list_rr(ldns_pkt_question(q), 0);
	const ldns_rdf *qname = qrr != NULL ? ldns_rr_owner(qrr) : NULL;
	ldns_rr_type type = qrr != NULL ? ldns_rr_get_type(qrr) : 0;

	if (qname == NULL || (type == LDNS_RR_TYPE_MX ? set == NULL :
	    list == NULL || (type != LDNS_RR_TYPE_A &&
	    type != LDNS_RR_TYPE_AAAA))) {
		set_error(d, "%.*s: dns_reply: bad arguments", DNS_NAME_SHOWN,
		    name);
		return DNS_OUT_TRYAGAIN;
	}
	return read_answer(d, name, type, check_reply(d, name, type, q, ans,
	    qname), ans, qname, port, list, set);
}

/* mx_host_text - an MX exchange as a lower-case host name without the
 * final dot, "." for the root; false when it is no valid host name */
static bool
mx_host_text(const ldns_rdf *dname, char *buf, size_t len)
{
	const uint8_t *p = ldns_rdf_data(dname);
	size_t size = ldns_rdf_size(dname), pos = 0, used = 0, n, i;

	if (size == 1 && p[0] == 0) {
		snprintf(buf, len, ".");
		return true;
	}
	/* Labels as sent: no escapes to undo, every byte checked. */
	while (pos < size && p[pos] != 0) {
		n = p[pos++];
		if (n > size - pos || used + n + 2 > len)
			return false;
		if (used > 0)
			buf[used++] = '.';
		for (i = 0; i < n; i++) {
			if (p[pos + i] < 0x21 || p[pos + i] > 0x7e)
				return false;
			buf[used++] = (char)tolower(p[pos + i]);
		}
		pos += n;
	}
	buf[used] = '\0';
	return used > 0 && used <= DNS_NAME_MAX &&
	    nexthop_valid_hostname(buf);
}

/* add_mx - one MX record into set: a host named twice keeps its best
 * preference; when full, a better record replaces the worst */
static void
add_mx(struct dns *d, const char *name, struct dns_mxrrs *set, unsigned pref,
    uint32_t ttl, const char *host)
{
	struct dns_mxrr *rr;
	size_t i, worst = 0;

	for (i = 0; i < set->nrr; i++) {
		if (strcmp(set->rr[i].host, host) == 0) {
			if (pref < set->rr[i].pref)
				set->rr[i].pref = pref;
			if (ttl < set->rr[i].ttl)
				set->rr[i].ttl = ttl;
			return;
		}
		if (set->rr[i].pref >= set->rr[worst].pref)
			worst = i;
	}
	if (set->nrr < DNS_MXRR_MAX) {
		rr = &set->rr[set->nrr++];
	} else {
		set_error(d, "%.*s/MX: more than %d records, the least "
		    "preferred are left out", DNS_NAME_SHOWN, name,
		    DNS_MXRR_MAX);
		if (pref >= set->rr[worst].pref)
			return;
		rr = &set->rr[worst];
	}
	rr->pref = pref;
	rr->ttl = ttl;
	snprintf(rr->host, sizeof(rr->host), "%s", host);
}

/* extract_mx - follow the CNAME chain and collect the MX records */
static enum dns_outcome
extract_mx(struct dns *d, const char *name, const ldns_pkt *ans,
    const ldns_rdf *qname, struct dns_mxrrs *set)
{
	const ldns_rr_list *rrs = ldns_pkt_answer(ans);
	const ldns_rdf *cur, *pref, *exchange;
	char host[DNS_NAME_MAX + 1];
	uint32_t chain_ttl, ttl;
	enum dns_outcome out;
	const ldns_rr *rr;
	size_t i;

	if ((out = follow_cname(d, name, LDNS_RR_TYPE_MX, rrs, qname, &cur,
	    &chain_ttl)) != DNS_OUT_OK)
		return out;
	set->ttl = chain_ttl;
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		rr = ldns_rr_list_rr(rrs, i);
		if (!rr_is(rr, cur, LDNS_RR_TYPE_MX))
			continue;
		pref = ldns_rr_rdf(rr, 0);
		exchange = ldns_rr_rdf(rr, 1);
		if (ldns_rr_rd_count(rr) != 2 || pref == NULL ||
		    ldns_rdf_size(pref) != 2 || exchange == NULL ||
		    ldns_rdf_get_type(exchange) != LDNS_RDF_TYPE_DNAME) {
			set_error(d, "%.*s/MX: malformed MX record",
			    DNS_NAME_SHOWN, name);
			return DNS_OUT_BADREPLY;
		}
		ttl = rr_ttl(rr) < chain_ttl ? rr_ttl(rr) : chain_ttl;
		if (ttl < set->ttl)
			set->ttl = ttl;
		if (!mx_host_text(exchange, host, sizeof(host))) {
			/* Postfix: skip it; never hand out a bad name. */
			set_error(d, "%.*s/MX: malformed host name in MX "
			    "record", DNS_NAME_SHOWN, name);
			set->nbad++;
			continue;
		}
		add_mx(d, name, set, ldns_rdf2native_int16(pref), ttl, host);
	}
	if (set->nrr > 0)
		return DNS_OUT_OK;
	if (set->nbad > 0)
		return DNS_OUT_BADNAME;
	set_error(d, "%.*s/MX: no MX record (NODATA)", DNS_NAME_SHOWN, name);
	set->ttl = negative_ttl(ans, qname, cur);
	note_negative(d, set->ttl);
	return DNS_OUT_NODATA;
}

/* dns_lookup_mx - the MX records of a domain */
int
dns_lookup_mx(struct dns *d, const char *domain, struct dns_mxrrs *set,
    struct relay_result *why)
{
	enum dns_outcome out;
	ldns_rdf *qname = NULL;
	ldns_pkt *ans = NULL;
	bool has_why = false;	/* why says it already */
	int ret = -1;

	if (set != NULL) {
		set->outcome = DNS_OUT_TRYAGAIN;
		set->nrr = set->nbad = 0;
		set->ttl = 0;
	}
	if (d == NULL || domain == NULL || set == NULL)
		return relay_result_set(why, "4.3.0",
		    "dns_lookup_mx: bad arguments");
	start_lookup(d);
	set->is_secure = false;
	if (load_ldns(d, why) != 0)
		return -1;
	if (!nexthop_valid_hostname(domain) ||
	    (qname = ldns_dname_new_frm_str(domain)) == NULL) {
		set_error(d, "%.*s: malformed domain name", DNS_NAME_SHOWN,
		    domain);
		out = DNS_OUT_BADNAME;
		goto out;
	}
	if (!d->use_dns) {
		/* getaddrinfo(3) knows no MX: the domain is the host. */
		set_error(d, "%.*s/MX: not asked (host_lookup = native)",
		    DNS_NAME_SHOWN, domain);
		note_negative(d, 0);
		out = DNS_OUT_NODATA;
		goto out;
	}
	if (d->res == NULL && build_resolver(d, why) != 0) {
		out = DNS_OUT_TRYAGAIN;
		has_why = true;
		goto out;
	}
	reset_servers(d->res);
	out = send_query(d, domain, qname, LDNS_RR_TYPE_MX, &ans);
	out = read_answer(d, domain, LDNS_RR_TYPE_MX, out, ans, qname, 0,
	    NULL, set);
out:
	set->outcome = out;
	if (out != DNS_OUT_OK && out != DNS_OUT_NXDOMAIN &&
	    out != DNS_OUT_NODATA && out != DNS_OUT_BADNAME)
		set->ttl = 0;
	if (out == DNS_OUT_BADNAME && set->nbad == 0)
		set->ttl = 0;
	if (out == DNS_OUT_OK)
		ret = 0;
	else
		set->nrr = 0;
	if (out != DNS_OUT_OK && !has_why)
		fail(out, domain, "MX", why);
	set->is_secure = (out == DNS_OUT_OK || out == DNS_OUT_NODATA) &&
	    dns_last_secure(d);
	probe_resolver(d);
	ldns_pkt_free(ans);
	ldns_rdf_deep_free(qname);
	return ret;
}

/* Native lookup errors that mean "no such host"; any other may pass,
 * so it defers (4.4.3) rather than bounces. */
static const struct {
	int	code;
	const char *status;
} native_errors[] = {
	{ EAI_NONAME, "5.4.4" },
#ifdef EAI_NODATA
	{ EAI_NODATA, "5.4.4" },
#endif
#ifdef EAI_ADDRFAMILY
	{ EAI_ADDRFAMILY, "5.4.4" },
#endif
};

/* lookup_native - getaddrinfo(3); -1 with why set on failure */
static int
lookup_native(struct dns *d, const char *name, unsigned port,
    struct dns_addr_list *v4, struct dns_addr_list *v6,
    struct relay_result *why)
{
	struct addrinfo hints, *res = NULL, *ai;
	const char *status = "4.4.3", *text;
	char service[8];
	size_t i;
	int err, saved_errno;

	memset(&hints, 0, sizeof(hints));
	hints.ai_family = d->pref == CONFIG_ADDR_IPV4_ONLY ? AF_INET :
	    d->pref == CONFIG_ADDR_IPV6_ONLY ? AF_INET6 : AF_UNSPEC;
	hints.ai_socktype = SOCK_STREAM;
	hints.ai_protocol = IPPROTO_TCP;
	hints.ai_flags = AI_NUMERICSERV;	/* and no AI_ADDRCONFIG */
	snprintf(service, sizeof(service), "%u", port);
	errno = 0;
	err = getaddrinfo(name, service, &hints, &res);
	saved_errno = errno;
	if (err == 0) {
		for (ai = res; ai != NULL; ai = ai->ai_next) {
			if (ai->ai_family == AF_INET)
				add_addr(v4, ai->ai_addr, ai->ai_addrlen, 0);
			else if (ai->ai_family == AF_INET6)
				add_addr(v6, ai->ai_addr, ai->ai_addrlen, 0);
		}
		freeaddrinfo(res);
		/* getaddrinfo(3) says nothing of DNSSEC. */
		d->ninsecure++;
		if (v4->n + v6->n > 0)
			return 0;
		err = EAI_NONAME;
	}
	for (i = 0; i < sizeof(native_errors) / sizeof(native_errors[0]); i++)
		if (native_errors[i].code == err)
			status = native_errors[i].status;
	text = err == EAI_SYSTEM ? strerror(saved_errno) : gai_strerror(err);
	set_error(d, "%.*s: getaddrinfo: %s", DNS_NAME_SHOWN, name, text);
	/* No TTL comes with it: such an answer is not cached. */
	note_negative(d, 0);
	return relay_result_set(why, status, "unable to look up host %.*s: %s",
	    DNS_NAME_SHOWN, name, text);
}

/* family_order - the address families to ask, in order; how many */
static int
family_order(enum config_addr_pref pref, int *order)
{
	switch (pref) {
	case CONFIG_ADDR_IPV6:
		order[0] = AF_INET6;
		order[1] = AF_INET;
		return 2;
	case CONFIG_ADDR_IPV4_ONLY:
		order[0] = order[1] = AF_INET;
		return 1;
	case CONFIG_ADDR_IPV6_ONLY:
		order[0] = order[1] = AF_INET6;
		return 1;
	default:
		/* any, ipv4: like Postfix's inet_protocols = all. */
		order[0] = AF_INET;
		order[1] = AF_INET6;
		return 2;
	}
}

/* merge - the two families in order of preference into out */
static size_t
merge(const int *order, int families, const struct dns_addr_list *v4,
    const struct dns_addr_list *v6, struct dns_addr *out, size_t max)
{
	const struct dns_addr_list *list;
	size_t n = 0, i;
	int f;

	if (max > DNS_ADDRS_MAX)
		max = DNS_ADDRS_MAX;
	for (f = 0; f < families; f++) {
		list = order[f] == AF_INET ? v4 : v6;
		for (i = 0; i < list->n && n < max; i++)
			out[n++] = list->a[i];
	}
	return n;
}

/* dns_lookup_host - the addresses of a host name or literal */
int
dns_lookup_host(struct dns *d, const char *name, unsigned port,
    struct dns_addr *out, size_t max, size_t *count,
    struct relay_result *why)
{
	struct dns_addr_list v4, v6;
	enum dns_outcome res[2] = { DNS_OUT_OK, DNS_OUT_OK }, worst;
	unsigned char raw[sizeof(struct in6_addr)];
	ldns_rdf *qname = NULL;
	int order[2], families, f, af, worst_af, ret = -1;

	*count = 0;
	if (d == NULL || name == NULL || out == NULL || max == 0)
		return relay_result_set(why, "4.3.0",
		    "dns_lookup_host: bad arguments");
	if (port < 1 || port > 65535)
		return relay_result_set(why, "4.3.5",
		    "bad port %u for host %.*s", port, DNS_NAME_SHOWN, name);
	start_lookup(d);
	v4.n = v6.n = 0;

	/* Literals: no query, but they must suit address_preference. */
	af = inet_pton(AF_INET, name, raw) == 1 ? AF_INET :
	    inet_pton(AF_INET6, name, raw) == 1 ? AF_INET6 : AF_UNSPEC;
	if (af != AF_UNSPEC) {
		if ((af == AF_INET && d->pref == CONFIG_ADDR_IPV6_ONLY) ||
		    (af == AF_INET6 && d->pref == CONFIG_ADDR_IPV4_ONLY))
			return relay_result_set(why, "4.3.5",
			    "address %s is IPv%d, but address_preference "
			    "excludes it", name, af == AF_INET ? 4 : 6);
		add_raw(&v4, af, raw, port, 0);
		out[0] = v4.a[0];
		*count = 1;
		return 0;
	}

	families = family_order(d->pref, order);
	if (!nexthop_valid_hostname(name)) {
		set_error(d, "%.*s: malformed domain name", DNS_NAME_SHOWN,
		    name);
		return fail(DNS_OUT_BADNAME, name, type_name(order[0]), why);
	}
	/* host_lookup = native alone needs no ldns at all. */
	if (d->use_dns) {
		if (load_ldns(d, why) != 0)
			return -1;
		if ((qname = ldns_dname_new_frm_str(name)) == NULL) {
			set_error(d, "%.*s: malformed domain name",
			    DNS_NAME_SHOWN, name);
			return fail(DNS_OUT_BADNAME, name,
			    type_name(order[0]), why);
		}
	}

	worst = DNS_OUT_NXDOMAIN;
	worst_af = order[0];
	if (d->use_dns) {
		if (d->res == NULL && build_resolver(d, why) != 0)
			goto out;
		reset_servers(d->res);
		for (f = 0; f < families; f++)
			res[f] = query_family(d, name, qname, order[f], port,
			    order[f] == AF_INET ? &v4 : &v6);
		if (v4.n + v6.n > 0)
			goto found;
		/* The failure to report: the highest rank, first asked. */
		worst = res[0];
		for (f = 1; f < families; f++) {
			if (outcomes[res[f]].rank > outcomes[worst].rank) {
				worst = res[f];
				worst_af = order[f];
			}
		}
		/* Records that all failed to convert: never "2.0.0". */
		if (worst == DNS_OUT_OK)
			worst = DNS_OUT_BADREPLY;
		if (outcomes[worst].status[0] == '4' || !d->use_native) {
			fail(worst, name, type_name(worst_af), why);
			goto out;
		}
	}
	if (lookup_native(d, name, port, &v4, &v6, why) == 0)
		goto found;
	/* After DNS said "no such host", a permanent native failure
	 * leaves DNS's answer; a transient one defers. */
	if (d->use_dns && why->class == RELAY_PERMANENT)
		fail(worst, name, type_name(worst_af), why);
	goto out;

found:
	*count = merge(order, families, &v4, &v6, out, max);
	ret = 0;
out:
	probe_resolver(d);
	if (qname != NULL)
		ldns_rdf_deep_free(qname);
	return ret;
}

/* Query types that dnssec_probe may name. */
static const struct {
	const char *name;
	ldns_rr_type type;
} probe_types[] = {
	{ "ns", LDNS_RR_TYPE_NS },
	{ "a", LDNS_RR_TYPE_A },
	{ "aaaa", LDNS_RR_TYPE_AAAA },
	{ "mx", LDNS_RR_TYPE_MX },
	{ "soa", LDNS_RR_TYPE_SOA },
};

/*
 * probe_resolver - Postfix's dnssec_probe: after a lookup with the DO
 * bit got an answer that was not validated, ask the probe once, and
 * warn when that is not validated either: the resolver (or our trust
 * in it) is the trouble, not the zone. The lookup's results stay.
 */
static void
probe_resolver(struct dns *d)
{
	char saved[DNS_ERROR_MAX], servers[DNS_ERROR_MAX], name[CONFIG_STR_MAX];
	const char *colon;
	uint32_t neg_ttl = d->neg_ttl;
	unsigned nsec = d->nsecure, ninsec = d->ninsecure;
	bool untrusted_ad = d->reply_untrusted_ad;
	enum dns_outcome out = DNS_OUT_BADNAME;
	ldns_rdf *qname = NULL;
	ldns_pkt *ans = NULL;
	size_t i, n;

	if (!d->want_dnssec || d->has_probed || d->ninsecure == 0 ||
	    d->res == NULL || d->probe[0] == '\0' ||
	    (colon = strchr(d->probe, ':')) == NULL)
		return;
	d->has_probed = true;
	n = (size_t)(colon - d->probe);
	for (i = 0; i < sizeof(probe_types) / sizeof(probe_types[0]); i++)
		if (strlen(probe_types[i].name) == n &&
		    strncasecmp(d->probe, probe_types[i].name, n) == 0)
			break;
	snprintf(name, sizeof(name), "%s", colon + 1);
	if (i == sizeof(probe_types) / sizeof(probe_types[0]) ||
	    (qname = ldns_dname_new_frm_str(name)) == NULL)
		return;
	snprintf(saved, sizeof(saved), "%s", d->error);
	reset_servers(d->res);
	out = send_query(d, name, qname, probe_types[i].type, &ans);
	describe_servers(d->res, servers, sizeof(servers));
	if (out != DNS_OUT_OK && out != DNS_OUT_NXDOMAIN)
		log_warn("dns: dnssec_probe %s failed: %s; DNSSEC validation "
		    "may be unavailable", d->probe, d->error);
	else if (!d->reply_secure && (d->reply_untrusted_ad || untrusted_ad))
		log_warn("dns: the resolver %s sets the AD bit, but it is not "
		    "in dnssec_trust_resolver: its DNSSEC status is not "
		    "trusted, DANE is not used", servers);
	else if (!d->reply_secure)
		log_warn("dns: the resolver %s does not validate DNSSEC (no "
		    "AD bit in its answer to dnssec_probe %s): DANE is not "
		    "used", servers, d->probe);
	ldns_pkt_free(ans);
	ldns_rdf_deep_free(qname);
	snprintf(d->error, sizeof(d->error), "%s", saved);
	d->neg_ttl = neg_ttl;
	d->nsecure = nsec;
	d->ninsecure = ninsec;
	d->reply_untrusted_ad = untrusted_ad;
}

/* extract_tlsa - follow the CNAME chain and collect the TLSA records;
 * a record that is malformed or larger than we keep is counted in
 * set->nbad: it exists, but it cannot be used */
static enum dns_outcome
extract_tlsa(struct dns *d, const char *name, const ldns_pkt *ans,
    const ldns_rdf *qname, struct dns_tlsa_set *set)
{
	const ldns_rr_list *rrs = ldns_pkt_answer(ans);
	const ldns_rdf *cur, *f[4];
	struct dns_tlsa *t;
	uint32_t chain_ttl, ttl;
	enum dns_outcome out;
	const ldns_rr *rr;
	size_t i, k;

	if ((out = follow_cname(d, name, LDNS_RR_TYPE_TLSA, rrs, qname, &cur,
	    &chain_ttl)) != DNS_OUT_OK)
		return out;
	set->ttl = chain_ttl;
	for (i = 0; i < ldns_rr_list_rr_count(rrs); i++) {
		rr = ldns_rr_list_rr(rrs, i);
		if (!rr_is(rr, cur, LDNS_RR_TYPE_TLSA))
			continue;
		ttl = rr_ttl(rr);
		if (ttl < set->ttl)
			set->ttl = ttl;
		for (k = 0; k < 4; k++)
			f[k] = ldns_rr_rd_count(rr) == 4 ? ldns_rr_rdf(rr, k) :
			    NULL;
		if (f[0] == NULL || f[1] == NULL || f[2] == NULL ||
		    f[3] == NULL || ldns_rdf_size(f[0]) != 1 ||
		    ldns_rdf_size(f[1]) != 1 || ldns_rdf_size(f[2]) != 1 ||
		    ldns_rdf_size(f[3]) == 0 ||
		    ldns_rdf_size(f[3]) > DNS_TLSA_DATA_MAX ||
		    set->nrr >= DNS_TLSA_MAX) {
			set_error(d, "%.*s/TLSA: a record is malformed, too "
			    "large or one too many: not used",
			    DNS_NAME_SHOWN, name);
			set->nbad++;
			continue;
		}
		t = &set->rr[set->nrr++];
		t->usage = ldns_rdf_data(f[0])[0];
		t->selector = ldns_rdf_data(f[1])[0];
		t->mtype = ldns_rdf_data(f[2])[0];
		t->len = (uint16_t)ldns_rdf_size(f[3]);
		memcpy(t->data, ldns_rdf_data(f[3]), t->len);
	}
	if (set->nrr + set->nbad > 0)
		return DNS_OUT_OK;
	set_error(d, "%.*s/TLSA: no TLSA record (NODATA)", DNS_NAME_SHOWN,
	    name);
	set->ttl = negative_ttl(ans, qname, cur);
	note_negative(d, set->ttl);
	return DNS_OUT_NODATA;
}

/* tlsa_reset - an empty set */
static void
tlsa_reset(struct dns_tlsa_set *set)
{
	set->outcome = DNS_OUT_TRYAGAIN;
	set->is_secure = false;
	set->ttl = 0;
	set->nrr = set->nbad = 0;
}

/* dns_lookup_tlsa - the TLSA records of _port._tcp.host (RFC 7672) */
int
dns_lookup_tlsa(struct dns *d, const char *host, unsigned port,
    struct dns_tlsa_set *set, struct relay_result *why)
{
	char owner[DNS_NAME_MAX + 16];
	enum dns_outcome out;
	ldns_rdf *qname = NULL;
	ldns_pkt *ans = NULL;
	bool has_why = false;
	int n, ret = -1;

	if (set != NULL)
		tlsa_reset(set);
	if (d == NULL || host == NULL || set == NULL || port < 1 ||
	    port > 65535)
		return relay_result_set(why, "4.3.0",
		    "dns_lookup_tlsa: bad arguments");
	start_lookup(d);
	if (load_ldns(d, why) != 0)
		return -1;
	n = snprintf(owner, sizeof(owner), "_%u._tcp.%s", port, host);
	if (n < 0 || (size_t)n >= sizeof(owner) ||
	    !nexthop_valid_hostname(host) ||
	    (qname = ldns_dname_new_frm_str(owner)) == NULL) {
		set_error(d, "%.*s: malformed domain name", DNS_NAME_SHOWN,
		    host);
		out = DNS_OUT_BADNAME;
		goto out;
	}
	if (!d->use_dns) {
		set_error(d, "%s/TLSA: not asked (host_lookup = native)",
		    owner);
		out = DNS_OUT_NODATA;
		goto out;
	}
	if (d->res == NULL && build_resolver(d, why) != 0) {
		out = DNS_OUT_TRYAGAIN;
		has_why = true;
		goto out;
	}
	reset_servers(d->res);
	out = send_query(d, owner, qname, LDNS_RR_TYPE_TLSA, &ans);
	if (out == DNS_OUT_OK) {
		out = extract_tlsa(d, owner, ans, qname, set);
	} else if (out == DNS_OUT_NXDOMAIN) {
		set->ttl = negative_ttl(ans, qname, qname);
		note_negative(d, set->ttl);
	}
out:
	set->outcome = out;
	set->is_secure = (out == DNS_OUT_OK || out == DNS_OUT_NODATA ||
	    out == DNS_OUT_NXDOMAIN) && dns_last_secure(d);
	if (out != DNS_OUT_OK && out != DNS_OUT_NXDOMAIN &&
	    out != DNS_OUT_NODATA)
		set->ttl = 0;
	if (out == DNS_OUT_OK)
		ret = 0;
	else
		set->nrr = set->nbad = 0;
	if (out != DNS_OUT_OK && !has_why)
		fail(out, owner, "TLSA", why);
	probe_resolver(d);
	ldns_pkt_free(ans);
	ldns_rdf_deep_free(qname);
	return ret;
}

/*
 * dns_tlsa_from_wire - what dns_lookup_tlsa() makes of a reply given
 * in wire format, for the fuzzer and tests: the answer to the TLSA
 * question for owner, checked as a reply would be but for its ID and
 * sender. It returns 0 or -1 like dns_lookup_tlsa(), and -1 with
 * set->outcome DNS_OUT_BADREPLY when ldns cannot be loaded.
 */
int
dns_tlsa_from_wire(const unsigned char *wire, size_t len, const char *owner,
    struct dns_tlsa_set *set)
{
	struct relay_result why;
	struct dns *d = NULL;
	ldns_pkt *ans = NULL, *q = NULL;
	ldns_rdf *qname = NULL, *qcopy = NULL;
	enum dns_outcome out = DNS_OUT_BADREPLY;

	tlsa_reset(set);
	relay_result_init(&why);
	if (dl_load(DL_LDNS, &why) != 0 || (d = calloc(1, sizeof(*d))) == NULL)
		goto out;
	d->neg_ttl = DNS_TTL_NONE;
	if ((qname = ldns_dname_new_frm_str(owner)) == NULL ||
	    (qcopy = ldns_rdf_clone(qname)) == NULL)
		goto out;
	if ((q = ldns_pkt_query_new(qcopy, LDNS_RR_TYPE_TLSA,
	    LDNS_RR_CLASS_IN, LDNS_RD)) == NULL) {
		ldns_rdf_deep_free(qcopy);
		goto out;
	}
	if (ldns_wire2pkt(&ans, wire, len) != LDNS_STATUS_OK || ans == NULL)
		goto out;
	ldns_pkt_set_id(q, ldns_pkt_id(ans));
	/* check_reply() names the sender by the resolver's port. */
	if ((d->res = ldns_resolver_new()) == NULL)
		goto out;
	out = check_reply(d, owner, LDNS_RR_TYPE_TLSA, q, ans, qname);
	if (out == DNS_OUT_OK)
		out = extract_tlsa(d, owner, ans, qname, set);
out:
	set->outcome = out;
	if (out != DNS_OUT_OK)
		set->nrr = set->nbad = 0;
	ldns_pkt_free(ans);
	ldns_pkt_free(q);
	ldns_rdf_deep_free(qname);
	dns_free(d);
	return out == DNS_OUT_OK ? 0 : -1;
}
