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

/*
 * The service: what lives for the process, whatever number of messages
 * it carries (configuration, name service, MX cache, own addresses,
 * idle sessions). Nothing a message does changes it.
 */
struct relay_ctx {
	const struct config *cfg;
	struct dns *dns;		/* made at first use */
	struct mx_cache *mx_cache;	/* made at first use */
	struct dns_mx_self self;	/* our addresses, for loop checks */
	bool	has_self;
	struct session_cache *sessions;	/* idle SMTP sessions; NULL: none */
	char	ehlo_name[256];		/* made at first use; "" not yet */
};

/*
 * A job: one message, with what lives only as long as it (envelope,
 * deadline, results, the routes its routing headers grant).
 */
struct relay_job {
	const char *mta_nexthop;	/* the MTA's ${nexthop}, or NULL */
	const struct envelope *env;
	struct msg_stream *ms;
	struct relay_result *results;	/* env->nrcpt, the caller's */
	struct route_table routes;	/* granted by routing headers */
	struct deadline deadline;	/* the whole delivery */
	long	start_ms;		/* for delay= */
};

void	relay_ctx_init(struct relay_ctx *, const struct config *);
void	relay_ctx_fini(struct relay_ctx *);
struct dns *relay_ctx_dns(struct relay_ctx *);
const char *relay_ctx_ehlo_name(struct relay_ctx *);
struct mx_cache *relay_ctx_mx_cache(struct relay_ctx *);
int	relay_dane_prepare(struct relay_ctx *, struct relay_smtp_dest *,
	    struct relay_result *why);
void	relay_job_init(struct relay_job *, const char *mta_nexthop,
	    const struct envelope *, struct msg_stream *,
	    struct relay_result *results, const struct deadline *);
void	relay_job_fini(struct relay_job *);
int	relay_job_run(struct relay_ctx *, struct relay_job *,
	    struct relay_result *why);
int	relay_deliver(struct relay_ctx *, struct relay_job *);
int	relay_explain(struct relay_ctx *, const char *mta_nexthop,
	    const char *address, FILE *);

/* Final delivery here: maildrop, dovecot-lda, pipe (relay_local.c). */
void	relay_local_deliver(struct relay_ctx *, const struct relay_job *,
	    const struct route_decision *, bool *pending,
	    struct relay_smtp_stats *);

/* Where the two SMTP relays send (relay_static.c, relay_mx.c). */
int	relay_static_targets(struct relay_ctx *, const struct nexthop *,
	    struct dns_mx_list *, struct relay_result *why);
int	relay_mx_targets(struct relay_ctx *, const struct nexthop *,
	    struct dns_mx_list *, bool *hit, struct relay_result *why);

#endif
