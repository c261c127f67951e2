/*
 * NAME
 *	relay_smtp - deliver to an ordered list of SMTP hosts
 * SYNOPSIS
 *	#include "relay_smtp.h"
 *
 *	void relay_smtp_dest_init(struct relay_smtp_dest *dest,
 *	    const struct config *cfg, const struct route_decision *d);
 *	void relay_smtp_deliver(const struct config *cfg,
 *	    struct session_cache *sessions, const char *ehlo_name,
 *	    const struct relay_smtp_dest *dest,
 *	    const struct dns_mx_list *hosts, const struct envelope *env,
 *	    bool *pending, struct msg_stream *ms,
 *	    const struct deadline *deadline, struct relay_result *results,
 *	    struct relay_smtp_stats *stats);
 * DESCRIPTION
 *	The connection loop both SMTP relays share (the smart host is a
 *	list of one host; MX delivery a list sorted by preference), after
 *	Postfix's smtp_connect.c:
 *
 *	Hosts are tried in order, and each host's addresses in order, up
 *	to mx_address_limit addresses and mx_session_limit sessions in
 *	all; only sessions that completed the greeting and EHLO count as
 *	sessions. A connection that fails before the transaction (refused,
 *	timed out, a greeting or EHLO refusal, a lost connection) moves on
 *	to the next address. In a session, every recipient still pending
 *	is sent; a delivered or permanently refused recipient is final,
 *	and a transient result is final only on the last address that may
 *	be tried: otherwise the recipient is sent again to the next host,
 *	with the message replayed from the start (msg_stream_rewind; the
 *	stream must be opened with MSG_STREAM_REPLAY when hosts hold more
 *	than one address). That includes a connection lost after the final
 *	dot: the next host may then get a second copy, but a duplicate is
 *	better than a loss.
 *
 *	When no address is left, a recipient keeps the last answer a
 *	server gave it, which says more than a later connection failure;
 *	one that no server answered gets the last connection failure.
 *
 *	relay_smtp_dest_init() decides TLS for a routed destination: a
 *	route's tls= and wrappermode= win; else MX delivery has tls_level
 *	(no implicit TLS), a bracketed destination (smarthost, [host]
 *	route, the MTA's [nexthop]) smarthost_tls_level and
 *	smarthost_tls_wrappermode; level "none" means no implicit TLS
 *	either.
 *
 *	Sessions go through the seam of session_cache.c: an idle session
 *	of sessions whose key matches (host, address, port, source, EHLO
 *	name, TLS policy, SASL identity) is used before connecting, after
 *	an RSET probe, and every session is handed back afterwards, to be
 *	kept or closed with QUIT. sessions NULL (pipe mode) never keeps
 *	one: each attempt connects, and QUITs after its transaction.
 *
 *	ehlo_name is the name to say EHLO with (relay_ctx_ehlo_name()).
 *
 *	TLS and AUTH follow dest: its level and implicit TLS for every
 *	host (for the levels dane and dane-only, dane.c decides each
 *	host's TLS before its first address is tried, from dest->dns and
 *	dest->mx_cache; a host it defers is skipped, 4.7.5 being its
 *	result; the TLSA base domain is the host's name, or its CNAME
 *	target when that has TLSA records); the name
 *	checked in the certificate (and sent as SNI) is the next hop's
 *	host for a bracketed destination, else the MX host's name; TLS
 *	sessions are cached in state_directory/tls when
 *	tls_session_cache is on. With auth_secrets_file, the credentials
 *	are those of the first of "[host]:port", "[host]", "host:port",
 *	"host" (the next hop as written, bracketed or not) and, for MX
 *	delivery, the MX host's name, that has a line; none: no AUTH. A
 *	secrets file that cannot be used defers every recipient (4.3.5).
 *
 *	On entry pending[i] marks the recipients to deliver; on return
 *	each of them has its result in results[i] and pending[i] is false.
 *	Nothing is logged per recipient here: the caller writes the
 *	delivery records. stats collects the phases' times and counts.
 * SEE ALSO
 *	Postfix smtp_connect.c and smtp_trouble.c, RFC 5321 5.1.
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "auth.h"
#include "dane.h"
#include "log.h"
#include "pool.h"
#include "session_cache.h"
#include "relay_smtp.h"
#include "smtp_client.h"

#define TAKE_SLOT_STEP_MS	100	/* waiting for a slot: the keeper asked */

struct loop {
	const struct config *cfg;
	struct session_cache *sessions;	/* NULL: never cache */
	const struct deadline *deadline;
	char	pool_dest[NEXTHOP_FORMAT_MAX];	/* names the slots */
	const struct relay_smtp_dest *dest;
	char	tls_dir[CONFIG_PATH_MAX + 8];	/* "" = no session cache */
	const struct envelope *env;
	bool	*pending;
	bool	*answered;		/* a server gave this recipient a result */
	struct relay_result *results;
	struct relay_smtp_stats *stats;
	struct msg_stream *ms;
};

/* relay_smtp_dest_init - the TLS level and mode of a destination */
void
relay_smtp_dest_init(struct relay_smtp_dest *dest, const struct config *cfg,
    const struct route_decision *d)
{
	const struct route *r = d->source == ROUTE_FROM_RULE ? d->rule : NULL;

	dest->nh = &d->nh;
	dest->dns = NULL;
	dest->mx_cache = NULL;
	dest->tls_level = d->nh.want_mx ? cfg->tls_level :
	    cfg->smarthost_tls_level;
	dest->tls_wrappermode = !d->nh.want_mx &&
	    cfg->smarthost_tls_wrappermode;
	if (r != NULL && r->tls_level >= 0)
		dest->tls_level = (enum config_tls_level)r->tls_level;
	if (r != NULL && r->tls_wrappermode >= 0)
		dest->tls_wrappermode = r->tls_wrappermode == 1;
	dest->is_lmtp = d->transport == ROUTE_LMTP;
	/* A unix socket never leaves the host: no TLS (Postfix's lmtp). */
	if (d->nh.is_unix)
		dest->tls_level = CONFIG_TLS_NONE;
	/* Implicit TLS is TLS: level "none" turns it off too. */
	if (dest->tls_level == CONFIG_TLS_NONE)
		dest->tls_wrappermode = false;
}

/* relay_smtp_is_dane - the destination's level is dane or dane-only */
bool
relay_smtp_is_dane(const struct relay_smtp_dest *dest)
{
	return dest->tls_level == CONFIG_TLS_DANE ||
	    dest->tls_level == CONFIG_TLS_DANE_ONLY;
}

/* elapsed_s - seconds since a monotonic millisecond stamp */
static double
elapsed_s(long start_ms)
{
	return (double)(deadline_now_ms() - start_ms) / 1000.0;
}

/* count_pending - recipients still without a final result */
static size_t
count_pending(const struct loop *lp)
{
	size_t i, n = 0;

	for (i = 0; i < lp->env->nrcpt; i++)
		n += lp->pending[i];
	return n;
}

/* source_sockaddr - the configured source address for this family */
static int
source_sockaddr(const struct config *cfg, int family,
    struct sockaddr_storage *ss, socklen_t *len, struct relay_result *why)
{
	struct sockaddr_in *sin = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)ss;

	*len = 0;
	if (cfg->source_address[0] == '\0')
		return 0;
	memset(ss, 0, sizeof(*ss));
	if (family == AF_INET &&
	    inet_pton(AF_INET, cfg->source_address, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		*len = sizeof(*sin);
		return 0;
	}
	if (family == AF_INET6 &&
	    inet_pton(AF_INET6, cfg->source_address, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		*len = sizeof(*sin6);
		return 0;
	}
	if (inet_pton(AF_INET, cfg->source_address, &sin->sin_addr) == 1 ||
	    inet_pton(AF_INET6, cfg->source_address, &sin6->sin6_addr) == 1)
		return 0;	/* the other family: the kernel chooses */
	return relay_result_set(why, "4.3.5", "bad source_address \"%s\"",
	    cfg->source_address);
}

/* transaction - send the message to the pending recipients */
static void
transaction(struct loop *lp, struct smtp_client *cl, bool is_last)
{
	struct envelope sub = *lp->env;
	struct relay_result *res = NULL, why;
	struct address *rcpt = NULL;
	size_t i, n = 0, npend = count_pending(lp);
	long t0 = deadline_now_ms();

	relay_result_init(&why);
	rcpt = calloc(npend, sizeof(*rcpt));
	res = calloc(npend, sizeof(*res));
	if (rcpt == NULL || res == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		goto fail;
	}
	/* A second transaction (here or at another destination) replays. */
	if (msg_stream_started(lp->ms) && msg_stream_rewind(lp->ms, &why) != 0)
		goto fail;
	for (i = 0; i < lp->env->nrcpt; i++) {
		if (!lp->pending[i])
			continue;
		rcpt[n] = lp->env->rcpt[i];
		relay_result_init(&res[n]);
		n++;
	}
	sub.rcpt = rcpt;
	sub.nrcpt = n;
	(void)smtp_client_send(cl, &sub, lp->ms, res, &why);
	lp->stats->conn_use = smtp_client_messages(cl);
	for (i = 0, n = 0; i < lp->env->nrcpt; i++) {
		if (!lp->pending[i])
			continue;
		relay_result_copy(&lp->results[i], &res[n++]);
		lp->answered[i] = true;
		/* Soft errors go on to the next host, if there is one. */
		if (lp->results[i].class != RELAY_TRANSIENT || is_last)
			lp->pending[i] = false;
	}
	lp->stats->delays.xfer_s += elapsed_s(t0);
	free(rcpt);
	free(res);
	return;
fail:
	/* We cannot send at all: every pending recipient is done here. */
	for (i = 0; i < lp->env->nrcpt; i++) {
		if (!lp->pending[i])
			continue;
		relay_result_copy(&lp->results[i], &why);
		lp->answered[i] = true;
		lp->pending[i] = false;
	}
	free(rcpt);
	free(res);
}

/* auth_lookup - the credentials for this hop, if any; -1 on trouble */
static int
auth_lookup(const struct loop *lp, const char *host,
    struct auth_secret *sec, bool *found, struct relay_result *why)
{
	const struct nexthop *nh = lp->dest->nh;
	struct auth_keys k;
	char key[AUTH_KEY_MAX];

	*found = false;
	if (lp->cfg->auth_secrets_file[0] == '\0')
		return 0;
	auth_keys_init(&k);
	if (nh != NULL) {
		snprintf(key, sizeof(key), "[%s]:%u", nh->host, nh->port);
		auth_keys_add(&k, key);
		snprintf(key, sizeof(key), "[%s]", nh->host);
		auth_keys_add(&k, key);
		snprintf(key, sizeof(key), "%s:%u", nh->host, nh->port);
		auth_keys_add(&k, key);
		auth_keys_add(&k, nh->host);
	}
	if (nh == NULL || nh->want_mx)
		auth_keys_add(&k, host);
	if (auth_secrets_lookup(lp->cfg->auth_secrets_file, &k, sec, found,
	    why) != 0)
		return -1;
	if (log_verbose())
		log_debug("relay_smtp: %s credentials for %s%s%s",
		    *found ? "using" : "no", host, *found ? " from " : "",
		    *found ? sec->key : "");
	return 0;
}

/*
 * take_slot - a pool_size slot for a new connection; when the
 * destination's slots are all taken, our own idle sessions of it give
 * theirs up before we wait (up to pool_wait). While waiting, a session
 * of the key that another run hands to the keeper with its slot is
 * taken as it comes (*cl set, with its slot): 0, or -1 with why set
 */
static int
take_slot(struct loop *lp, const char *key, const struct smtp_options *opt,
    struct pool_slot **slot, struct smtp_client **cl,
    struct relay_result *why)
{
	const struct config *cfg = lp->cfg;
	struct deadline wait, step;
	long t0 = deadline_now_ms();
	int rc;

	*slot = NULL;
	*cl = NULL;
	if (cfg->pool_size <= 0)
		return 0;
	if (pool_acquire(cfg->state_directory, lp->pool_dest, cfg->pool_size,
	    NULL, slot, why) == 0)
		return 0;
	if (session_cache_drop_dest(lp->sessions, lp->pool_dest) > 0 &&
	    pool_acquire(cfg->state_directory, lp->pool_dest, cfg->pool_size,
	    NULL, slot, why) == 0)
		return 0;
	deadline_in_ms(&wait, cfg->pool_wait_ms);
	wait = deadline_earliest(&wait, lp->deadline);
	for (;;) {
		relay_result_init(why);
		deadline_in_ms(&step, TAKE_SLOT_STEP_MS);
		step = deadline_earliest(&step, &wait);
		rc = pool_acquire(cfg->state_directory, lp->pool_dest,
		    cfg->pool_size, &step, slot, why);
		if (rc == 0 || deadline_expired(&wait) ||
		    strcmp(why->status, "4.4.5") != 0)
			break;
		if ((*cl = session_cache_get(lp->sessions, key, opt,
		    &opt->deadline, slot)) != NULL) {
			relay_result_init(why);
			rc = 0;
			break;
		}
	}
	lp->stats->delays.wait_s += elapsed_s(t0);
	return rc;
}

/*
 * tlsa_digest - FNV-1a of the TLSA records a DANE session was verified
 * with (0 for none): a session verified under one set is never reused
 * under another
 */
static unsigned
tlsa_digest(const struct dns_tlsa_set *set)
{
	unsigned h = 2166136261u;
	size_t i, k;

	if (set == NULL)
		return 0;
	for (i = 0; i < set->nrr; i++) {
		const struct dns_tlsa *r = &set->rr[i];

		h = (h ^ r->usage) * 16777619u;
		h = (h ^ r->selector) * 16777619u;
		h = (h ^ r->mtype) * 16777619u;
		for (k = 0; k < r->len; k++)
			h = (h ^ r->data[k]) * 16777619u;
	}
	return h;
}

/*
 * session_key - everything a kept session must match to be used for
 * this attempt (Postfix's smtp_key.c idea): host, address, port, source,
 * EHLO name, TLS policy (with the names DANE-TA may match), SASL
 * identity, LMTP or SMTP, and pool_size (a session of a run without slots
 * has none to bring). NULL when it does not fit: such a session is never
 * reused.
 */
static const char *
session_key(char *buf, size_t size, const struct smtp_options *opt,
    const char *host, const struct dns_addr *a, const char *src_text,
    int pool_size)
{
	const struct tls_policy *t = &opt->tls;
	unsigned port = a->sa.ss_family == AF_INET6 ?
	    ntohs(((const struct sockaddr_in6 *)&a->sa)->sin6_port) :
	    ntohs(((const struct sockaddr_in *)&a->sa)->sin_port);
	int n;

#define S(p) ((p) != NULL ? (p) : "")
	n = snprintf(buf, size, "%s[%s]:%u src=%s ehlo=%s tls=%s%s "
	    "verify=%s names=%s,%s ca=%s:%s fp=%s tlsa=%08x auth=%s:%s:%d%s "
	    "pool=%d",
	    host, a->text, port, src_text, S(opt->ehlo_name),
	    config_tls_level_name(t->level), t->wrappermode ? "+wrapper" : "",
	    S(t->verify_name), S(t->mx_name), S(t->nexthop_name),
	    S(t->ca_file), S(t->ca_path),
	    S(t->fingerprints), tlsa_digest(t->tlsa),
	    opt->auth != NULL ? opt->auth->user : "",
	    S(opt->auth_mechanism), opt->auth_allow_plaintext,
	    opt->is_lmtp ? " lmtp" : "", pool_size);
#undef S
	return n > 0 && (size_t)n < size ? buf : NULL;
}

/*
 * dane_for_host - levels dane and dane-only: the TLS this host gets
 * (dane.c); -1 with why set when it must not be tried at all
 */
static int
dane_for_host(const struct relay_smtp_dest *dest,
    const struct dns_mx_list *list, const struct dns_mx_host *mh,
    struct dane_host *dh, struct smtp_options *opt, struct relay_result *why)
{
	const struct nexthop *nh = dest->nh;
	unsigned port = nh != NULL ? nh->port : 25;

	if (dane_host_policy(dest->dns, dest->mx_cache, dest->tls_level,
	    list->is_secure, list->domain, mh->name, mh->target,
	    mh->is_secure, port, dh, why) != 0) {
		relay_result_set_relay(why, "none");
		log_info("relay_smtp: %s: %s", mh->name, why->text);
		return -1;
	}
	switch (dh->action) {
	case DANE_ACT_VERIFY:
		opt->tls.level = CONFIG_TLS_DANE;
		opt->tls.tlsa = &dh->tlsa;
		opt->tls.verify_name = dh->base;
		opt->tls.mx_name = mh->name;
		opt->tls.nexthop_name = nh != NULL ? nh->host : list->domain;
		break;
	case DANE_ACT_ENCRYPT:
		log_info("dane: %s: TLS required, not authenticated", dh->text);
		opt->tls.level = CONFIG_TLS_ENCRYPT;
		break;
	default:
		if (log_verbose())
			log_debug("dane: %s: opportunistic TLS", dh->text);
		opt->tls.level = CONFIG_TLS_MAY;
		break;
	}
	opt->tls.wrappermode = dest->tls_wrappermode;
	return 0;
}

/*
 * try_address - one connection attempt: 0 when a session happened, -1
 * when the connection failed, -2 for our own trouble (configuration,
 * memory), which the next address will not cure. A kept session of the
 * same key is used first (session_cache_get()), and the session is
 * handed back afterwards (session_cache_put(): kept, or QUIT).
 */
static int
try_address(struct loop *lp, const struct smtp_options *base,
    const char *host, const struct dns_addr *a, bool is_last,
    struct relay_result *why)
{
	struct smtp_client *cl;
	struct smtp_options opt = *base;
	struct auth_secret sec;
	struct sockaddr_storage src;
	struct pool_slot *slot = NULL;
	socklen_t srclen;
	char keybuf[SESSION_KEY_MAX];
	const char *key;
	long t0 = deadline_now_ms();
	bool found;
	int ret = 0;

	if (source_sockaddr(lp->cfg, a->sa.ss_family, &src, &srclen,
	    why) != 0)
		return -2;
	if (auth_lookup(lp, host, &sec, &found, why) != 0)
		return -2;
	opt.auth = found ? &sec : NULL;
	opt.tls.verify_name = lp->dest->nh != NULL &&
	    !lp->dest->nh->want_mx ? lp->dest->nh->host : host;
	/* DANE: the TLSA base domain (RFC 7672 2.2.2), from dane.c. */
	if (opt.tls.level == CONFIG_TLS_DANE)
		opt.tls.verify_name = base->tls.verify_name;
	key = session_key(keybuf, sizeof(keybuf), &opt, host, a,
	    lp->cfg->source_address, lp->cfg->pool_size);
	if ((cl = session_cache_get(lp->sessions, key, &opt, &opt.deadline,
	    &slot)) == NULL) {
		/* A new connection: its pool_size slot first (pool.c). */
		if (take_slot(lp, key, &opt, &slot, &cl, why) != 0) {
			ret = -2;
			goto out;
		}
		/* The wait is counted apart (wait_s), not as connecting. */
		t0 = deadline_now_ms();
	}
	if (cl == NULL) {
		if ((cl = smtp_client_new(&opt)) == NULL) {
			relay_result_set(why, "4.3.0", "out of memory");
			ret = -2;
			goto out;
		}
		relay_result_init(why);
		if (smtp_client_connect(cl, host,
		    (const struct sockaddr *)&a->sa, a->salen,
		    srclen ? (const struct sockaddr *)&src : NULL, srclen,
		    why) != 0) {
			lp->stats->delays.conn_s += elapsed_s(t0);
			if (why->stage != NULL &&
			    strcmp(why->stage, "CONNECT") == 0)
				relay_result_set_relay(why, "none");
			log_info("relay_smtp: %s", why->text);
			ret = -1;
			goto out;
		}
	}
	auth_secret_wipe(&sec);
	lp->stats->delays.conn_s += elapsed_s(t0);
	lp->stats->sessions++;
	transaction(lp, cl, is_last);
	session_cache_put(lp->sessions, key, lp->pool_dest, cl, slot);
	return 0;
out:
	smtp_client_free(cl);
	pool_release(slot);
	auth_secret_wipe(&sec);
	return ret;
}

/* relay_smtp_deliver - Postfix's connection loop over hosts */
void
relay_smtp_deliver(const struct config *cfg, struct session_cache *sessions,
    const char *ehlo_name, const struct relay_smtp_dest *dest,
    const struct dns_mx_list *list,
    const struct envelope *env, bool *pending, struct msg_stream *ms,
    const struct deadline *deadline, struct relay_result *results,
    struct relay_smtp_stats *stats)
{
	struct smtp_options opt, hopt;
	struct relay_result why;
	struct dane_host *dh = NULL;
	struct loop lp;
	size_t h, k, i, limit;
	int s;

	memset(&lp, 0, sizeof(lp));
	memset(&opt, 0, sizeof(opt));
	lp.cfg = cfg;
	lp.sessions = sessions;
	lp.deadline = deadline;
	nexthop_format(dest->nh, lp.pool_dest, sizeof(lp.pool_dest));
	lp.dest = dest;
	if (cfg->tls_session_cache && cfg->state_directory[0] != '\0')
		snprintf(lp.tls_dir, sizeof(lp.tls_dir), "%s/tls",
		    cfg->state_directory);
	lp.env = env;
	lp.pending = pending;
	lp.results = results;
	lp.stats = stats;
	lp.ms = ms;
	relay_result_init(&why);
	lp.answered = calloc(env->nrcpt ? env->nrcpt : 1, sizeof(bool));
	if (lp.answered == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		goto out;
	}
	opt.ehlo_name = ehlo_name;
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		opt.timeout_ms[s] = cfg->timeout_ms[s];
	opt.deadline = *deadline;
	opt.tls.level = dest->tls_level;
	opt.tls.wrappermode = dest->tls_wrappermode;
	opt.tls.ca_file = cfg->tls_ca_file;
	opt.tls.ca_path = cfg->tls_ca_path;
	opt.tls.fingerprints = cfg->tls_fingerprints;
	opt.tls.cache_dir = lp.tls_dir;
	opt.auth_mechanism = cfg->auth_mechanism;
	opt.auth_allow_plaintext = cfg->auth_allow_plaintext;
	opt.auth_soft_bounce = cfg->auth_soft_bounce;
	opt.is_lmtp = dest->is_lmtp;

	limit = list->naddr < (size_t)cfg->mx_address_limit ? list->naddr :
	    (size_t)cfg->mx_address_limit;
	relay_result_set(&why, "4.4.1", "no address of %s could be tried",
	    list->domain);
	if (relay_smtp_is_dane(dest) && (dest->dns == NULL ||
	    (dh = malloc(sizeof(*dh))) == NULL)) {
		relay_result_set(&why, "4.3.0", "out of memory");
		goto out;
	}
	for (h = 0; h < list->nhost; h++) {
		const struct dns_mx_host *mh = &list->host[h];

		hopt = opt;
		if (dh != NULL && dane_for_host(dest, list, mh, dh, &hopt,
		    &why) != 0)
			continue;
		for (k = 0; k < mh->naddr; k++) {
			bool is_last;

			if ((size_t)stats->addresses >= limit ||
			    stats->sessions >= cfg->mx_session_limit ||
			    count_pending(&lp) == 0 ||
			    deadline_expired(deadline))
				goto out;
			stats->addresses++;
			is_last = (size_t)stats->addresses == limit ||
			    stats->sessions + 1 >= cfg->mx_session_limit;
			/*
			 * is_last with sessions counts the session about to
			 * start: the last one allowed keeps soft errors.
			 */
			if (try_address(&lp, &hopt, mh->name,
			    &list->addr[mh->first + k], is_last, &why) == -2)
				goto out;
		}
	}
out:
	/* No address left: the best answer each recipient got. */
	for (i = 0; i < env->nrcpt; i++) {
		if (!pending[i])
			continue;
		if (lp.answered == NULL || !lp.answered[i])
			relay_result_copy(&results[i], &why);
		pending[i] = false;
	}
	free(dh);
	free(lp.answered);
}
