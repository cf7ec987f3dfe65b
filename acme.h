/*
 * acme.h - embedding API of acme, a small ACME (RFC 8555) client.
 *
 * Every function returns 0 (or a count) on success and a negative
 * enum acme_error on failure; acme_last_error() then gives one readable
 * line. Strings passed in are borrowed for the duration of the call only.
 * The library is not thread-safe: one call at a time per process.
 */
#ifndef ACME_H
#define ACME_H

#include <stddef.h>

enum acme_error {
	ACME_OK = 0,
	ACME_ERR_USAGE = -1,	/* bad argument or configuration */
	ACME_ERR_NOMEM = -2,	/* allocation failed */
	ACME_ERR_LIMIT = -3,	/* input larger than a documented limit */
	ACME_ERR_IO = -4,	/* file system error */
	ACME_ERR_NET = -5,	/* DNS, connect, TLS or timeout */
	ACME_ERR_PROTO = -6,	/* the server sent something malformed */
	ACME_ERR_SERVER = -7,	/* the server answered with an ACME problem */
	ACME_ERR_CRYPTO = -8,	/* key generation, signing or parsing keys */
	ACME_ERR_CHALLENGE = -9, /* a challenge could not be set up or failed */
	ACME_ERR_TIMEOUT = -10,	/* an order did not settle in time */
	ACME_ERR_BUSY = -11,	/* another process holds the state lock */
	ACME_ERR_HOOK = -12,	/* the deploy hook failed (the new set stays) */
	ACME_ERR_MAX = -13
};

/*
 * How to reach the CA and answer its challenges. Every pointer is borrowed
 * for the duration of one call; NULL or 0 selects the default.
 */
struct acme_options {
	const char	*dir;		/* state directory; default /etc/acme */
	const char	*server;	/* directory URL (https) or an alias:
					   letsencrypt (default),
					   letsencrypt-staging */
	const char	*ca_file;	/* TLS trust for the server; default:
					   the system CA bundle */
	const char	*email;		/* account contact, new accounts only */
	int		 agree_tos;	/* agree to the CA's terms (needed to
					   create an account) */
	const char	*webroot;	/* http-01: write tokens below it */
	int		 webroot_symlinks; /* follow a symlinked .well-known or
					   acme-challenge below webroot (else
					   refused) */
	int		 standalone;	/* http-01: built-in responder */
	const char	*bind;		/* responder address; default all */
	int		 http_port;	/* responder port; default 80 */
	const char	*key_type;	/* ec256 (default), ec384, rsa2048,
					   rsa3072, rsa4096 */
	int		 verbosity;	/* -1 quiet, 0 errors and results,
					   1 progress, 2 protocol detail */
	/* storage */
	const char	*backdate;	/* seconds the CA backdates notBefore
					   (decimal); NULL: the alias's value
					   (letsencrypt: 3600), else 0 */
	int		 wait;		/* wait for the state lock instead of
					   failing with ACME_ERR_BUSY */
	/* challenges (see acme(1), CHALLENGES) */
	const char	*challenge;	/* http-01, dns-01, tls-alpn-01 or
					   dns-persist-01 (the record is
					   published once, see
					   acme_persist_record; no hook);
					   NULL: http-01 with --webroot or
					   --standalone, else the hook's
					   choice in the order dns-01,
					   http-01, tls-alpn-01 */
	const char	*hook;		/* challenge hook program, uacme's
					   contract: PROG begin|done|failed
					   TYPE IDENT TOKEN AUTH */
	int		 hook_timeout;	/* seconds per hook run; default 300 */
	int		 tls_port;	/* tls-alpn-01 responder port;
					   default 443 */
	int		 dns_wait;	/* seconds to wait after dns-01
					   hooks for propagation; default 0,
					   with dns_api 20 */
	const char	*dns_api;	/* dns-01 by acme.sh's dnsapi script
					   NAME.sh (acme(1), DNS API) */
	const char	*dns_api_dir;	/* where NAME.sh is looked for
					   first */
	const char	*challenge_alias; /* dns_api: every TXT record at
					   _acme-challenge.ALIAS */
	const char	*domain_alias;	/* dns_api: every TXT record at
					   this name itself */
	int		 persist_wildcard; /* acme_persist_record: every
					   record gets policy=wildcard */
	const char	*persist_until;	/* acme_persist_record: persistUntil,
					   RFC 3339 UTC or Unix seconds;
					   NULL: none */
	/* renewal (acme_renew; saved in conf/NAME.conf by acme_issue) */
	int		 days;		/* renew N days before notAfter;
					   0: ARI window, else a third of the
					   lifetime before notAfter */
	int		 force;		/* renew even when not due */
	const char	*copy_cert;	/* after a new set is live, write its
					   cert.pem to this absolute path too
					   (atomically; never through a
					   symlink, nor into a directory
					   group or others can write) */
	const char	*copy_chain;	/* the same for chain.pem (after
					   cert.pem when it is copy_cert) */
	const char	*copy_fullchain; /* the same for fullchain.pem */
	const char	*copy_key;	/* the same for privkey.pem */
	const char	*deploy_hook;	/* PROG run after a new set is live
					   (and the copies written) */
	int		 syslog;	/* also log to syslog(3) */
	int		 random_delay;	/* renew: wait 0..N s first */
	/* ---- protocol: accounts, EAB, revocation, chains, CSR ----
	 * server also takes the aliases zerossl, buypass and google; with
	 * no ca_file and no system CA bundle, TLS trusts the CA roots built
	 * into acme (acme(1), BUILT-IN TRUST ANCHORS). */
	const char	*eab_kid;	/* RFC 8555 7.3.4 key identifier from
					   the CA (new accounts only) */
	const char	*eab_hmac;	/* its MAC key, base64url; a secret */
	const char	*eab_hmac_file;	/* or a file holding it (one line;
					   not visible in /proc like argv) */
	const char	*eab_alg;	/* HS256 (default), HS384, HS512 */
	const char	*preferred_chain; /* issuer CN of the topmost
					   certificate of the wanted chain */
	const char	*profile;	/* newOrder "profile" (meta.profiles) */
	const char	*csr_file;	/* issue: bring your own CSR (PEM/DER) */
	const char	*csr_key;	/* its private key, for live/NAME */
	int		 reuse_key;	/* issue: keep live/NAME/privkey.pem */
	const char	*reason;	/* revoke: RFC 5280 reason name or code */
	const char	*cert_key;	/* revoke: sign with this certificate
					   key instead of the account key */
	int		 yes_deactivate; /* account deactivate: confirmed */
};

/*
 * Get a certificate for the identifiers (DNS names, IPv4 or IPv6 literals)
 * and store it as DIR/live/NAME, replacing whatever NAME held, as one
 * atomic step. name must be a valid NAME (see acme(1)). With opt->server
 * NULL, a NAME that DIR/conf/NAME.conf saved goes to its saved server
 * (with its CA file unless opt->ca_file is set). Unless verbosity < 0,
 * one result line goes to stdout; progress goes to stderr.
 * Returns 0, or a negative enum acme_error with acme_last_error() set; on
 * failure DIR/live is as it was.
 */
int acme_issue(const struct acme_options *opt, const char *name,
    const char *const *idents, size_t nidents);

/* What acme_account() does. */
enum acme_account_op {
	ACME_ACCOUNT_SHOW,	/* print URL, status, contact, key, server */
	ACME_ACCOUNT_UPDATE,	/* set the contact to opt->email */
	ACME_ACCOUNT_ROLLOVER,	/* RFC 8555 7.3.5: new key of opt->key_type */
	ACME_ACCOUNT_DEACTIVATE, /* RFC 8555 7.3.6: needs yes_deactivate */
	ACME_ACCOUNT_OP_MAX
};

/*
 * Operate on the existing account of DIR for opt->server (an account is
 * never created here). SHOW prints "key: value" lines on stdout; the
 * others print one result line unless verbosity < 0. ROLLOVER replaces
 * DIR/accounts/HOST/key.pem only after the server accepted the new key,
 * with one atomic rename. DEACTIVATE, once the server agreed, moves
 * DIR/accounts/HOST aside to HOST@deactivated-UNIXTIME so that a later
 * issue creates a new account. Returns 0 or a negative enum acme_error.
 */
int acme_account(const struct acme_options *opt, enum acme_account_op op);

/*
 * draft-ietf-acme-dns-persist-01: print on stdout, for every DNS name in
 * names (nnames >= 1; "*.NAME" stands for NAME with policy=wildcard), the
 * zone-file line of its dns-persist-01 record, one line per name and
 * issuer domain name:
 *   _validation-persist.NAME. IN TXT "ISSUER; accounturi=ACCOUNT-URL..."
 * The issuers are the directory's meta.caaIdentities, else those of the
 * challenge of a new order for names[0] (left pending). ACCOUNT-URL is
 * the account of DIR for opt->server, created (opt->agree_tos needed)
 * when absent. opt->persist_wildcard adds policy=wildcard to every
 * record, opt->persist_until persistUntil. Prints nothing on failure.
 * Returns 0 or a negative enum acme_error.
 */
int acme_persist_record(const struct acme_options *opt,
    const char *const *names, size_t nnames);

/*
 * RFC 8555 7.6: revoke a certificate: target is a NAME (DIR/live/NAME/
 * cert.pem) or a path to a PEM or DER certificate file (it contains a
 * '/'). The CA is opt->server, else the server DIR/conf/NAME.conf
 * saved for NAME (with its CA file unless opt->ca_file is set); with
 * neither, ACME_ERR_USAGE: never the default CA, which may not have
 * issued it. Signed with the account key of DIR for that server, or, when
 * opt->cert_key names a file, with that private key of the certificate
 * (no account needed). opt->reason: an RFC 5280 CRLReason name
 * (keyCompromise...) or number; NULL sends none. Nothing on disk
 * changes. Returns 0 or a negative enum acme_error.
 */
int acme_revoke(const struct acme_options *opt, const char *target);

/*
 * Print every certificate in DIR/live with its identifiers, not after,
 * days left by the last trusted time (never the system clock), key type
 * and backups, to stdout. Writes nothing (except to finish an update a
 * crash interrupted). Returns 0 or a negative enum acme_error.
 */
int acme_list(const struct acme_options *opt);

/*
 * Make backup n (1..3, 1 the newest) of name the live set; the live set
 * becomes backup 1 and the newer backups move down one, as one atomic
 * step per swap. Returns 0, ACME_ERR_USAGE when there is no such backup,
 * or another negative enum acme_error.
 */
int acme_restore(const struct acme_options *opt, const char *name, int n);

/*
 * Adopt a certbot tree (certbot_dir, NULL for /etc/letsencrypt): for
 * every renewal/NAME.conf not yet in DIR, the current version becomes
 * live/NAME, up to three newer-first unexpired older versions its
 * backups, and conf/NAME.conf what the renewal settings say; the account
 * it names becomes DIR's account for its server, its deploy hooks the
 * deploy hook (a wrapper in DIR/hooks/ running copies of the programs).
 * Reports on stdout what was carried over and what was not; never writes
 * below certbot_dir. The tree is read without following a symbolic link
 * and must belong to root or the user running acme, writable by no one
 * else (acme(1), IMPORTS). Returns 0; ACME_ERR_USAGE when the tree is
 * refused (nothing is written, DIR is not created); ACME_ERR_IO when a
 * certificate or an account could not be imported (each is named on
 * stderr; the others are imported, each whole).
 */
int acme_import_certbot(const struct acme_options *opt,
    const char *certbot_dir);

/*
 * The same for a uacme tree (NULL: /etc/ssl/uacme): NAME/cert.pem with
 * private/NAME/key.pem, older NAME/cert-T.pem as backups, private/key.pem
 * as the account for opt->server. uacme records no server, challenge
 * method or hook: opt's server, webroot, standalone, hook, deploy_hook...
 * go into each conf/NAME.conf.
 */
int acme_import_uacme(const struct acme_options *opt, const char *uacme_dir);

/*
 * The same for an acme.sh tree (NULL: $HOME/.acme.sh): DOMAIN/ and
 * DOMAIN_ecc/ with DOMAIN.cer, DOMAIN.key, ca.cer, fullchain.cer and the
 * Le_* settings of DOMAIN.conf; ca/SERVER/account.key with ca.conf's
 * ACCOUNT_URL as the account; --install-cert's copies as copy_cert..., the
 * reload command and the renew hook as a deploy hook wrapper in DIR/hooks/.
 */
int acme_import_acmesh(const struct acme_options *opt,
    const char *acmesh_dir);

/*
 * The same for a lego tree (NULL: ./.lego, lego's --path default):
 * certificates/NAME.crt, NAME.issuer.crt and NAME.key; the account of
 * opt->server in accounts/SERVER/EMAIL/ (opt->email picks one of
 * several). Like uacme, lego records no server, challenge method or
 * hook: opt's go into each conf/NAME.conf.
 */
int acme_import_lego(const struct acme_options *opt, const char *lego_dir);

/*
 * Renew the certificates named (all of DIR/conf/NAME.conf when nnames is
 * 0) that are due by the CA's time (the Date of its first answer, never
 * the device clock alone), each with the settings saved by acme_issue,
 * options set in opt overriding them for this run. One result line per
 * NAME goes to stdout unless verbosity < 0. Returns 0 when every NAME was
 * renewed or not due, else the error of the last NAME that failed (each
 * failure is also printed as "acme: NAME: failed: ..." on stderr).
 */
int acme_renew(const struct acme_options *opt, const char *const *names,
    size_t nnames);

/*
 * The line describing the last failure (without "acme: " and newline), or
 * "" when none. The string is static, valid until the next call.
 */
const char *acme_last_error(void);

#endif /* ACME_H */
