/*
 * dl_openssl.h - the OpenSSL functions slimrelay calls, through
 * pointers that dl_load(DL_CRYPTO) and dl_load(DL_SSL) fill in. See
 * dl.c. Include it after the <openssl/...> headers.
 *
 * Every name called must be in a list below and have its #define: a
 * name missing from the defines is an undefined symbol when the
 * programs link (they are not linked with libssl or libcrypto), a
 * define without a list entry does not compile. Some names are only
 * reached through OpenSSL's own macros: CRYPTO_free (OPENSSL_free),
 * SSL_CTX_ctrl and SSL_ctrl (SSL_CTX_set_mode, SNI),
 * SSL_get_ex_data (SSL_get_app_data), the SSL_CIPHER_* pair.
 */
#ifndef SLIMRELAY_DL_OPENSSL_H
#define SLIMRELAY_DL_OPENSSL_H

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "dl.h"

/* In libcrypto. */
#define DL_CRYPTO_SYMBOLS(X) \
	X(CRYPTO_free) \
	X(CRYPTO_memcmp) \
	X(ERR_clear_error) \
	X(ERR_get_error) \
	X(ERR_peek_error) \
	X(ERR_peek_last_error) \
	X(ERR_reason_error_string) \
	X(EVP_Digest) \
	X(EVP_DigestFinal_ex) \
	X(EVP_DigestInit_ex) \
	X(EVP_DigestUpdate) \
	X(EVP_MD_CTX_free) \
	X(EVP_MD_CTX_new) \
	X(EVP_md5) \
	X(EVP_sha256) \
	X(HMAC) \
	X(SHA256) \
	X(X509_VERIFY_PARAM_set1_host) \
	X(X509_VERIFY_PARAM_set1_ip_asc) \
	X(X509_VERIFY_PARAM_set_hostflags) \
	X(X509_digest) \
	X(X509_get_X509_PUBKEY) \
	X(X509_verify_cert_error_string) \
	X(i2d_X509_PUBKEY)

/* In libssl. */
#define DL_SSL_SYMBOLS(X) \
	X(SSL_CIPHER_get_bits) \
	X(SSL_CIPHER_get_name) \
	X(SSL_CTX_ctrl) \
	X(SSL_CTX_dane_enable) \
	X(SSL_CTX_free) \
	X(SSL_CTX_load_verify_locations) \
	X(SSL_CTX_new) \
	X(SSL_CTX_sess_set_new_cb) \
	X(SSL_CTX_set_options) \
	X(SSL_CTX_set_verify) \
	X(SSL_SESSION_free) \
	X(SSL_SESSION_get_protocol_version) \
	X(SSL_SESSION_get_time) \
	X(SSL_SESSION_get_timeout) \
	X(SSL_SESSION_is_resumable) \
	X(SSL_add1_host) \
	X(SSL_connect) \
	X(SSL_ctrl) \
	X(SSL_dane_enable) \
	X(SSL_dane_set_flags) \
	X(SSL_dane_tlsa_add) \
	X(SSL_free) \
	X(SSL_get0_dane_authority) \
	X(SSL_get0_dane_tlsa) \
	X(SSL_get0_param) \
	X(SSL_get0_peer_certificate) \
	X(SSL_get_current_cipher) \
	X(SSL_get_error) \
	X(SSL_get_ex_data) \
	X(SSL_get_verify_result) \
	X(SSL_get_version) \
	X(SSL_is_init_finished) \
	X(SSL_new) \
	X(SSL_pending) \
	X(SSL_read) \
	X(SSL_session_reused) \
	X(SSL_set_ex_data) \
	X(SSL_set_fd) \
	X(SSL_set_session) \
	X(SSL_shutdown) \
	X(SSL_write) \
	X(TLS_client_method) \
	X(d2i_SSL_SESSION) \
	X(i2d_SSL_SESSION)

DL_CRYPTO_SYMBOLS(DL_DECLARE)
DL_SSL_SYMBOLS(DL_DECLARE)

#ifndef DL_NO_REDIRECT
#define CRYPTO_free		(*dl_CRYPTO_free)
#define CRYPTO_memcmp		(*dl_CRYPTO_memcmp)
#define ERR_clear_error		(*dl_ERR_clear_error)
#define ERR_get_error		(*dl_ERR_get_error)
#define ERR_peek_error		(*dl_ERR_peek_error)
#define ERR_peek_last_error	(*dl_ERR_peek_last_error)
#define ERR_reason_error_string	(*dl_ERR_reason_error_string)
#define EVP_Digest		(*dl_EVP_Digest)
#define EVP_DigestFinal_ex	(*dl_EVP_DigestFinal_ex)
#define EVP_DigestInit_ex	(*dl_EVP_DigestInit_ex)
#define EVP_DigestUpdate	(*dl_EVP_DigestUpdate)
#define EVP_MD_CTX_free		(*dl_EVP_MD_CTX_free)
#define EVP_MD_CTX_new		(*dl_EVP_MD_CTX_new)
#define EVP_md5			(*dl_EVP_md5)
#define EVP_sha256		(*dl_EVP_sha256)
#define HMAC			(*dl_HMAC)
#define SHA256			(*dl_SHA256)
#define X509_VERIFY_PARAM_set1_host (*dl_X509_VERIFY_PARAM_set1_host)
#define X509_VERIFY_PARAM_set1_ip_asc (*dl_X509_VERIFY_PARAM_set1_ip_asc)
#define X509_VERIFY_PARAM_set_hostflags (*dl_X509_VERIFY_PARAM_set_hostflags)
#define X509_digest		(*dl_X509_digest)
#define X509_get_X509_PUBKEY	(*dl_X509_get_X509_PUBKEY)
#define X509_verify_cert_error_string (*dl_X509_verify_cert_error_string)
#define i2d_X509_PUBKEY		(*dl_i2d_X509_PUBKEY)

#define SSL_CIPHER_get_bits	(*dl_SSL_CIPHER_get_bits)
#define SSL_CIPHER_get_name	(*dl_SSL_CIPHER_get_name)
#define SSL_CTX_ctrl		(*dl_SSL_CTX_ctrl)
#define SSL_CTX_dane_enable	(*dl_SSL_CTX_dane_enable)
#define SSL_CTX_free		(*dl_SSL_CTX_free)
#define SSL_CTX_load_verify_locations (*dl_SSL_CTX_load_verify_locations)
#define SSL_CTX_new		(*dl_SSL_CTX_new)
#define SSL_CTX_sess_set_new_cb	(*dl_SSL_CTX_sess_set_new_cb)
#define SSL_CTX_set_options	(*dl_SSL_CTX_set_options)
#define SSL_CTX_set_verify	(*dl_SSL_CTX_set_verify)
#define SSL_SESSION_free	(*dl_SSL_SESSION_free)
#define SSL_SESSION_get_protocol_version (*dl_SSL_SESSION_get_protocol_version)
#define SSL_SESSION_get_time	(*dl_SSL_SESSION_get_time)
#define SSL_SESSION_get_timeout	(*dl_SSL_SESSION_get_timeout)
#define SSL_SESSION_is_resumable (*dl_SSL_SESSION_is_resumable)
#define SSL_add1_host		(*dl_SSL_add1_host)
#define SSL_connect		(*dl_SSL_connect)
#define SSL_ctrl		(*dl_SSL_ctrl)
#define SSL_dane_enable		(*dl_SSL_dane_enable)
#define SSL_dane_set_flags	(*dl_SSL_dane_set_flags)
#define SSL_dane_tlsa_add	(*dl_SSL_dane_tlsa_add)
#define SSL_free		(*dl_SSL_free)
#define SSL_get0_dane_authority	(*dl_SSL_get0_dane_authority)
#define SSL_get0_dane_tlsa	(*dl_SSL_get0_dane_tlsa)
#define SSL_get0_param		(*dl_SSL_get0_param)
#define SSL_get0_peer_certificate (*dl_SSL_get0_peer_certificate)
#define SSL_get_current_cipher	(*dl_SSL_get_current_cipher)
#define SSL_get_error		(*dl_SSL_get_error)
#define SSL_get_ex_data		(*dl_SSL_get_ex_data)
#define SSL_get_verify_result	(*dl_SSL_get_verify_result)
#define SSL_get_version		(*dl_SSL_get_version)
#define SSL_is_init_finished	(*dl_SSL_is_init_finished)
#define SSL_new			(*dl_SSL_new)
#define SSL_pending		(*dl_SSL_pending)
#define SSL_read		(*dl_SSL_read)
#define SSL_session_reused	(*dl_SSL_session_reused)
#define SSL_set_ex_data		(*dl_SSL_set_ex_data)
#define SSL_set_fd		(*dl_SSL_set_fd)
#define SSL_set_session		(*dl_SSL_set_session)
#define SSL_shutdown		(*dl_SSL_shutdown)
#define SSL_write		(*dl_SSL_write)
#define TLS_client_method	(*dl_TLS_client_method)
#define d2i_SSL_SESSION		(*dl_d2i_SSL_SESSION)
#define i2d_SSL_SESSION		(*dl_i2d_SSL_SESSION)
#endif

#endif
