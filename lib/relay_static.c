/*
 * NAME
 *	relay_static - the smart-host relay: a group of recipients to one
 *	host
 * SYNOPSIS
 *	#include "relay.h"
 *
 *	int relay_static_targets(struct relay_ctx *ctx,
 *	    const struct nexthop *nh, struct dns_mx_list *list,
 *	    struct relay_result *why);
 * DESCRIPTION
 *	The seed's StaticSmtpRelay(host, port, pool_size=N): the host of
 *	a bracketed next hop ("[host]:port", the smarthost parameter, a
 *	route rule's force_mx) with no MX lookup. relay_static_targets()
 *	resolves the host (an address literal needs no lookup) into a
 *	list of one host with its addresses, which relay.c hands to the
 *	shared connection loop (relay_smtp.c) under the destination's
 *	pool_size connection slots.
 * SEE ALSO
 *	relay_smtp.c, pool.c, Postfix smtp(8) "[host]:port".
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stddef.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>

#include "log.h"
#include "relay.h"

/*
 * unix_target - an LMTP socket: one host with one AF_UNIX address, no
 * lookup; its name is the path, as Postfix's lmtp(8) logs it
 */
static int
unix_target(const struct nexthop *nh, struct dns_mx_list *list,
    struct relay_result *why)
{
	struct sockaddr_un *sun = (struct sockaddr_un *)&list->addr[0].sa;
	size_t len = strlen(nh->host);

	if (len >= sizeof(sun->sun_path))
		return relay_result_set(why, "4.3.5", "LMTP socket path too "
		    "long: %.200s", nh->host);
	memset(&list->addr[0], 0, sizeof(list->addr[0]));
	sun->sun_family = AF_UNIX;
	memcpy(sun->sun_path, nh->host, len + 1);
	list->addr[0].salen = (socklen_t)(offsetof(struct sockaddr_un,
	    sun_path) + len + 1);
	snprintf(list->addr[0].text, sizeof(list->addr[0].text), "%.*s",
	    (int)sizeof(list->addr[0].text) - 1, nh->host);
	/* Logged "localhost[/path]", like Postfix's lmtp(8) local peers. */
	snprintf(list->host[0].name, sizeof(list->host[0].name), "localhost");
	list->host[0].first = 0;
	list->host[0].naddr = 1;
	list->nhost = 1;
	list->naddr = 1;
	return 0;
}

/* relay_static_targets - the host's addresses as a one-host list */
int
relay_static_targets(struct relay_ctx *ctx, const struct nexthop *nh,
    struct dns_mx_list *list, struct relay_result *why)
{
	struct dns *dns;
	size_t n = 0;

	/* Only what is read: one host, and the addresses filled in below
	 * (the whole list is 9 KiB of mostly unused slots). */
	list->is_implicit = false;
	list->is_secure = list->has_dnssec = false;
	list->best_pref = 0;
	list->ttl = 0;
	list->nhost = list->naddr = 0;
	memset(&list->host[0], 0, sizeof(list->host[0]));
	snprintf(list->domain, sizeof(list->domain), "%.*s", DNS_NAME_MAX,
	    nh->host);
	if (nh->is_unix)
		return unix_target(nh, list, why);
	if ((dns = relay_ctx_dns(ctx)) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	if (dns_lookup_host(dns, nh->host, nh->port, list->addr,
	    DNS_ADDRS_MAX, &n, why) != 0) {
		log_info("dns: %s", dns_last_error(dns));
		return -1;
	}
	snprintf(list->host[0].name, sizeof(list->host[0].name), "%.*s",
	    DNS_NAME_MAX, nh->host);
	list->host[0].first = 0;
	list->host[0].naddr = n;
	list->nhost = 1;
	list->naddr = n;
	/* Postfix: a next hop without MX lookup counts as a secure MX. */
	list->has_dnssec = dns_dnssec(dns);
	list->is_secure = true;
	list->host[0].is_secure = dns_last_secure(dns);
	snprintf(list->host[0].target, sizeof(list->host[0].target), "%s",
	    dns_last_target(dns));
	return 0;
}
