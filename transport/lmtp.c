/*
 * NAME
 *	lmtp - slimrelay --lmtp: many messages per process, a reply per
 *	recipient
 * SYNOPSIS
 *	#include "lmtp.h"
 *
 *	int lmtp_mode(const struct config *cfg, const char *nexthop);
 * DESCRIPTION
 *	LMTP mode: an RFC 2033 server on standard input and output
 *	(lib/lmtp_server.c) for Postfix's lmtp(8) through a master.cf
 *	spawn(8) service, or Exim's lmtp transport with command =. One
 *	process serves message after message; the service (configuration,
 *	name service, MX cache, and the outbound SMTP sessions kept open
 *	between messages, session_cache.c) lives as long as the process,
 *	each message is a job (relay_job_run(), the same delivery sequence
 *	as pipe mode), and each recipient gets its own reply.
 *
 *	LMTP carries no next hop: recipients go where a routing header, a
 *	route rule, smarthost or MX say; nexthop (-n) is a default for a
 *	service dedicated to one smart host. A recipient whose route the
 *	configuration alone cannot resolve is refused at RCPT with its
 *	result (4.3.5: deferred, never bounced).
 *
 *	lmtp_mode() returns the exit status: 0 when the session ended
 *	normally (QUIT, end of input between transactions, idle timeout,
 *	maximum age), 75 when it was cut off inside a transaction (the MTA
 *	defers what got no reply). Standard error must already be away from
 *	the socket (main.c moves it to /dev/null first of all): spawn(8)
 *	and Exim make it the LMTP stream too.
 * SEE ALSO
 *	slimrelay(8) LMTP MODE, lmtp_server.c, RFC 2033, Postfix spawn(8),
 *	lmtp(8).
 */
#include "autoconfig.h"

#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "lmtp.h"
#include "lmtp_server.h"
#include "log.h"
#include "myhostname.h"
#include "relay.h"
#include "session_cache.h"

#define LMTP_IDLE_SESSIONS	32	/* outbound sessions kept in all */
/*
 * A message's deliveries end well inside Postfix lmtp(8)'s
 * lmtp_data_done_timeout (600s), whatever "deadline" says: a reply
 * that comes too late is a lost LMTP session to Postfix, which then
 * throttles the whole transport.
 */
#define LMTP_DEADLINE_MAX_MS	(540 * 1000L)

struct lmtp_service {
	const struct config *cfg;
	const char *nexthop;		/* -n, or NULL */
	struct relay_ctx ctx;
	unsigned messages;
};

/* check_rcpt - refuse at RCPT what the configuration cannot route */
static int
check_rcpt(void *arg, const struct envelope *env, const struct address *rcpt,
    struct relay_result *why)
{
	struct lmtp_service *svc = arg;
	struct route_decision d;

	(void)env;
	return route_decide(NULL, &svc->cfg->routes, svc->cfg->smarthost,
	    svc->nexthop, rcpt->domain, &d, why);
}

/* sent_text - "sent to H[A]:P (250 2.0.0 Ok: queued as X)" */
static void
sent_text(struct relay_result *r)
{
	char text[RELAY_TEXT_MAX], status[RELAY_STATUS_MAX];

	snprintf(text, sizeof(text), "%s", r->text);
	snprintf(status, sizeof(status), "%s", r->status);
	relay_result_set(r, status, "sent to %s (%s)", r->relay, text);
}

/* tick - while the MTA is silent: close sessions idle for too long */
static void
tick(void *arg)
{
	struct lmtp_service *svc = arg;

	session_cache_expire(svc->ctx.sessions);
}

/* deliver - one message: a job with the process's service */
static void
deliver(void *arg, const struct envelope *env, struct msg_stream *ms,
    struct relay_result *results)
{
	struct lmtp_service *svc = arg;
	struct relay_result why;
	struct relay_job job;
	struct deadline deadline;
	size_t i;

	deadline_in_ms(&deadline, svc->cfg->deadline_ms < LMTP_DEADLINE_MAX_MS ?
	    svc->cfg->deadline_ms : LMTP_DEADLINE_MAX_MS);
	relay_job_init(&job, svc->nexthop, env, ms, results, &deadline);
	relay_result_init(&why);
	if (relay_job_run(&svc->ctx, &job, &why) != 0) {
		log_warn("%s", why.text);
		for (i = 0; i < env->nrcpt; i++)
			relay_result_copy(&results[i], &why);
	}
	/*
	 * A delivered recipient's text is the next hop's reply; the MTA
	 * logs our reply, so it says where the message went (our own
	 * records were written already).
	 */
	for (i = 0; i < env->nrcpt; i++)
		if (results[i].class == RELAY_OK)
			sent_text(&results[i]);
	relay_job_fini(&job);
	svc->messages++;
}

/* lmtp_mode - serve LMTP on stdin/stdout until the client is done */
int
lmtp_mode(const struct config *cfg, const char *nexthop,
    const struct keeper_client_options *kopt)
{
	struct session_cache_options so;
	struct lmtp_server_options lo;
	struct lmtp_server_handler h;
	struct lmtp_service svc;
	struct lmtp_server *srv = NULL;
	enum lmtp_server_end end = LMTP_SERVER_IO_ERROR;
	char name[256];

	memset(&svc, 0, sizeof(svc));
	svc.cfg = cfg;
	svc.nexthop = nexthop != NULL && *nexthop != '\0' ? nexthop : NULL;
	relay_ctx_init(&svc.ctx, cfg);
	/* Under the keeper too: what is idle at the end goes to it. */
	session_cache_options_init(&so, cfg, LMTP_IDLE_SESSIONS, kopt);
	svc.ctx.sessions = session_cache_new(&so);

	if (cfg->ehlo_name[0] != '\0')
		snprintf(name, sizeof(name), "%s", cfg->ehlo_name);
	else
		(void)myhostname_get(name, sizeof(name), MYHOSTNAME_HOSTS);
	memset(&lo, 0, sizeof(lo));
	lo.hostname = name;
	lo.idle_timeout_ms = cfg->lmtp_idle_timeout_ms;
	lo.command_timeout_ms = cfg->lmtp_idle_timeout_ms;
	lo.max_age_ms = cfg->lmtp_max_age_ms;
	/* Idle sessions close on time, not at the next message. */
	lo.tick_ms = cfg->connection_idle_timeout_ms / 2;
	if (lo.tick_ms < 100)
		lo.tick_ms = 100;
	if (lo.tick_ms > 1000)
		lo.tick_ms = 1000;
	memset(&h, 0, sizeof(h));
	h.check_rcpt = check_rcpt;
	h.deliver = deliver;
	h.tick = tick;
	h.arg = &svc;
	if (svc.ctx.sessions == NULL ||
	    (srv = lmtp_server_new(STDIN_FILENO, STDOUT_FILENO, &lo,
	    &h)) == NULL) {
		log_err("lmtp: out of memory");
		goto out;
	}
	end = lmtp_server_run(srv);
	log_info("lmtp: session ended (%s) after %u message(s)",
	    lmtp_server_end_name(end), svc.messages);
out:
	lmtp_server_free(srv);
	/* QUIT to every kept session, their slots released. */
	session_cache_free(svc.ctx.sessions);
	svc.ctx.sessions = NULL;
	relay_ctx_fini(&svc.ctx);
	switch (end) {
	case LMTP_SERVER_QUIT:
	case LMTP_SERVER_EOF:
	case LMTP_SERVER_IDLE:
	case LMTP_SERVER_AGE:
		return 0;
	default:
		return EX_TEMPFAIL;
	}
}
