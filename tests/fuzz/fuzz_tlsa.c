/*
 * fuzz_tlsa - libFuzzer entry point for the TLSA answer handling of
 * DANE: dns_tlsa_from_wire() (a DNS reply in wire format, checked and
 * read as dns_lookup_tlsa() reads one), then what DANE and the cache
 * make of the records.
 *
 * Any input must be judged without reading out of bounds. The set must
 * keep its limits (at most DNS_TLSA_MAX records of 1..DNS_TLSA_DATA_MAX
 * bytes, records only for a positive answer, never secure: a reply
 * from nowhere is not trusted). dane_decide() must authenticate exactly
 * when a secure answer has a usable record, and never for a failure.
 * An answer that may be cached must survive a round trip through the
 * TLSA cache file. Any violation aborts, which the fuzzer reports. The
 * question is "_25._tcp.mx.fuzz.test. IN TLSA": seeds in
 * tests/fuzz/corpus/tlsa/ are replies to it.
 */
#include "autoconfig.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dane.h"
#include "dns.h"
#include "mx_cache.h"

#define FUZZ_OWNER	"_25._tcp.mx.fuzz.test"
#define FUZZ_NOW	1700000000

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

static void check_set(const struct dns_tlsa_set *, int);
static void check_decide(struct dns_tlsa_set *);
static void check_cache(const struct dns_tlsa_set *);

/* check_set - the limits of a set, whatever the input */
static void
check_set(const struct dns_tlsa_set *set, int rc)
{
	size_t i;

	if (set->nrr > DNS_TLSA_MAX || set->nbad > 1000000 || set->is_secure)
		abort();
	if (rc == 0 && (set->outcome != DNS_OUT_OK ||
	    set->nrr + set->nbad == 0))
		abort();
	if (rc != 0 && (set->outcome == DNS_OUT_OK || set->nrr != 0 ||
	    set->nbad != 0))
		abort();
	for (i = 0; i < set->nrr; i++)
		if (set->rr[i].len == 0 || set->rr[i].len > DNS_TLSA_DATA_MAX)
			abort();
}

/* check_decide - DANE authenticates exactly what it should */
static void
check_decide(struct dns_tlsa_set *set)
{
	enum dane_action act;
	char text[RELAY_TEXT_MAX];
	size_t usable = dane_tlsa_count_usable(set);

	/* As if a trusted resolver had validated it. */
	set->is_secure = true;
	act = dane_decide(CONFIG_TLS_DANE, true, true, set, "fuzz.test",
	    "mx.fuzz.test", 25, text, sizeof(text));
	if ((act == DANE_ACT_VERIFY) != (set->outcome == DNS_OUT_OK &&
	    usable > 0))
		abort();
	if ((act == DANE_ACT_DEFER) != (set->outcome != DNS_OUT_OK &&
	    set->outcome != DNS_OUT_NODATA &&
	    set->outcome != DNS_OUT_NXDOMAIN))
		abort();
	act = dane_decide(CONFIG_TLS_DANE_ONLY, true, true, set, "fuzz.test",
	    "mx.fuzz.test", 25, text, sizeof(text));
	if (act != DANE_ACT_VERIFY && act != DANE_ACT_DEFER)
		abort();
	if (strchr(text, '\n') != NULL)
		abort();
}

/* check_cache - what may be cached reads back the same */
static void
check_cache(const struct dns_tlsa_set *set)
{
	static char file[MX_CACHE_FILE_MAX + 1];
	static struct dns_tlsa_set back;
	size_t n, i;

	n = mx_cache_tlsa_format(file, sizeof(file), FUZZ_OWNER,
	    FUZZ_NOW + 300, set);
	if (set->outcome != DNS_OUT_OK && set->outcome != DNS_OUT_NODATA &&
	    set->outcome != DNS_OUT_NXDOMAIN) {
		if (n != 0)
			abort();
		return;
	}
	if (n == 0)
		return;		/* too large to keep: not cached */
	if (mx_cache_tlsa_parse(file, n, FUZZ_OWNER, FUZZ_NOW, 86400,
	    &back) != MX_CACHE_POSITIVE || back.outcome != set->outcome ||
	    back.is_secure != set->is_secure || back.nrr != set->nrr ||
	    back.nbad != set->nbad || back.ttl != 300)
		abort();
	for (i = 0; i < set->nrr; i++)
		if (back.rr[i].usage != set->rr[i].usage ||
		    back.rr[i].selector != set->rr[i].selector ||
		    back.rr[i].mtype != set->rr[i].mtype ||
		    back.rr[i].len != set->rr[i].len ||
		    memcmp(back.rr[i].data, set->rr[i].data,
		    set->rr[i].len) != 0)
			abort();
}

/* LLVMFuzzerTestOneInput - one reply */
int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dns_tlsa_set set;
	int rc;

	rc = dns_tlsa_from_wire(data, size, FUZZ_OWNER, &set);
	check_set(&set, rc);
	check_cache(&set);
	check_decide(&set);
	return 0;
}
