/*
 * smtp_client.h - one SMTP session: greeting, EHLO/HELO, transactions
 * (pipelined when offered), RSET, QUIT. See smtp_client.c.
 */
#ifndef SLIMRELAY_SMTP_CLIENT_H
#define SLIMRELAY_SMTP_CLIENT_H

#include <stdbool.h>
#include <sys/socket.h>

#include "address.h"
#include "auth.h"
#include "deadline.h"
#include "msg_stream.h"
#include "result.h"
#include "smtp_stage.h"
#include "tls.h"

/* Extensions the server announced in its EHLO reply. */
#define SMTP_EXT_PIPELINING	0x0001
#define SMTP_EXT_SIZE		0x0002
#define SMTP_EXT_8BITMIME	0x0004
#define SMTP_EXT_SMTPUTF8	0x0008
#define SMTP_EXT_STARTTLS	0x0010
#define SMTP_EXT_AUTH		0x0020
#define SMTP_EXT_ENHANCEDSTATUSCODES 0x0040
#define SMTP_EXT_DSN		0x0080
#define SMTP_EXT_CHUNKING	0x0100

#define SMTP_AUTH_MECHS_MAX	256

struct smtp_options {
	const char *ehlo_name;		/* borrowed; must outlive client */
	long	timeout_ms[SMTP_STAGE_COUNT];
	struct deadline deadline;	/* whole run; none = no limit */
	/* TLS and AUTH; all zero: plaintext, no AUTH. */
	struct tls_policy tls;		/* strings borrowed */
	const struct auth_secret *auth;	/* borrowed; NULL: no AUTH */
	const char *auth_mechanism;	/* NULL or "": choose */
	bool	auth_allow_plaintext;	/* AUTH without TLS */
	bool	auth_soft_bounce;	/* 535 defers (4.7.8) */
	bool	is_lmtp;		/* LHLO; a reply per recipient */
};

struct smtp_client;

struct smtp_client *smtp_client_new(const struct smtp_options *);
void	smtp_client_free(struct smtp_client *);
void	smtp_client_set_deadline(struct smtp_client *, const struct deadline *);
long	smtp_client_connect_ms(const struct smtp_client *);
int	smtp_client_reset(struct smtp_client *, struct relay_result *why);
int	smtp_client_connect(struct smtp_client *, const char *host_name,
	    const struct sockaddr *, socklen_t, const struct sockaddr *src,
	    socklen_t srclen, struct relay_result *why);
int	smtp_client_start_fd(struct smtp_client *, int fd,
	    const char *host_name, const char *addr, unsigned port,
	    struct relay_result *why);
int	smtp_client_send(struct smtp_client *, const struct envelope *,
	    struct msg_stream *, struct relay_result *rcpt_results,
	    struct relay_result *why);
void	smtp_client_quit(struct smtp_client *);
bool	smtp_client_is_open(const struct smtp_client *);
const char *smtp_client_peer(const struct smtp_client *);
const char *smtp_client_relay(const struct smtp_client *);
unsigned smtp_client_extensions(const struct smtp_client *);
unsigned long long smtp_client_size_limit(const struct smtp_client *);
const char *smtp_client_auth_mechs(const struct smtp_client *);
int	smtp_client_messages(const struct smtp_client *);
bool	smtp_client_is_tls(const struct smtp_client *);
const char *smtp_client_tls_info(const struct smtp_client *);
const char *smtp_client_auth_used(const struct smtp_client *);
int	smtp_client_park(struct smtp_client *, long end_ms);
int	smtp_client_fd(const struct smtp_client *);
int	smtp_client_props(const struct smtp_client *, char *, size_t);
int	smtp_client_adopt(struct smtp_client *, int fd, const char *props,
	    struct relay_result *why);

#endif
