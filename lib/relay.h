/*
 * relay.h - one run's deliveries: route each recipient, group them by
 * destination, deliver each group, log each recipient. See relay.c.
 */
#ifndef SLIMRELAY_RELAY_H
#define SLIMRELAY_RELAY_H

#include <stdbool.h>
#include <stdio.h>

#include "address.h"
#include "config.h"
#include "deadline.h"
#include "dns.h"
#include "dns_mx.h"
#include "msg_stream.h"
#include "mx_cache.h"
#include "relay_smtp.h"
#include "result.h"
#include "route.h"

struct relay_ctx {
	const struct config *cfg;
	struct deadline deadline;	/* the whole run */
	long	start_ms;		/* for delay= */
	struct dns *dns;		/* made at first use */
	struct mx_cache *mx_cache;	/* made at first use */
	struct dns_mx_self self;	/* our addresses, for loop checks */
	bool	has_self;
};

void	relay_ctx_init(struct relay_ctx *, const struct config *,
	    const struct deadline *);
void	relay_ctx_fini(struct relay_ctx *);
struct dns *relay_ctx_dns(struct relay_ctx *);
struct mx_cache *relay_ctx_mx_cache(struct relay_ctx *);
int	relay_dane_prepare(struct relay_ctx *, struct relay_smtp_dest *,
	    struct relay_result *why);
int	relay_deliver(struct relay_ctx *, const char *mta_nexthop,
	    const struct envelope *, struct msg_stream *,
	    struct relay_result *results);
int	relay_explain(struct relay_ctx *, const char *mta_nexthop,
	    const char *address, FILE *);

/* Final delivery here: maildrop, dovecot-lda, pipe (relay_local.c). */
void	relay_local_deliver(struct relay_ctx *, const struct route_decision *,
	    const struct envelope *, bool *pending, struct msg_stream *,
	    struct relay_result *results, struct relay_smtp_stats *);

/* Where the two SMTP relays send (relay_static.c, relay_mx.c). */
int	relay_static_targets(struct relay_ctx *, const struct nexthop *,
	    struct dns_mx_list *, struct relay_result *why);
int	relay_mx_targets(struct relay_ctx *, const struct nexthop *,
	    struct dns_mx_list *, bool *hit, struct relay_result *why);

#endif
