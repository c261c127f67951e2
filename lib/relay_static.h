/*
 * relay_static.h - the smart-host relay: all mail of a run to one
 * destination. See relay_static.c.
 */
#ifndef SLIMRELAY_RELAY_STATIC_H
#define SLIMRELAY_RELAY_STATIC_H

#include "address.h"
#include "config.h"
#include "deadline.h"
#include "msg_stream.h"
#include "nexthop.h"
#include "result.h"

int	relay_static_deliver(const struct config *, const struct nexthop *,
	    const struct envelope *, struct msg_stream *,
	    const struct deadline *, struct relay_result *rcpt_results);

#endif
