/*
 * config.h - slimrelay.conf: defaults, parsing, overrides, dump.
 * See config.c and slimrelay.conf(5).
 */
#ifndef SLIMRELAY_CONFIG_H
#define SLIMRELAY_CONFIG_H

#include <limits.h>
#include <stdbool.h>
#include <stdio.h>

#include "result.h"
#include "route.h"
#include "smtp_stage.h"

#define CONFIG_STR_MAX	256	/* longest string value */
#define CONFIG_PATH_MAX	1024	/* longest path value */
#define CONFIG_LINE_MAX	4096	/* longest config file line */
#define CONFIG_PARAMS_MAX 128	/* parameters: one set_mask bit each */

enum config_addr_pref {
	CONFIG_ADDR_ANY,	/* both families, IPv4 first */
	CONFIG_ADDR_IPV4,	/* IPv4 before IPv6 */
	CONFIG_ADDR_IPV6,	/* IPv6 before IPv4 */
	CONFIG_ADDR_IPV4_ONLY,
	CONFIG_ADDR_IPV6_ONLY,
};

/* Postfix's smtp_tls_security_level, the levels slimrelay has. */
enum config_tls_level {
	CONFIG_TLS_NONE,	/* never STARTTLS */
	CONFIG_TLS_MAY,		/* when offered; no certificate check */
	CONFIG_TLS_ENCRYPT,	/* required; no certificate check */
	CONFIG_TLS_VERIFY,	/* required; chain and host name checked */
	CONFIG_TLS_FINGERPRINT,	/* required; certificate pinned */
	CONFIG_TLS_DANE,	/* RFC 7672: DNSSEC TLSA decides, else may */
	CONFIG_TLS_DANE_ONLY,	/* the same, but never less than DANE */
};

struct config {
	/* Where mail goes. */
	char	smarthost[CONFIG_STR_MAX];	/* "" = use ${nexthop} */
	char	ehlo_name[CONFIG_STR_MAX];	/* "" = this host's name */
	char	source_address[CONFIG_STR_MAX];	/* "" = kernel's choice */
	enum config_addr_pref address_preference;

	/* Time limits (milliseconds). */
	long	timeout_ms[SMTP_STAGE_COUNT];
	long	deadline_ms;		/* whole run; < Postfix 1000 s */

	/* Fallback through hosts in one run (Postfix smtp_mx_*_limit). */
	int	mx_address_limit;	/* addresses tried */
	int	mx_session_limit;	/* sessions that completed EHLO */

	/* Connection slots shared by all processes. */
	int	pool_size;		/* 0 = unlimited */
	long	pool_wait_ms;		/* wait for a free slot */

	/* Sessions kept between messages (LMTP mode). */
	long	connection_idle_timeout_ms;
	long	connection_reuse_time_limit_ms;	/* from connect */
	int	connection_reuse_count_limit;	/* 0 = unlimited */
	bool	connection_keeper;	/* pipe mode: the keeper (keeper.c) */
	long	keeper_idle_ms;		/* the keeper exits after */
	int	keeper_max_sessions;	/* idle sessions it holds */
	long	lmtp_idle_timeout_ms;	/* between LMTP transactions */
	long	lmtp_max_age_ms;	/* no new LMTP transaction after */
	char	state_directory[CONFIG_PATH_MAX];

	/* Name service. */
	char	dns_servers[CONFIG_STR_MAX];	/* "" = resolv.conf */
	long	dns_timeout_ms;
	int	dns_retries;
	bool	host_lookup_dns;	/* host_lookup = dns[, native] */
	bool	host_lookup_native;
	char	dnssec_trust_resolver[CONFIG_STR_MAX]; /* whose AD counts */
	char	dnssec_probe[CONFIG_STR_MAX];	/* "type:name"; "" none */

	/* TLS and AUTH (issue: TLS and AUTH for every SMTP hop). */
	enum config_tls_level tls_level;	/* MX delivery */
	enum config_tls_level smarthost_tls_level; /* [host] destinations */
	bool	smarthost_tls_wrappermode;	/* implicit TLS (SMTPS) */
	char	tls_ca_file[CONFIG_PATH_MAX];	/* "" = none */
	char	tls_ca_path[CONFIG_PATH_MAX];	/* "" = none */
	char	tls_fingerprints[CONFIG_STR_MAX * 4]; /* SHA-256, hex */
	bool	tls_session_cache;		/* in state_directory */
	char	auth_secrets_file[CONFIG_PATH_MAX]; /* "" = no AUTH */
	char	auth_mechanism[CONFIG_STR_MAX];	/* "" = server's choice */
	bool	auth_allow_plaintext;		/* AUTH without TLS */
	bool	auth_soft_bounce;		/* 535: 4.7.8, not 5.7.8 */

	/* Local delivery (maildrop, dovecot-lda, a pipe command). */
	char	maildrop_path[CONFIG_PATH_MAX];
	char	maildrop_args[CONFIG_STR_MAX * 4];
	long	maildrop_timeout_ms;
	char	dovecot_lda_path[CONFIG_PATH_MAX];
	char	dovecot_lda_args[CONFIG_STR_MAX * 4];
	char	pipe_command[CONFIG_STR_MAX * 4];	/* argv with macros */
	long	pipe_timeout_ms;

	/* Routing headers (slimrelay-milter, and the transport). */
	char	routing_key_file[CONFIG_PATH_MAX];	/* "" = none */
	long	routing_header_max_age_ms;
	char	milter_socket[CONFIG_PATH_MAX];	/* libmilter syntax */
	int	milter_on_error;	/* 0 tempfail, 1 accept (enum) */
	char	milter_user[CONFIG_STR_MAX];	/* drop root to this */

	/* Message input. */
	bool	skip_from_line;		/* drop a leading "From " line */

	/* Logging. */
	char	log[CONFIG_PATH_MAX];	/* "syslog", "stderr" or a path */
	char	syslog_name[CONFIG_STR_MAX];
	int	syslog_facility;	/* LOG_MAIL ... */

	/* route lines: force_mx rules and other per-domain routes (heap). */
	struct route_table routes;

	/* Bookkeeping for config_dump(): which keys were set. */
	unsigned long long set_mask[CONFIG_PARAMS_MAX / 64];

	/* Where the settings came from, for slimrelay -t (config_where). */
	char	path[CONFIG_PATH_MAX];	/* the file read; "" none */
	unsigned set_line[CONFIG_PARAMS_MAX];	/* line of the last setting
						   in path; 0: not there */
};

void	config_defaults(struct config *);
void	config_fini(struct config *);
int	config_load(struct config *, const char *path, bool must_exist,
	    struct relay_result *why);
int	config_load_all(struct config *, const char *path, bool must_exist,
	    FILE *problems, unsigned *count);
int	config_where(const struct config *, const char *key, char *buf,
	    size_t len);
int	config_read(struct config *, FILE *, const char *name,
	    struct relay_result *why);
int	config_set(struct config *, const char *key, const char *value,
	    struct relay_result *why);
int	config_set_option(struct config *, const char *key_eq_value,
	    struct relay_result *why);
void	config_dump(const struct config *, FILE *, bool only_set);
int	config_parse_time_ms(const char *text, long *ms);
const char *config_tls_level_name(int);
int	config_tls_level_parse(const char *);

#endif
