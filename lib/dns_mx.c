/*
 * NAME
 *	dns_mx - the mail exchangers of a domain
 * SYNOPSIS
 *	#include "dns_mx.h"
 *
 *	int dns_mx_lookup(struct dns *d, const char *domain, unsigned port,
 *	    struct dns_mx_list *list, struct relay_result *why);
 *	int dns_mx_drop_self(struct dns_mx_list *list,
 *	    const struct dns_mx_self *self, struct relay_result *why);
 *	void dns_mx_shuffle(struct dns_mx_list *list, uint64_t *rng);
 *	uint64_t dns_mx_random_seed(void);
 *
 *	void dns_mx_self_init(struct dns_mx_self *self);
 *	int dns_mx_self_add(struct dns_mx_self *self, const char *addr,
 *	    struct relay_result *why);
 *	int dns_mx_local_addresses(struct dns_mx_self *self,
 *	    struct relay_result *why);
 *	bool dns_mx_is_self(const struct dns_mx_self *self,
 *	    const struct dns_addr *addr);
 *
 *	bool dns_mx_canonical_domain(const char *domain, char *buf,
 *	    size_t len);
 *	size_t dns_mx_format(const struct dns_mx_list *list, char *buf,
 *	    size_t len);
 * DESCRIPTION
 *	This module decides, from DNS, which hosts and addresses mail for
 *	a domain goes to, the way Postfix's smtp(8) does (smtp_addr.c).
 *	It is split in three steps so that the MX cache (mx_cache.c) can
 *	store what DNS said and apply the local steps on every use:
 *	dns_mx_lookup() asks DNS, dns_mx_drop_self() detects mail loops,
 *	dns_mx_shuffle() spreads load over equal preferences.
 *
 *	dns_mx_lookup() asks for the MX records of domain:
 *
 *	  - MX records: sorted by preference, lowest first; records of
 *	    equal preference stay in answer order (dns_mx_shuffle() mixes
 *	    them). At most DNS_MX_HOSTS_MAX hosts, the most preferred, are
 *	    considered. Each host's A/AAAA records are looked up with
 *	    dns_lookup_host() (address_preference, CNAMEs followed). A host
 *	    without addresses is skipped; an address already listed for a
 *	    better host is not listed again; a host left without addresses
 *	    that way is skipped too. At most DNS_ADDRS_MAX addresses in
 *	    all: once they are taken, less preferred hosts are not looked
 *	    up. When no host has an address, the result is 4.4.3 (the
 *	    first transient failure's text) if any host lookup failed
 *	    transiently, else the first host's failure, normally 5.4.4
 *	    "... name=HOST type=A: Host not found", as Postfix bounces
 *	    (smtp_defer_if_no_mx_address_found = no).
 *	  - No MX records (NODATA): the implicit MX of RFC 5321 section
 *	    5.1, the domain's own addresses at preference 0 (is_implicit).
 *	  - Null MX (RFC 7505): when every MX record names the root, the
 *	    domain accepts no mail: permanent 5.1.10 "Domain D does not
 *	    accept mail (nullMX)". A root record among others is ignored.
 *	  - NXDOMAIN: 5.4.4 "Host or domain name not found. Name service
 *	    error for name=D type=MX: Host not found"; SERVFAIL, REFUSED,
 *	    no reply or a malformed reply: 4.4.3 "... Host not found, try
 *	    again" (the table of dns.c).
 *
 *	list->ttl says how long the outcome may be cached. On success it
 *	is the smallest TTL of the MX records used, of every address
 *	listed, of the RFC 2308 negative TTL of the "no MX" answer for an
 *	implicit MX, and of the negative TTL of every host that has no
 *	address; it is 0 when a host lookup failed transiently (the list
 *	may lack the best host). On failure it is the negative TTL (RFC
 *	2308: NXDOMAIN, no address anywhere), the MX record's TTL (null
 *	MX), and 0 for every transient failure. The list is empty on
 *	failure. list->best_pref is the best preference among the MX
 *	records, whether or not that host had addresses (for loop
 *	detection). addr[] holds each host's addresses in turn, in the
 *	order of address_preference, ports set to port.
 *
 *	dns_mx_drop_self() is Postfix's loop detection, which it does
 *	only for port 25: the caller decides, and passes NULL for no
 *	detection. When an address of host H is one of self's, H and
 *	every host of H's preference or worse are dropped: mail must only
 *	go to better exchangers than ourselves. If nothing is left, the
 *	result is 5.4.6 "mail for D loops back to myself" when we are the
 *	best MX with addresses and that is the best MX of all, else 4.4.4
 *	"unable to find primary relay for D" (a better MX exists without
 *	addresses, so this may pass).
 *
 *	dns_mx_shuffle() puts hosts of equal preference in random order,
 *	and each host's addresses of the same family: the same spread as
 *	Postfix's smtp_randomize_addresses (shuffle, then stable sort by
 *	preference), without mixing address families against
 *	address_preference. rng is the state of a splitmix64 generator,
 *	so that tests can seed it; dns_mx_random_seed() makes a seed from
 *	the clocks and the process id (spreading load needs no secret).
 *	rng == NULL leaves the order alone.
 *
 *	dns_mx_self_init() empties a set of own addresses;
 *	dns_mx_self_add() adds a numeric IPv4 or IPv6 address (brackets
 *	allowed), for addresses that getifaddrs(3) cannot see (NAT, proxy:
 *	Postfix's proxy_interfaces), 4.3.5 when it is no address or the
 *	set is full; dns_mx_local_addresses() adds the addresses of every
 *	local interface (getifaddrs(3)), 4.3.0 when they cannot be read,
 *	logging and keeping the first DNS_MX_SELF_MAX when there are more.
 *	dns_mx_is_self() says whether an address is in the set; an
 *	IPv4-mapped IPv6 address counts as its IPv4 address.
 *
 *	dns_mx_canonical_domain() writes domain in lower case without a
 *	final dot; false when it is no valid host name or does not fit.
 *
 *	dns_mx_format() writes one line per address, for `slimrelay
 *	--route`: "MX 10 mx1.example.com 192.0.2.1 ttl=300", with
 *	" (implicit MX)" after an implicit MX's lines. Like snprintf(3) it
 *	returns the length the whole text needs and always terminates buf
 *	when len > 0.
 *
 *	Everything is in the caller's structs: nothing to free.
 * SEE ALSO
 *	RFC 5321 section 5.1, RFC 7505, RFC 2308, Postfix smtp_addr.c.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <ifaddrs.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns_mx.h"
#include "log.h"
#include "nexthop.h"

/* What the host lookups of one MX list came to. */
struct host_state {
	uint32_t ttl;			/* least TTL used so far */
	uint32_t fail_ttl;		/* least negative TTL of failures */
	bool	has_transient;		/* a host lookup may pass */
	bool	has_failure;
	struct relay_result first_fail;	/* first host failure */
	struct relay_result first_transient;
};

static void sort_records(struct dns_mxrr *, size_t);
static bool seen_addr(const struct dns_mx_list *, const struct dns_addr *);
static void add_host(struct dns *, struct dns_mx_list *, const char *,
    unsigned, unsigned, struct host_state *);
static int use_records(struct dns *, struct dns_mx_list *, unsigned,
    struct dns_mxrrs *, struct relay_result *);
static void compact(struct dns_mx_list *);
static uint64_t next_random(uint64_t *);
static size_t below(uint64_t *, size_t);
static bool self_add_raw(struct dns_mx_self *, int, const void *);
static bool self_add_sockaddr(struct dns_mx_self *, const struct sockaddr *);

/* dns_mx_canonical_domain - lower case, no final dot, valid */
bool
dns_mx_canonical_domain(const char *domain, char *buf, size_t len)
{
	size_t n, i;

	if (domain == NULL || buf == NULL || len == 0)
		return false;
	buf[0] = '\0';
	n = strlen(domain);
	if (n > 0 && domain[n - 1] == '.')
		n--;
	if (n == 0 || n > DNS_NAME_MAX || n >= len)
		return false;
	for (i = 0; i < n; i++)
		buf[i] = (char)tolower((unsigned char)domain[i]);
	buf[n] = '\0';
	if (!nexthop_valid_hostname(buf)) {
		buf[0] = '\0';
		return false;
	}
	return true;
}

/* sort_records - stable insertion sort by preference */
static void
sort_records(struct dns_mxrr *rr, size_t n)
{
	struct dns_mxrr tmp;
	size_t i, j;

	for (i = 1; i < n; i++) {
		tmp = rr[i];
		for (j = i; j > 0 && rr[j - 1].pref > tmp.pref; j--)
			rr[j] = rr[j - 1];
		rr[j] = tmp;
	}
}

/* seen_addr - is this address listed already, for a better host? */
static bool
seen_addr(const struct dns_mx_list *list, const struct dns_addr *a)
{
	size_t i;

	for (i = 0; i < list->naddr; i++)
		if (strcmp(list->addr[i].text, a->text) == 0)
			return true;
	return false;
}

/* add_host - look up one MX host and list it with its new addresses */
static void
add_host(struct dns *d, struct dns_mx_list *list, const char *name,
    unsigned pref, unsigned port, struct host_state *st)
{
	struct dns_addr found[DNS_ADDRS_MAX];
	struct relay_result hwhy;
	struct dns_mx_host *h;
	uint32_t neg, ttl = UINT32_MAX;
	size_t n = 0, i;

	relay_result_init(&hwhy);
	if (dns_lookup_host(d, name, port, found, DNS_ADDRS_MAX, &n,
	    &hwhy) != 0) {
		log_debug("dns_mx: %s: MX host %s skipped: %s", list->domain,
		    name, hwhy.text);
		if (hwhy.class != RELAY_PERMANENT) {
			if (!st->has_transient)
				relay_result_copy(&st->first_transient, &hwhy);
			st->has_transient = true;
		} else if ((neg = dns_last_negative_ttl(d)) < st->fail_ttl) {
			/* DNS_TTL_NONE (no query, e.g. a bad name): the
			 * MX record's TTL bounds it. */
			st->fail_ttl = neg;
		}
		if (!st->has_failure)
			relay_result_copy(&st->first_fail, &hwhy);
		st->has_failure = true;
		return;
	}
	h = &list->host[list->nhost];
	h->first = list->naddr;
	h->naddr = 0;
	for (i = 0; i < n && list->naddr < DNS_ADDRS_MAX; i++) {
		if (seen_addr(list, &found[i]))
			continue;
		list->addr[list->naddr++] = found[i];
		h->naddr++;
		if (found[i].ttl < ttl)
			ttl = found[i].ttl;
	}
	if (h->naddr == 0)
		return;		/* all listed for better hosts */
	snprintf(h->name, sizeof(h->name), "%s", name);
	h->pref = pref;
	/* Read before anything else asks DNS: it is this lookup's. */
	h->is_secure = dns_last_secure(d);
	snprintf(h->target, sizeof(h->target), "%s", dns_last_target(d));
	list->nhost++;
	if (ttl < st->ttl)
		st->ttl = ttl;
}

/* use_records - the hosts of the MX records, or the implicit MX */
static int
use_records(struct dns *d, struct dns_mx_list *list, unsigned port,
    struct dns_mxrrs *set, struct relay_result *why)
{
	struct host_state st;
	size_t i, n;

	memset(&st, 0, sizeof(st));
	st.ttl = set->ttl;
	st.fail_ttl = UINT32_MAX;
	relay_result_init(&st.first_fail);
	relay_result_init(&st.first_transient);
	if (set->outcome == DNS_OUT_NODATA) {
		list->is_implicit = true;
		list->best_pref = 0;
		add_host(d, list, list->domain, 0, port, &st);
	} else {
		sort_records(set->rr, set->nrr);
		list->best_pref = set->rr[0].pref;
		n = set->nrr < DNS_MX_HOSTS_MAX ? set->nrr : DNS_MX_HOSTS_MAX;
		for (i = 0; i < n && list->naddr < DNS_ADDRS_MAX; i++)
			add_host(d, list, set->rr[i].host, set->rr[i].pref,
			    port, &st);
	}
	if (list->nhost == 0) {
		list->naddr = 0;
		if (st.has_transient) {
			relay_result_copy(why, &st.first_transient);
			list->ttl = 0;
		} else {
			relay_result_copy(why, &st.first_fail);
			list->ttl = st.fail_ttl < st.ttl ? st.fail_ttl :
			    st.ttl;
		}
		return -1;
	}
	/* Without the best host, do not keep the list for long. */
	list->ttl = st.has_transient ? 0 : st.fail_ttl < st.ttl ?
	    st.fail_ttl : st.ttl;
	return 0;
}

/* dns_mx_lookup - the mail exchangers of domain, from DNS */
int
dns_mx_lookup(struct dns *d, const char *domain, unsigned port,
    struct dns_mx_list *list, struct relay_result *why)
{
	struct dns_mxrrs *set = NULL;
	size_t i, n, nnull = 0;
	int ret = -1;

	if (list == NULL)
		return relay_result_set(why, "4.3.0",
		    "dns_mx_lookup: bad arguments");
	memset(list, 0, sizeof(*list));
	if (d == NULL || domain == NULL)
		return relay_result_set(why, "4.3.0",
		    "dns_mx_lookup: bad arguments");
	if (port < 1 || port > 65535)
		return relay_result_set(why, "4.3.5", "bad port %u for "
		    "domain %.255s", port, domain);
	if ((set = malloc(sizeof(*set))) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	list->has_dnssec = dns_dnssec(d);
	if (!dns_mx_canonical_domain(domain, list->domain,
	    sizeof(list->domain))) {
		/* dns.c has the words for it, and asks nothing. */
		if (dns_lookup_mx(d, domain, set, why) == 0)
			relay_result_set(why, "5.4.4", "Malformed domain "
			    "name %.255s", domain);
		goto out;
	}
	if (dns_lookup_mx(d, list->domain, set, why) != 0) {
		if (set->outcome != DNS_OUT_NODATA) {
			list->ttl = why->class == RELAY_PERMANENT ?
			    set->ttl : 0;
			goto out;
		}
	} else {
		/* RFC 7505 section 3: only a lone "." means null MX. */
		for (i = 0; i < set->nrr; i++)
			if (strcmp(set->rr[i].host, ".") == 0)
				nnull++;
		if (nnull == set->nrr) {
			list->ttl = set->ttl;
			relay_result_set(why, "5.1.10", "Domain %s does not "
			    "accept mail (nullMX)", list->domain);
			goto out;
		}
		for (i = n = 0; i < set->nrr; i++)
			if (strcmp(set->rr[i].host, ".") != 0)
				set->rr[n++] = set->rr[i];
		set->nrr = n;
	}
	list->is_secure = set->is_secure;
	ret = use_records(d, list, port, set, why);
out:
	if (ret != 0) {
		list->nhost = list->naddr = 0;
		list->is_implicit = false;
	}
	free(set);
	return ret;
}

/* dns_mx_is_self - is addr one of ours? */
bool
dns_mx_is_self(const struct dns_mx_self *self, const struct dns_addr *addr)
{
	const struct sockaddr_in *sin;
	const struct sockaddr_in6 *sin6;
	const unsigned char *bytes;
	size_t i, len;
	int family;

	if (self == NULL || addr == NULL)
		return false;
	if (addr->sa.ss_family == AF_INET) {
		sin = (const struct sockaddr_in *)&addr->sa;
		family = AF_INET;
		bytes = (const unsigned char *)&sin->sin_addr;
		len = 4;
	} else if (addr->sa.ss_family == AF_INET6) {
		sin6 = (const struct sockaddr_in6 *)&addr->sa;
		if (IN6_IS_ADDR_V4MAPPED(&sin6->sin6_addr)) {
			family = AF_INET;
			bytes = (const unsigned char *)&sin6->sin6_addr + 12;
			len = 4;
		} else {
			family = AF_INET6;
			bytes = (const unsigned char *)&sin6->sin6_addr;
			len = 16;
		}
	} else {
		return false;
	}
	for (i = 0; i < self->naddr; i++)
		if (self->addr[i].family == family &&
		    memcmp(self->addr[i].bytes, bytes, len) == 0)
			return true;
	return false;
}

/* compact - lay addr[] out in host order again */
static void
compact(struct dns_mx_list *list)
{
	struct dns_addr tmp[DNS_ADDRS_MAX];
	size_t h, i, n = 0;

	for (h = 0; h < list->nhost; h++) {
		for (i = 0; i < list->host[h].naddr && n < DNS_ADDRS_MAX; i++)
			tmp[n + i] = list->addr[list->host[h].first + i];
		list->host[h].first = n;
		n += list->host[h].naddr;
	}
	memcpy(list->addr, tmp, n * sizeof(tmp[0]));
	list->naddr = n;
}

/* dns_mx_drop_self - Postfix loop detection: only better MX hosts */
int
dns_mx_drop_self(struct dns_mx_list *list, const struct dns_mx_self *self,
    struct relay_result *why)
{
	const struct dns_mx_host *h;
	size_t i, j, keep;
	unsigned cut = 0;
	bool found = false, best;

	if (list == NULL || self == NULL || self->naddr == 0)
		return 0;
	for (i = 0; i < list->nhost && !found; i++) {
		h = &list->host[i];
		for (j = 0; j < h->naddr && !found; j++)
			if (dns_mx_is_self(self, &list->addr[h->first + j])) {
				found = true;
				cut = h->pref;
			}
	}
	if (!found)
		return 0;
	/* Hosts are in preference order: keep those better than us. */
	best = list->host[0].pref == list->best_pref;
	for (keep = 0; keep < list->nhost && list->host[keep].pref < cut;
	    keep++)
		;
	log_debug("dns_mx: %s: we are MX %u: %zu of %zu hosts kept",
	    list->domain, cut, keep, list->nhost);
	list->nhost = keep;
	compact(list);
	if (keep > 0)
		return 0;
	if (best)
		return relay_result_set(why, "5.4.6", "mail for %s loops "
		    "back to myself", list->domain);
	return relay_result_set(why, "4.4.4", "unable to find primary relay "
	    "for %s", list->domain);
}

/* next_random - splitmix64 */
static uint64_t
next_random(uint64_t *state)
{
	uint64_t z = (*state += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* below - a random number in 0..n-1 (n <= 2^32) */
static size_t
below(uint64_t *state, size_t n)
{
	return (size_t)(((next_random(state) >> 32) * (uint64_t)n) >> 32);
}

/* dns_mx_shuffle - random order among equals */
void
dns_mx_shuffle(struct dns_mx_list *list, uint64_t *rng)
{
	struct dns_mx_host th;
	struct dns_addr ta, *a;
	size_t start, end, i, j, h;

	if (list == NULL || rng == NULL)
		return;
	/* Fisher-Yates within each run of equal preference. */
	for (start = 0; start < list->nhost; start = end) {
		for (end = start + 1; end < list->nhost &&
		    list->host[end].pref == list->host[start].pref; end++)
			;
		for (i = end - 1; i > start; i--) {
			j = start + below(rng, i - start + 1);
			th = list->host[i];
			list->host[i] = list->host[j];
			list->host[j] = th;
		}
	}
	/* Each host's addresses, within each run of one family. */
	for (h = 0; h < list->nhost; h++) {
		a = &list->addr[list->host[h].first];
		for (start = 0; start < list->host[h].naddr; start = end) {
			for (end = start + 1; end < list->host[h].naddr &&
			    a[end].sa.ss_family == a[start].sa.ss_family;
			    end++)
				;
			for (i = end - 1; i > start; i--) {
				j = start + below(rng, i - start + 1);
				ta = a[i];
				a[i] = a[j];
				a[j] = ta;
			}
		}
	}
	compact(list);
}

/* dns_mx_random_seed - a seed that differs between processes */
uint64_t
dns_mx_random_seed(void)
{
	struct timespec rt, mt;
	uint64_t seed;

	clock_gettime(CLOCK_REALTIME, &rt);
	clock_gettime(CLOCK_MONOTONIC, &mt);
	seed = (uint64_t)rt.tv_sec * 1000000007ULL + (uint64_t)rt.tv_nsec;
	seed ^= ((uint64_t)getpid() << 32) ^ (uint64_t)mt.tv_nsec;
	/* One round so that close seeds give unrelated streams. */
	return next_random(&seed);
}

/* dns_mx_self_init - no own addresses yet */
void
dns_mx_self_init(struct dns_mx_self *self)
{
	memset(self, 0, sizeof(*self));
}

/* self_add_raw - one address; false when full */
static bool
self_add_raw(struct dns_mx_self *self, int family, const void *bytes)
{
	const unsigned char *b = bytes;
	size_t i, len = family == AF_INET ? 4 : 16;

	/* Keep IPv4-mapped addresses as IPv4, as dns_mx_is_self asks. */
	if (family == AF_INET6 &&
	    IN6_IS_ADDR_V4MAPPED((const struct in6_addr *)bytes)) {
		family = AF_INET;
		b += 12;
		len = 4;
	}
	for (i = 0; i < self->naddr; i++)
		if (self->addr[i].family == family &&
		    memcmp(self->addr[i].bytes, b, len) == 0)
			return true;
	if (self->naddr >= DNS_MX_SELF_MAX)
		return false;
	memset(&self->addr[self->naddr], 0, sizeof(self->addr[0]));
	self->addr[self->naddr].family = family;
	memcpy(self->addr[self->naddr].bytes, b, len);
	self->naddr++;
	return true;
}

/* dns_mx_self_add - one numeric address of ours */
int
dns_mx_self_add(struct dns_mx_self *self, const char *addr,
    struct relay_result *why)
{
	char text[INET6_ADDRSTRLEN + 1];
	unsigned char raw[16];
	size_t len;
	int family;

	if (addr == NULL)
		return relay_result_set(why, "4.3.0",
		    "dns_mx_self_add: bad arguments");
	len = strlen(addr);
	if (len >= 2 && addr[0] == '[' && addr[len - 1] == ']') {
		addr++;
		len -= 2;
	}
	if (len == 0 || len >= sizeof(text))
		return relay_result_set(why, "4.3.5", "bad own address "
		    "\"%.64s\"", addr);
	memcpy(text, addr, len);
	text[len] = '\0';
	if (inet_pton(AF_INET, text, raw) == 1)
		family = AF_INET;
	else if (inet_pton(AF_INET6, text, raw) == 1)
		family = AF_INET6;
	else
		return relay_result_set(why, "4.3.5", "bad own address "
		    "\"%s\"", text);
	if (!self_add_raw(self, family, raw))
		return relay_result_set(why, "4.3.5", "more than %d own "
		    "addresses", DNS_MX_SELF_MAX);
	return 0;
}

/* self_add_sockaddr - an interface address; false when full */
static bool
self_add_sockaddr(struct dns_mx_self *self, const struct sockaddr *sa)
{
	if (sa->sa_family == AF_INET)
		return self_add_raw(self, AF_INET,
		    &((const struct sockaddr_in *)sa)->sin_addr);
	if (sa->sa_family == AF_INET6)
		return self_add_raw(self, AF_INET6,
		    &((const struct sockaddr_in6 *)sa)->sin6_addr);
	return true;
}

/* dns_mx_local_addresses - the addresses of our interfaces */
int
dns_mx_local_addresses(struct dns_mx_self *self, struct relay_result *why)
{
	struct ifaddrs *ifa = NULL, *p;
	bool full = false;

	if (getifaddrs(&ifa) != 0)
		return relay_result_set(why, "4.3.0", "cannot list the local "
		    "interface addresses: %s", strerror(errno));
	for (p = ifa; p != NULL && !full; p = p->ifa_next)
		if (p->ifa_addr != NULL && !self_add_sockaddr(self,
		    p->ifa_addr))
			full = true;
	freeifaddrs(ifa);
	if (full)
		log_warn("dns_mx: more than %d local addresses: loop "
		    "detection knows the first %d", DNS_MX_SELF_MAX,
		    DNS_MX_SELF_MAX);
	return 0;
}

/* dns_mx_format - "MX 10 mx.example.com 192.0.2.1 ttl=300" lines */
size_t
dns_mx_format(const struct dns_mx_list *list, char *buf, size_t len)
{
	const struct dns_mx_host *h;
	const struct dns_addr *a;
	size_t used = 0, i, j;
	int n;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	for (i = 0; i < list->nhost; i++) {
		h = &list->host[i];
		for (j = 0; j < h->naddr; j++) {
			a = &list->addr[h->first + j];
			n = snprintf(buf != NULL && used < len ? buf + used :
			    NULL, buf != NULL && used < len ? len - used : 0,
			    "MX %u %s %s ttl=%lu%s\n", h->pref, h->name,
			    a->text, (unsigned long)a->ttl,
			    list->is_implicit ? " (implicit MX)" : "");
			if (n > 0)
				used += (size_t)n;
		}
	}
	return used;
}
