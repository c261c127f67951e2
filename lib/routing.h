/*
 * routing.h - routing headers in the transport: strip them all, honour
 * the signed ones. See routing.c.
 */
#ifndef SLIMRELAY_ROUTING_H
#define SLIMRELAY_ROUTING_H

#include "address.h"
#include "config.h"
#include "msg_stream.h"
#include "result.h"
#include "route.h"

#define ROUTING_HEADERS_MAX	16	/* routing headers checked; more are removed */

int	routing_apply(const struct config *, struct msg_stream *,
	    const struct envelope *, struct route_table *routes,
	    struct relay_result *why);

#endif
