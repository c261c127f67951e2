/*
 * dns.h - host address and MX lookups through ldns, with the resolver
 * built only when a name needs resolving. See dns.c.
 */
#ifndef SLIMRELAY_DNS_H
#define SLIMRELAY_DNS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "config.h"
#include "result.h"

#define DNS_ADDRS_MAX	32
#define DNS_SERVERS_MAX	8	/* name servers in dns_servers */
#define DNS_CNAME_MAX	8	/* CNAME hops followed in an answer */
#define DNS_ERROR_MAX	256	/* dns_last_error() text */
#define DNS_NAME_MAX	253	/* a host name, without the final dot */
#define DNS_MXRR_MAX	64	/* MX records kept from one answer */
#define DNS_TTL_NONE	UINT32_MAX	/* dns_last_negative_ttl(): none */
#define DNS_TLSA_MAX	16	/* TLSA records kept from one answer */
#define DNS_TLSA_DATA_MAX 1024	/* bytes of one record's data */

/* What one query or lookup found; dns_outcome_name() names them. */
enum dns_outcome {
	DNS_OUT_OK,
	DNS_OUT_NXDOMAIN,	/* the name does not exist */
	DNS_OUT_NODATA,		/* it exists, without such records */
	DNS_OUT_TRYAGAIN,	/* SERVFAIL, REFUSED, no reply */
	DNS_OUT_BADREPLY,	/* malformed or unexpected reply */
	DNS_OUT_BADNAME,	/* malformed name: nothing asked */
};

struct dns_addr {
	struct sockaddr_storage sa;	/* port already set */
	socklen_t salen;
	uint32_t ttl;			/* 0 for literals and native */
	char	text[64];		/* numeric form, no brackets */
};

/* Addresses of one family, as found. */
struct dns_addr_list {
	struct dns_addr a[DNS_ADDRS_MAX];
	size_t	n;
};

/* One MX record. */
struct dns_mxrr {
	unsigned pref;			/* 0..65535 */
	uint32_t ttl;			/* with its CNAME chain's */
	char	host[DNS_NAME_MAX + 1];	/* lower case, no final dot;
					 * "." for the root (null MX) */
};

/* The MX records of a domain: dns_lookup_mx(). */
struct dns_mxrrs {
	enum dns_outcome outcome;
	struct dns_mxrr rr[DNS_MXRR_MAX];	/* in answer order */
	size_t	nrr;
	size_t	nbad;		/* skipped: malformed host names */
	uint32_t ttl;		/* see dns_lookup_mx() */
	bool	is_secure;	/* DNSSEC-validated by a trusted resolver */
};

/* One TLSA record (RFC 6698 section 2.1). */
struct dns_tlsa {
	uint8_t	usage;			/* 0..3: PKIX-TA, PKIX-EE, DANE-TA,
					 * DANE-EE */
	uint8_t	selector;		/* 0 certificate, 1 public key */
	uint8_t	mtype;			/* 0 full, 1 SHA2-256, 2 SHA2-512 */
	uint16_t len;			/* 1..DNS_TLSA_DATA_MAX */
	unsigned char data[DNS_TLSA_DATA_MAX];
};

/* The TLSA records of _port._tcp.host: dns_lookup_tlsa(). */
struct dns_tlsa_set {
	enum dns_outcome outcome;
	bool	is_secure;	/* validated: records or their denial */
	uint32_t ttl;		/* records, or RFC 2308 for a denial */
	struct dns_tlsa rr[DNS_TLSA_MAX];	/* in answer order */
	size_t	nrr;
	size_t	nbad;		/* skipped: malformed, too large, too many */
};

struct dns;
struct ldns_struct_pkt;		/* ldns_pkt, <ldns/packet.h> */

struct dns *dns_new(const struct config *);
void	dns_free(struct dns *);
int	dns_lookup_host(struct dns *, const char *name, unsigned port,
	    struct dns_addr *out, size_t max, size_t *count,
	    struct relay_result *why);
int	dns_lookup_mx(struct dns *, const char *domain, struct dns_mxrrs *,
	    struct relay_result *why);
int	dns_lookup_tlsa(struct dns *, const char *host, unsigned port,
	    struct dns_tlsa_set *, struct relay_result *why);
int	dns_tlsa_from_wire(const unsigned char *wire, size_t len,
	    const char *owner, struct dns_tlsa_set *);
void	dns_set_dnssec(struct dns *, bool want);
bool	dns_dnssec(const struct dns *);
bool	dns_last_secure(const struct dns *);
const char *dns_last_target(const struct dns *);
unsigned dns_queries(const struct dns *);
const char *dns_last_error(const struct dns *);
uint32_t dns_last_negative_ttl(const struct dns *);
enum config_addr_pref dns_address_preference(const struct dns *);
const char *dns_outcome_name(enum dns_outcome);
int	dns_set_resolv_conf(struct dns *, const char *path);
enum dns_outcome dns_reply(struct dns *, const char *name,
	    const struct ldns_struct_pkt *query,
	    const struct ldns_struct_pkt *reply, unsigned port,
	    struct dns_addr_list *, struct dns_mxrrs *);
int	dns_addr_text(const struct sockaddr *, socklen_t, char *host,
	    size_t hostlen, unsigned *port);

#endif
