/*
 * mx_cache.h - MX answers cached until their TTL, one file per domain
 * in <state_directory>/mx, shared by all processes. See mx_cache.c.
 */
#ifndef SLIMRELAY_MX_CACHE_H
#define SLIMRELAY_MX_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "config.h"
#include "dns.h"
#include "dns_mx.h"
#include "result.h"

#define MX_CACHE_TTL_MAX_S		86400	/* default cap, positive */
#define MX_CACHE_NEGATIVE_TTL_MAX_S	3600	/* default cap, negative */
#define MX_CACHE_LIMIT_S		(7 * 86400)	/* largest cap */
#define MX_CACHE_FILE_MAX		16384	/* bytes in one file */

/* What a cache file holds, as far as one lookup is concerned. */
enum mx_cache_verdict {
	MX_CACHE_DAMAGED,	/* not a valid file for this domain */
	MX_CACHE_STALE,		/* valid, but expired or other settings */
	MX_CACHE_POSITIVE,	/* fresh MX list */
	MX_CACHE_NEGATIVE,	/* fresh permanent failure */
};

struct mx_cache;

struct mx_cache *mx_cache_new(const char *state_dir, uint32_t max_ttl_s,
	    uint32_t max_negative_ttl_s);
void	mx_cache_free(struct mx_cache *);
void	mx_cache_set_clock(struct mx_cache *, time_t (*now)(void *),
	    void *arg);
void	mx_cache_set_seed(struct mx_cache *, uint64_t seed);
int	mx_cache_lookup(struct mx_cache *, struct dns *, const char *domain,
	    unsigned port, const struct dns_mx_self *self,
	    struct dns_mx_list *, bool *hit, struct relay_result *why);
bool	mx_cache_store(struct mx_cache *, struct dns *, const char *domain,
	    int rc, const struct dns_mx_list *, const struct relay_result *);
const char *mx_cache_verdict_name(enum mx_cache_verdict);
int	mx_cache_tlsa_lookup(struct mx_cache *, struct dns *,
	    const char *host, unsigned port, struct dns_tlsa_set *,
	    bool *hit, struct relay_result *why);

/* The file format, for tests and the fuzzer. */
size_t	mx_cache_format(char *buf, size_t len, const char *domain,
	    enum config_addr_pref, time_t expires, int rc,
	    const struct dns_mx_list *, const struct relay_result *);
enum mx_cache_verdict mx_cache_parse(const char *buf, size_t len,
	    const char *domain, enum config_addr_pref, time_t now,
	    uint32_t max_age_s, unsigned port, struct dns_mx_list *,
	    struct relay_result *why);
size_t	mx_cache_tlsa_format(char *buf, size_t len, const char *owner,
	    time_t expires, const struct dns_tlsa_set *);
enum mx_cache_verdict mx_cache_tlsa_parse(const char *buf, size_t len,
	    const char *owner, time_t now, uint32_t max_age_s,
	    struct dns_tlsa_set *);

#endif
