/*
 * fuzz_mx_cache - libFuzzer entry point for mx_cache_parse(), the
 * reader of MX cache files (which the cache never trusts).
 *
 * Any input must be judged without reading out of bounds. A positive
 * verdict must hold a list within every limit (hosts, addresses, their
 * layout, valid names, preference order, TTLs within the lifetime) that
 * formats back to a file which parses to the same list; a negative one
 * a permanent status. Any violation aborts, which the fuzzer reports.
 * The domain is "example.test", the clock 1700000000, the longest
 * lifetime one day: seeds in tests/fuzz/corpus/mx_cache/ use them.
 *
 * A checksum stops almost every mutation at the door, so each input is
 * also judged with a correct checksum line appended: that lets the
 * fuzzer reach the line parser behind it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dns_mx.h"
#include "mx_cache.h"
#include "nexthop.h"
#include "result.h"

#define FUZZ_DOMAIN	"example.test"
#define FUZZ_NOW	1700000000
#define FUZZ_MAX_AGE	86400

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void check_list(const struct dns_mx_list *);
static void judge(const char *, size_t);
static size_t seal(const uint8_t *, size_t, char *, size_t);

/* check_list - every limit a positive list must keep */
static void
check_list(const struct dns_mx_list *list)
{
	const struct dns_mx_host *h;
	size_t i, n = 0;

	if (list->nhost < 1 || list->nhost > DNS_MX_HOSTS_MAX ||
	    list->naddr > DNS_ADDRS_MAX || list->ttl == 0 ||
	    list->ttl > FUZZ_MAX_AGE || strcmp(list->domain, FUZZ_DOMAIN) != 0)
		abort();
	for (i = 0; i < list->nhost; i++) {
		h = &list->host[i];
		if (h->first != n || h->naddr < 1 || h->pref > 65535 ||
		    h->pref < list->best_pref ||
		    (i > 0 && h->pref < list->host[i - 1].pref) ||
		    !nexthop_valid_hostname(h->name))
			abort();
		n += h->naddr;
	}
	if (n != list->naddr)
		abort();
	for (i = 0; i < list->naddr; i++)
		if (list->addr[i].ttl > list->ttl ||
		    list->addr[i].text[0] == '\0' ||
		    (list->addr[i].sa.ss_family != AF_INET &&
		    list->addr[i].sa.ss_family != AF_INET6))
			abort();
	if (list->is_implicit && (list->nhost != 1 ||
	    strcmp(list->host[0].name, FUZZ_DOMAIN) != 0))
		abort();
}

/* seal - data and a checksum line that fits it, into buf */
static size_t
seal(const uint8_t *data, size_t size, char *buf, size_t len)
{
	uint64_t h = 0xcbf29ce484222325ULL;
	size_t i;
	int n;

	if (size >= len)
		return 0;
	for (i = 0; i < size; i++) {
		h ^= data[i];
		h *= 0x100000001b3ULL;
	}
	memcpy(buf, data, size);
	n = snprintf(buf + size, len - size, "checksum %016llx\n",
	    (unsigned long long)h);
	if (n < 0 || (size_t)n >= len - size)
		return 0;
	return size + (size_t)n;
}

/* LLVMFuzzerTestOneInput - the input as it is, and sealed */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char sealed[MX_CACHE_FILE_MAX + 64];
	char *copy;
	size_t n;

	judge((const char *)data, size);
	/* The sealed text in a heap block of its size, for ASan. */
	if ((n = seal(data, size, sealed, sizeof(sealed))) > 0 &&
	    (copy = malloc(n)) != NULL) {
		memcpy(copy, sealed, n);
		judge(copy, n);
		free(copy);
	}
	return 0;
}

/* judge - parse; what passes must survive a round trip */
static void
judge(const char *data, size_t size)
{
	static char again[MX_CACHE_FILE_MAX + 1];
	static struct dns_mx_list list, back;
	struct relay_result why, why2;
	enum mx_cache_verdict v;
	size_t n, i;

	relay_result_init(&why);
	v = mx_cache_parse(data, size, FUZZ_DOMAIN,
	    CONFIG_ADDR_ANY, FUZZ_NOW, FUZZ_MAX_AGE, 25, &list, &why);
	switch (v) {
	case MX_CACHE_DAMAGED:
	case MX_CACHE_STALE:
		if (list.nhost != 0 || list.naddr != 0)
			abort();
		return;
	case MX_CACHE_NEGATIVE:
		if (why.class != RELAY_PERMANENT || list.nhost != 0)
			abort();
		n = mx_cache_format(again, sizeof(again), FUZZ_DOMAIN,
		    CONFIG_ADDR_ANY, FUZZ_NOW + 1, -1, &list, &why);
		relay_result_init(&why2);
		if (n == 0 || mx_cache_parse(again, n, FUZZ_DOMAIN,
		    CONFIG_ADDR_ANY, FUZZ_NOW, FUZZ_MAX_AGE, 25, &back,
		    &why2) != MX_CACHE_NEGATIVE ||
		    strcmp(why.status, why2.status) != 0 ||
		    strcmp(why.text, why2.text) != 0)
			abort();
		return;
	case MX_CACHE_POSITIVE:
		break;
	default:
		abort();
	}
	check_list(&list);
	n = mx_cache_format(again, sizeof(again), FUZZ_DOMAIN, CONFIG_ADDR_ANY,
	    FUZZ_NOW + (time_t)list.ttl, 0, &list, &why);
	if (n == 0 || mx_cache_parse(again, n, FUZZ_DOMAIN, CONFIG_ADDR_ANY,
	    FUZZ_NOW, FUZZ_MAX_AGE, 25, &back, &why) != MX_CACHE_POSITIVE)
		abort();
	if (back.nhost != list.nhost || back.naddr != list.naddr ||
	    back.ttl != list.ttl || back.best_pref != list.best_pref ||
	    back.is_implicit != list.is_implicit)
		abort();
	for (i = 0; i < list.nhost; i++)
		if (strcmp(back.host[i].name, list.host[i].name) != 0 ||
		    back.host[i].pref != list.host[i].pref ||
		    back.host[i].naddr != list.host[i].naddr)
			abort();
	for (i = 0; i < list.naddr; i++)
		if (strcmp(back.addr[i].text, list.addr[i].text) != 0 ||
		    back.addr[i].ttl != list.addr[i].ttl)
			abort();
}
