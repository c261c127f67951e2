/*
 * session_cache.h - idle SMTP sessions kept for the next message: the
 * get/put seam of the SMTP relay. See session_cache.c.
 */
#ifndef SLIMRELAY_SESSION_CACHE_H
#define SLIMRELAY_SESSION_CACHE_H

#include <stddef.h>

#include "config.h"
#include "deadline.h"
#include "keeper.h"
#include "pool.h"
#include "smtp_client.h"

#define SESSION_KEY_MAX		1024	/* a longer key is never cached */
#define SESSION_DEST_MAX	300	/* the pool's destination name */

struct session_cache_options {
	int	max_idle;		/* idle sessions in all */
	int	max_per_key;		/* idle sessions per key; 0: any */
	long	idle_timeout_ms;	/* closed after this long idle */
	long	reuse_time_limit_ms;	/* from connect; 0: no limit */
	int	reuse_count_limit;	/* messages per session; 0: any */
	/* The keeper (keeper.c) below this process's cache; NULL: none. */
	const struct keeper_client_options *keeper;
	long	pump_extra_ms;		/* a TLS pump's life past the limit */
};

struct session_cache;

void	session_cache_options_init(struct session_cache_options *,
	    const struct config *, int max_idle,
	    const struct keeper_client_options *);
struct session_cache *session_cache_new(const struct session_cache_options *);
void	session_cache_free(struct session_cache *);
struct smtp_client *session_cache_get(struct session_cache *, const char *key,
	    const struct smtp_options *, const struct deadline *,
	    struct pool_slot **);
void	session_cache_put(struct session_cache *, const char *key,
	    const char *dest, struct smtp_client *, struct pool_slot *);
void	session_cache_expire(struct session_cache *);
size_t	session_cache_drop_dest(struct session_cache *, const char *dest);
size_t	session_cache_idle(const struct session_cache *);

#endif
