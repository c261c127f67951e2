/*
 * log.h - syslog, file or stderr logging; Postfix-style delivery
 * records. See log.c.
 */
#ifndef SLIMRELAY_LOG_H
#define SLIMRELAY_LOG_H

#include <stdbool.h>

#include "result.h"

/* Phases of one delivery, for Postfix's delays=a/b/c/d (seconds). */
struct log_delays {
	double	before_s;	/* a: the run's start to this destination */
	double	wait_s;		/* b: waiting for a connection slot */
	double	conn_s;		/* c: name lookups, connect, greeting,
				   EHLO, TLS, AUTH */
	double	xfer_s;		/* d: MAIL FROM to the reply to the final
				   dot; a local agent's run */
};

int	log_open(const char *dest, const char *ident, int facility,
	    bool verbose, struct relay_result *why);
void	log_set_host(const char *name);
void	log_close(void);
bool	log_verbose(void);
void	log_info(const char *fmt, ...) PRINTFLIKE(1, 2);
void	log_warn(const char *fmt, ...) PRINTFLIKE(1, 2);
void	log_err(const char *fmt, ...) PRINTFLIKE(1, 2);
void	log_debug(const char *fmt, ...) PRINTFLIKE(1, 2);
void	log_delivery(const char *queue_id, const char *rcpt,
	    const struct relay_result *r, int conn_use, double delay_s,
	    const struct log_delays *delays);
void	log_format_delivery(char *buf, size_t len, const char *queue_id,
	    const char *rcpt, const struct relay_result *r, int conn_use,
	    double delay_s, const struct log_delays *delays);

#endif
