/*
 * relay_local.h - final delivery on this host: maildrop, dovecot-lda,
 * a pipe command. relay_local_deliver() is declared in relay.h; this
 * header has what the tests use. See relay_local.c.
 */
#ifndef SLIMRELAY_RELAY_LOCAL_H
#define SLIMRELAY_RELAY_LOCAL_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "address.h"
#include "child.h"
#include "msg_stream.h"
#include "result.h"
#include "route.h"

/* The message as a delivery command reads it: LF line ends, no stuffing. */
struct relay_local_reader {
	struct msg_stream *ms;
	char	head[2 * ADDRESS_MAX + 64];	/* Return-Path, Delivered-To */
	size_t	hpos, hlen;
	bool	bol;		/* the next wire byte starts a line */
	bool	cr;		/* a CR was read and not yet written */
	char	wire[16 * 1024];
};

void	relay_local_map(enum route_transport, const struct child_status *,
	    long timeout_ms, struct relay_result *);
void	relay_local_reader_init(struct relay_local_reader *,
	    struct msg_stream *, const char *sender, const char *rcpt,
	    bool add_headers);
ssize_t	relay_local_reader_read(void *reader, char *buf, size_t len,
	    struct relay_result *why);

#endif
