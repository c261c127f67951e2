/*
 * NAME
 *	relay_mx - MX relaying: a group of recipients to the mail
 *	exchangers of one domain
 * SYNOPSIS
 *	#include "relay.h"
 *
 *	int relay_mx_targets(struct relay_ctx *ctx, const struct nexthop *nh,
 *	    struct dns_mx_list *list, bool *hit, struct relay_result *why);
 * DESCRIPTION
 *	The seed's MxSmtpRelay: the MX hosts of nh->host (an unbracketed
 *	next hop: the recipient domain, or a name from a route rule or
 *	${nexthop}), found in DNS through the cross-process MX cache
 *	(mx_cache.c, "cache MX records until their TTL"), most preferred
 *	first, equal preferences shuffled, the domain's own addresses
 *	when it has no MX (implicit MX), null MX refused (5.1.10). When
 *	the port is 25, hosts at or after our own preference are dropped
 *	(loop detection, 5.4.6 / 4.4.4), as Postfix does only for port 25.
 *
 *	relay.c runs the shared connection loop (relay_smtp.c) over the
 *	list, under the destination's pool_size connection slots: up to
 *	mx_address_limit addresses and mx_session_limit sessions, soft
 *	errors retried at the next host.
 * SEE ALSO
 *	dns_mx.c, mx_cache.c, relay_smtp.c, RFC 5321 5.1, RFC 7505.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>

#include "log.h"
#include "relay.h"

/* relay_mx_targets - the MX list of nh->host, through the cache */
int
relay_mx_targets(struct relay_ctx *ctx, const struct nexthop *nh,
    struct dns_mx_list *list, bool *hit, struct relay_result *why)
{
	struct dns *dns;
	const struct dns_mx_self *self = NULL;

	*hit = false;
	if ((dns = relay_ctx_dns(ctx)) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	(void)relay_ctx_mx_cache(ctx);
	/* Loop detection only where Postfix does it: port 25. */
	if (nh->port == 25) {
		if (!ctx->has_self) {
			dns_mx_self_init(&ctx->self);
			if (dns_mx_local_addresses(&ctx->self, why) != 0)
				return -1;
			ctx->has_self = true;
		}
		self = &ctx->self;
	}
	if (mx_cache_lookup(ctx->mx_cache, dns, nh->host, nh->port, self,
	    list, hit, why) != 0) {
		/* The resolver's own words, when DNS was the trouble. */
		if (!*hit && *dns_last_error(dns) != '\0' &&
		    (strcmp(why->status, "4.4.3") == 0 ||
		    strcmp(why->status, "5.4.4") == 0))
			log_info("dns: %s", dns_last_error(dns));
		return -1;
	}
	return 0;
}
