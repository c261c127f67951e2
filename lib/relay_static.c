/*
 * NAME
 *	relay_static - the smart-host relay: every recipient of a run to
 *	one destination
 * SYNOPSIS
 *	#include "relay_static.h"
 *
 *	int relay_static_deliver(const struct config *cfg,
 *	    const struct nexthop *nh, const struct envelope *env,
 *	    struct msg_stream *ms, const struct deadline *deadline,
 *	    struct relay_result *rcpt_results);
 * DESCRIPTION
 *	The seed's StaticSmtpRelay(host, port, pool_size=N) for one
 *	message: resolve the destination's addresses (no MX lookup:
 *	"[host]:port"; an unbracketed name is looked up as a host too
 *	until MX relaying exists), take one of the destination's
 *	pool_size connection slots shared by all slimrelay processes,
 *	then try the addresses in order until one completes the SMTP
 *	handshake, and run one transaction there.
 *
 *	Like Postfix's smtp(8), at most RELAY_STATIC_ADDRESS_LIMIT
 *	addresses are tried (smtp_mx_address_limit); a connection that
 *	fails before the transaction (refused, timed out, a greeting or
 *	EHLO refusal, a lost connection) moves on to the next address,
 *	and the last such reason is the result when none is left. Once a
 *	transaction has started, its results are final for this run.
 *
 *	On entry rcpt_results[i] must be initialised; results whose class
 *	is already final (a recipient refused by address syntax) are kept
 *	and the recipient is not sent. Every other recipient gets exactly
 *	one result, and one delivery record is logged per recipient
 *	(log_delivery). Returns 0 when every recipient was delivered,
 *	-1 otherwise.
 * SEE ALSO
 *	Postfix smtp_connect.c (address loop), slimrelay(8).
 */
#include "autoconfig.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dns.h"
#include "log.h"
#include "pool.h"
#include "relay_static.h"
#include "smtp_client.h"

#define RELAY_STATIC_ADDRESS_LIMIT 5

struct attempt {
	const struct config *cfg;
	const struct envelope *env;
	struct relay_result *results;
	bool	*pending;		/* recipients still to be sent */
	struct log_delays delays;
	int	conn_use;
};

/* elapsed_s - seconds since a monotonic millisecond stamp */
static double
elapsed_s(long start_ms)
{
	return (double)(deadline_now_ms() - start_ms) / 1000.0;
}

/* fail_pending - give every pending recipient the same result */
static void
fail_pending(struct attempt *at, const struct relay_result *why)
{
	size_t i;

	for (i = 0; i < at->env->nrcpt; i++) {
		if (!at->pending[i])
			continue;
		relay_result_copy(&at->results[i], why);
		at->pending[i] = false;
	}
}

/* source_sockaddr - the configured source address, if any */
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
		return 0;	/* other family: let the kernel choose */
	return relay_result_set(why, "4.3.5", "bad source_address \"%s\"",
	    cfg->source_address);
}

/* smtp_options_from - the client's options from the configuration */
static void
smtp_options_from(struct smtp_options *opt, const struct config *cfg,
    const char *ehlo_name, const struct deadline *deadline)
{
	int s;

	opt->ehlo_name = ehlo_name;
	for (s = 0; s < SMTP_STAGE_COUNT; s++)
		opt->timeout_ms[s] = cfg->timeout_ms[s];
	opt->deadline = *deadline;
}

/* send_message - one transaction on an open session */
static void
send_message(struct attempt *at, struct smtp_client *cl,
    struct msg_stream *ms)
{
	struct envelope sub = *at->env;
	struct relay_result *res, why;
	struct address *rcpt;
	size_t i, n = 0;
	long t0 = deadline_now_ms();

	rcpt = calloc(at->env->nrcpt, sizeof(*rcpt));
	res = calloc(at->env->nrcpt, sizeof(*res));
	if (rcpt == NULL || res == NULL) {
		relay_result_init(&why);
		relay_result_set(&why, "4.3.0", "out of memory");
		fail_pending(at, &why);
		goto out;
	}
	for (i = 0; i < at->env->nrcpt; i++) {
		if (!at->pending[i])
			continue;
		rcpt[n] = at->env->rcpt[i];
		relay_result_init(&res[n]);
		n++;
	}
	sub.rcpt = rcpt;
	sub.nrcpt = n;
	relay_result_init(&why);
	(void)smtp_client_send(cl, &sub, ms, res, &why);
	at->conn_use = smtp_client_messages(cl);
	for (i = 0, n = 0; i < at->env->nrcpt; i++) {
		if (!at->pending[i])
			continue;
		relay_result_copy(&at->results[i], &res[n++]);
		at->pending[i] = false;
	}
	at->delays.xfer_s += elapsed_s(t0);
out:
	free(rcpt);
	free(res);
}

/* try_addresses - connect to each address in turn, deliver on the first */
static void
try_addresses(struct attempt *at, const char *host, struct dns_addr *addrs,
    size_t naddr, struct msg_stream *ms, const struct deadline *deadline)
{
	struct smtp_options opt;
	struct smtp_client *cl;
	struct sockaddr_storage src;
	socklen_t srclen;
	struct relay_result why;
	char ehlo_name[256];
	size_t i;
	long t0;

	if (at->cfg->ehlo_name[0] != '\0')
		snprintf(ehlo_name, sizeof(ehlo_name), "%s",
		    at->cfg->ehlo_name);
	else if (gethostname(ehlo_name, sizeof(ehlo_name)) != 0)
		snprintf(ehlo_name, sizeof(ehlo_name), "localhost");
	ehlo_name[sizeof(ehlo_name) - 1] = '\0';
	smtp_options_from(&opt, at->cfg, ehlo_name, deadline);
	relay_result_init(&why);
	relay_result_set(&why, "4.4.1", "no address of %s could be tried",
	    host);
	for (i = 0; i < naddr && i < RELAY_STATIC_ADDRESS_LIMIT; i++) {
		if (source_sockaddr(at->cfg, addrs[i].sa.ss_family, &src,
		    &srclen, &why) != 0)
			break;
		if ((cl = smtp_client_new(&opt)) == NULL) {
			relay_result_set(&why, "4.3.0", "out of memory");
			break;
		}
		t0 = deadline_now_ms();
		relay_result_init(&why);
		if (smtp_client_connect(cl, host,
		    (const struct sockaddr *)&addrs[i].sa, addrs[i].salen,
		    srclen ? (const struct sockaddr *)&src : NULL, srclen,
		    &why) != 0) {
			at->delays.conn_s += elapsed_s(t0);
			if (why.stage != NULL &&
			    strcmp(why.stage, "CONNECT") == 0)
				relay_result_set_relay(&why, "none");
			log_info("relay_static: %s", why.text);
			smtp_client_free(cl);
			if (deadline_expired(deadline))
				break;
			continue;
		}
		at->delays.conn_s += elapsed_s(t0);
		send_message(at, cl, ms);
		smtp_client_quit(cl);
		smtp_client_free(cl);
		return;
	}
	fail_pending(at, &why);
}

/* relay_static_deliver - deliver one message to one destination */
int
relay_static_deliver(const struct config *cfg, const struct nexthop *nh,
    const struct envelope *env, struct msg_stream *ms,
    const struct deadline *deadline, struct relay_result *results)
{
	struct dns_addr *addrs = NULL;
	struct pool_slot *slot = NULL;
	struct dns *dns = NULL;
	struct deadline wait;
	struct attempt at;
	struct relay_result why;
	char dest[NEXTHOP_HOST_MAX + 16];
	size_t i, naddr = 0;
	long start = deadline_now_ms(), t0;
	int ret = 0;

	memset(&at, 0, sizeof(at));
	at.cfg = cfg;
	at.env = env;
	at.results = results;
	at.pending = calloc(env->nrcpt ? env->nrcpt : 1, sizeof(bool));
	addrs = calloc(DNS_ADDRS_MAX, sizeof(*addrs));
	relay_result_init(&why);
	if (at.pending == NULL || addrs == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		for (i = 0; i < env->nrcpt; i++)
			if (results[i].class != RELAY_PERMANENT)
				relay_result_copy(&results[i], &why);
		goto log;
	}
	for (i = 0; i < env->nrcpt; i++)
		at.pending[i] = results[i].class != RELAY_PERMANENT;

	/* Where: the destination's addresses. */
	t0 = deadline_now_ms();
	if ((dns = dns_new(cfg)) == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		fail_pending(&at, &why);
		goto log;
	}
	if (dns_lookup_host(dns, nh->host, nh->port, addrs, DNS_ADDRS_MAX,
	    &naddr, &why) != 0) {
		at.delays.dns_s = elapsed_s(t0);
		log_info("dns: %s", dns_last_error(dns));
		fail_pending(&at, &why);
		goto log;
	}
	at.delays.dns_s = elapsed_s(t0);

	/* How many of us may talk to it at once. */
	nexthop_format(nh, dest, sizeof(dest));
	deadline_in_ms(&wait, cfg->pool_wait_ms);
	wait = deadline_earliest(&wait, deadline);
	if (pool_acquire(cfg->state_directory, dest, cfg->pool_size, &wait,
	    &slot, &why) != 0) {
		fail_pending(&at, &why);
		goto log;
	}
	try_addresses(&at, nh->host, addrs, naddr, ms, deadline);
	pool_release(slot);

log:
	for (i = 0; i < env->nrcpt; i++) {
		if (results[i].class != RELAY_OK)
			ret = -1;
		log_delivery(env->queue_id, env->rcpt[i].addr, &results[i],
		    at.conn_use, elapsed_s(start), &at.delays);
	}
	dns_free(dns);
	free(addrs);
	free(at.pending);
	return ret;
}
