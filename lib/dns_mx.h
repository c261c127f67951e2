/*
 * dns_mx.h - the mail exchangers of a domain, Postfix smtp_addr.c
 * style: MX lookup, implicit MX, null MX, addresses, loop detection,
 * equal-preference shuffle. See dns_mx.c.
 */
#ifndef SLIMRELAY_DNS_MX_H
#define SLIMRELAY_DNS_MX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns.h"
#include "result.h"

#define DNS_MX_HOSTS_MAX	16	/* MX hosts considered per domain */
#define DNS_MX_SELF_MAX		64	/* our own addresses */

/* One mail exchanger; its addresses are in the list's addr[]. */
struct dns_mx_host {
	char	name[DNS_NAME_MAX + 1];	/* lower case, no final dot */
	unsigned pref;			/* 0 for the implicit MX */
	size_t	first;			/* addr[first .. first+naddr-1] */
	size_t	naddr;			/* >= 1 */
	bool	is_secure;		/* addresses DNSSEC-validated */
	char	target[DNS_NAME_MAX + 1];	/* its CNAME target, or "" */
};

/* Where mail for a domain goes, most preferred first. */
struct dns_mx_list {
	char	domain[DNS_NAME_MAX + 1];	/* lower case, no final dot */
	bool	is_implicit;		/* no MX: the domain's own address */
	bool	has_dnssec;		/* DNSSEC was asked (dns_set_dnssec) */
	bool	is_secure;		/* the MX answer (or its denial, for
					 * an implicit MX) was validated */
	unsigned best_pref;		/* best MX, with addresses or not */
	uint32_t ttl;			/* see dns_mx_lookup() */
	struct dns_mx_host host[DNS_MX_HOSTS_MAX];
	size_t	nhost;
	struct dns_addr addr[DNS_ADDRS_MAX];	/* grouped by host */
	size_t	naddr;
};

/* Our own addresses, for loop detection. */
struct dns_mx_self {
	size_t	naddr;
	struct {
		int	family;			/* AF_INET, AF_INET6 */
		unsigned char bytes[16];
	} addr[DNS_MX_SELF_MAX];
};

int	dns_mx_lookup(struct dns *, const char *domain, unsigned port,
	    struct dns_mx_list *, struct relay_result *why);
int	dns_mx_drop_self(struct dns_mx_list *, const struct dns_mx_self *,
	    struct relay_result *why);
void	dns_mx_shuffle(struct dns_mx_list *, uint64_t *rng);
uint64_t dns_mx_random_seed(void);
void	dns_mx_self_init(struct dns_mx_self *);
int	dns_mx_self_add(struct dns_mx_self *, const char *addr,
	    struct relay_result *why);
int	dns_mx_local_addresses(struct dns_mx_self *, struct relay_result *why);
bool	dns_mx_is_self(const struct dns_mx_self *, const struct dns_addr *);
bool	dns_mx_canonical_domain(const char *domain, char *buf, size_t len);
size_t	dns_mx_format(const struct dns_mx_list *, char *buf, size_t len);

#endif
