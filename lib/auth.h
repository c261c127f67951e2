/*
 * auth.h - SMTP AUTH client side: the secrets file, mechanism choice,
 * PLAIN, LOGIN and CRAM-MD5 responses. See auth.c.
 */
#ifndef SLIMRELAY_AUTH_H
#define SLIMRELAY_AUTH_H

#include <stdbool.h>
#include <stddef.h>

#include "result.h"

#define AUTH_USER_MAX	256	/* bytes of a user name, with NUL */
#define AUTH_PASS_MAX	256	/* bytes of a password, with NUL */
#define AUTH_LINE_MAX	1024	/* a line of the secrets file */
#define AUTH_KEYS_MAX	6	/* lookup keys tried, in order */
#define AUTH_KEY_MAX	300	/* one lookup key */
/* Base64 of the largest response (PLAIN: user NUL user NUL pass). */
#define AUTH_B64_MAX \
	(4 * ((2 * AUTH_USER_MAX + AUTH_PASS_MAX + 2) / 3 + 1) + 1)

enum auth_mech {
	AUTH_MECH_NONE,
	AUTH_MECH_PLAIN,
	AUTH_MECH_LOGIN,
	AUTH_MECH_CRAM_MD5,
};

struct auth_secret {
	char	user[AUTH_USER_MAX];
	char	pass[AUTH_PASS_MAX];
	char	key[AUTH_KEY_MAX];	/* the key that matched */
};

struct auth_keys {
	char	key[AUTH_KEYS_MAX][AUTH_KEY_MAX];
	size_t	n;
};

void	auth_keys_init(struct auth_keys *);
void	auth_keys_add(struct auth_keys *, const char *);
int	auth_secrets_lookup(const char *path, const struct auth_keys *,
	    struct auth_secret *, bool *found, struct relay_result *why);
void	auth_secret_wipe(struct auth_secret *);
enum auth_mech auth_mech_parse(const char *);
const char *auth_mech_name(enum auth_mech);
enum auth_mech auth_mech_choose(const char *offered, const char *forced,
	    bool is_tls);
int	auth_plain_response(const struct auth_secret *, char *out, size_t len);
int	auth_base64_encode(const void *, size_t, char *out, size_t len);
int	auth_base64_decode(const char *, unsigned char *out, size_t len,
	    size_t *outlen);
int	auth_cram_md5_response(const struct auth_secret *,
	    const char *challenge_b64, char *out, size_t len);

#endif
