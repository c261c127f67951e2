/*
 * dl_ldns.h - the ldns functions slimrelay calls, through pointers
 * that dl_load(DL_LDNS) fills in. See dl.c and dl_openssl.h. Include
 * it after <ldns/ldns.h>.
 */
#ifndef SLIMRELAY_DL_LDNS_H
#define SLIMRELAY_DL_LDNS_H

#include <ldns/ldns.h>

#include "dl.h"

/* In libldns; ldns_rcodes is a table, not a function. */
#define DL_LDNS_SYMBOLS(X) \
	X(ldns_dname_compare) \
	X(ldns_dname_is_subdomain) \
	X(ldns_dname_new_frm_str) \
	X(ldns_get_errorstr_by_id) \
	X(ldns_lookup_by_id) \
	X(ldns_pkt_ad) \
	X(ldns_pkt_answer) \
	X(ldns_pkt_answerfrom) \
	X(ldns_pkt_authority) \
	X(ldns_pkt_free) \
	X(ldns_pkt_get_opcode) \
	X(ldns_pkt_get_rcode) \
	X(ldns_pkt_id) \
	X(ldns_pkt_qdcount) \
	X(ldns_pkt_qr) \
	X(ldns_pkt_query_new) \
	X(ldns_pkt_question) \
	X(ldns_pkt_set_edns_do) \
	X(ldns_pkt_set_edns_udp_size) \
	X(ldns_pkt_set_id) \
	X(ldns_pkt_tc) \
	X(ldns_rcodes) \
	X(ldns_rdf2native_int16) \
	X(ldns_rdf2native_int32) \
	X(ldns_rdf2str) \
	X(ldns_rdf_clone) \
	X(ldns_rdf_data) \
	X(ldns_rdf_deep_free) \
	X(ldns_rdf_get_type) \
	X(ldns_rdf_new_frm_data) \
	X(ldns_rdf_new_frm_str) \
	X(ldns_rdf_size) \
	X(ldns_resolver_deep_free) \
	X(ldns_resolver_nameserver_count) \
	X(ldns_resolver_nameserver_rtt) \
	X(ldns_resolver_nameservers) \
	X(ldns_resolver_new) \
	X(ldns_resolver_new_frm_fp) \
	X(ldns_resolver_port) \
	X(ldns_resolver_push_nameserver) \
	X(ldns_resolver_send_pkt) \
	X(ldns_resolver_set_defnames) \
	X(ldns_resolver_set_dnsrch) \
	X(ldns_resolver_set_dnssec) \
	X(ldns_resolver_set_edns_udp_size) \
	X(ldns_resolver_set_fail) \
	X(ldns_resolver_set_fallback) \
	X(ldns_resolver_set_igntc) \
	X(ldns_resolver_set_nameserver_rtt) \
	X(ldns_resolver_set_port) \
	X(ldns_resolver_set_random) \
	X(ldns_resolver_set_recursive) \
	X(ldns_resolver_set_retrans) \
	X(ldns_resolver_set_retry) \
	X(ldns_resolver_set_timeout) \
	X(ldns_resolver_set_usevc) \
	X(ldns_rr_get_class) \
	X(ldns_rr_get_type) \
	X(ldns_rr_list_rr) \
	X(ldns_rr_list_rr_count) \
	X(ldns_rr_owner) \
	X(ldns_rr_rd_count) \
	X(ldns_rr_rdf) \
	X(ldns_rr_ttl) \
	X(ldns_wire2pkt)

DL_LDNS_SYMBOLS(DL_DECLARE)

#ifndef DL_NO_REDIRECT
#define ldns_dname_compare	(*dl_ldns_dname_compare)
#define ldns_dname_is_subdomain	(*dl_ldns_dname_is_subdomain)
#define ldns_dname_new_frm_str	(*dl_ldns_dname_new_frm_str)
#define ldns_get_errorstr_by_id	(*dl_ldns_get_errorstr_by_id)
#define ldns_lookup_by_id	(*dl_ldns_lookup_by_id)
#define ldns_pkt_ad		(*dl_ldns_pkt_ad)
#define ldns_pkt_answer		(*dl_ldns_pkt_answer)
#define ldns_pkt_answerfrom	(*dl_ldns_pkt_answerfrom)
#define ldns_pkt_authority	(*dl_ldns_pkt_authority)
#define ldns_pkt_free		(*dl_ldns_pkt_free)
#define ldns_pkt_get_opcode	(*dl_ldns_pkt_get_opcode)
#define ldns_pkt_get_rcode	(*dl_ldns_pkt_get_rcode)
#define ldns_pkt_id		(*dl_ldns_pkt_id)
#define ldns_pkt_qdcount	(*dl_ldns_pkt_qdcount)
#define ldns_pkt_qr		(*dl_ldns_pkt_qr)
#define ldns_pkt_query_new	(*dl_ldns_pkt_query_new)
#define ldns_pkt_question	(*dl_ldns_pkt_question)
#define ldns_pkt_set_edns_do	(*dl_ldns_pkt_set_edns_do)
#define ldns_pkt_set_edns_udp_size	(*dl_ldns_pkt_set_edns_udp_size)
#define ldns_pkt_set_id		(*dl_ldns_pkt_set_id)
#define ldns_pkt_tc		(*dl_ldns_pkt_tc)
#define ldns_rcodes		(*dl_ldns_rcodes)
#define ldns_rdf2native_int16	(*dl_ldns_rdf2native_int16)
#define ldns_rdf2native_int32	(*dl_ldns_rdf2native_int32)
#define ldns_rdf2str		(*dl_ldns_rdf2str)
#define ldns_rdf_clone		(*dl_ldns_rdf_clone)
#define ldns_rdf_data		(*dl_ldns_rdf_data)
#define ldns_rdf_deep_free	(*dl_ldns_rdf_deep_free)
#define ldns_rdf_get_type	(*dl_ldns_rdf_get_type)
#define ldns_rdf_new_frm_data	(*dl_ldns_rdf_new_frm_data)
#define ldns_rdf_new_frm_str	(*dl_ldns_rdf_new_frm_str)
#define ldns_rdf_size		(*dl_ldns_rdf_size)
#define ldns_resolver_deep_free	(*dl_ldns_resolver_deep_free)
#define ldns_resolver_nameserver_count	(*dl_ldns_resolver_nameserver_count)
#define ldns_resolver_nameserver_rtt	(*dl_ldns_resolver_nameserver_rtt)
#define ldns_resolver_nameservers	(*dl_ldns_resolver_nameservers)
#define ldns_resolver_new	(*dl_ldns_resolver_new)
#define ldns_resolver_new_frm_fp	(*dl_ldns_resolver_new_frm_fp)
#define ldns_resolver_port	(*dl_ldns_resolver_port)
#define ldns_resolver_push_nameserver	(*dl_ldns_resolver_push_nameserver)
#define ldns_resolver_send_pkt	(*dl_ldns_resolver_send_pkt)
#define ldns_resolver_set_defnames	(*dl_ldns_resolver_set_defnames)
#define ldns_resolver_set_dnsrch	(*dl_ldns_resolver_set_dnsrch)
#define ldns_resolver_set_dnssec	(*dl_ldns_resolver_set_dnssec)
#define ldns_resolver_set_edns_udp_size	(*dl_ldns_resolver_set_edns_udp_size)
#define ldns_resolver_set_fail	(*dl_ldns_resolver_set_fail)
#define ldns_resolver_set_fallback	(*dl_ldns_resolver_set_fallback)
#define ldns_resolver_set_igntc	(*dl_ldns_resolver_set_igntc)
#define ldns_resolver_set_nameserver_rtt	(*dl_ldns_resolver_set_nameserver_rtt)
#define ldns_resolver_set_port	(*dl_ldns_resolver_set_port)
#define ldns_resolver_set_random	(*dl_ldns_resolver_set_random)
#define ldns_resolver_set_recursive	(*dl_ldns_resolver_set_recursive)
#define ldns_resolver_set_retrans	(*dl_ldns_resolver_set_retrans)
#define ldns_resolver_set_retry	(*dl_ldns_resolver_set_retry)
#define ldns_resolver_set_timeout	(*dl_ldns_resolver_set_timeout)
#define ldns_resolver_set_usevc	(*dl_ldns_resolver_set_usevc)
#define ldns_rr_get_class	(*dl_ldns_rr_get_class)
#define ldns_rr_get_type	(*dl_ldns_rr_get_type)
#define ldns_rr_list_rr		(*dl_ldns_rr_list_rr)
#define ldns_rr_list_rr_count	(*dl_ldns_rr_list_rr_count)
#define ldns_rr_owner		(*dl_ldns_rr_owner)
#define ldns_rr_rd_count	(*dl_ldns_rr_rd_count)
#define ldns_rr_rdf		(*dl_ldns_rr_rdf)
#define ldns_rr_ttl		(*dl_ldns_rr_ttl)
#define ldns_wire2pkt		(*dl_ldns_wire2pkt)
#endif

#endif
