/*
 * NAME
 *	dane - what DANE for SMTP (RFC 7672) requires of one MX host
 * SYNOPSIS
 *	#include "dane.h"
 *
 *	bool dane_tlsa_usable(const struct dns_tlsa *rr);
 *	size_t dane_tlsa_count_usable(const struct dns_tlsa_set *set);
 *	enum dane_action dane_decide(enum config_tls_level level,
 *	    bool mx_secure, bool host_secure,
 *	    const struct dns_tlsa_set *set, const char *domain,
 *	    const char *host, unsigned port, char *text, size_t len);
 *	int dane_host_policy(struct dns *d, struct mx_cache *c,
 *	    enum config_tls_level level, bool mx_secure,
 *	    const char *domain, const char *host, const char *target,
 *	    bool host_secure, unsigned port, struct dane_host *out,
 *	    struct relay_result *why);
 *	const char *dane_action_name(enum dane_action act);
 *	const char *dane_action_text(enum dane_action act);
 *	size_t dane_tlsa_format(const struct dns_tlsa *rr, char *buf,
 *	    size_t len, size_t max_hex);
 * DESCRIPTION
 *	With tls_level (or smarthost_tls_level, or a route's tls=) "dane"
 *	or "dane-only", the TLS a host gets depends on DNSSEC, as in
 *	Postfix (TLS_README, "Mandatory DANE TLS" and "Opportunistic DANE
 *	TLS"). The DNSSEC status is the one a trusted validating resolver
 *	gave (dns.c, dnssec_trust_resolver); a bracketed next hop ([host],
 *	no MX lookup) counts as a secure MX answer, as Postfix counts it.
 *
 *	dane_decide() is the table, for domain's MX host "host" on port:
 *
 *	    MX answer insecure                  may
 *	    host addresses insecure             may
 *	    TLSA lookup failed (SERVFAIL,       defer this host: a bogus
 *	      timeout, bogus, malformed)          answer is a SERVFAIL
 *	    TLSA answer insecure                may
 *	    no TLSA records (secure denial)     may
 *	    usable TLSA records                 TLS required, the peer
 *	                                          authenticated by DANE
 *	    TLSA records, none usable           TLS required, not
 *	                                          authenticated
 *
 *	set is NULL when the TLSA records were not looked up (they are
 *	only when the MX answer and the host's addresses are secure).
 *	"dane-only" defers wherever "dane" would fall back to "may" or to
 *	unauthenticated TLS. A record is usable (dane_tlsa_usable()) when
 *	its usage is DANE-TA(2) or DANE-EE(3), its selector 0 or 1 and its
 *	matching type 0 (full), 1 (SHA2-256) or 2 (SHA2-512): RFC 7672
 *	section 3.1.3 makes PKIX-TA(0) and PKIX-EE(1) unusable for SMTP,
 *	where no set of public CAs is agreed on. text gets one line saying
 *	why, for logs and 4.7.5 results.
 *
 *	dane_host_policy() looks the TLSA records of _port._tcp.host up
 *	when the table needs them (through the cache c, mx_cache.c, which
 *	may be NULL), and fills out: the action, the records, how many
 *	are usable, the text, and the TLSA base domain (RFC 7672 2.2.2):
 *	when the host's addresses were found through a CNAME chain (all
 *	of it validated, as host_secure says), target is its end, whose
 *	records are asked first; when it has none (a denial), host's own
 *	are. The base domain is the name sent as SNI and the first name a
 *	DANE-TA certificate may carry. It returns 0, or -1 with why set (4.7.5,
 *	out's text) when the host must be deferred.
 *
 *	dane_action_name() is "may", "encrypt", "dane" or "defer";
 *	dane_action_text() says what it requires in words.
 *	dane_tlsa_format() writes "3 1 1 0123...ef" for logs and --route,
 *	the data in hex, cut after max_hex digits (then "...", 0: all);
 *	it returns the length like snprintf(3).
 * SEE ALSO
 *	RFC 7672, RFC 6698, RFC 7671, Postfix TLS_README (DANE),
 *	dns.c (dns_lookup_tlsa), tls.c (the verification).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "dane.h"
#include "log.h"
#include "mx_cache.h"

/* dane_tlsa_usable - DANE-TA or DANE-EE, a known selector and type */
bool
dane_tlsa_usable(const struct dns_tlsa *rr)
{
	return (rr->usage == 2 || rr->usage == 3) && rr->selector <= 1 &&
	    rr->mtype <= 2 && rr->len > 0;
}

/* dane_tlsa_count_usable - how many records of set DANE can use */
size_t
dane_tlsa_count_usable(const struct dns_tlsa_set *set)
{
	size_t i, n = 0;

	for (i = 0; i < set->nrr; i++)
		n += dane_tlsa_usable(&set->rr[i]);
	return n;
}

/* dane_action_name - "may", "encrypt", "dane", "defer" */
const char *
dane_action_name(enum dane_action act)
{
	switch (act) {
	case DANE_ACT_MAY:
		return "may";
	case DANE_ACT_ENCRYPT:
		return "encrypt";
	case DANE_ACT_VERIFY:
		return "dane";
	case DANE_ACT_DEFER:
		return "defer";
	}
	return "?";
}

/* dane_action_text - what an action requires, in words */
const char *
dane_action_text(enum dane_action act)
{
	switch (act) {
	case DANE_ACT_MAY:
		return "opportunistic TLS";
	case DANE_ACT_ENCRYPT:
		return "TLS required, not authenticated";
	case DANE_ACT_VERIFY:
		return "TLS required, authenticated by DANE";
	case DANE_ACT_DEFER:
		return "not tried";
	}
	return "?";
}

/* fall_back - "may" for dane, defer for dane-only; the reason in text */
static enum dane_action
fall_back(enum config_tls_level level, char *text, size_t len,
    const char *what)
{
	if (level == CONFIG_TLS_DANE_ONLY) {
		snprintf(text, len, "DANE required, but %s", what);
		return DANE_ACT_DEFER;
	}
	snprintf(text, len, "%s", what);
	return DANE_ACT_MAY;
}

/* dane_decide - RFC 7672 section 2.2, as Postfix applies it */
enum dane_action
dane_decide(enum config_tls_level level, bool mx_secure, bool host_secure,
    const struct dns_tlsa_set *set, const char *domain, const char *host,
    unsigned port, char *text, size_t len)
{
	char what[RELAY_TEXT_MAX];
	size_t usable;

	if (!mx_secure) {
		snprintf(what, sizeof(what), "the MX records of %.255s are "
		    "not DNSSEC-validated", domain);
		return fall_back(level, text, len, what);
	}
	if (!host_secure) {
		snprintf(what, sizeof(what), "the addresses of %.255s are "
		    "not DNSSEC-validated", host);
		return fall_back(level, text, len, what);
	}
	if (set == NULL || (set->outcome != DNS_OUT_OK &&
	    set->outcome != DNS_OUT_NODATA &&
	    set->outcome != DNS_OUT_NXDOMAIN)) {
		/* Never a downgrade: an attacker can make a SERVFAIL. */
		snprintf(text, len, "TLSA lookup error for %.255s:%u", host,
		    port);
		return DANE_ACT_DEFER;
	}
	if (!set->is_secure) {
		snprintf(what, sizeof(what), "the TLSA records of %.255s:%u "
		    "are not DNSSEC-validated", host, port);
		return fall_back(level, text, len, what);
	}
	if (set->outcome != DNS_OUT_OK) {
		snprintf(what, sizeof(what), "%.255s:%u has no usable TLSA "
		    "records", host, port);
		return fall_back(level, text, len, what);
	}
	usable = dane_tlsa_count_usable(set);
	if (usable == 0) {
		if (level == CONFIG_TLS_DANE_ONLY) {
			snprintf(text, len, "DANE required, but %.255s:%u has "
			    "no usable TLSA records", host, port);
			return DANE_ACT_DEFER;
		}
		/* RFC 7672 2.2: TLS still required, without a check. */
		snprintf(text, len, "%.255s:%u: no usable TLSA records (%zu "
		    "unusable)", host, port, set->nrr + set->nbad);
		return DANE_ACT_ENCRYPT;
	}
	snprintf(text, len, "%.255s:%u: %zu usable TLSA record%s", host,
	    port, usable, usable == 1 ? "" : "s");
	return DANE_ACT_VERIFY;
}

/* dane_host_policy - look up what the table needs, and decide */
int
dane_host_policy(struct dns *d, struct mx_cache *c,
    enum config_tls_level level, bool mx_secure, const char *domain,
    const char *host, const char *target, bool host_secure, unsigned port,
    struct dane_host *out, struct relay_result *why)
{
	struct relay_result twhy;
	bool hit = false;

	out->has_tlsa = false;
	out->nusable = 0;
	out->tlsa.nrr = out->tlsa.nbad = 0;
	out->tlsa.outcome = DNS_OUT_TRYAGAIN;
	out->tlsa.is_secure = false;
	snprintf(out->base, sizeof(out->base), "%s", host);
	if (mx_secure && host_secure) {
		relay_result_init(&twhy);
		if (target != NULL && *target != '\0') {
			/* RFC 7672 2.2.2: the CNAME-expanded name first. */
			snprintf(out->base, sizeof(out->base), "%s", target);
			(void)mx_cache_tlsa_lookup(c, d, target, port,
			    &out->tlsa, &hit, &twhy);
		}
		if (target == NULL || *target == '\0' ||
		    out->tlsa.outcome == DNS_OUT_NODATA ||
		    out->tlsa.outcome == DNS_OUT_NXDOMAIN) {
			snprintf(out->base, sizeof(out->base), "%s", host);
			(void)mx_cache_tlsa_lookup(c, d, host, port,
			    &out->tlsa, &hit, &twhy);
		}
		out->has_tlsa = true;
		out->nusable = dane_tlsa_count_usable(&out->tlsa);
		if (out->tlsa.outcome != DNS_OUT_OK &&
		    out->tlsa.outcome != DNS_OUT_NODATA &&
		    out->tlsa.outcome != DNS_OUT_NXDOMAIN &&
		    *dns_last_error(d) != '\0')
			log_info("dns: %s", dns_last_error(d));
	}
	out->action = dane_decide(level, mx_secure, host_secure,
	    out->has_tlsa ? &out->tlsa : NULL, domain, out->base, port,
	    out->text, sizeof(out->text));
	if (out->action == DANE_ACT_DEFER)
		return relay_result_set(why, "4.7.5", "%s", out->text);
	return 0;
}

/* dane_tlsa_format - "3 1 1 0123..." */
size_t
dane_tlsa_format(const struct dns_tlsa *rr, char *buf, size_t len,
    size_t max_hex)
{
	size_t used = 0, i;
	int n;

	if (buf != NULL && len > 0)
		buf[0] = '\0';
	n = snprintf(buf, len, "%u %u %u ", rr->usage, rr->selector,
	    rr->mtype);
	if (n > 0)
		used = (size_t)n;
	for (i = 0; i < rr->len; i++) {
		if (max_hex > 0 && 2 * i >= max_hex) {
			n = snprintf(used < len ? buf + used : NULL,
			    used < len ? len - used : 0, "...");
			used += 3;
			break;
		}
		n = snprintf(used < len ? buf + used : NULL,
		    used < len ? len - used : 0, "%02x", rr->data[i]);
		used += 2;
	}
	(void)n;
	return used;
}
