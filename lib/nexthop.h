/*
 * nexthop.h - Postfix next-hop syntax: domain, domain:port, [host],
 * [host]:port, [ipv6:addr]:port. See nexthop.c.
 */
#ifndef SLIMRELAY_NEXTHOP_H
#define SLIMRELAY_NEXTHOP_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define NEXTHOP_HOST_MAX 255
#define NEXTHOP_FORMAT_MAX (NEXTHOP_HOST_MAX + 16)	/* "[ipv6:...]:65535" */

struct nexthop {
	char	host[NEXTHOP_HOST_MAX + 1];	/* name or address, no [] */
	unsigned port;			/* 1..65535 */
	bool	want_mx;		/* no brackets: MX lookup */
	bool	is_address;		/* host is an IPv4/IPv6 literal */
	bool	is_unix;		/* host is a unix socket path (LMTP) */
};

#define NEXTHOP_UNIX_MAX	107	/* sun_path, without its NUL */

int	nexthop_parse(struct nexthop *, const char *spec,
	    unsigned default_port, struct relay_result *why);
void	nexthop_format(const struct nexthop *, char *buf, size_t len);
bool	nexthop_valid_hostname(const char *name);

#endif
