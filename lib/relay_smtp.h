/*
 * relay_smtp.h - deliver to an ordered list of SMTP hosts, falling back
 * from one to the next like Postfix's smtp(8). See relay_smtp.c.
 */
#ifndef SLIMRELAY_RELAY_SMTP_H
#define SLIMRELAY_RELAY_SMTP_H

#include <stdbool.h>

#include "address.h"
#include "config.h"
#include "deadline.h"
#include "dns.h"
#include "dns_mx.h"
#include "log.h"
#include "msg_stream.h"
#include "nexthop.h"
#include "route.h"
#include "result.h"

/* What the route decided for the destination's TLS and AUTH. */
struct relay_smtp_dest {
	enum config_tls_level tls_level;
	bool	tls_wrappermode;	/* implicit TLS (SMTPS) */
	bool	is_lmtp;		/* LMTP: LHLO, a reply per recipient */
	const struct nexthop *nh;	/* AUTH lookup; [host] name checked */
	/* Levels dane and dane-only: TLSA lookups, per host (dane.c). */
	struct dns *dns;
	struct mx_cache *mx_cache;	/* NULL: no cache */
};

struct mx_cache;

struct relay_smtp_stats {
	struct log_delays delays;	/* conn_s and xfer_s are added */
	int	conn_use;		/* messages the last session carried */
	int	sessions;		/* sessions that completed EHLO */
	int	addresses;		/* addresses tried */
};

void	relay_smtp_dest_init(struct relay_smtp_dest *, const struct config *,
	    const struct route_decision *);
struct session_cache;

bool	relay_smtp_is_dane(const struct relay_smtp_dest *);
void	relay_smtp_deliver(const struct config *, struct session_cache *,
	    const char *ehlo_name, const struct relay_smtp_dest *,
	    const struct dns_mx_list *,
	    const struct envelope *, bool *pending, struct msg_stream *,
	    const struct deadline *, struct relay_result *results,
	    struct relay_smtp_stats *);

#endif
