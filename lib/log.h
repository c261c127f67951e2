/*
 * log.h - syslog, file or stderr logging; Postfix-style delivery
 * records. See log.c.
 */
#ifndef SLIMRELAY_LOG_H
#define SLIMRELAY_LOG_H

#include <stdbool.h>

#include "result.h"

/* Phases of one delivery, for delays=a/b/c (seconds). */
struct log_delays {
	double	dns_s;		/* name and MX lookups */
	double	conn_s;		/* connect, greeting, EHLO, TLS, AUTH */
	double	xfer_s;		/* MAIL FROM to the reply to the final dot */
};

int	log_open(const char *dest, const char *ident, int facility,
	    bool verbose, struct relay_result *why);
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
