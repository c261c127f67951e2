/*
 * NAME
 *	relay - one run's deliveries: route, group, deliver, log
 * SYNOPSIS
 *	#include "relay.h"
 *
 *	void relay_ctx_init(struct relay_ctx *ctx, const struct config *cfg);
 *	void relay_ctx_fini(struct relay_ctx *ctx);
 *	struct dns *relay_ctx_dns(struct relay_ctx *ctx);
 *	void relay_job_init(struct relay_job *job, const char *mta_nexthop,
 *	    const struct envelope *env, struct msg_stream *ms,
 *	    struct relay_result *results, const struct deadline *deadline);
 *	void relay_job_fini(struct relay_job *job);
 *	int relay_job_run(struct relay_ctx *ctx, struct relay_job *job,
 *	    struct relay_result *why);
 *	int relay_deliver(struct relay_ctx *ctx, struct relay_job *job);
 *	int relay_explain(struct relay_ctx *ctx, const char *mta_nexthop,
 *	    const char *address, FILE *fp);
 * DESCRIPTION
 *	relay_ctx is the service: what lives for the process, however many
 *	messages it carries: the configuration, the name service and MX
 *	cache handles, made at first use (nothing slow happens for mail
 *	that needs no lookup), our own addresses, and the idle sessions
 *	(sessions, NULL unless the caller makes a session cache: pipe mode
 *	keeps none). relay_ctx_fini() frees the handles; the session cache
 *	is the caller's. A message never changes the service.
 *
 *	relay_job is one message: the MTA's next hop, the envelope, the
 *	message stream, the results (one per recipient, the caller's), the
 *	deadline of the delivery and the routes the message's routing
 *	headers grant (for this message only). relay_job_init() sets it
 *	up, the delivery timed from then; relay_job_fini() frees its
 *	routes.
 *
 *	relay_job_run() is the whole delivery sequence of one message,
 *	the same for every mode: read the start of the message
 *	(msg_stream_peek()), strip the routing headers and honour the
 *	signed ones (routing_apply(), into job->routes), relay_deliver(),
 *	then read the message to its end (an MTA's pipe must be drained).
 *	It returns 0 with every result set (and logged), or -1 with why
 *	set when the message could not be read or its routing headers not
 *	checked: then no recipient was tried and nothing was logged for
 *	them; the caller reports why for all.
 *
 *	relay_deliver() routes every recipient (route_decide(): the
 *	job's routes, route rule, smarthost, the MTA's ${nexthop}, MX of
 *	the recipient
 *	domain), delivers the recipients of each destination together in
 *	their own transaction (bracketed: the smart-host relay; otherwise
 *	MX relaying), and logs one delivery record per recipient
 *	(log_delivery), including those refused before any delivery.
 *	Recipients whose results[i] is already permanent on entry (bad
 *	address syntax) are not sent. The message is read again for each
 *	destination after the first (MSG_STREAM_REPLAY). It returns 0
 *	when every recipient was delivered, -1 otherwise.
 *
 *	relay_explain() is "slimrelay --route": it prints, without
 *	sending anything, how mail for one address would be delivered:
 *	the rule that decided, the hosts with preferences, addresses and
 *	TTLs, whether the MX answer came from the cache, or the failure
 *	with its status; the conditional rules for the domain, which
 *	only slimrelay-milter applies; and with the levels dane and
 *	dane-only the DNSSEC status of the MX answer and of each host's
 *	addresses, each host's TLSA records, and what the policy will
 *	require of the host (dane.c): it looks the TLSA records up. It
 *	returns 0, or -1 when the address could not be routed.
 * SEE ALSO
 *	route.c, relay_static.c, relay_mx.c, relay_smtp.c, log.c.
 */
#include "autoconfig.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "log.h"
#include "myhostname.h"
#include "relay.h"
#include "routing.h"

/* relay_ctx_init - the service; nothing is looked up yet */
void
relay_ctx_init(struct relay_ctx *ctx, const struct config *cfg)
{
	memset(ctx, 0, sizeof(*ctx));
	ctx->cfg = cfg;
}

/* relay_job_init - one message; its delivery is timed from now */
void
relay_job_init(struct relay_job *job, const char *mta_nexthop,
    const struct envelope *env, struct msg_stream *ms,
    struct relay_result *results, const struct deadline *deadline)
{
	memset(job, 0, sizeof(*job));
	job->mta_nexthop = mta_nexthop;
	job->env = env;
	job->ms = ms;
	job->results = results;
	route_table_init(&job->routes);
	job->deadline = *deadline;
	job->start_ms = deadline_now_ms();
}

/* relay_job_fini - free what the message's routing headers granted */
void
relay_job_fini(struct relay_job *job)
{
	route_table_free(&job->routes);
}

/* relay_job_run - peek, routing headers, deliveries, drain */
int
relay_job_run(struct relay_ctx *ctx, struct relay_job *job,
    struct relay_result *why)
{
	struct relay_result ignored;

	/* Routing headers: removed from the message, honoured if signed. */
	if (msg_stream_peek(job->ms, why) != 0 ||
	    routing_apply(ctx->cfg, job->ms, job->env, &job->routes,
	    why) != 0)
		return -1;
	(void)relay_deliver(ctx, job);
	/* pipe(8) and Exim expect the whole message to be read. */
	relay_result_init(&ignored);
	(void)msg_stream_drain(job->ms, &ignored);
	return 0;
}

/* relay_ctx_fini - free the lookup handles */
void
relay_ctx_fini(struct relay_ctx *ctx)
{
	dns_free(ctx->dns);
	mx_cache_free(ctx->mx_cache);
	ctx->dns = NULL;
	ctx->mx_cache = NULL;
}

/*
 * relay_ctx_ehlo_name - ehlo_name, else this host's fully qualified
 * name (myhostname.c), found once per process, at first use (with a
 * warning in the log when it is not fully qualified)
 */
const char *
relay_ctx_ehlo_name(struct relay_ctx *ctx)
{
	if (ctx->ehlo_name[0] != '\0')
		return ctx->ehlo_name;
	if (ctx->cfg->ehlo_name[0] != '\0')
		snprintf(ctx->ehlo_name, sizeof(ctx->ehlo_name), "%s",
		    ctx->cfg->ehlo_name);
	else if (!myhostname_get(ctx->ehlo_name, sizeof(ctx->ehlo_name),
	    MYHOSTNAME_HOSTS))
		log_warn("relay: my host name %s is not a fully qualified "
		    "domain name; set ehlo_name in slimrelay.conf",
		    ctx->ehlo_name);
	return ctx->ehlo_name;
}

/* relay_ctx_dns - the name service handle, made at first use */
struct dns *
relay_ctx_dns(struct relay_ctx *ctx)
{
	if (ctx->dns == NULL)
		ctx->dns = dns_new(ctx->cfg);
	return ctx->dns;
}

/* relay_ctx_mx_cache - the MX (and TLSA) cache, made at first use */
struct mx_cache *
relay_ctx_mx_cache(struct relay_ctx *ctx)
{
	if (ctx->mx_cache == NULL)
		ctx->mx_cache = mx_cache_new(ctx->cfg->state_directory,
		    MX_CACHE_TTL_MAX_S, MX_CACHE_NEGATIVE_TTL_MAX_S);
	return ctx->mx_cache;
}

/* relay_dane_prepare - DANE levels: DNSSEC on the lookups to come, and
 * the handles the per-host TLSA lookups use */
int
relay_dane_prepare(struct relay_ctx *ctx, struct relay_smtp_dest *sd,
    struct relay_result *why)
{
	struct dns *dns;

	if ((dns = relay_ctx_dns(ctx)) == NULL)
		return relay_result_set(why, "4.3.0", "out of memory");
	dns_set_dnssec(dns, relay_smtp_is_dane(sd));
	if (relay_smtp_is_dane(sd)) {
		sd->dns = dns;
		sd->mx_cache = relay_ctx_mx_cache(ctx);
	}
	return 0;
}

/* smtp_group - targets, a connection slot, then the connection loop */
static void
smtp_group(struct relay_ctx *ctx, struct relay_job *job,
    const struct route_decision *d, bool *pending,
    struct relay_smtp_stats *stats)
{
	const struct envelope *env = job->env;
	struct relay_result *results = job->results;
	const struct nexthop *nh = &d->nh;
	struct dns_mx_list *list;
	struct relay_result why;
	struct relay_smtp_dest sd;
	long t0 = deadline_now_ms();
	bool hit;
	size_t i;
	int rc;

	relay_result_init(&why);
	if ((list = malloc(sizeof(*list))) == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		goto out;
	}
	relay_smtp_dest_init(&sd, ctx->cfg, d);
	if (relay_dane_prepare(ctx, &sd, &why) != 0)
		goto out;
	rc = nh->want_mx ? relay_mx_targets(ctx, nh, list, &hit, &why) :
	    relay_static_targets(ctx, nh, list, &why);
	/* Postfix's c counts the name lookups with the connection set-up. */
	stats->delays.conn_s = (deadline_now_ms() - t0) / 1000.0;
	if (rc != 0)
		goto out;
	/* Connection slots (pool_size) are taken per connection. */
	relay_smtp_deliver(ctx->cfg, ctx->sessions, relay_ctx_ehlo_name(ctx),
	    &sd, list, env, pending, job->ms, &job->deadline, results, stats);
out:
	/* Whatever stopped us before the loop is every recipient's result. */
	for (i = 0; i < env->nrcpt; i++) {
		if (!pending[i])
			continue;
		relay_result_copy(&results[i], &why);
		pending[i] = false;
	}
	free(list);
}

/* deliver_group - the recipients of one destination, then their records */
static void
deliver_group(struct relay_ctx *ctx, struct relay_job *job,
    const struct route_decision *d, bool *pending)
{
	const struct envelope *env = job->env;
	struct relay_smtp_stats stats;
	bool *mine;
	double delay;
	size_t i;

	memset(&stats, 0, sizeof(stats));
	/* delays= a: routing, and the destinations delivered before this. */
	stats.delays.before_s = (deadline_now_ms() - job->start_ms) / 1000.0;
	/* pending[] is cleared as recipients finish: remember who is ours. */
	if ((mine = calloc(env->nrcpt, sizeof(bool))) != NULL)
		memcpy(mine, pending, env->nrcpt * sizeof(bool));
	if (d->transport == ROUTE_SMTP || d->transport == ROUTE_LMTP)
		smtp_group(ctx, job, d, pending, &stats);
	else
		relay_local_deliver(ctx, job, d, pending, &stats);
	delay = (deadline_now_ms() - job->start_ms) / 1000.0;
	for (i = 0; i < env->nrcpt; i++)
		if (mine == NULL || mine[i])
			log_delivery(env->queue_id, env->rcpt[i].addr,
			    &job->results[i], stats.conn_use, delay,
			    &stats.delays);
	free(mine);
}

/* relay_deliver - route, group by destination, deliver, log */
int
relay_deliver(struct relay_ctx *ctx, struct relay_job *job)
{
	const struct envelope *env = job->env;
	struct relay_result *results = job->results;
	struct route_decision *dec = NULL;
	bool *todo = NULL, *pending = NULL, *sent = NULL;
	struct relay_result oom;
	size_t i, j, n = env->nrcpt;
	int ret = 0;

	dec = calloc(n ? n : 1, sizeof(*dec));
	todo = calloc(n ? n : 1, sizeof(bool));
	pending = calloc(n ? n : 1, sizeof(bool));
	sent = calloc(n ? n : 1, sizeof(bool));
	if (dec == NULL || todo == NULL || pending == NULL || sent == NULL) {
		relay_result_init(&oom);
		relay_result_set(&oom, "4.3.0", "out of memory");
		for (i = 0; i < n; i++)
			if (results[i].class != RELAY_PERMANENT)
				relay_result_copy(&results[i], &oom);
		goto out;
	}
	/* Route each recipient; a routing failure is its result. */
	for (i = 0; i < n; i++) {
		if (results[i].class == RELAY_PERMANENT)
			continue;
		if (route_decide(&job->routes, &ctx->cfg->routes,
		    ctx->cfg->smarthost, job->mta_nexthop, env->rcpt[i].domain,
		    &dec[i], &results[i]) != 0)
			continue;
		todo[i] = true;
	}
	/* One delivery per destination, in recipient order. */
	for (i = 0; i < n; i++) {
		if (!todo[i])
			continue;
		memset(pending, 0, n * sizeof(bool));
		for (j = i; j < n; j++) {
			if (todo[j] && route_decision_same(&dec[i], &dec[j])) {
				pending[j] = sent[j] = true;
				todo[j] = false;
			}
		}
		deliver_group(ctx, job, &dec[i], pending);
	}
out:
	for (i = 0; i < n; i++) {
		if (results[i].class != RELAY_OK)
			ret = -1;
		/* Refused before any delivery: logged here, relay=none. */
		if (sent == NULL || !sent[i])
			log_delivery(env->queue_id, env->rcpt[i].addr,
			    &results[i], 0,
			    (deadline_now_ms() - job->start_ms) / 1000.0,
			    NULL);
	}
	free(dec);
	free(todo);
	free(pending);
	free(sent);
	return ret;
}

/* explain_list - the hosts and addresses of a target list */
static void
explain_list(const struct dns_mx_list *list, bool is_mx, FILE *fp)
{
	char text[8192];

	if (is_mx) {
		char *line, *save = NULL;

		dns_mx_format(list, text, sizeof(text));
		for (line = strtok_r(text, "\n", &save); line != NULL;
		    line = strtok_r(NULL, "\n", &save))
			fprintf(fp, "  %s\n", line);
		return;
	}
	for (size_t k = 0; k < list->naddr; k++)
		fprintf(fp, "  host %s address %s ttl %u\n", list->host[0].name,
		    list->addr[k].text, (unsigned)list->addr[k].ttl);
}

/*
 * explain_conditional - the rules for domain that only slimrelay-milter
 * applies: the route shown is what happens without its routing header
 */
static void
explain_conditional(const struct route_table *t, const char *domain,
    FILE *fp)
{
	size_t i;

	for (i = 0; i < t->count; i++)
		if (t->route[i].has_conditions &&
		    route_pattern_matches(&t->route[i], domain))
			fprintf(fp, "  milter rule: \"%s\" (conditional: "
			    "only slimrelay-milter applies it, through a "
			    "signed routing header; the route above is for "
			    "mail without one)\n", t->route[i].text);
}

/* explain_dane - DNSSEC status, TLSA records, and what each host gets */
static void
explain_dane(const struct relay_smtp_dest *sd, const struct dns_mx_list *list,
    bool is_mx, FILE *fp)
{
	struct dane_host *dh;
	struct relay_result why;
	char rr[2 * DNS_TLSA_DATA_MAX + 16];
	size_t h, i;

	if (is_mx)
		fprintf(fp, "  dnssec: %s (MX records of %s)\n",
		    list->is_secure ? "secure" : "insecure", list->domain);
	else
		fprintf(fp, "  dnssec: secure (a next hop without MX lookup "
		    "counts as secure)\n");
	if ((dh = malloc(sizeof(*dh))) == NULL) {
		fprintf(fp, "  dane: out of memory\n");
		return;
	}
	for (h = 0; h < list->nhost; h++) {
		relay_result_init(&why);
		fprintf(fp, "  host %s: addresses dnssec: %s%s%s\n",
		    list->host[h].name, list->host[h].is_secure ? "secure" :
		    "insecure", list->host[h].target[0] != '\0' ?
		    ", CNAME to " : "", list->host[h].target);
		(void)dane_host_policy(sd->dns, sd->mx_cache, sd->tls_level,
		    list->is_secure, list->domain, list->host[h].name,
		    list->host[h].target, list->host[h].is_secure,
		    sd->nh->port, dh, &why);
		if (dh->has_tlsa && dh->tlsa.outcome == DNS_OUT_OK)
			fprintf(fp, "    TLSA records: %s, %zu usable of %zu\n",
			    dh->tlsa.is_secure ? "secure" : "insecure",
			    dh->nusable, dh->tlsa.nrr + dh->tlsa.nbad);
		else if (dh->has_tlsa)
			fprintf(fp, "    TLSA records: %s (%s)\n",
			    dns_outcome_name(dh->tlsa.outcome),
			    dh->tlsa.is_secure ? "secure" : "insecure");
		for (i = 0; dh->has_tlsa && i < dh->tlsa.nrr; i++) {
			dane_tlsa_format(&dh->tlsa.rr[i], rr, sizeof(rr), 0);
			fprintf(fp, "    TLSA _%u._tcp.%s %s%s\n", sd->nh->port,
			    dh->base, rr,
			    dane_tlsa_usable(&dh->tlsa.rr[i]) ? "" :
			    " (unusable)");
		}
		fprintf(fp, "  %s: %s: %s (%s)\n", list->host[h].name,
		    dane_action_name(dh->action),
		    dane_action_text(dh->action), dh->text);
	}
	free(dh);
}

/* relay_explain - how mail for one address would be delivered */
int
relay_explain(struct relay_ctx *ctx, const char *mta_nexthop,
    const char *text, FILE *fp)
{
	struct route_decision d;
	struct relay_smtp_dest sd;
	struct dns_mx_list *list = NULL;
	struct relay_result why;
	struct address a;
	char dest[NEXTHOP_FORMAT_MAX];
	bool hit = false;
	int ret = -1;

	relay_result_init(&why);
	fprintf(fp, "%s\n", text);
	if (address_parse_rcpt(&a, text, &why) != 0 ||
	    route_decide(NULL, &ctx->cfg->routes, ctx->cfg->smarthost,
	    mta_nexthop, a.domain, &d, &why) != 0)
		goto out;
	fprintf(fp, "  route: %s%s%s%s\n", route_source_name(d.source),
	    d.rule != NULL ? " \"" : "", d.rule != NULL ? d.rule->text : "",
	    d.rule != NULL ? "\"" : "");
	explain_conditional(&ctx->cfg->routes, a.domain, fp);
	if (d.transport != ROUTE_SMTP && d.transport != ROUTE_LMTP) {
		fprintf(fp, "  transport: %s (final delivery on this host)\n",
		    route_transport_name(d.transport));
		ret = 0;
		goto out;
	}
	nexthop_format(&d.nh, dest, sizeof(dest));
	fprintf(fp, "  destination: %s (%s)\n", dest, d.nh.want_mx ?
	    "MX lookup" : "this host, no MX lookup");
	relay_smtp_dest_init(&sd, ctx->cfg, &d);
	fprintf(fp, "  tls: %s%s\n", config_tls_level_name(sd.tls_level),
	    sd.tls_wrappermode ? " (implicit TLS, wrappermode)" : "");
	if ((list = malloc(sizeof(*list))) == NULL) {
		relay_result_set(&why, "4.3.0", "out of memory");
		goto out;
	}
	if (relay_dane_prepare(ctx, &sd, &why) != 0)
		goto out;
	if (d.nh.want_mx ? relay_mx_targets(ctx, &d.nh, list, &hit, &why) :
	    relay_static_targets(ctx, &d.nh, list, &why))
		goto out;
	if (d.nh.want_mx)
		fprintf(fp, "  MX cache: %s\n", hit ? "hit" : "miss");
	explain_list(list, d.nh.want_mx, fp);
	if (relay_smtp_is_dane(&sd))
		explain_dane(&sd, list, d.nh.want_mx, fp);
	ret = 0;
out:
	if (ret != 0) {
		if (d.nh.want_mx && hit)
			fprintf(fp, "  MX cache: hit\n");
		fprintf(fp, "  result: %s %s\n", why.status, why.text);
	}
	free(list);
	return ret;
}
