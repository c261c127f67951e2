/*
 * lmtp.h - slimrelay --lmtp, LMTP mode. See lmtp.c.
 */
#ifndef SLIMRELAY_TRANSPORT_LMTP_H
#define SLIMRELAY_TRANSPORT_LMTP_H

#include "config.h"
#include "keeper.h"

int	lmtp_mode(const struct config *, const char *nexthop,
	    const struct keeper_client_options *);

#endif
