/*
 * conn.h - a non-blocking TCP connection with buffered, deadline-bound
 * reads and writes. See conn.c.
 */
#ifndef SLIMRELAY_CONN_H
#define SLIMRELAY_CONN_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "deadline.h"

#define CONN_RBUF_SIZE	(16 * 1024)
#define CONN_WBUF_SIZE	(64 * 1024)

enum conn_status {
	CONN_OK = 0,
	CONN_TIMEOUT,		/* deadline passed */
	CONN_EOF,		/* peer closed the connection */
	CONN_ERROR,		/* see conn_errno() */
	CONN_TOOLONG,		/* line longer than the caller's maximum */
};

struct conn;
struct tls_session;

struct conn *conn_new(void);
void	conn_free(struct conn *);
enum conn_status conn_connect(struct conn *, const struct sockaddr *,
	    socklen_t, const struct sockaddr *src, socklen_t srclen,
	    const struct deadline *);
void	conn_adopt_fd(struct conn *, int fd);
int	conn_fd(const struct conn *);
int	conn_errno(const struct conn *);
enum conn_status conn_read_line(struct conn *, char *buf, size_t max,
	    size_t *len, const struct deadline *);
bool	conn_has_input(struct conn *);
enum conn_status conn_write(struct conn *, const void *, size_t,
	    const struct deadline *);
enum conn_status conn_flush(struct conn *, const struct deadline *);
size_t	conn_wbuf_space(const struct conn *);
char	*conn_wbuf_tail(struct conn *);
void	conn_wbuf_commit(struct conn *, size_t n);
void	conn_close(struct conn *);
bool	conn_has_buffered_input(const struct conn *);
enum conn_status conn_tls_start(struct conn *, struct tls_session *,
	    const struct deadline *);
struct tls_session *conn_tls(const struct conn *);
void	conn_wipe_output(struct conn *);
int	conn_swap_plain(struct conn *, int fd);
const char *conn_status_name(enum conn_status);

#endif
