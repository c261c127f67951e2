/*
 * keeper.h - the keeper of idle connections: a small process that
 * holds idle SMTP sessions between the one-message runs of pipe mode
 * (Postfix's scache(8) model), its protocol and its client side. See
 * keeper.c (the process), keeper_client.c and keeper_proto.c.
 */
#ifndef SLIMRELAY_KEEPER_H
#define SLIMRELAY_KEEPER_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define KEEPER_VERSION		1	/* in the socket name and HELLO */
#define KEEPER_KEY_MAX		1024	/* a key, as sent: SESSION_KEY_MAX */
#define KEEPER_PROPS_MAX	2048	/* a session's properties, encoded */
#define KEEPER_MSG_MAX		(3 * KEEPER_KEY_MAX + KEEPER_PROPS_MAX + 128)
#define KEEPER_TIMEOUT_MS	1000	/* every call of a client */
#define KEEPER_ARGV_MAX		64	/* the keeper's command line */

/* Where a client finds the keeper and how it starts one. */
struct keeper_client_options {
	const char *state_dir;		/* keeper/ below it */
	const char *program;		/* executed to start a keeper */
	char *const *argv;		/* its arguments; NULL: never start */
	long	timeout_ms;		/* each call; 0: KEEPER_TIMEOUT_MS */
};

/* What the keeper gives back: a connection and its slot lock. */
struct keeper_session {
	int	fd;			/* the connection (or pump end) */
	int	slot_fd;		/* pool_size slot lock; -1: none */
	char	props[KEEPER_PROPS_MAX];	/* as stored by PUT */
};

/* One request, as the keeper reads it (keeper_proto.c). */
enum keeper_op { KEEPER_OP_GET, KEEPER_OP_PUT };

struct keeper_request {
	enum keeper_op op;
	long	ttl_ms;			/* PUT: idle time to keep it */
	int	max_per_key;		/* PUT: 0: the keeper's own cap */
	char	key[KEEPER_KEY_MAX];	/* decoded */
	char	props[KEEPER_PROPS_MAX];	/* PUT: encoded, kept as is */
};

/* keeper_proto.c: paths, encoding, messages with descriptors. */
int	keeper_paths(const char *state_dir, char *dir, size_t dirlen,
	    char *sock, size_t socklen, char *lock, size_t locklen);
int	keeper_dir_check(const char *dir, bool make);
size_t	keeper_encode(const char *in, char *out, size_t outlen);
int	keeper_decode(const char *in, size_t inlen, char *out, size_t outlen);
int	keeper_parse_request(const char *msg, size_t len,
	    struct keeper_request *);
int	keeper_parse_reply(const char *msg, size_t len, const char *key,
	    char *props, size_t propslen, char *word, size_t wordlen);
int	keeper_send(int sock, const char *msg, size_t len, const int *fds,
	    int nfd, long timeout_ms);
long	keeper_recv(int sock, char *buf, size_t len, int *fds, int *nfd,
	    long timeout_ms);
bool	keeper_peer_is_us(int sock);
void	keeper_close_fds(int *fds, int nfd);

/* keeper_client.c: the client side. */
int	keeper_get(const struct keeper_client_options *, const char *key,
	    struct keeper_session *);
int	keeper_put(const struct keeper_client_options *, const char *key,
	    long ttl_ms, int max_per_key, const char *props, int fd,
	    int slot_fd);
int	keeper_start(const struct keeper_client_options *);

/* keeper.c: the keeper process. */
int	keeper_main(const struct config *, int lock_fd, int listen_fd);

#endif
