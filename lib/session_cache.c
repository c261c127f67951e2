/*
 * NAME
 *	session_cache - idle SMTP sessions kept for the next message
 * SYNOPSIS
 *	#include "session_cache.h"
 *
 *	void session_cache_options_init(struct session_cache_options *so,
 *	    const struct config *cfg, int max_idle,
 *	    const struct keeper_client_options *keeper);
 *	struct session_cache *session_cache_new(
 *	    const struct session_cache_options *opt);
 *	void session_cache_free(struct session_cache *sc);
 *	struct smtp_client *session_cache_get(struct session_cache *sc,
 *	    const char *key, const struct smtp_options *opt,
 *	    const struct deadline *deadline, struct pool_slot **slot);
 *	void session_cache_put(struct session_cache *sc, const char *key,
 *	    const char *dest, struct smtp_client *cl,
 *	    struct pool_slot *slot);
 *	void session_cache_expire(struct session_cache *sc);
 *	size_t session_cache_drop_dest(struct session_cache *sc,
 *	    const char *dest);
 *	size_t session_cache_idle(const struct session_cache *sc);
 * DESCRIPTION
 *	The connection lifecycle seam of the SMTP relay (the idea of
 *	Postfix's smtp_reuse.c): session_cache_get() before connecting,
 *	session_cache_put() after a transaction, instead of always new,
 *	connect, QUIT and free. A session is found by its key, a text that
 *	holds everything that must match for reuse (next hop, address,
 *	port, source address, EHLO name, TLS policy, SASL identity): the
 *	caller makes it, or passes NULL for a session that must not be
 *	reused.
 *
 *	A session travels with its pool_size connection slot (pool.c; NULL
 *	when there is no limit): the slot is held as long as the session
 *	is open, idle included, and released when it closes, so that
 *	pool_size counts idle sessions too. dest names the slot's
 *	destination.
 *
 *	session_cache_options_init() fills the options from the
 *	configuration (pool_size as the cap per key, the connection_*
 *	limits), with max_idle and the keeper (NULL for none) as given.
 *
 *	A NULL cache is the "never cache" backend of pipe mode, where one
 *	process carries one message: session_cache_get() finds nothing and
 *	session_cache_put() says QUIT, frees the client and releases the
 *	slot. A cache made by session_cache_new() keeps sessions in this
 *	process (LMTP mode):
 *
 *	- session_cache_put() takes the client over. It keeps it idle when
 *	  the session can carry another message (smtp_client_is_open():
 *	  ready, and the server quiet), it is younger than
 *	  reuse_time_limit_ms (counted from the connection), it carried
 *	  fewer than reuse_count_limit messages (0: no limit), and fewer
 *	  than max_idle sessions are idle, and fewer than max_per_key with
 *	  that key (0: no limit per key); else it says QUIT and frees it.
 *	- session_cache_get() first expires (below), then takes the newest
 *	  idle session of the key, gives it the new deadline and probes it
 *	  with RSET (Postfix's reuse probe): a session that fails the probe
 *	  is closed and the next one of the key tried; NULL when none is
 *	  left. A session that failed its probe counts no delivery failure:
 *	  the caller just connects anew. The client returned, and its slot
 *	  in *slot, are the caller's until it puts them back or frees them.
 *	- session_cache_drop_dest() closes, with QUIT, every idle session
 *	  of dest and releases their slots: when all of a destination's
 *	  slots are taken, our own idle sessions give theirs up first. It
 *	  returns how many it closed.
 *	- session_cache_expire() closes idle sessions that have been idle
 *	  for idle_timeout_ms, whose reuse time is over, or that the server
 *	  spoke to or hung up while idle (a 421 before it closes): those
 *	  are closed without QUIT when the server spoke, with QUIT when
 *	  only their time ran out.
 *
 *	The keeper (keeper.c; opt->keeper, NULL for none) is a second
 *	level below this process's cache, for sessions that must outlive
 *	the process: pipe mode makes a cache of max_idle 0 with the keeper,
 *	LMTP mode one of its own size with the keeper below it.
 *
 *	- session_cache_get() asks the keeper when this process has no
 *	  session of the key: a session from it is made a client of opt
 *	  (smtp_client_adopt()) and must fit the key (its peer the key's
 *	  "host[addr]:port", TLS when the policy requires it, "Verified"
 *	  when the policy verifies), be within its reuse limits, and pass
 *	  the RSET probe; else it is closed and the keeper asked again, up
 *	  to SESSION_KEEPER_TRIES times.
 *	- What session_cache_put() cannot keep here for want of room (all
 *	  of it in pipe mode) goes to the keeper, and so do the idle
 *	  sessions that session_cache_free() finds. A TLS session goes
 *	  through a pump first (tls_pump.c), which lives until the reuse
 *	  time limit plus pump_extra_ms (the longest transaction). The
 *	  keeper keeps it for idle_timeout_ms, or for what is left of the
 *	  reuse time limit when that is less, at most max_per_key of the
 *	  key. A session the keeper refuses (or that has no keeper to go
 *	  to) is sent QUIT; one whose fate is unknown (the keeper took the
 *	  request and did not answer) is closed without a word.
 *	  The keeper never gets a session that is not clean and ready.
 *	- A keeper that does not answer in time (keeper_get() or
 *	  keeper_put() -2: stopped, or overloaded) is not asked again by
 *	  this cache: its sessions are closed with QUIT, as without one.
 *
 *	session_cache_free() says QUIT to every idle session (or hands it
 *	to the keeper), frees them and the cache; NULL is a no-op. session_cache_idle() counts the idle
 *	sessions. Times are CLOCK_MONOTONIC milliseconds.
 * SEE ALSO
 *	keeper.c, tls_pump.c, Postfix smtp_reuse.c, scache(8); RFC 5321
 *	4.1.1.5 (RSET).
 */
#include "autoconfig.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "keeper.h"
#include "log.h"
#include "session_cache.h"

#define SESSION_KEEPER_TRIES	3	/* sessions asked of the keeper */

struct idle {
	char	key[SESSION_KEY_MAX];
	char	dest[SESSION_DEST_MAX];
	struct smtp_client *cl;
	struct pool_slot *slot;		/* NULL: no pool_size limit */
	long	idle_since_ms;
};

struct session_cache {
	struct session_cache_options opt;
	bool	is_keeper_stuck;	/* it did not answer: not used again */
	struct idle *idle;		/* opt.max_idle slots */
	size_t	nidle;			/* in use: idle[0..nidle-1] */
};

static bool	is_too_old(const struct session_cache *,
		    const struct smtp_client *, long);
static void	drop(struct session_cache *, size_t, bool);
static void	park(struct session_cache *, const char *,
		    struct smtp_client *, struct pool_slot *);

/*
 * session_cache_options_init - the configuration's limits (pool_size
 * per key, connection_*), max_idle here, the keeper below (or NULL)
 */
void
session_cache_options_init(struct session_cache_options *so,
    const struct config *cfg, int max_idle,
    const struct keeper_client_options *keeper)
{
	memset(so, 0, sizeof(*so));
	so->max_idle = max_idle;
	so->max_per_key = cfg->pool_size;
	so->idle_timeout_ms = cfg->connection_idle_timeout_ms;
	so->reuse_time_limit_ms = cfg->connection_reuse_time_limit_ms;
	so->reuse_count_limit = cfg->connection_reuse_count_limit;
	so->keeper = keeper;
	/* A pump outlives the reuse limit by the longest transaction. */
	so->pump_extra_ms = cfg->deadline_ms;
}

/* session_cache_new - an empty cache; NULL when out of memory */
struct session_cache *
session_cache_new(const struct session_cache_options *opt)
{
	struct session_cache *sc;

	if ((sc = calloc(1, sizeof(*sc))) == NULL)
		return NULL;
	sc->opt = *opt;
	if (sc->opt.max_idle < 0)
		sc->opt.max_idle = 0;
	if (sc->opt.max_idle > 0 &&
	    (sc->idle = calloc((size_t)sc->opt.max_idle,
	    sizeof(*sc->idle))) == NULL) {
		free(sc);
		return NULL;
	}
	return sc;
}

/* session_cache_free - QUIT every idle session; NULL is a no-op */
void
session_cache_free(struct session_cache *sc)
{
	struct idle *e;

	if (sc == NULL)
		return;
	if (sc->opt.keeper != NULL)
		session_cache_expire(sc);
	while (sc->nidle > 0) {
		if (sc->opt.keeper == NULL) {
			drop(sc, sc->nidle - 1, true);
			continue;
		}
		/* The keeper takes them over (or they QUIT). */
		e = &sc->idle[--sc->nidle];
		park(sc, e->key, e->cl, e->slot);
	}
	free(sc->idle);
	free(sc);
}

/* is_too_old - the session's reuse time, or its count, is used up */
static bool
is_too_old(const struct session_cache *sc, const struct smtp_client *cl,
    long now_ms)
{
	if (sc->opt.reuse_time_limit_ms > 0 &&
	    now_ms - smtp_client_connect_ms(cl) >= sc->opt.reuse_time_limit_ms)
		return true;
	return sc->opt.reuse_count_limit > 0 &&
	    smtp_client_messages(cl) >= sc->opt.reuse_count_limit;
}

/* drop - close idle[i] (QUIT when asked), keep the rest in order */
static void
drop(struct session_cache *sc, size_t i, bool say_quit)
{
	struct smtp_client *cl = sc->idle[i].cl;

	if (say_quit)
		smtp_client_quit(cl);
	smtp_client_free(cl);
	pool_release(sc->idle[i].slot);
	memmove(&sc->idle[i], &sc->idle[i + 1],
	    (sc->nidle - i - 1) * sizeof(sc->idle[0]));
	sc->nidle--;
}

/* session_cache_expire - close what has idled too long or was spoken to */
void
session_cache_expire(struct session_cache *sc)
{
	long now = deadline_now_ms();
	size_t i = 0;

	if (sc == NULL)
		return;
	while (i < sc->nidle) {
		struct idle *e = &sc->idle[i];

		if (!smtp_client_is_open(e->cl)) {
			/* A 421 or a hang-up while idle: no QUIT. */
			if (log_verbose())
				log_debug("session_cache: %s: closed by the "
				    "server while idle", smtp_client_relay(e->cl));
			drop(sc, i, false);
		} else if (now - e->idle_since_ms >= sc->opt.idle_timeout_ms ||
		    is_too_old(sc, e->cl, now)) {
			drop(sc, i, true);
		} else {
			i++;
		}
	}
}

/* session_cache_drop_dest - QUIT the idle sessions of dest, free their slots */
size_t
session_cache_drop_dest(struct session_cache *sc, const char *dest)
{
	size_t i = 0, n = 0;

	if (sc == NULL || dest == NULL)
		return 0;
	while (i < sc->nidle) {
		if (strcmp(sc->idle[i].dest, dest) == 0) {
			drop(sc, i, true);
			n++;
		} else {
			i++;
		}
	}
	return n;
}

/*
 * fits - a session from the keeper is the one the key asks for: its
 * peer is the key's ("host[addr]:port " starts every key, relay_smtp.c),
 * and it has the TLS the policy requires, verified when it must be
 */
static bool
fits(const struct smtp_client *cl, const char *key,
    const struct smtp_options *opt)
{
	const char *relay = smtp_client_relay(cl);
	size_t n = strlen(relay);

	if (n == 0 || strncmp(key, relay, n) != 0 || key[n] != ' ')
		return false;
	switch (opt->tls.level) {
	case CONFIG_TLS_NONE:
	case CONFIG_TLS_MAY:
		return !opt->tls.wrappermode || smtp_client_is_tls(cl);
	case CONFIG_TLS_ENCRYPT:
		return smtp_client_is_tls(cl);
	default:
		return smtp_client_is_tls(cl) && strncmp(
		    smtp_client_tls_info(cl), "Verified ", 9) == 0;
	}
}

/* from_keeper - a session of the key from the keeper that passed RSET */
static struct smtp_client *
from_keeper(struct session_cache *sc, const char *key,
    const struct smtp_options *opt, const struct deadline *deadline,
    struct pool_slot **slot)
{
	struct keeper_session ks;
	struct smtp_client *cl;
	struct pool_slot *s;
	struct relay_result why;
	int i, r;

	for (i = 0; i < SESSION_KEEPER_TRIES && !sc->is_keeper_stuck; i++) {
		if ((r = keeper_get(sc->opt.keeper, key, &ks)) != 1) {
			sc->is_keeper_stuck = r == -2;
			return NULL;
		}
		s = pool_slot_adopt(ks.slot_fd);
		if ((cl = smtp_client_new(opt)) == NULL) {
			(void)close(ks.fd);
			pool_release(s);
			return NULL;
		}
		relay_result_init(&why);
		if (smtp_client_adopt(cl, ks.fd, ks.props, &why) != 0 ||
		    !fits(cl, key, opt)) {
			log_warn("session_cache: a session from the keeper "
			    "does not fit its key: not used");
			smtp_client_free(cl);
			pool_release(s);
			continue;
		}
		if (is_too_old(sc, cl, deadline_now_ms())) {
			smtp_client_quit(cl);
			smtp_client_free(cl);
			pool_release(s);
			continue;
		}
		smtp_client_set_deadline(cl, deadline);
		if (smtp_client_reset(cl, &why) == 0) {
			if (log_verbose())
				log_debug("session_cache: %s: reusing a "
				    "session from the keeper (use %d)",
				    smtp_client_relay(cl),
				    smtp_client_messages(cl) + 1);
			*slot = s;
			return cl;
		}
		log_info("session_cache: %s: not reused: %s",
		    smtp_client_relay(cl), why.text);
		smtp_client_free(cl);
		pool_release(s);
	}
	return NULL;
}

/*
 * park - hand an idle session to the keeper: a TLS session through a
 * pump first; QUIT when the keeper cannot take it
 */
static void
park(struct session_cache *sc, const char *key, struct smtp_client *cl,
    struct pool_slot *slot)
{
	char props[KEEPER_PROPS_MAX / 2];
	long now = deadline_now_ms();
	long end = smtp_client_connect_ms(cl) + sc->opt.reuse_time_limit_ms;
	long ttl = sc->opt.idle_timeout_ms;
	int r;

	if (sc->is_keeper_stuck || !smtp_client_is_open(cl) ||
	    is_too_old(sc, cl, now) ||
	    smtp_client_props(cl, props, sizeof(props)) != 0)
		goto quit;
	if (end - now < ttl)
		ttl = end - now;
	if (ttl < 1 || smtp_client_park(cl, end + sc->opt.pump_extra_ms) != 0)
		goto quit;
	r = keeper_put(sc->opt.keeper, key, ttl, sc->opt.max_per_key, props,
	    smtp_client_fd(cl), pool_slot_fd(slot));
	sc->is_keeper_stuck = r == -2;
	if (r == 1 || r == -2) {
		/* The keeper has it (or may): our copies go, no QUIT. */
		if (log_verbose())
			log_debug("session_cache: %s: %s the keeper",
			    smtp_client_relay(cl), r == 1 ? "kept by" :
			    "no answer from");
		smtp_client_free(cl);
		pool_release(slot);
		return;
	}
quit:
	smtp_client_quit(cl);
	smtp_client_free(cl);
	pool_release(slot);
}

/* session_cache_get - an idle session of the key that passed RSET */
struct smtp_client *
session_cache_get(struct session_cache *sc, const char *key,
    const struct smtp_options *opt, const struct deadline *deadline,
    struct pool_slot **slot)
{
	struct smtp_client *cl;
	struct pool_slot *s;
	struct relay_result why;
	size_t i;

	*slot = NULL;
	if (sc == NULL || key == NULL)
		return NULL;
	session_cache_expire(sc);
	for (i = sc->nidle; i-- > 0;) {
		if (strcmp(sc->idle[i].key, key) != 0)
			continue;
		cl = sc->idle[i].cl;
		s = sc->idle[i].slot;
		memmove(&sc->idle[i], &sc->idle[i + 1],
		    (sc->nidle - i - 1) * sizeof(sc->idle[0]));
		sc->nidle--;
		smtp_client_set_deadline(cl, deadline);
		relay_result_init(&why);
		if (smtp_client_reset(cl, &why) == 0) {
			*slot = s;
			return cl;
		}
		log_info("session_cache: %s: not reused: %s",
		    smtp_client_relay(cl), why.text);
		smtp_client_free(cl);
		pool_release(s);
	}
	if (sc->opt.keeper != NULL)
		return from_keeper(sc, key, opt, deadline, slot);
	return NULL;
}

/* session_cache_put - keep the session idle, or QUIT and free it */
void
session_cache_put(struct session_cache *sc, const char *key,
    const char *dest, struct smtp_client *cl, struct pool_slot *slot)
{
	size_t i, same = 0;

	if (cl == NULL) {
		pool_release(slot);
		return;
	}
	if (dest == NULL)
		dest = "";
	if (sc == NULL || key == NULL || strlen(key) >= SESSION_KEY_MAX ||
	    strlen(dest) >= SESSION_DEST_MAX ||
	    !smtp_client_is_open(cl) || is_too_old(sc, cl, deadline_now_ms()))
		goto close;
	session_cache_expire(sc);
	for (i = 0; i < sc->nidle; i++)
		same += strcmp(sc->idle[i].key, key) == 0;
	if (sc->nidle >= (size_t)sc->opt.max_idle ||
	    (sc->opt.max_per_key > 0 && same >= (size_t)sc->opt.max_per_key)) {
		if (sc->opt.keeper != NULL) {
			park(sc, key, cl, slot);
			return;
		}
		goto close;
	}
	memcpy(sc->idle[sc->nidle].key, key, strlen(key) + 1);
	memcpy(sc->idle[sc->nidle].dest, dest, strlen(dest) + 1);
	sc->idle[sc->nidle].cl = cl;
	sc->idle[sc->nidle].slot = slot;
	sc->idle[sc->nidle].idle_since_ms = deadline_now_ms();
	sc->nidle++;
	return;
close:
	smtp_client_quit(cl);
	smtp_client_free(cl);
	pool_release(slot);
}

/* session_cache_idle - the number of idle sessions */
size_t
session_cache_idle(const struct session_cache *sc)
{
	return sc != NULL ? sc->nidle : 0;
}
