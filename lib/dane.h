/*
 * dane.h - what DANE for SMTP (RFC 7672) requires of one MX host, from
 * the DNSSEC status of its MX and address records and its TLSA
 * records. See dane.c.
 */
#ifndef SLIMRELAY_DANE_H
#define SLIMRELAY_DANE_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"
#include "dns.h"
#include "result.h"

/* What the TLS client must do with one host. */
enum dane_action {
	DANE_ACT_MAY,		/* opportunistic TLS */
	DANE_ACT_ENCRYPT,	/* TLS required, not authenticated */
	DANE_ACT_VERIFY,	/* TLS required, authenticated by TLSA */
	DANE_ACT_DEFER,		/* do not try this host */
};

/* The policy for one host, with the records it was made from. */
struct dane_host {
	enum dane_action action;
	bool	has_tlsa;		/* tlsa was looked up */
	char	base[DNS_NAME_MAX + 1];	/* the TLSA base domain */
	struct dns_tlsa_set tlsa;	/* all records, usable or not */
	size_t	nusable;		/* records DANE can use */
	char	text[RELAY_TEXT_MAX];	/* why, one line */
};

struct mx_cache;

bool	dane_tlsa_usable(const struct dns_tlsa *);
size_t	dane_tlsa_count_usable(const struct dns_tlsa_set *);
enum dane_action dane_decide(enum config_tls_level, bool mx_secure,
	    bool host_secure, const struct dns_tlsa_set *,
	    const char *domain, const char *host, unsigned port,
	    char *text, size_t len);
int	dane_host_policy(struct dns *, struct mx_cache *,
	    enum config_tls_level, bool mx_secure, const char *domain,
	    const char *host, const char *target, bool host_secure,
	    unsigned port, struct dane_host *, struct relay_result *why);
const char *dane_action_name(enum dane_action);
const char *dane_action_text(enum dane_action);
size_t	dane_tlsa_format(const struct dns_tlsa *, char *buf, size_t len,
	    size_t max_hex);

#endif
