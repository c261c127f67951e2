/*
 * msg_stream.h - the message as SMTP wants it on the wire: CRLF line
 * ends, dot-stuffed, streamed from a file descriptor with constant
 * memory. See msg_stream.c.
 */
#ifndef SLIMRELAY_MSG_STREAM_H
#define SLIMRELAY_MSG_STREAM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "result.h"

#define MSG_STREAM_SKIP_FROM	0x01	/* drop a leading "From " line */
#define MSG_STREAM_REPLAY	0x02	/* allow msg_stream_rewind() */

#define MSG_STREAM_PEEK_MAX	(64 * 1024) /* read-ahead for has_8bit */

struct msg_stream;

/* The input of a DATA-mode stream (the LMTP server's buffer). */
struct msg_stream_source {
	/* 1 with *p and *len (> 0) set to the bytes buffered; 0 at the
	 * end of input; -1 with why set on error or timeout. */
	int	(*peek)(void *arg, const char **p, size_t *len,
		    struct relay_result *why);
	/* The first n bytes last peeked at are used up. */
	void	(*consume)(void *arg, size_t n);
	void   *arg;
};

struct msg_stream *msg_stream_new(int fd, unsigned flags,
	    const char *spool_dir, struct relay_result *why);
struct msg_stream *msg_stream_new_data(const struct msg_stream_source *,
	    unsigned flags, const char *spool_dir, long long max_size,
	    struct relay_result *why);
void	msg_stream_free(struct msg_stream *);
int	msg_stream_peek(struct msg_stream *, struct relay_result *why);
int	msg_stream_has_8bit(const struct msg_stream *);
long long msg_stream_wire_size(const struct msg_stream *);
ssize_t	msg_stream_read(struct msg_stream *, char *buf, size_t len,
	    struct relay_result *why);
int	msg_stream_rewind(struct msg_stream *, struct relay_result *why);
bool	msg_stream_started(const struct msg_stream *);
int	msg_stream_filter_headers(struct msg_stream *,
	    bool (*remove)(const char *field, size_t len, void *arg),
	    void *arg, struct relay_result *why);
int	msg_stream_drain(struct msg_stream *, struct relay_result *why);

#endif
