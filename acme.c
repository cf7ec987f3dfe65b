/*
 * acme.c - a small static ACME (RFC 8555) client for devices without a
 * real-time clock: Raspberry Pis, OpenWrt routers, initramfs, containers.
 *
 * Build: `make` (vendor/ fetches and builds BearSSL 0.6, libcurl 7.88.1 and
 * jsmn 1.1.0, then links one static musl binary). Unit tests include this
 * file with ACME_NO_MAIN defined; see test/.
 *
 * The file is ordered bottom-up: a section only calls sections above it
 * and names only their types, and its introduction says what it owns and
 * which sections it may call (their functions or types), and its
 * "Prefixes:" line names the first word of every function defined in it
 * (a prefix belongs to one section; acme_ is acme.h's API). A struct
 * holds no member of a later section's type and no field only later
 * sections use. Subsections are listed under their section. test/toc.py
 * checks that this table, the banners, the "May call:" and "Prefixes:"
 * lines and the structs agree.
 *
 *  1. Limits and configuration
 *  2. Types and tables
 *  3. Utilities
 *  4. Encodings
 *  5. JSON
 *  6. Crypto
 *     - random numbers
 *     - hashes
 *     - DER reading
 *     - keys
 *  7. JOSE
 *  8. DER and CSR
 *     - tls-alpn-01 validation certificate (RFC 8737 3)
 *  9. X.509 reading
 * 10. Storage
 *     - backup ring: backup/NAME/1 (newest) .. BACKUP_DEPTH
 * 11. Trusted time
 * 12. File formats
 *     - lines: "key: value" and "key = value"
 *     - the lock: DIR itself
 *     - DIR/time
 *     - meta.txt
 *     - the account record: accounts/HOST
 *     - conf/NAME.conf
 *     - conf/NAME.state
 *     - conf/NAME.order
 * 13. HTTP
 *     - the built-in trust anchors
 * 14. Challenges
 *     - tls-alpn-01 answers (RFC 8737, RFC 8738 6)
 *     - the standalone responder: one process answers every order
 *     - dns-api: acme.sh's dnsapi scripts
 *     - dns-api: the callbacks
 *     - hooks
 *     - choosing and placing answers
 *     - dns-persist-01 (draft-ietf-acme-dns-persist-01)
 * 15. ACME requests
 * 16. ACME flows
 *     - account
 *     - account operations (RFC 8555 7.3.2, 7.3.5, 7.3.6)
 *     - revocation (RFC 8555 7.6)
 *     - resuming an order: conf/NAME.order
 *     - order state machine (RFC 8555 7.4)
 *     - the batch: orders side by side
 * 17. Command sessions
 *     - the session: one entry path for every command
 * 18. Issue
 *     - what to issue: names, CSR, key, profile
 *     - install and deploy
 * 19. List, restore and imports
 *     - list, restore
 *     - imports: the core
 *     - imports: what is carried over
 *     - imports: the set
 *     - imports: hooks
 *     - imports: conf, report
 *     - imports: accounts
 *     - imports: the run
 *     - imports: JWK private keys (certbot's accounts)
 *     - imports: settings given on the command line
 *     - import-certbot
 *     - import-uacme
 *     - import-acmesh
 *     - import-lego
 * 20. Renew
 *     - one run
 * 21. Account and revocation
 *     - account show, update, rollover, deactivate
 *     - account persist-record (dns-persist-01)
 *     - revoke
 * 22. CLI
 */
#define _GNU_SOURCE
#include <sys/types.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/random.h>
#include <sys/file.h>
#include <sys/auxv.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <bearssl.h>
#include <curl/curl.h>

#define JSMN_STATIC
#define JSMN_STRICT
#define JSMN_PARENT_LINKS
#include "jsmn.h"

#include "acme.h"

/* ==== 1. Limits and configuration ==== */

/*
 * Every number a peer or a user can influence, in one place: sizes, counts,
 * depths, retries and waits, each with its reason; the version and the
 * switches only a test build reads; and OPTIONS, the one table of every
 * option (its name, kind, limits, whether conf/NAME.conf keeps it, its
 * help), from which section 2 makes opt_table and the CLI, --help, the
 * limits and conf/NAME.conf are generated. Macros only.
 *
 * Prefixes: none (macros and types only).
 * May call: nothing above.
 */

#define ACME_VERSION		"0.1.0"
#define ACME_USER_AGENT		"acme/" ACME_VERSION

/*
 * A result the caller must look at: every function that can fail (an
 * error code, or NULL) and every predicate. gcc warns even through a
 * (void) cast, so a result dropped on purpose goes through ACME_IGNORE()
 * beside a comment that says why dropping it is right.
 */
#define ACME_MUST_CHECK	__attribute__((warn_unused_result))
#define ACME_IGNORE(x)	((void)!(x))

/* A limit below as a string literal, for a message. */
#define ACME_STR_(x)	#x
#define ACME_STR(x)	ACME_STR_(x)

/*
 * The test switches ACME_TEST_NOW, ACME_TEST_CRASH_AT, ACME_TEST_NO_EXCHANGE
 * and ACME_TEST_CA_BUNDLES (acme(1), ENVIRONMENT) are read only by a test
 * build (-DACME_TEST: the Makefile's acme-test and test/unit); the release
 * binary does not even contain their names.
 */
#ifdef ACME_TEST
#define TEST_GETENV(name)	getenv(name)
#else
#define TEST_GETENV(name)	((const char *)NULL)
#endif

/* Every size, count, depth, retry and wait a peer can influence. */
#define BODY_MAX	(256 * 1024)	/* a chain of a few certs fits easily */
#define HEADER_MAX	(8 * 1024)	/* one response header line */
#define JSON_TOKENS_MAX	1024		/* an order with IDENT_MAX authz URLs */
#define JSON_DEPTH_MAX	16		/* ACME objects nest 3 or 4 deep */
#define JSON_STR_MAX	(64 * 1024)	/* one unescaped string value */
#define IDENT_MAX	100		/* Let's Encrypt's SAN limit */
#define IDENT_LEN_MAX	253		/* RFC 1035 name length */
#define URL_MAX		2048		/* any URL from the server */
#define NONCE_MAX	256		/* Replay-Nonce value */
#define TOKEN_MAX	256		/* challenge token */
#define NONCE_RETRIES	16		/* badNonce retries of one request: Pebble
					   rejects up to 50% in tests; 2^-17 */
#define POLL_DEADLINE	300		/* seconds for one order to settle */
#define POLL_FIRST_MS	50		/* first poll after a challenge or
					   finalize answer: a fast CA is done */
#define POLL_MAX_MS	2000		/* back-off doubles up to this */
#define POLL_STUCK	20		/* seconds an order still waits once
					   the CA put an error on a challenge
					   it leaves pending, with no progress
					   since: step-ca never retries it */
#define RETRY_AFTER_MAX	60		/* seconds honoured from Retry-After */
#define ORDERS_MAX	20		/* orders in flight in one run */
#define ORDERS_IDENTS_MAX IDENT_MAX	/* and their identifiers: pending
					   authorizations stay few */
#define PEM_MAX		(128 * 1024)	/* one PEM file we read */
#define PEM_LABEL_MAX	64		/* "BEGIN label": CERTIFICATE etc. */
#define KEY_PEM_OBJS	8		/* PEM blocks in one key file */
#define X509_SERIAL_MAX	32		/* RFC 5280 4.1.2.2: 20 octets; slack */
#define X509_AKI_MAX	64		/* keyIdentifier: 20 octets in use */
#define X509_CN_MAX	256		/* a CN kept from a certificate */
#define HTTP_TIMEOUT	30		/* seconds for one HTTP exchange */
#define HTTP_IDEM_TIMEOUT 10		/* seconds for an idempotent one (a
					   GET or POST-as-GET), then retried */
#define REQ_RETRIES	2		/* new connections tried for one */
#define HTTP_CONNECT_TIMEOUT 15		/* seconds to connect */
#define HTTP_LEAF_MAX	(16 * 1024)	/* the CA's TLS certificate, kept to
					   match a CA reached by IP address:
					   a few KB */
#define ERR_MSG_MAX	1024		/* one recorded error line */
#define PROBLEM_SUB_MAX	10		/* subproblems reported */
#define PROBLEM_LINE_MAX (32 * 1024)	/* a problem as text, cut to
					   ERR_MSG_MAX by err_set: 2 parts
					   and PROBLEM_SUB_MAX * 3 fit */
#define STANDALONE_REQ_MAX 4096		/* one request to the responder */
#define STANDALONE_CONN_MAX 64		/* connections it holds at once (an
					   idle one costs no buffer) */
#define STANDALONE_ADDR_MAX 32		/* idle ones from one client address:
					   Pebble's VA opens 3 per name */
#define STANDALONE_CONN_MS 3000		/* one connection's whole life: its
					   request (http-01) or handshake
					   (tls-alpn-01) and our answer; a
					   validator sends at once */
#define PATH_LEN_MAX	4096		/* any path we build */
#define NAME_LEN_MAX	255		/* certificate NAME (a file name) */
#define CHAIN_MAX	8		/* certificates in one download */
#define CONF_MAX	(16 * 1024)	/* one conf/NAME.conf */
/* storage */
#define BACKUP_DEPTH	3		/* sets kept in backup/NAME (DESIGN) */
#define STRAY_COPIES_MAX 100		/* NAME, NAME.1 ... tried in
					   backup/NAME/stray/ for one entry */
#define BACKDATE_MAX	(7 * 86400)	/* --backdate: CAs backdate by hours */
#define META_MAX	(64 * 1024)	/* one meta.txt: IDENT_MAX names fit */
#define IMP_VERSIONS_MAX 1024		/* certbot versions or uacme backups of
					   one NAME looked at by an import */
#define IMP_JSON_MAX	(16 * 1024)	/* a certbot account file: the JWK of
					   an RSA-4096 key is 3.3 KB */
#define IMP_LINE_MAX	1024		/* one line of an import's report */
#define IMP_HOOKS_MAX	16		/* programs copied for one NAME's
					   deploy hook (renewal-hooks/deploy/) */
#define IMP_PROG_MAX	(1024 * 1024)	/* one program copied: hook scripts
					   are KBs, a small binary fits */
/* challenges and hooks */
#define HOOK_TIMEOUT	300		/* seconds a challenge or deploy hook
					   may run by default: DNS APIs can
					   be slow */
#define HOOK_TIMEOUT_MAX 3600		/* the most --hook-timeout may ask */
#define HOOK_KILL_GRACE	2		/* seconds from SIGTERM to SIGKILL */
#define DNS_WAIT_MAX	3600		/* the most --dns-wait may ask */
#define API_NAME_MAX	64		/* --dns-api NAME: acme.sh's are at
					   most 20 bytes */
#define API_WAIT_DEFAULT 20		/* --dns-api without --dns-wait:
					   acme.sh's first sleep */
#define API_IN_MAX	BODY_MAX	/* what one dnsapi callback reads on
					   stdin: a request body, a value */
#define API_CONF_MAX	(64 * 1024)	/* DIR/dns-api/account.conf: every
					   provider's credentials */
#define API_DUMP_MAX	(64 * 1024)	/* response headers kept for a
					   script's $HTTP_HEADER */
#define API_REDIRS_MAX	5		/* redirects one API request follows */
#define PERSIST_ISSUERS_MAX 10		/* dns-persist-01 issuer domain names:
					   draft-ietf-acme-dns-persist 3.1 */
#define PERSIST_VALUE_MAX (8 * 1024)	/* one dns-persist-01 TXT value */

/* Renewal, trusted time, deploy hook (renew). */
#define CA_FILE_MAX	(2 * 1024 * 1024) /* a system bundle is ~220 KB */
#define CA_ANCHORS_MAX	512		/* trust anchors in one CA file */
#define CA_DN_MAX	1024		/* one anchor's subject DN, DER */
#define TIME_FLOOR_STEP	86400		/* DIR/time rewritten at most daily */
#define CA_SKEW_MAX	300		/* seconds a CA's Date may trail the
					   notBefore it signs: front ends and
					   signers keep separate clocks */
#define ARI_RETRY_MIN	60		/* renewalInfo Retry-After honoured, */
#define ARI_RETRY_MAX	(7 * 86400)	/* clamped to a minute .. a week */
#define ARI_RETRY_DEFAULT 21600		/* RFC 9773 4.3.3: six hours */
#define RATE_WAIT_DEFAULT 3600		/* a rate limit without a time */
#define RATE_WAIT_MAX	(30 * 86400)	/* longest rate-limit wait kept */
#define RETRY_AFTER_CLAMP RATE_WAIT_MAX	/* Retry-After seconds as parsed:
					   no use honours more */
#define RANDOM_DELAY_MAX 86400		/* --random-delay ceiling, seconds */
#define DAYS_MAX	3650		/* --days: no certificate lives ten
					   years */
#define STATE_MAX	4096		/* one conf/NAME.state */
#define RENEW_NAMES_MAX	1024		/* conf/ entries one run looks at */
/* Unix time of the build (Makefile: SOURCE_DATE_EPOCH or now): a lower
 * bound for the TLS validation time (see acme(1) TIME). */
#ifndef ACME_BUILD_TIME
#define ACME_BUILD_TIME	0
#endif
/* protocol: accounts, alternate chains, profiles, EAB, CSR */
#define LINK_ALT_MAX	8		/* Link rel="alternate" chains kept;
					   CAs offer 1 or 2 */
#define PROFILE_MAX	16		/* meta.profiles entries kept */
#define PROFILE_NAME_MAX 64		/* one profile name */
#define EAB_KEY_MAX	128		/* EAB MAC key bytes (HS512 uses 64) */
#define EAB_FILE_MAX	1024		/* --eab-hmac-file: the key and a
					   newline, with room for spaces */
#define CSR_MAX		(64 * 1024)	/* one --csr file */

/* The longest value of a string option (OPTIONS below), in bytes. */
#define OPT_WORD_MAX	64		/* a keyword, address, profile name,
					   time or number */
#define OPT_TEXT_MAX	256		/* an e-mail address, EAB key id or CN */

/*
 * OPTIONS(X): every option of acme(1) and struct acme_options, one
 * X(...) entry each; nothing else defines one. A user defines X to take
 * the columns it needs, expands OPTIONS(X) and undefines X: section 2
 * makes opt_table[] (and checks acme.h's fields) from it, and the CLI
 * parser, the usage text, the limits check (api_limits) and the reader
 * and writer of conf/NAME.conf all walk opt_table[]. The columns:
 *   field  the member of struct acme_options (acme.h documents it) that
 *          the option sets; verbosity for the four actions
 *   name   the long option without "--"; also its key in conf/NAME.conf
 *   letter its short option, or 0
 *   kind   STR (a string), FLAG (an int set to 1), INT (an int >= 0),
 *          SECS (an INT counting seconds), PORT (a TCP port), or an action
 *          of the CLI: VERBOSE, QUIET, HELP, VERSION
 *   lo, hi an INT, SECS or PORT: its range (0 always means "not set");
 *          a STR: at most hi bytes (lo unused)
 *   conf   NO: never saved; SAVE: saved in conf/NAME.conf when set and
 *          read back by renew; CHAL: the same, and one of the challenge
 *          settings, all skipped when renew's command line names its own;
 *          ALWAYS: like SAVE, but written even when not set
 *   group  its heading in --help; the table keeps each group together
 *   arg    the name of its value in --help ("" for none)
 *   help   its text in --help, "\n" between lines
 * The table order is the order of --help and of conf/NAME.conf (which
 * is read in any order). A new option is one X(...) entry here, its
 * commented field in acme.h and its entry in acme.1: the compiler and the
 * test cli_options_documented catch a missing one.
 * Left out on purpose, as no column could say them: what a value means
 * (a key type, challenge type, reason, EAB algorithm, --backdate's
 * seconds: each read by its own section's parser), rules between options
 * (--webroot or --standalone, --csr with --csr-key, dns-persist-01 with
 * no hook: api_check, api_check_chal, issue_names), which commands
 * use an option, and the two defaults from the environment (ACME_DIR,
 * ACME_EAB_HMAC: main). renew takes the CHAL settings from conf/NAME.conf
 * only when its command line names no way to answer (file_conf_apply).
 */
#define OPTIONS(X) \
X(dir, "dir", 0, STR, 0, PATH_LEN_MAX, NO, GENERAL, "DIR", \
    "state directory (default /etc/acme, or $ACME_DIR)") \
X(server, "server", 0, STR, 0, URL_MAX, SAVE, GENERAL, "URL|ALIAS", \
    "ACME directory URL (https) or letsencrypt (default),\n" \
    "letsencrypt-staging, zerossl, buypass, google") \
X(ca_file, "ca-file", 0, STR, 0, PATH_LEN_MAX, ALWAYS, GENERAL, "FILE", \
    "trust for the server's TLS (default: the system\n" \
    "bundle, else the built-in roots of those CAs)") \
X(wait, "wait", 0, FLAG, 0, 1, NO, GENERAL, "", \
    "wait for another acme on DIR instead of failing") \
X(verbosity, "verbose", 'v', VERBOSE, 0, 0, NO, GENERAL, "", \
    "more detail (twice for protocol detail)") \
X(verbosity, "quiet", 'q', QUIET, 0, 0, NO, GENERAL, "", "only errors") \
X(syslog, "syslog", 0, FLAG, 0, 1, NO, GENERAL, "", \
    "also log to syslog (logread on OpenWrt)") \
X(verbosity, "help", 'h', HELP, 0, 0, NO, GENERAL, "", "this text") \
X(verbosity, "version", 'V', VERSION, 0, 0, NO, GENERAL, "", "the version") \
X(email, "email", 0, STR, 0, OPT_TEXT_MAX, SAVE, ACCOUNT, "ADDR", \
    "contact for a new account (or account update)") \
X(agree_tos, "agree-tos", 0, FLAG, 0, 1, NO, ACCOUNT, "", \
    "agree to the CA's terms of service") \
X(eab_kid, "eab-kid", 0, STR, 0, OPT_TEXT_MAX, NO, ACCOUNT, "ID", \
    "external account binding key id (new account)") \
X(eab_hmac, "eab-hmac", 0, STR, 0, EAB_FILE_MAX, NO, ACCOUNT, "KEY", \
    "its base64url MAC key (or $ACME_EAB_HMAC)") \
X(eab_hmac_file, "eab-hmac-file", 0, STR, 0, PATH_LEN_MAX, NO, ACCOUNT, "F", \
    "read the MAC key from file F instead") \
X(eab_alg, "eab-alg", 0, STR, 0, OPT_WORD_MAX, NO, ACCOUNT, "ALG", \
    "HS256 (default), HS384, HS512") \
X(yes_deactivate, "yes-deactivate", 0, FLAG, 0, 1, NO, ACCOUNT, "", \
    "account deactivate: confirm (cannot be undone)") \
X(persist_wildcard, "wildcard", 0, FLAG, 0, 1, NO, ACCOUNT, "", \
    "persist-record: policy=wildcard (subdomains too)") \
X(persist_until, "until", 0, STR, 0, OPT_WORD_MAX, NO, ACCOUNT, "TIME", \
    "persist-record: persistUntil (RFC 3339 UTC or Unix\nseconds)") \
X(webroot, "webroot", 0, STR, 0, PATH_LEN_MAX, CHAL, CHALLENGES, "DIR", \
    "http-01: write DIR/.well-known/acme-challenge/TOKEN") \
X(webroot_symlinks, "webroot-symlinks", 0, FLAG, 0, 1, CHAL, CHALLENGES, "", \
    "follow a symlinked .well-known or acme-challenge\n" \
    "below --webroot (refused otherwise)") \
X(standalone, "standalone", 0, FLAG, 0, 1, CHAL, CHALLENGES, "", \
    "answer with a built-in responder (http-01, or\n" \
    "tls-alpn-01 with --challenge tls-alpn-01)") \
X(http_port, "http-port", 0, PORT, 1, 65535, CHAL, CHALLENGES, "N", \
    "port of the http-01 responder (default 80)") \
X(tls_port, "tls-port", 0, PORT, 1, 65535, CHAL, CHALLENGES, "N", \
    "port of the tls-alpn-01 responder (default 443)") \
X(bind, "bind", 0, STR, 0, OPT_WORD_MAX, CHAL, CHALLENGES, "ADDR", \
    "address of the responders (default all)") \
X(challenge, "challenge", 0, STR, 0, OPT_WORD_MAX, CHAL, CHALLENGES, "TYPE", \
    "http-01, dns-01, tls-alpn-01 or dns-persist-01\n" \
    "(default: http-01 with --webroot/--standalone,\n" \
    "else the hook's choice)") \
X(hook, "hook", 0, STR, 0, PATH_LEN_MAX, CHAL, CHALLENGES, "PROG", \
    "run PROG begin|done|failed TYPE IDENT TOKEN AUTH\n" \
    "(uacme's contract; non-zero on begin declines)") \
X(hook_timeout, "hook-timeout", 0, SECS, 1, HOOK_TIMEOUT_MAX, SAVE, \
    CHALLENGES, "N", "seconds PROG may take (default 300)") \
X(dns_wait, "dns-wait", 0, SECS, 0, DNS_WAIT_MAX, SAVE, CHALLENGES, "N", \
    "seconds to wait for DNS after dns-01 begins\n" \
    "(default 0, with --dns-api 20)") \
X(dns_api, "dns-api", 0, STR, 0, API_NAME_MAX, CHAL, CHALLENGES, "NAME", \
    "dns-01 by acme.sh's dnsapi script NAME.sh\n" \
    "(dns_cf, dns_duckdns...; acme(1), DNS API)") \
X(dns_api_dir, "dns-api-dir", 0, STR, 0, PATH_LEN_MAX, CHAL, CHALLENGES, \
    "DIR", "look for NAME.sh in DIR first") \
X(challenge_alias, "challenge-alias", 0, STR, 0, IDENT_LEN_MAX, CHAL, \
    CHALLENGES, "D", "--dns-api: TXT records at _acme-challenge.D") \
X(domain_alias, "domain-alias", 0, STR, 0, IDENT_LEN_MAX, CHAL, \
    CHALLENGES, "D", "--dns-api: TXT records at D") \
X(key_type, "key-type", 0, STR, 0, OPT_WORD_MAX, SAVE, CERTIFICATE, "TYPE", \
    "ec256 (default), ec384, rsa2048, rsa3072, rsa4096") \
X(reuse_key, "reuse-key", 0, FLAG, 0, 1, SAVE, CERTIFICATE, "", \
    "keep the key of live/NAME") \
X(csr_file, "csr", 0, STR, 0, PATH_LEN_MAX, SAVE, CERTIFICATE, "FILE", \
    "bring your own CSR (names from it)") \
X(csr_key, "csr-key", 0, STR, 0, PATH_LEN_MAX, SAVE, CERTIFICATE, "FILE", \
    "the CSR's private key") \
X(preferred_chain, "preferred-chain", 0, STR, 0, OPT_TEXT_MAX, SAVE, \
    CERTIFICATE, "CN", "the chain whose top certificate CN issued") \
X(profile, "profile", 0, STR, 0, OPT_WORD_MAX, SAVE, CERTIFICATE, "NAME", \
    "a certificate profile the CA offers") \
X(backdate, "backdate", 0, STR, 0, OPT_WORD_MAX, SAVE, CERTIFICATE, \
    "SECONDS", "how far the CA backdates notBefore (default 0;\n" \
    "3600 for the letsencrypt aliases)") \
X(days, "days", 0, INT, 0, DAYS_MAX, SAVE, RENEWAL, "N", \
    "renew N days before expiry (default: the CA's ARI\n" \
    "window, else a third of the lifetime before)") \
X(force, "force", 0, FLAG, 0, 1, NO, RENEWAL, "", "renew even when not due") \
X(copy_cert, "copy-cert", 0, STR, 0, PATH_LEN_MAX, SAVE, RENEWAL, "FILE", \
    "also write a new cert.pem to FILE, atomically") \
X(copy_chain, "copy-chain", 0, STR, 0, PATH_LEN_MAX, SAVE, RENEWAL, "FILE", \
    "the same for chain.pem") \
X(copy_fullchain, "copy-fullchain", 0, STR, 0, PATH_LEN_MAX, SAVE, RENEWAL, \
    "FILE", "the same for fullchain.pem") \
X(copy_key, "copy-key", 0, STR, 0, PATH_LEN_MAX, SAVE, RENEWAL, "FILE", \
    "the same for privkey.pem") \
X(deploy_hook, "deploy-hook", 0, STR, 0, PATH_LEN_MAX, SAVE, RENEWAL, "PROG", \
    "run PROG (no shell) after a new set is live") \
X(random_delay, "random-delay", 0, SECS, 0, RANDOM_DELAY_MAX, NO, RENEWAL, \
    "N", "first wait a random 0..N seconds") \
X(reason, "reason", 0, STR, 0, OPT_WORD_MAX, NO, REVOCATION, "R", \
    "keyCompromise, superseded, ... or 0-10") \
X(cert_key, "cert-key", 0, STR, 0, PATH_LEN_MAX, NO, REVOCATION, "FILE", \
    "sign with the certificate's key, not the account's")

/* ==== 2. Types and tables ==== */

/*
 * The types every later section shares: log levels, opt_table (OPTIONS
 * expanded, checked against acme.h at compile time) with the accessors of an
 * option's field, struct buf (a growable buffer with a ceiling and a sticky
 * first error), identifiers, key types.
 *
 * Prefixes: opt_.
 * May call: nothing above.
 */

enum log_level {
	LOG_LEVEL_ERROR,
	LOG_LEVEL_INFO,
	LOG_LEVEL_DEBUG,
	LOG_LEVEL_MAX
};

/* What an option is and does (OPTIONS, section 1: kind). */
enum opt_kind {
	OPT_STR,		/* a const char *, borrowed */
	OPT_FLAG,		/* an int, 1 when given */
	OPT_INT,		/* an int >= 0 */
	OPT_SECS,		/* an int >= 0 counting seconds */
	OPT_PORT,		/* an int, a TCP port */
	OPT_VERBOSE,		/* -v: one level more detail */
	OPT_QUIET,		/* -q: errors only */
	OPT_HELP,		/* -h: the usage text */
	OPT_VERSION,		/* -V: the version */
	OPT_KIND_MAX
};

#define OPT_IS_NUMBER(k)	((k) == OPT_INT || (k) == OPT_SECS || \
				 (k) == OPT_PORT)

/* Whether conf/NAME.conf keeps an option (OPTIONS: conf). */
enum opt_conf {
	OPT_CONF_NO,
	OPT_CONF_SAVE,
	OPT_CONF_CHAL,
	OPT_CONF_ALWAYS,
	OPT_CONF_MAX
};

/* The headings of --help (OPTIONS: group). */
enum opt_group {
	OPT_GROUP_GENERAL,
	OPT_GROUP_ACCOUNT,
	OPT_GROUP_CHALLENGES,
	OPT_GROUP_CERTIFICATE,
	OPT_GROUP_RENEWAL,
	OPT_GROUP_REVOCATION,
	OPT_GROUP_MAX
};

static const char *const opt_group_names[OPT_GROUP_MAX] = {
	[OPT_GROUP_GENERAL] = "general",
	[OPT_GROUP_ACCOUNT] = "account",
	[OPT_GROUP_CHALLENGES] = "challenges",
	[OPT_GROUP_CERTIFICATE] = "certificate",
	[OPT_GROUP_RENEWAL] = "renewal",
	[OPT_GROUP_REVOCATION] = "revocation",
};

/* Every option: one row per X(...) of OPTIONS, in its order. */
static const struct opt {
	const char	*name;
	const char	*arg;
	const char	*help;
	int		 lo, hi;
	unsigned short	 off;		/* of its field in acme_options */
	char		 letter;
	unsigned char	 kind;		/* enum opt_kind */
	unsigned char	 conf;		/* enum opt_conf */
	unsigned char	 group;		/* enum opt_group */
} opt_table[] = {
#define X(field, name, letter, kind, lo, hi, conf, group, arg, help) \
	{ name, arg, help, lo, hi, offsetof(struct acme_options, field), \
	    letter, OPT_##kind, OPT_CONF_##conf, OPT_GROUP_##group },
	OPTIONS(X)
#undef X
};

#define OPT_N	(sizeof(opt_table) / sizeof(opt_table[0]))

/*
 * acme.h keeps struct acme_options hand-written, with its comments; the
 * compiler checks that each field OPTIONS names is there, a string for a
 * STR and an int for every other kind (test/e2e/10-bad.sh,
 * cli_options_documented, checks that no field of acme.h is missing).
 */
#define X(field, name, letter, kind, lo, hi, conf, group, arg, help) \
	_Static_assert(_Generic(((struct acme_options *)0)->field, \
	    const char *: OPT_##kind == OPT_STR, \
	    int: OPT_##kind != OPT_STR, default: 0), \
	    "--" name ": no such field in acme.h, or not of its kind");
OPTIONS(X)
#undef X

/* The field of o that option r sets: its string or int. */
static const char **
opt_str(struct acme_options *o, const struct opt *r)
{
	return (const char **)(void *)((char *)o + r->off);
}

static int *
opt_int(struct acme_options *o, const struct opt *r)
{
	return (int *)(void *)((char *)o + r->off);
}

/* The same, to read a const o. */
static const char *
opt_str_get(const struct acme_options *o, const struct opt *r)
{
	return *(const char *const *)(const void *)((const char *)o + r->off);
}

static int
opt_int_get(const struct acme_options *o, const struct opt *r)
{
	return *(const int *)(const void *)((const char *)o + r->off);
}

/*
 * A growable byte buffer with a hard ceiling. data is owned. Like the
 * JSON writer, it remembers its first error: after a failed append every
 * later one does nothing and returns that error, so a chain of buf_puts,
 * buf_printf and buf_append is checked once, by the result of its last
 * call or by buf_err(), and store_write_buf() never writes a failed one.
 */
struct buf {
	unsigned char	*data;		/* owned, NUL-terminated when len<cap */
	size_t		 len;
	size_t		 cap;
	size_t		 max;		/* 0 means BODY_MAX */
	int		 err;		/* first failed append; 0 none */
	int		 quiet;		/* err is an answer: never recorded */
};

enum ident_type {
	IDENT_DNS,
	IDENT_IP,
	IDENT_TYPE_MAX
};

static const char *const ident_type_names[IDENT_TYPE_MAX] = {
	[IDENT_DNS] = "dns",
	[IDENT_IP] = "ip",
};

/* One ACME identifier (RFC 8555 9.7.7, RFC 8738), validated. */
struct ident {
	enum ident_type	 type;
	char		 value[IDENT_LEN_MAX + 1]; /* canonical text form */
	unsigned char	 ip[16];	/* IDENT_IP: network order */
	size_t		 iplen;		/* 4 or 16 for IDENT_IP */
};

/* ==== 3. Utilities ==== */

/*
 * Errors (one recorded line per failure: err_set, err_wrap), logging to
 * stderr and syslog, escaping of untrusted text before it is printed, wiping
 * secrets, struct buf, and the checks of DNS names and IP addresses. Touches
 * no file and no network.
 *
 * The error convention, for the whole file:
 * - A failure is a negative acme_error (acme.h), returned by the function
 *   that found it together with one line recorded by err_set(); a caller
 *   passes the code on and adds at most one breadcrumb (err_wrap()).
 *   Success is 0, or a count, length or descriptor >= 0; a function
 *   returning a pointer returns NULL for a failure.
 * - A "no" that is no failure (a key or a member absent, a name not in a
 *   table, text not of the form asked for) is an answer, recorded
 *   nowhere: 1 or 0 from a question ("is it ...?", "is key there?" with
 *   the value into an out-parameter), else NONE where a value >= 0 (an
 *   index, an enum, a length) or 0 would be returned. NONE is negative,
 *   so `< 0` reads "not found", and equals no acme_error, so it is never
 *   passed on as one: the caller for whom the "no" is a failure records
 *   it in its own words. No function returns a bare -1, which reads as
 *   ACME_ERR_USAGE.
 * - The first line recorded wins until err_clear(), which marks where a
 *   new unit of work starts (the next NAME of a batch, the next API
 *   call, a retry after the line was logged). A callee whose failure its
 *   caller only tolerates returns that case as an answer instead, so
 *   that nothing is recorded to undo; where the callee is a parser or a
 *   file reader that records for its other callers, the caller asks it
 *   hushed (err_hush() ... err_unhush(), no return between them): its
 *   code comes back, nothing is recorded, and a line recorded earlier
 *   stays. Never around a request, whose layer logs the line it
 *   records. Only a verdict on the whole unit of work (an import tree
 *   refused) is recorded through a hush, with err_insist().
 * - struct buf keeps its first error (buf->err): a build appends without
 *   looking and checks once at its end, with buf_err() or the result of
 *   its last append. A buf whose overflow is an answer (a report that
 *   may lose lines) is quiet: its error is never recorded.
 *
 * Prefixes: buf_, err_, ident_, log_, str_, wipe_, xstrdup_.
 * May call: 2.
 */

/* The answer "none" of a lookup or a parser (the convention above). */
#define NONE	(ACME_ERR_MAX - 2)

static char err_msg[ERR_MSG_MAX];
static int err_hushed;		/* > 0: between err_hush and err_unhush */
static int log_verbosity = LOG_LEVEL_INFO;
static int log_syslog;		/* --syslog: also to syslog(3) */

/*
 * Copy untrusted text into dst for a log line (or a file of ours):
 * printable ASCII as it is, every other byte escaped as \n, \r, \t or
 * \xHH, so that no server can forge a line or send a terminal escape.
 * Escaped text comes through again unchanged. Always NUL-terminates;
 * truncates at cap - 1, never inside an escape.
 */
static char *
str_sanitize(char *dst, size_t cap, const char *src, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, j = 0, k;
	unsigned char c;
	char e[4];

	for (i = 0; i < len; i++) {
		c = (unsigned char)src[i];
		k = 2;
		e[0] = '\\';
		if (c >= 0x20 && c < 0x7f) {
			e[0] = (char)c;
			k = 1;
		} else if (c == '\n' || c == '\r' || c == '\t')
			e[1] = c == '\n' ? 'n' : c == '\r' ? 'r' : 't';
		else {
			e[1] = 'x';
			e[2] = hex[c >> 4];
			e[3] = hex[c & 15];
			k = 4;
		}
		if (j + k >= cap)
			break;
		memcpy(dst + j, e, k);
		j += k;
	}
	if (cap > 0)
		dst[j] = '\0';
	return dst;
}

/* The line of err_set and err_insist, unless one is recorded already. */
static void
err_vset(const char *fmt, va_list ap)
{
	char raw[ERR_MSG_MAX];

	if (err_msg[0] != '\0')
		return;
	vsnprintf(raw, sizeof(raw), fmt, ap);
	str_sanitize(err_msg, sizeof(err_msg), raw, strlen(raw));
}

/*
 * Record the error of this run (the first one wins until err_clear();
 * nothing while hushed, err_hush()) and return code, so callers can
 * `return err_set(ACME_ERR_IO, ...)`. The line is escaped (str_sanitize):
 * whatever server text it quotes, it is one safe line for the terminal,
 * syslog and acme_last_error().
 */
static int
err_set(int code, const char *fmt, ...)
{
	va_list ap;

	if (err_hushed > 0)
		return code;
	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	return code;
}

/* err_set that a hush does not stop: a verdict on the whole unit of work
 * (an import tree refused), whichever caller asked hushed. */
static int
err_insist(int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	err_vset(fmt, ap);
	va_end(ap);
	return code;
}

/*
 * Ask a callee that records its failures a question whose "no" is only an
 * answer here: between err_hush() and err_unhush() err_set and err_wrap
 * record nothing (they still return their code), so there is nothing to
 * clear afterwards and a line recorded before stays. Pairs nest.
 */
static void
err_hush(void)
{
	err_hushed++;
}

static void
err_unhush(void)
{
	err_hushed--;
}

/* Prefix the recorded error with context ("breadcrumb"); returns code. */
static int
err_wrap(int code, const char *fmt, ...)
{
	char prefix[256], safe[256], old[ERR_MSG_MAX];
	va_list ap;

	if (err_hushed > 0)
		return code;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	str_sanitize(safe, sizeof(safe), prefix, strlen(prefix));
	memcpy(old, err_msg, sizeof(old));
	snprintf(err_msg, sizeof(err_msg), "%.255s: %.760s", safe,
	    old[0] != '\0' ? old : "failed");
	return code;
}

/* Format a log line into out, escaped (str_sanitize). */
static void
log_format(char *out, size_t cap, const char *fmt, va_list ap)
{
	char raw[2 * ERR_MSG_MAX];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	str_sanitize(out, cap, raw, strlen(raw));
}

static void
err_clear(void)
{
	err_msg[0] = '\0';
}

/* One progress or error line on stderr (and syslog), escaped. */
static void
log_msg(enum log_level level, const char *fmt, ...)
{
	char line[2 * ERR_MSG_MAX];
	va_list ap;

	if ((int)level > log_verbosity)
		return;
	va_start(ap, fmt);
	log_format(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(level == LOG_LEVEL_ERROR ? LOG_ERR : LOG_INFO, "%s",
		    line);
	fprintf(stderr, "acme: %s\n", line);
}

/*
 * One result line ("NAME: renewed ..."): on stdout unless quiet, and to
 * syslog with --syslog whatever the verbosity, so cron stays silent.
 * Escaped like every line acme prints.
 */
static void
log_result(const char *fmt, ...)
{
	char line[2 * ERR_MSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	log_format(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (log_syslog)
		syslog(LOG_NOTICE, "%s", line);
	if (log_verbosity < LOG_LEVEL_ERROR)
		return;
	printf("%s\n", line);
	fflush(stdout);
}

/* Wipe secrets; the compiler may not drop this memset. */
static void
wipe(void *p, size_t n)
{
	volatile unsigned char *v = p;

	while (n-- > 0)
		*v++ = 0;
}

/* 1 when s has no control character: it fits one line of a conf file. */
static ACME_MUST_CHECK int
str_one_line(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s < 0x20 || *s == 0x7f)
			return 0;
	return 1;
}

/* Grow b to hold need bytes; the old block (it may hold a key) is wiped
 * before it is freed, so no copy of a secret is left in the heap. */
static ACME_MUST_CHECK int
buf_grow(struct buf *b, size_t need)
{
	size_t ncap = b->cap ? b->cap : 256;
	unsigned char *nd;

	while (ncap < need)
		ncap *= 2;
	if ((nd = malloc(ncap)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if (b->data != NULL) {
		memcpy(nd, b->data, b->len);
		wipe(b->data, b->cap);
		free(b->data);
	}
	b->data = nd;
	b->cap = ncap;
	return 0;
}

/* Room for n more bytes and a NUL, up to b->max; else b's sticky error,
 * recorded unless b is quiet. */
static ACME_MUST_CHECK int
buf_room(struct buf *b, size_t n)
{
	size_t max = b->max ? b->max : BODY_MAX;

	if (b->err < 0)
		return b->err;
	if (b->quiet)
		err_hush();
	if (n > max || b->len > max - n)
		b->err = err_set(ACME_ERR_LIMIT, "data exceeds %zu bytes", max);
	else if (b->len + n + 1 > b->cap)
		b->err = buf_grow(b, b->len + n + 1);
	if (b->quiet)
		err_unhush();
	return b->err;
}

/*
 * Append n bytes, keeping a NUL after the data; b's first error. The
 * appenders are not ACME_MUST_CHECK on purpose: their error sticks to b,
 * so only the last result of a chain (or buf_err) must be looked at.
 */
static int
buf_append(struct buf *b, const void *p, size_t n)
{
	int rc;

	if ((rc = buf_room(b, n)) < 0)
		return rc;
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return 0;
}

static int
buf_puts(struct buf *b, const char *s)
{
	return buf_append(b, s, strlen(s));
}

/* Formatted straight into b: no intermediate limit but b->max. */
static int
buf_printf(struct buf *b, const char *fmt, ...)
{
	va_list ap;
	int n, rc;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 && b->err == 0)
		b->err = b->quiet ? ACME_ERR_LIMIT : err_set(ACME_ERR_LIMIT,
		    "formatted text too long");
	if ((rc = buf_room(b, n < 0 ? 0 : (size_t)n)) < 0)
		return rc;
	va_start(ap, fmt);
	vsnprintf((char *)b->data + b->len, b->cap - b->len, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
	return 0;
}

/* The first error of the appends to b: 0 when every one went in. */
static ACME_MUST_CHECK int
buf_err(const struct buf *b)
{
	return b->err;
}

/*
 * Drop what was appended to b after length len, wiping it, and the error
 * of those appends: b is again as it was at len, which the caller took
 * while b had no error. A caller that rewinds after a failure still
 * returns that failure.
 */
static void
buf_rewind(struct buf *b, size_t len)
{
	b->err = 0;
	if (b->data == NULL || b->len <= len)
		return;
	wipe(b->data + len, b->len - len);
	b->len = len;
}

/* Wipe (the buffer may hold a key) and release; accepts NULL. */
static void
buf_free(struct buf *b)
{
	if (b == NULL)
		return;
	if (b->data != NULL)
		wipe(b->data, b->cap);
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
	b->err = 0;
}

static ACME_MUST_CHECK char *
xstrdup(const char *s)
{
	char *d = strdup(s);

	if (d == NULL)
		err_set(ACME_ERR_NOMEM, "out of memory");
	return d;
}

/*
 * A DNS name as a CA accepts it: LDH labels of 1..63 bytes, at least two
 * labels, no leading or trailing '-', 253 bytes in all, a last label not
 * all digits. Lowercases into dst.
 */
static ACME_MUST_CHECK int
ident_dns_check(const char *s, char *dst, size_t cap)
{
	size_t i, n = strlen(s), label = 0, labels = 1;

	if (n == 0 || n > IDENT_LEN_MAX || n >= cap)
		return NONE;
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == '.') {
			if (label == 0 || s[i - 1] == '-')
				return NONE;
			label = 0;
			labels++;
		} else if (isalnum(c) || (c == '-' && label > 0)) {
			if (++label > 63)
				return NONE;
		} else
			return NONE;
		dst[i] = (char)tolower(c);
	}
	dst[n] = '\0';
	if (label == 0 || s[n - 1] == '-' || labels < 2)
		return NONE;
	/* RFC 3696 2: a top-level label is never all digits (1.2.3.256). */
	if (strspn(s + n - label, "0123456789") == label)
		return NONE;
	return 0;
}

/*
 * RFC 8555 7.1.3: a wildcard is "*." and a DNS name, the '*' alone as
 * the leftmost label ("*.example.com"). Lowercases into dst.
 */
static ACME_MUST_CHECK int
ident_wildcard_check(const char *s, char *dst, size_t cap)
{
	if (strncmp(s, "*.", 2) != 0 || strlen(s) > IDENT_LEN_MAX || cap < 3)
		return NONE;
	memcpy(dst, "*.", 2);
	return ident_dns_check(s + 2, dst + 2, cap - 2);
}

/* A wildcard identifier, which only dns-01 can validate. */
static ACME_MUST_CHECK int
ident_is_wildcard(const struct ident *id)
{
	return id->type == IDENT_DNS && id->value[0] == '*';
}

/* Read an identifier: an IPv4 or IPv6 literal, else a DNS name, which
 * may be a wildcard. 0, or NONE when s is none of these. */
static ACME_MUST_CHECK int
ident_read(const char *s, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	if (inet_pton(AF_INET, s, id->ip) == 1) {
		id->type = IDENT_IP;
		id->iplen = 4;
	} else if (inet_pton(AF_INET6, s, id->ip) == 1) {
		id->type = IDENT_IP;
		id->iplen = 16;
	} else {
		id->type = IDENT_DNS;
		if (ident_wildcard_check(s, id->value, sizeof(id->value)) < 0 &&
		    ident_dns_check(s, id->value, sizeof(id->value)) < 0)
			return NONE;
		return 0;
	}
	/* RFC 8738 3: the canonical text form (RFC 5952 for IPv6). */
	inet_ntop(id->iplen == 4 ? AF_INET : AF_INET6, id->ip, id->value,
	    sizeof(id->value));
	return 0;
}

/* An identifier the user named, as ident_read() reads it. */
static ACME_MUST_CHECK int
ident_parse(const char *s, struct ident *id)
{
	if (ident_read(s, id) < 0)
		return err_set(ACME_ERR_USAGE,
		    "'%.80s' is not a DNS name or IP address", s);
	return 0;
}

/* ==== 4. Encodings ==== */

/*
 * base64url (RFC 4648 5) without padding for JOSE, standard base64
 * (RFC 4648 4) with padding inside PEM (RFC 7468), lowercase hex, UTF-8.
 * Encoders follow BearSSL's query mode: with a NULL destination they
 * return the length they need, excluding the NUL they always write.
 * Decoders are strict: one alphabet, no whitespace, no stray padding, zero
 * unused bits, so every byte string has exactly one accepted encoding.
 *
 * Prefixes: b64_, b64u_, hex_, pem_, utf8_.
 * May call: 2-3.
 */

static const char b64_alpha_url[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
static const char b64_alpha_std[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
static const char hex_digits[] = "0123456789abcdef";

static const char pem_begin[] = "-----BEGIN ";
static const char pem_end[] = "-----END ";
static const char pem_dashes[] = "-----";

/* The 6-bit value of c in the url or standard alphabet, or NONE. */
static ACME_MUST_CHECK int
b64_value(unsigned char c, int url)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == (url ? '-' : '+'))
		return 62;
	if (c == (url ? '_' : '/'))
		return 63;
	return NONE;
}

/*
 * Encode len bytes with alphabet alpha, '=' padded when pad is set.
 * dst NULL: return the length needed (without the NUL). Otherwise dst
 * holds that length plus one; returns the characters written.
 */
static size_t
b64_encode_with(char *dst, const void *src, size_t len, const char *alpha,
    int pad)
{
	const unsigned char *s = src;
	size_t i, o = 0, rem = len % 3;
	uint32_t v;

	if (dst == NULL)
		return len / 3 * 4 + (rem == 0 ? 0 : pad ? 4 : rem + 1);
	for (i = 0; i + 3 <= len; i += 3) {
		v = (uint32_t)s[i] << 16 | (uint32_t)s[i + 1] << 8 | s[i + 2];
		dst[o++] = alpha[v >> 18];
		dst[o++] = alpha[v >> 12 & 63];
		dst[o++] = alpha[v >> 6 & 63];
		dst[o++] = alpha[v & 63];
	}
	if (rem > 0) {
		v = (uint32_t)s[i] << 16 |
		    (rem == 2 ? (uint32_t)s[i + 1] << 8 : 0);
		dst[o++] = alpha[v >> 18];
		dst[o++] = alpha[v >> 12 & 63];
		if (rem == 2)
			dst[o++] = alpha[v >> 6 & 63];
		else if (pad)
			dst[o++] = '=';
		if (pad)
			dst[o++] = '=';
	}
	dst[o] = '\0';
	return o;
}

/*
 * Decode unpadded base64 (url alphabet when url is set). dst NULL: only
 * validate and return the decoded length. Returns that length,
 * ACME_ERR_PROTO for a bad character, a length of 1 mod 4 or non-zero
 * unused bits, ACME_ERR_LIMIT when cap is too small. Nothing partial
 * survives a failure in dst.
 */
static ACME_MUST_CHECK int
b64_decode_with(void *dst, size_t cap, const char *src, size_t len, int url)
{
	const char *what = url ? "base64url" : "PEM base64";
	unsigned char *d = dst;
	size_t i, o = 0, need;
	uint32_t acc = 0;
	int v, bits = 0, rc;

	if (len % 4 == 1)
		return err_set(ACME_ERR_PROTO, "%s: impossible length", what);
	need = len / 4 * 3 + (len % 4 == 0 ? 0 : len % 4 - 1);
	if (need > INT_MAX || (d != NULL && need > cap))
		return err_set(ACME_ERR_LIMIT, "%s: decoded data too long",
		    what);
	for (i = 0; i < len; i++) {
		if ((v = b64_value((unsigned char)src[i], url)) < 0) {
			rc = err_set(ACME_ERR_PROTO, "%s: invalid character",
			    what);
			goto out;
		}
		acc = acc << 6 | (uint32_t)v;	/* holds bits + 6 bits */
		if ((bits += 6) >= 8) {
			bits -= 8;
			if (d != NULL)
				d[o] = (unsigned char)(acc >> bits);
			o++;
			acc &= (1u << bits) - 1;
		}
	}
	/* RFC 4648 3.5: the unused low bits of the last character are 0. */
	if (acc != 0) {
		rc = err_set(ACME_ERR_PROTO, "%s: non-zero trailing bits",
		    what);
		goto out;
	}
	rc = (int)need;
out:
	if (rc < 0 && d != NULL)
		wipe(d, o);
	return rc;
}

/* Standard base64 with padding, as inside PEM; same contract as above. */
static ACME_MUST_CHECK int
b64_decode_padded(void *dst, size_t cap, const char *src, size_t len)
{
	size_t pad = 0;

	if (len % 4 != 0)
		return err_set(ACME_ERR_PROTO,
		    "PEM base64: length is not a multiple of 4");
	while (pad < 2 && len > pad && src[len - 1 - pad] == '=')
		pad++;
	return b64_decode_with(dst, cap, src, len - pad, 0);
}

/*
 * base64url without padding (RFC 7515 2). dst NULL: return the length
 * needed, excluding the NUL. Else dst has room for that plus the NUL;
 * returns the characters written.
 */
static size_t
b64u_encode(char *dst, const void *src, size_t len)
{
	return b64_encode_with(dst, src, len, b64_alpha_url, 0);
}

/* The same into a malloc'd NUL-terminated string; NULL on failure. */
static ACME_MUST_CHECK char *
b64u_encode_alloc(const void *src, size_t len)
{
	char *s;

	if ((s = malloc(b64u_encode(NULL, src, len) + 1)) == NULL) {
		err_set(ACME_ERR_NOMEM, "out of memory");
		return NULL;
	}
	b64u_encode(s, src, len);
	return s;
}

/*
 * Decode base64url without padding into dst (cap bytes). Returns the
 * decoded length; ACME_ERR_PROTO for padding, a bad character, a length
 * of 1 mod 4 or non-zero unused bits; ACME_ERR_LIMIT when cap is too
 * small. dst NULL: only validate and return the length (cap ignored).
 */
static ACME_MUST_CHECK int
b64u_decode(void *dst, size_t cap, const char *src, size_t len)
{
	return b64_decode_with(dst, cap, src, len, 1);
}

/*
 * 1 when s is a token we may put in a file name, a URL path or a hook's
 * argument (RFC 8555 8.1: base64url alphabet): 1..TOKEN_MAX characters
 * of [A-Za-z0-9_-]. Else 0.
 */
static ACME_MUST_CHECK int
b64u_is_token(const char *s)
{
	size_t i, n;

	if (s == NULL)
		return 0;
	n = strnlen(s, TOKEN_MAX + 1);
	if (n == 0 || n > TOKEN_MAX)
		return 0;
	for (i = 0; i < n; i++)
		if (b64_value((unsigned char)s[i], 1) < 0)
			return 0;
	return 1;
}

/*
 * Lowercase hex of len bytes plus a NUL into dst (2 * len + 1 bytes).
 * Returns the characters written; dst NULL: returns 2 * len.
 */
static size_t
hex_encode(char *dst, const void *src, size_t len)
{
	const unsigned char *s = src;
	size_t i;

	if (dst == NULL)
		return 2 * len;
	for (i = 0; i < len; i++) {
		dst[2 * i] = hex_digits[s[i] >> 4];
		dst[2 * i + 1] = hex_digits[s[i] & 15];
	}
	dst[2 * len] = '\0';
	return 2 * len;
}

/*
 * Length of the UTF-8 sequence at s (n bytes available) when it is one
 * well-formed character (RFC 3629 4: no overlong forms, no surrogates,
 * nothing above U+10FFFF), else NONE.
 */
static ACME_MUST_CHECK int
utf8_char_len(const unsigned char *s, size_t n)
{
	unsigned char lo = 0x80, hi = 0xbf;
	int len, i;

	if (n == 0)
		return NONE;
	if (s[0] < 0x80)
		return 1;
	if (s[0] >= 0xc2 && s[0] <= 0xdf)
		len = 2;
	else if (s[0] >= 0xe0 && s[0] <= 0xef)
		len = 3;
	else if (s[0] >= 0xf0 && s[0] <= 0xf4)
		len = 4;
	else
		return NONE;
	if (s[0] == 0xe0)
		lo = 0xa0;		/* overlong */
	else if (s[0] == 0xed)
		hi = 0x9f;		/* UTF-16 surrogates */
	else if (s[0] == 0xf0)
		lo = 0x90;		/* overlong */
	else if (s[0] == 0xf4)
		hi = 0x8f;		/* above U+10FFFF */
	if (n < (size_t)len || s[1] < lo || s[1] > hi)
		return NONE;
	for (i = 2; i < len; i++)
		if (s[i] < 0x80 || s[i] > 0xbf)
			return NONE;
	return len;
}

/* Write code point cp (not a surrogate, at most U+10FFFF) as UTF-8. */
static ACME_MUST_CHECK int
utf8_put(unsigned char *out, uint32_t cp)
{
	if (cp < 0x80) {
		out[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (unsigned char)(0xc0 | cp >> 6);
		out[1] = (unsigned char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (unsigned char)(0xe0 | cp >> 12);
		out[1] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
		out[2] = (unsigned char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (unsigned char)(0xf0 | cp >> 18);
	out[1] = (unsigned char)(0x80 | (cp >> 12 & 0x3f));
	out[2] = (unsigned char)(0x80 | (cp >> 6 & 0x3f));
	out[3] = (unsigned char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * RFC 7468 3: label = [ labelchar *( ["-" / SP] labelchar ) ] with
 * labelchar any printable ASCII but '-'. We also want it non-empty and
 * at most PEM_LABEL_MAX bytes.
 */
static ACME_MUST_CHECK int
pem_label_ok(const char *s, size_t n)
{
	size_t i;

	if (n == 0 || n > PEM_LABEL_MAX)
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] == '-' || s[i] == ' ') {
			if (i == 0 || i == n - 1 || s[i - 1] == '-' ||
			    s[i - 1] == ' ')
				return 0;
		} else if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	}
	return 1;
}

/*
 * Append der as one PEM object: "-----BEGIN label-----", standard base64
 * in lines of 64 columns, "-----END label-----", each ending in "\n"
 * (RFC 7468 strict form). On failure out is as it was.
 */
static ACME_MUST_CHECK int
pem_encode(struct buf *out, const char *label, const void *der, size_t len)
{
	const unsigned char *d = der;
	char line[64 + 2];
	size_t off, chunk, n, start = out->len;
	int rc;

	if (!pem_label_ok(label, strlen(label)) || len == 0)
		return err_set(ACME_ERR_USAGE,
		    "PEM: bad label or empty object");
	buf_printf(out, "%s%s%s\n", pem_begin, label, pem_dashes);
	for (off = 0; off < len; off += chunk) {
		chunk = len - off < 48 ? len - off : 48;
		n = b64_encode_with(line, d + off, chunk, b64_alpha_std, 1);
		line[n++] = '\n';
		buf_append(out, line, n);
	}
	rc = buf_printf(out, "%s%s%s\n", pem_end, label, pem_dashes);
	wipe(line, sizeof(line));
	if (rc < 0 && out->data != NULL) {
		wipe(out->data + start, out->len - start);
		out->len = start;
	}
	return rc;
}

/* One decoded PEM object; every field owned. */
struct pem_obj {
	char		*label;		/* owned, e.g. "CERTIFICATE" */
	unsigned char	*der;		/* owned, wiped on free */
	size_t		 len;
};

/* Wipe (an object may be a private key) and free objs[0..n); NULL ok. */
static void
pem_objs_free(struct pem_obj *objs, size_t n)
{
	size_t i;

	if (objs == NULL)
		return;
	for (i = 0; i < n; i++) {
		if (objs[i].der != NULL)
			wipe(objs[i].der, objs[i].len);
		free(objs[i].der);
		free(objs[i].label);
		memset(&objs[i], 0, sizeof(objs[i]));
	}
}

/*
 * The line at p, before end: returns its length without the line break
 * and trailing blanks (CR, space, tab); *next is where the next starts.
 */
static size_t
pem_line(const char *p, const char *end, const char **next)
{
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	const char *e = nl != NULL ? nl : end;

	*next = nl != NULL ? nl + 1 : end;
	while (e > p && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
		e--;
	return (size_t)(e - p);
}

/*
 * When the n bytes at line are kind ("-----BEGIN " or "-----END "), a
 * valid label and "-----", copy the label into label (PEM_LABEL_MAX + 1
 * bytes) and return 0; else NONE.
 */
static ACME_MUST_CHECK int
pem_banner(const char *line, size_t n, const char *kind, char *label)
{
	size_t k = strlen(kind), d = strlen(pem_dashes);

	if (n < k + d || memcmp(line, kind, k) != 0 ||
	    memcmp(line + n - d, pem_dashes, d) != 0 ||
	    !pem_label_ok(line + k, n - k - d))
		return NONE;
	memcpy(label, line + k, n - k - d);
	label[n - k - d] = '\0';
	return 0;
}

/*
 * Decode the n bytes of base64 between two banners into obj, ignoring
 * whitespace (RFC 7468 3 lax parsing). Headers (RFC 1421, as in
 * encrypted keys) are refused.
 */
static ACME_MUST_CHECK int
pem_body(const char *body, size_t n, const char *label, struct pem_obj *obj)
{
	char *b64 = NULL;
	unsigned char *der = NULL;
	size_t i, k = 0;
	int rc, dlen = 0;

	if ((b64 = malloc(n + 1)) == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < n; i++) {
		if (body[i] == ':') {
			rc = err_set(ACME_ERR_PROTO, "PEM %s has headers "
			    "(encrypted?); not supported", label);
			goto out;
		}
		if (body[i] != ' ' && body[i] != '\t' && body[i] != '\r' &&
		    body[i] != '\n')
			b64[k++] = body[i];
	}
	if ((rc = dlen = b64_decode_padded(NULL, 0, b64, k)) < 0)
		goto out;
	if (dlen == 0) {
		rc = err_set(ACME_ERR_PROTO, "PEM %s is empty", label);
		goto out;
	}
	if ((der = malloc((size_t)dlen)) == NULL ||
	    (obj->label = xstrdup(label)) == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	/* the same input decoded above (NULL: size only) cannot fail now */
	ACME_IGNORE(b64_decode_padded(der, (size_t)dlen, b64, k));
	obj->der = der;
	obj->len = (size_t)dlen;
	der = NULL;
	rc = 0;
out:
	if (b64 != NULL)
		wipe(b64, n + 1);
	free(b64);
	free(der);
	return rc;
}

/*
 * The object whose BEGIN line carried label starts at *pp: find its END
 * line, check the labels match, decode into obj; *pp moves past END.
 */
static ACME_MUST_CHECK int
pem_object(const char **pp, const char *end, const char *label,
    struct pem_obj *obj)
{
	const char *body = *pp, *q, *next = end;
	char elabel[PEM_LABEL_MAX + 1];
	size_t n = 0;

	for (q = body; q < end; q = next) {
		n = pem_line(q, end, &next);
		if (n >= strlen(pem_end) && memcmp(q, pem_end,
		    strlen(pem_end)) == 0)
			break;
	}
	if (q >= end)
		return err_set(ACME_ERR_PROTO, "PEM %s has no END line", label);
	if (pem_banner(q, n, pem_end, elabel) < 0 ||
	    strcmp(elabel, label) != 0)
		return err_set(ACME_ERR_PROTO, "PEM %s: END line does not "
		    "match", label);
	*pp = next;
	return pem_body(body, (size_t)(q - body), label, obj);
}

/*
 * Decode every PEM object in the len bytes at pem (at most PEM_MAX) into
 * objs[0..*n), in order; text outside objects is ignored (RFC 7468 2),
 * so text without any object gives 0 and *n = 0. ACME_ERR_PROTO when an
 * object is malformed; ACME_ERR_LIMIT when there are more than max or
 * the text is too long. On failure *n is 0 and nothing is left
 * allocated. Labels are RFC 7468 labels, so they are safe to print.
 */
static ACME_MUST_CHECK int
pem_decode(const char *pem, size_t len, struct pem_obj *objs, size_t max,
    size_t *n)
{
	const char *p = pem, *end = pem + len, *line;
	char label[PEM_LABEL_MAX + 1];
	size_t ll, count = 0;
	int rc = 0;

	*n = 0;
	if (len > PEM_MAX)
		return err_set(ACME_ERR_LIMIT, "PEM text exceeds %d bytes",
		    PEM_MAX);
	while (p < end) {
		line = p;
		ll = pem_line(line, end, &p);
		if (ll < strlen(pem_begin) ||
		    memcmp(line, pem_begin, strlen(pem_begin)) != 0)
			continue;
		if (pem_banner(line, ll, pem_begin, label) < 0) {
			rc = err_set(ACME_ERR_PROTO,
			    "malformed PEM BEGIN line");
			goto out;
		}
		if (count == max) {
			rc = err_set(ACME_ERR_LIMIT,
			    "more than %zu PEM objects", max);
			goto out;
		}
		if ((rc = pem_object(&p, end, label, &objs[count])) < 0)
			goto out;
		count++;
	}
out:
	if (rc < 0) {
		pem_objs_free(objs, count);
		count = 0;
	}
	*n = count;
	return rc;
}

/* ==== 5. JSON ==== */

/*
 * Reader: jsmn (strict, parent links) into a fixed token array, then our
 * own pass over the tokens, since jsmn alone lets through trailing or
 * doubled commas, missing colons, bare words such as "tru" and raw
 * control characters in strings. After json_parse() succeeds the
 * document is RFC 8259 JSON whose top level is an object, with at most
 * JSON_TOKENS_MAX tokens and JSON_DEPTH_MAX nested containers, and the
 * token sizes describe the tree exactly: an object's children are its
 * keys (strings of size 1), a key's child is its value, an array's
 * children are its elements. String escapes and UTF-8 are checked when a
 * string is read (json_str), so one bad string in a member we never read
 * does not fail a whole response.
 *
 * Only json_parse() records an error (and json_strdup() running out of
 * memory): the accessors return NONE or a negative acme_error and record
 * nothing, because members are often optional and only the caller knows
 * what a missing one means ("order: missing status"). Under the
 * first-error-wins rule a recorded probe would hide the real error.
 *
 * Writer: struct jw appends compact JSON (no whitespace, as the RFC 7638
 * thumbprint needs) to a bounded struct buf; every string is escaped. The
 * first error sticks and every later call does nothing until jw_finish()
 * reports it; the buffer is then to be discarded.
 *
 * Prefixes: json_, jw_.
 * May call: 2-4.
 */

/* A parsed document. js is borrowed and must outlive the struct. */
struct json {
	const char	*js;		/* borrowed */
	size_t		 len;
	jsmntok_t	 tok[JSON_TOKENS_MAX];
	int		 ntok;		/* 0 after a failed json_parse() */
};

/* RFC 8259 7: the two-character escapes and what they stand for. */
static const char json_esc_in[] = "\"\\/bfnrt";
static const char json_esc_out[] = "\"\\/\b\f\n\r\t";

/* Token t when it exists and has the given type, else NULL. */
static const jsmntok_t *
json_tok(const struct json *j, int t, jsmntype_t type)
{
	if (t < 0 || t >= j->ntok || j->tok[t].type != type)
		return NULL;
	return &j->tok[t];
}

/* The index just after token t and all its descendants (pre-order). */
static ACME_MUST_CHECK int
json_skip(const struct json *j, int t)
{
	int pending = 1;

	while (pending > 0 && t < j->ntok) {
		pending += j->tok[t].size - 1;
		t++;
	}
	return t;
}

/* First and one-past-last byte of token t, with a string's quotes. */
static ACME_MUST_CHECK int
json_ostart(const struct json *j, int t)
{
	return j->tok[t].start - (j->tok[t].type == JSMN_STRING);
}

static ACME_MUST_CHECK int
json_oend(const struct json *j, int t)
{
	return j->tok[t].end + (j->tok[t].type == JSMN_STRING);
}

/*
 * 1 when js[a..b) is JSON whitespace around exactly one sep, or only
 * whitespace when sep is 0.
 */
static ACME_MUST_CHECK int
json_gap_ok(const struct json *j, int a, int b, char sep)
{
	int seen = 0;

	if (a < 0 || a > b || (size_t)b > j->len)
		return 0;
	for (; a < b; a++) {
		char c = j->js[a];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r')
			continue;
		if (sep == 0 || c != sep || seen)
			return 0;
		seen = 1;
	}
	return sep == 0 || seen;
}

/* Skip decimal digits at s[*i..n); returns how many there were. */
static size_t
json_digits(const char *s, size_t n, size_t *i)
{
	size_t start = *i;

	while (*i < n && s[*i] >= '0' && s[*i] <= '9')
		(*i)++;
	return *i - start;
}

/*
 * RFC 8259 3 and 6: a primitive is true, false, null or
 * number = [ "-" ] ( "0" / 1-9 *DIGIT ) [ "." 1*DIGIT ]
 *     [ ( "e" / "E" ) [ "-" / "+" ] 1*DIGIT ]
 */
static ACME_MUST_CHECK int
json_primitive_ok(const char *s, size_t n)
{
	size_t i = 0;

	if ((n == 4 && memcmp(s, "true", 4) == 0) ||
	    (n == 5 && memcmp(s, "false", 5) == 0) ||
	    (n == 4 && memcmp(s, "null", 4) == 0))
		return 1;
	if (i < n && s[i] == '-')
		i++;
	if (i < n && s[i] == '0')
		i++;
	else if (i >= n || s[i] < '1' || s[i] > '9' ||
	    json_digits(s, n, &i) == 0)
		return 0;
	if (i < n && s[i] == '.' && (++i, json_digits(s, n, &i) == 0))
		return 0;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		if (json_digits(s, n, &i) == 0)
			return 0;
	}
	return i == n;
}

/*
 * Container c: its children are linked to it, an object's are keys
 * with one value each, and the text between them is whitespace with
 * commas and colons exactly where RFC 8259 4 and 5 put them.
 */
static ACME_MUST_CHECK int
json_container_ok(const struct json *j, int c)
{
	const jsmntok_t *t = &j->tok[c];
	int k = c + 1, v, n, pos = t->start + 1;

	for (n = 0; n < t->size; n++) {
		if (k >= j->ntok || j->tok[k].parent != c ||
		    !json_gap_ok(j, pos, json_ostart(j, k), n == 0 ? 0 : ','))
			return 0;
		v = k;
		if (t->type == JSMN_OBJECT) {
			v = k + 1;
			if (j->tok[k].type != JSMN_STRING ||
			    j->tok[k].size != 1 || v >= j->ntok ||
			    j->tok[v].parent != k ||
			    !json_gap_ok(j, json_oend(j, k), json_ostart(j, v),
			    ':'))
				return 0;
		}
		pos = json_oend(j, v);
		k = json_skip(j, v);
	}
	return json_gap_ok(j, pos, t->end - 1, 0);
}

/* One token is well formed (see json_container_ok for containers). */
static ACME_MUST_CHECK int
json_token_ok(const struct json *j, int i)
{
	const jsmntok_t *t = &j->tok[i];
	int key, k;

	switch (t->type) {
	case JSMN_OBJECT:
	case JSMN_ARRAY:
		return json_container_ok(j, i);
	case JSMN_STRING:
		key = t->parent >= 0 && j->tok[t->parent].type == JSMN_OBJECT;
		if (t->size != key)
			return 0;
		for (k = t->start; k < t->end; k++)
			if ((unsigned char)j->js[k] < 0x20)
				return 0;
		return 1;
	case JSMN_PRIMITIVE:
		return t->size == 0 && json_primitive_ok(j->js + t->start,
		    (size_t)(t->end - t->start));
	default:
		return 0;
	}
}

/* Every container is at most JSON_DEPTH_MAX containers deep. */
static ACME_MUST_CHECK int
json_depth_ok(const struct json *j)
{
	unsigned char depth[JSON_TOKENS_MAX];
	int i, p, d;

	for (i = 0; i < j->ntok; i++) {
		/* jsmn links a token only to an earlier one. */
		p = j->tok[i].parent;
		d = p >= 0 && p < i ? depth[p] : 0;
		if ((j->tok[i].type == JSMN_OBJECT ||
		    j->tok[i].type == JSMN_ARRAY) && ++d > JSON_DEPTH_MAX)
			return 0;
		depth[i] = (unsigned char)d;
	}
	return 1;
}

/* The whole text: whitespace around the top object, every token valid. */
static ACME_MUST_CHECK int
json_syntax_ok(const struct json *j)
{
	int i;

	if (!json_gap_ok(j, 0, j->tok[0].start, 0) ||
	    !json_gap_ok(j, j->tok[0].end, (int)j->len, 0))
		return 0;
	for (i = 0; i < j->ntok; i++)
		if (!json_token_ok(j, i))
			return 0;
	return 1;
}

/*
 * Parse the len bytes at js (borrowed for the life of j). Returns 0, or
 * ACME_ERR_PROTO when the text is not JSON, its top level is not an
 * object, it has more than JSON_TOKENS_MAX tokens or nests deeper than
 * JSON_DEPTH_MAX; ACME_ERR_LIMIT when len exceeds BODY_MAX. Records the
 * error; the server's text is never quoted in it.
 */
static ACME_MUST_CHECK int
json_parse(struct json *j, const char *js, size_t len)
{
	jsmn_parser p;
	int r, rc = ACME_ERR_PROTO;

	j->js = js;
	j->len = len;
	j->ntok = 0;
	if (len > BODY_MAX) {
		rc = err_set(ACME_ERR_LIMIT, "JSON exceeds %d bytes", BODY_MAX);
		goto out;
	}
	/* jsmn stops at a NUL: refuse what it would not see. */
	if (len == 0 || memchr(js, '\0', len) != NULL)
		goto bad;
	jsmn_init(&p);
	r = jsmn_parse(&p, js, len, j->tok, JSON_TOKENS_MAX);
	if (r == JSMN_ERROR_NOMEM) {
		err_set(rc, "JSON has more than %d tokens", JSON_TOKENS_MAX);
		goto out;
	}
	if (r <= 0)
		goto bad;
	j->ntok = r;
	if (j->tok[0].type != JSMN_OBJECT) {
		err_set(rc, "JSON top level is not an object");
		goto out;
	}
	if (!json_depth_ok(j)) {
		err_set(rc, "JSON nested deeper than %d", JSON_DEPTH_MAX);
		goto out;
	}
	if (!json_syntax_ok(j))
		goto bad;
	rc = 0;
	goto out;
bad:
	err_set(rc, "malformed JSON");
out:
	if (rc < 0)
		j->ntok = 0;
	return rc;
}

/* The value of hex digit c, or NONE. */
static ACME_MUST_CHECK int
json_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return NONE;
}

/* The value of the 4 hex digits at p (end bounds the text), or NONE. */
static long
json_hex4(const char *p, const char *end)
{
	long v = 0;
	int i, d;

	if (end - p < 4)
		return NONE;
	for (i = 0; i < 4; i++) {
		if ((d = json_hexval(p[i])) < 0)
			return NONE;
		v = v << 4 | d;
	}
	return v;
}

/*
 * The \uXXXX escape at p (p[0] is the 'u'): a code point, a surrogate
 * pair (RFC 8259 7) forming one, never U+0000. Writes UTF-8 to out and
 * returns its length, or ACME_ERR_PROTO; *used is the bytes consumed.
 */
static ACME_MUST_CHECK int
json_unescape_u(const char *p, const char *end, unsigned char *out,
    size_t *used)
{
	long cp, lo;

	if ((cp = json_hex4(p + 1, end)) < 0)
		return ACME_ERR_PROTO;
	*used = 5;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return ACME_ERR_PROTO;
	if (cp >= 0xd800 && cp <= 0xdbff) {
		if (end - p < 11 || p[5] != '\\' || p[6] != 'u' ||
		    (lo = json_hex4(p + 7, end)) < 0xdc00 || lo > 0xdfff)
			return ACME_ERR_PROTO;
		cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
		*used = 11;
	}
	if (cp == 0)
		return ACME_ERR_PROTO;
	return utf8_put(out, (uint32_t)cp);
}

/*
 * One character of the raw string text [*pp, end): a UTF-8 sequence as
 * is, or an escape decoded. Writes 1..4 bytes to out, advances *pp and
 * returns the count, or ACME_ERR_PROTO for a raw control character,
 * invalid UTF-8 or a bad escape.
 */
static ACME_MUST_CHECK int
json_unescape_one(const char **pp, const char *end, unsigned char *out)
{
	const char *p = *pp, *e;
	size_t used;
	int n;

	if (*p != '\\') {
		if ((unsigned char)*p < 0x20)
			return ACME_ERR_PROTO;
		n = utf8_char_len((const unsigned char *)p, (size_t)(end - p));
		if (n < 0)
			return ACME_ERR_PROTO;
		memcpy(out, p, (size_t)n);
		*pp = p + n;
		return n;
	}
	if (end - p < 2)
		return ACME_ERR_PROTO;
	if (p[1] == 'u') {
		if ((n = json_unescape_u(p + 1, end, out, &used)) < 0)
			return n;
		*pp = p + 1 + used;
		return n;
	}
	if (p[1] == '\0' || (e = strchr(json_esc_in, p[1])) == NULL)
		return ACME_ERR_PROTO;
	out[0] = (unsigned char)json_esc_out[e - json_esc_in];
	*pp = p + 2;
	return 1;
}

/*
 * Unescape string token t into dst (cap bytes, NUL-terminated). Returns
 * the length; ACME_ERR_PROTO when t is not a string or has a bad escape,
 * an unpaired surrogate, \u0000 or invalid UTF-8; ACME_ERR_LIMIT when it
 * does not fit. On failure dst holds "" (when cap > 0). Records nothing.
 */
static ACME_MUST_CHECK int
json_str(const struct json *j, int t, char *dst, size_t cap)
{
	const jsmntok_t *tk;
	const char *p, *end;
	unsigned char u[4];
	size_t len = 0;
	int n, rc;

	if (cap == 0)
		return ACME_ERR_LIMIT;
	rc = ACME_ERR_PROTO;
	if ((tk = json_tok(j, t, JSMN_STRING)) == NULL)
		goto out;
	p = j->js + tk->start;
	end = j->js + tk->end;
	while (p < end) {
		if ((rc = n = json_unescape_one(&p, end, u)) < 0)
			goto out;
		if (len + (size_t)n >= cap) {
			rc = ACME_ERR_LIMIT;
			goto out;
		}
		memcpy(dst + len, u, (size_t)n);
		len += (size_t)n;
	}
	rc = (int)len;
out:
	dst[rc < 0 ? 0 : len] = '\0';
	return rc;
}

/*
 * String token t unescaped (see json_str) into a malloc'd string of at
 * most JSON_STR_MAX bytes, or NULL; only running out of memory is
 * recorded.
 */
static ACME_MUST_CHECK char *
json_strdup(const struct json *j, int t)
{
	const jsmntok_t *tk;
	size_t cap;
	char *s;

	if ((tk = json_tok(j, t, JSMN_STRING)) == NULL)
		return NULL;
	/* Unescaping never makes a string longer. */
	cap = (size_t)(tk->end - tk->start) + 1;
	if (cap > JSON_STR_MAX + 1)
		cap = JSON_STR_MAX + 1;
	if ((s = malloc(cap)) == NULL) {
		err_set(ACME_ERR_NOMEM, "out of memory");
		return NULL;
	}
	if (json_str(j, t, s, cap) < 0) {
		free(s);
		return NULL;
	}
	return s;
}

/* 1 when t is a string token equal to s once unescaped, else 0. */
static ACME_MUST_CHECK int
json_eq(const struct json *j, int t, const char *s)
{
	const jsmntok_t *tk;
	const char *p, *end;
	unsigned char u[4];
	size_t len = 0, slen;
	int n;

	if ((tk = json_tok(j, t, JSMN_STRING)) == NULL || s == NULL)
		return 0;
	slen = strlen(s);
	p = j->js + tk->start;
	end = j->js + tk->end;
	while (p < end) {
		if ((n = json_unescape_one(&p, end, u)) < 0 ||
		    len + (size_t)n > slen ||
		    memcmp(s + len, u, (size_t)n) != 0)
			return 0;
		len += (size_t)n;
	}
	return len == slen;
}

/*
 * The token of the value of member key in object obj, or NONE when obj is
 * not an object or has no such member. Keys are compared unescaped; with
 * duplicate keys the first wins. Nothing is recorded.
 */
static ACME_MUST_CHECK int
json_get(const struct json *j, int obj, const char *key)
{
	const jsmntok_t *o;
	int k, n;

	if ((o = json_tok(j, obj, JSMN_OBJECT)) == NULL)
		return NONE;
	for (n = 0, k = obj + 1; n < o->size && k < j->ntok; n++) {
		if (json_eq(j, k, key))
			return k + 1;
		k = json_skip(j, k + 1);
	}
	return NONE;
}

/*
 * Member key of object obj as a string into dst, as json_str() does;
 * ACME_ERR_PROTO also when the member is absent. Records nothing.
 */
static ACME_MUST_CHECK int
json_get_str(const struct json *j, int obj, const char *key, char *dst,
    size_t cap)
{
	return json_str(j, json_get(j, obj, key), dst, cap);
}

/* Number of elements of array t, or NONE when t is not an array. */
static ACME_MUST_CHECK int
json_array_len(const struct json *j, int t)
{
	const jsmntok_t *a;

	if ((a = json_tok(j, t, JSMN_ARRAY)) == NULL)
		return NONE;
	return a->size;
}

/* The token of element i of array arr, or NONE. */
static ACME_MUST_CHECK int
json_array_at(const struct json *j, int arr, int i)
{
	int k, n;

	if (i < 0 || i >= json_array_len(j, arr))
		return NONE;
	for (n = 0, k = arr + 1; n < i; n++)
		k = json_skip(j, k);
	return k < j->ntok ? k : NONE;
}

/* 1 for true, 0 for false, NONE for anything else (nothing recorded). */
static ACME_MUST_CHECK int
json_bool(const struct json *j, int t)
{
	const jsmntok_t *tk;

	if ((tk = json_tok(j, t, JSMN_PRIMITIVE)) == NULL)
		return NONE;
	if (tk->end - tk->start == 4 && memcmp(j->js + tk->start, "true", 4)
	    == 0)
		return 1;
	if (tk->end - tk->start == 5 && memcmp(j->js + tk->start, "false", 5)
	    == 0)
		return 0;
	return NONE;
}

/* The writer. b is borrowed; see the section comment for the errors. */
struct jw {
	struct buf	*b;		/* borrowed */
	int		 depth;		/* open containers, <= JSON_DEPTH_MAX */
	int		 err;		/* first error, sticky */
	unsigned char	 first[JSON_DEPTH_MAX + 1]; /* no value yet at depth */
	unsigned char	 obj[JSON_DEPTH_MAX + 1];   /* depth is an object */
};

static void
jw_init(struct jw *w, struct buf *b)
{
	memset(w, 0, sizeof(*w));
	w->b = b;
	w->first[0] = 1;
}

/* Record the first error of w (and of the run). */
static void
jw_fail(struct jw *w, int code, const char *what)
{
	if (w->err == 0)
		w->err = err_set(code, "JSON writer: %s", what);
}

static void
jw_put(struct jw *w, const char *s, size_t n)
{
	int rc;

	if (w->err == 0 && (rc = buf_append(w->b, s, n)) < 0)
		w->err = rc;
}

/*
 * A string value: '"', text with '"', '\' and control characters escaped
 * (the latter as \u00XX), valid UTF-8 kept as is, '"'. Invalid UTF-8 is
 * an error (ACME_ERR_USAGE): it would not be JSON.
 */
static void
jw_escaped(struct jw *w, const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	char esc[8];
	size_t i = 0, run = 0;
	int k;

	jw_put(w, "\"", 1);
	while (i < n && w->err == 0) {
		if (u[i] >= 0x20 && u[i] != '"' && u[i] != '\\') {
			if ((k = utf8_char_len(u + i, n - i)) < 0)
				jw_fail(w, ACME_ERR_USAGE, "invalid UTF-8");
			i += k > 0 ? (size_t)k : 1;
			continue;
		}
		jw_put(w, s + run, i - run);
		if (u[i] < 0x20)
			snprintf(esc, sizeof(esc), "\\u%04x", u[i]);
		else
			snprintf(esc, sizeof(esc), "\\%c", s[i]);
		jw_put(w, esc, strlen(esc));
		run = ++i;
	}
	jw_put(w, s + run, n - run);
	jw_put(w, "\"", 1);
}

/*
 * Start a value: the comma when it is not the first at its depth, then
 * "key": inside an object. key must be NULL at top level and in arrays,
 * and set in objects. Returns 0 when the value may be written, else the
 * writer's first error.
 */
static ACME_MUST_CHECK int
jw_begin(struct jw *w, const char *key)
{
	int in_obj;

	if (w->err != 0)
		return w->err;
	if (w->depth < 0 || w->depth > JSON_DEPTH_MAX) {
		jw_fail(w, ACME_ERR_USAGE, "corrupt writer");
		return w->err;
	}
	in_obj = w->depth > 0 && w->obj[w->depth];
	if ((key != NULL) != in_obj)
		jw_fail(w, ACME_ERR_USAGE, key != NULL ?
		    "key outside an object" : "member without a key");
	else if (w->depth == 0 && !w->first[0])
		jw_fail(w, ACME_ERR_USAGE, "second top-level value");
	if (w->err != 0)
		return w->err;
	if (!w->first[w->depth])
		jw_put(w, ",", 1);
	w->first[w->depth] = 0;
	if (key != NULL) {
		jw_escaped(w, key, strlen(key));
		jw_put(w, ":", 1);
	}
	return w->err;
}

static void
jw_open(struct jw *w, const char *key, int obj)
{
	if (jw_begin(w, key) < 0)
		return;
	if (w->depth == JSON_DEPTH_MAX) {
		jw_fail(w, ACME_ERR_USAGE, "nested too deep");
		return;
	}
	w->depth++;
	w->first[w->depth] = 1;
	w->obj[w->depth] = (unsigned char)obj;
	jw_put(w, obj ? "{" : "[", 1);
}

static void
jw_close(struct jw *w, int obj)
{
	if (w->err != 0)
		return;
	if (w->depth == 0 || w->obj[w->depth] != obj) {
		jw_fail(w, ACME_ERR_USAGE, "close does not match open");
		return;
	}
	w->depth--;
	jw_put(w, obj ? "}" : "]", 1);
}

/* Open an object: key NULL at top level or in an array. */
static void
jw_obj_open(struct jw *w, const char *key)
{
	jw_open(w, key, 1);
}

static void
jw_obj_close(struct jw *w)
{
	jw_close(w, 1);
}

static void
jw_arr_open(struct jw *w, const char *key)
{
	jw_open(w, key, 0);
}

static void
jw_arr_close(struct jw *w)
{
	jw_close(w, 0);
}

/* A string of len bytes (may hold NUL, written as \u0000). */
static void
jw_strn(struct jw *w, const char *key, const char *val, size_t len)
{
	if (val == NULL)
		jw_fail(w, ACME_ERR_USAGE, "NULL string");
	if (jw_begin(w, key) == 0)
		jw_escaped(w, val, len);
}

static void
jw_str(struct jw *w, const char *key, const char *val)
{
	jw_strn(w, key, val, val != NULL ? strlen(val) : 0);
}

static void
jw_bool(struct jw *w, const char *key, int v)
{
	if (jw_begin(w, key) == 0)
		jw_put(w, v ? "true" : "false", v ? 4 : 5);
}

static void
jw_int(struct jw *w, const char *key, long long v)
{
	char tmp[32];
	int n;

	n = snprintf(tmp, sizeof(tmp), "%lld", v);
	if (jw_begin(w, key) == 0)
		jw_put(w, tmp, (size_t)n);
}

/*
 * A pre-built JSON value, copied as is: the caller vouches that it is
 * one compact JSON value (made by another struct jw, say).
 */
static void
jw_raw(struct jw *w, const char *key, const char *json)
{
	if (json == NULL || json[0] == '\0')
		jw_fail(w, ACME_ERR_USAGE, "empty raw value");
	if (jw_begin(w, key) == 0)
		jw_put(w, json, strlen(json));
}

/*
 * 0 when one complete value was written, else the first error:
 * ACME_ERR_LIMIT or ACME_ERR_NOMEM from the buffer, ACME_ERR_USAGE for
 * misuse (unbalanced containers, keys in the wrong place, bad UTF-8).
 */
static ACME_MUST_CHECK int
jw_finish(struct jw *w)
{
	if (w->err == 0 && w->depth != 0)
		jw_fail(w, ACME_ERR_USAGE, "unclosed container");
	if (w->err == 0 && w->first[0])
		jw_fail(w, ACME_ERR_USAGE, "nothing written");
	return w->err;
}

/* ==== 6. Crypto ==== */

/*
 * Randomness, keys, hashes and signatures, all from BearSSL 0.6, plus the
 * DER reader that key import (here) and X.509 reading (section 9) share.
 * A key lives in fixed buffers inside struct key; the only allocation is
 * pem_decode()'s in key_from_pem(). Every secret copied to the stack is
 * wiped before returning.
 *
 * Prefixes: asn1_, bn_, ec_, hmac_, key_, rng_.
 * May call: 2-4.
 */

#define RNG_SEED_LEN	48		/* 384 bits (SP 800-90A, SHA-256) */
#define RSA_PUBEXP	65537		/* Let's Encrypt takes no other e */
#define RSA_BITS_MAX	4096		/* BearSSL's default keygen ceiling */
#define KEY_DER_MAX	3072		/* PKCS#8 of RSA-4096 is about 2.4 KB */
#define KEY_SIG_MAX	(RSA_BITS_MAX / 8) /* any signature we produce */

/* ---- random numbers ---- */

static br_hmac_drbg_context rng_drbg;
static int rng_seeded;

/*
 * Fill dst from the kernel, retrying EINTR and short reads. Blocks until
 * the kernel's pool is initialized (early boot), as a key must.
 */
static ACME_MUST_CHECK int
rng_sys(void *dst, size_t n)
{
	unsigned char *p = dst;
	ssize_t r;

	while (n > 0) {
		r = getrandom(p, n, 0);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return err_set(ACME_ERR_CRYPTO, "getrandom: %s",
			    r < 0 ? strerror(errno) : "no data");
		p += r;
		n -= (size_t)r;
	}
	return 0;
}

/*
 * Seed the process DRBG (HMAC-DRBG, SHA-256) from getrandom(2); a later
 * call mixes fresh kernel entropy into it. BearSSL 0.6's own system
 * seeder trusts RDRAND alone on x86, so it is never used. A forked child
 * shares the parent's state: children exec and never draw from it.
 */
static ACME_MUST_CHECK int
rng_init(void)
{
	unsigned char seed[RNG_SEED_LEN];
	int rc;

	if ((rc = rng_sys(seed, sizeof(seed))) == 0) {
		if (rng_seeded)
			br_hmac_drbg_update(&rng_drbg, seed, sizeof(seed));
		else
			br_hmac_drbg_init(&rng_drbg, &br_sha256_vtable, seed,
			    sizeof(seed));
		rng_seeded = 1;
	}
	wipe(seed, sizeof(seed));
	return rc;
}

/* n random bytes into dst; seeds the DRBG on first use. */
static ACME_MUST_CHECK int
rng_bytes(void *dst, size_t n)
{
	int rc;

	if (!rng_seeded && (rc = rng_init()) < 0)
		return rc;
	br_hmac_drbg_generate(&rng_drbg, dst, n);
	return 0;
}

/* The DRBG for BearSSL calls that take a PRNG; only after rng_init(). */
static const br_prng_class **
rng_ctx(void)
{
	return &rng_drbg.vtable;
}

/* ---- hashes ---- */

static int
key_sha256(const void *data, size_t len, unsigned char out[32])
{
	br_sha256_context sc;

	br_sha256_init(&sc);
	br_sha256_update(&sc, data, len);
	br_sha256_out(&sc, out);
	return 0;
}

#define HMAC_OUT_MAX	64	/* HS512 */

/* RFC 7518 3.2: the HMAC algorithms a JWS may name. */
static const struct hmac_alg {
	const char		*name;
	const br_hash_class	*hash;
	size_t			 len;		/* MAC length in bytes */
} hmac_algs[] = {
	{ "HS256", &br_sha256_vtable, 32 },
	{ "HS384", &br_sha384_vtable, 48 },
	{ "HS512", &br_sha512_vtable, 64 },
};

/* The row for name (NULL: HS256); NULL when unknown. */
static const struct hmac_alg *
hmac_alg_find(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(hmac_algs) / sizeof(hmac_algs[0]); i++)
		if (name == NULL || strcmp(name, hmac_algs[i].name) == 0)
			return &hmac_algs[i];
	return NULL;
}

/* HMAC (RFC 2104) with hash h; out gets h's output size. */
static void
hmac_sha2(const br_hash_class *h, const void *key, size_t klen,
    const void *data, size_t len, unsigned char *out)
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, h, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, len);
	br_hmac_out(&hc, out);
	wipe(&kc, sizeof(kc));
	wipe(&hc, sizeof(hc));
}

/*
 * Elliptic curves: BearSSL's default (br_ec_all_m31) less Curve25519,
 * which no ACME CA needs and which would cost 3.7 KB: P-256 by the fast
 * br_ec_p256_m31, P-384 and P-521 by br_ec_prime_i31. Keys, signatures,
 * the tls-alpn-01 responder and libcurl's TLS engine (http_ssl_ctx_cb)
 * use ec_impl.
 */
static const br_ec_impl *
ec_pick(int curve)
{
	return curve == BR_EC_secp256r1 ? &br_ec_p256_m31 : &br_ec_prime_i31;
}

static const unsigned char *
ec_generator(int curve, size_t *len)
{
	return ec_pick(curve)->generator(curve, len);
}

static const unsigned char *
ec_order(int curve, size_t *len)
{
	return ec_pick(curve)->order(curve, len);
}

static size_t
ec_xoff(int curve, size_t *len)
{
	return ec_pick(curve)->xoff(curve, len);
}

static uint32_t
ec_mul(unsigned char *g, size_t glen, const unsigned char *x, size_t xlen,
    int curve)
{
	return ec_pick(curve)->mul(g, glen, x, xlen, curve);
}

static size_t
ec_mulgen(unsigned char *r, const unsigned char *x, size_t xlen, int curve)
{
	return ec_pick(curve)->mulgen(r, x, xlen, curve);
}

static uint32_t
ec_muladd(unsigned char *a, const unsigned char *b, size_t len,
    const unsigned char *x, size_t xlen, const unsigned char *y, size_t ylen,
    int curve)
{
	return ec_pick(curve)->muladd(a, b, len, x, xlen, y, ylen, curve);
}

static const br_ec_impl ec_impl = {
	(uint32_t)1 << BR_EC_secp256r1 | (uint32_t)1 << BR_EC_secp384r1 |
	    (uint32_t)1 << BR_EC_secp521r1,
	ec_generator, ec_order, ec_xoff, ec_mul, ec_mulgen, ec_muladd,
};

/* Skip the leading zero bytes of an unsigned big-endian integer. */
static void
bn_strip(const unsigned char **p, size_t *len)
{
	while (*len > 0 && **p == 0) {
		(*p)++;
		(*len)--;
	}
}

/* Whether two unsigned big-endian integers are equal. */
static ACME_MUST_CHECK int
bn_eq(const unsigned char *a, size_t alen, const unsigned char *b,
    size_t blen)
{
	bn_strip(&a, &alen);
	bn_strip(&b, &blen);
	return alen == blen && memcmp(a, b, alen) == 0;
}

/* ---- DER reading ---- */

/* X.690 universal tags used here and in sections 8 and 9. */
enum der_tag {
	DER_BOOLEAN = 0x01,
	DER_INTEGER = 0x02,
	DER_BIT_STRING = 0x03,
	DER_OCTET_STRING = 0x04,
	DER_NULL = 0x05,
	DER_OID = 0x06,
	DER_UTF8_STRING = 0x0c,
	DER_PRINTABLE_STRING = 0x13,
	DER_T61_STRING = 0x14,
	DER_IA5_STRING = 0x16,
	DER_SEQUENCE = 0x30,
	DER_SET = 0x31
};
#define DER_CTX(n)	(0x80 | (n))	/* [n] IMPLICIT, primitive */
#define DER_CTX_CONS(n)	(0xa0 | (n))	/* [n], constructed */

/* A read cursor over DER bytes; both pointers are borrowed. */
struct der_cur {
	const unsigned char	*p;	/* next element */
	const unsigned char	*end;	/* one past the last byte */
};

/*
 * Read the next element of c (X.690 8.1, 10.1): a one-byte tag and a
 * definite, minimal length of at most four bytes. val (may be NULL)
 * gets the contents, tag (may be NULL) the tag; c moves past the
 * element. Returns 0, or NONE when the bytes are not DER or run short.
 */
static ACME_MUST_CHECK int
asn1_next(struct der_cur *c, unsigned *tag, struct der_cur *val)
{
	const unsigned char *p = c->p;
	size_t avail = (size_t)(c->end - p), len, i = 2, nb;

	if (avail < 2 || (p[0] & 0x1f) == 0x1f)
		return NONE;
	if ((len = p[1]) & 0x80) {
		nb = len & 0x7f;
		if (nb == 0 || nb > 4 || avail < 2 + nb || p[2] == 0)
			return NONE;
		for (len = 0; i < 2 + nb; i++)
			len = (len << 8) | p[i];
		if (len < 0x80)
			return NONE;
	}
	if (len > avail - i)
		return NONE;
	if (tag != NULL)
		*tag = p[0];
	if (val != NULL) {
		val->p = p + i;
		val->end = p + i + len;
	}
	c->p = p + i + len;
	return 0;
}

/* Read the next element, which must carry tag; 0, or NONE (c unmoved). */
static ACME_MUST_CHECK int
asn1_expect(struct der_cur *c, unsigned tag, struct der_cur *val)
{
	struct der_cur save = *c;
	unsigned t;

	if (asn1_next(c, &t, val) < 0 || t != tag) {
		*c = save;
		return NONE;
	}
	return 0;
}

/* The tag of the next element, or NONE at the end. */
static ACME_MUST_CHECK int
asn1_peek(const struct der_cur *c)
{
	return c->p < c->end ? c->p[0] : NONE;
}

static size_t
asn1_size(const struct der_cur *c)
{
	return (size_t)(c->end - c->p);
}

/* Whether the contents val equal the given bytes (an OID, say). */
static ACME_MUST_CHECK int
asn1_eq(const struct der_cur *val, const unsigned char *b, size_t n)
{
	return asn1_size(val) == n && memcmp(val->p, b, n) == 0;
}

/* ---- keys ---- */

enum key_type {
	KEY_EC256,
	KEY_EC384,
	KEY_RSA2048,
	KEY_RSA3072,
	KEY_RSA4096,
	KEY_TYPE_MAX
};

/* One row per --key-type; the digest serves both JWS and CSR. */
static const struct key_type_info {
	const char		*name;		/* --key-type, meta.txt */
	int			 curve;		/* BR_EC_* or 0 for RSA */
	unsigned		 bits;		/* curve or modulus size */
	const char		*jws_alg;	/* RFC 7518 3.1 */
	const br_hash_class	*hash;
} key_types[KEY_TYPE_MAX] = {
	[KEY_EC256] = { "ec256", BR_EC_secp256r1, 256, "ES256",
	    &br_sha256_vtable },
	[KEY_EC384] = { "ec384", BR_EC_secp384r1, 384, "ES384",
	    &br_sha384_vtable },
	[KEY_RSA2048] = { "rsa2048", 0, 2048, "RS256", &br_sha256_vtable },
	[KEY_RSA3072] = { "rsa3072", 0, 3072, "RS256", &br_sha256_vtable },
	[KEY_RSA4096] = { "rsa4096", 0, 4096, "RS256", &br_sha256_vtable },
};

struct key_ec {
	br_ec_private_key	 sk;	/* x points into priv */
	br_ec_public_key	 pk;	/* q points into pub: 04 || X || Y */
	unsigned char		 priv[BR_EC_KBUF_PRIV_MAX_SIZE];
	unsigned char		 pub[BR_EC_KBUF_PUB_MAX_SIZE];
};

struct key_rsa {
	br_rsa_private_key	 sk;	/* p q dp dq iq point into priv */
	br_rsa_public_key	 pk;	/* n e point into pub */
	unsigned char		 priv[BR_RSA_KBUF_PRIV_SIZE(RSA_BITS_MAX)];
	unsigned char		 pub[BR_RSA_KBUF_PUB_SIZE(RSA_BITS_MAX)];
	unsigned char		 d[RSA_BITS_MAX / 8]; /* for PKCS#8 only */
	size_t			 dlen;
};

/*
 * A private key with its public half. The BearSSL structures point into
 * the buffers of the same struct: never copy a struct key by assignment
 * or memcpy. An all-zero struct key is an empty key; key_free() wipes.
 */
struct key {
	enum key_type		 type;
	int			 set;	/* 1 when a key is held */
	union {
		struct key_ec	 ec;
		struct key_rsa	 rsa;
	} u;
};

/* "ec256" ... "rsa4096" to enum key_type, or NONE. */
static ACME_MUST_CHECK int
key_type_parse(const char *s)
{
	int t;

	for (t = 0; t < KEY_TYPE_MAX; t++)
		if (strcmp(s, key_types[t].name) == 0)
			return t;
	return NONE;
}

/* Wipe a key; accepts NULL and an all-zero struct. */
static void
key_free(struct key *k)
{
	if (k != NULL)
		wipe(k, sizeof(*k));
}

static ACME_MUST_CHECK int
key_is_ec(const struct key *k)
{
	return key_types[k->type].curve != 0;
}

/* The EC key k holds; the scalar is checked against the curve order. */
static ACME_MUST_CHECK int
key_set_ec(struct key *k, int curve, const unsigned char *x, size_t xlen)
{
	const br_ec_impl *ec = &ec_impl;
	struct key_ec *e = &k->u.ec;
	const unsigned char *order;
	size_t olen;
	int t;

	for (t = 0; t < KEY_TYPE_MAX && key_types[t].curve != curve; t++)
		continue;
	if (curve == 0 || t == KEY_TYPE_MAX)
		return err_set(ACME_ERR_CRYPTO, "EC curve %d is not "
		    "supported (P-256 and P-384 are)", curve);
	order = ec->order(curve, &olen);
	bn_strip(&x, &xlen);
	if (xlen == 0 || xlen > olen || (xlen == olen &&
	    memcmp(x, order, olen) >= 0))
		return err_set(ACME_ERR_CRYPTO, "EC private key out of range");
	memset(e->priv, 0, olen - xlen);
	memcpy(e->priv + olen - xlen, x, xlen);
	e->sk.curve = curve;
	e->sk.x = e->priv;
	e->sk.xlen = olen;
	if (br_ec_compute_pub(ec, &e->pk, e->pub, &e->sk) == 0)
		return err_set(ACME_ERR_CRYPTO, "EC public key computation");
	k->type = (enum key_type)t;
	k->set = 1;
	return 0;
}

static ACME_MUST_CHECK int
key_gen_ec(struct key *k, enum key_type t)
{
	unsigned char x[BR_EC_KBUF_PRIV_MAX_SIZE];
	size_t n;
	int rc;

	n = br_ec_keygen(rng_ctx(), &ec_impl, NULL, x,
	    key_types[t].curve);
	rc = n == 0 ? err_set(ACME_ERR_CRYPTO, "%s key generation failed",
	    key_types[t].name) : key_set_ec(k, key_types[t].curve, x, n);
	wipe(x, sizeof(x));
	return rc;
}

static ACME_MUST_CHECK int
key_gen_rsa(struct key *k, enum key_type t)
{
	br_rsa_keygen gen = br_rsa_keygen_get_default();
	br_rsa_compute_privexp privexp = br_rsa_compute_privexp_get_default();
	struct key_rsa *r = &k->u.rsa;

	if (gen(rng_ctx(), &r->sk, r->priv, &r->pk, r->pub, key_types[t].bits,
	    RSA_PUBEXP) == 0 ||
	    (r->dlen = privexp(r->d, &r->sk, RSA_PUBEXP)) == 0)
		return err_set(ACME_ERR_CRYPTO, "%s key generation failed",
		    key_types[t].name);
	k->type = t;
	k->set = 1;
	return 0;
}

/*
 * Generate a fresh key of type t into k (whatever k held is wiped), with
 * new kernel entropy mixed into the DRBG first. RSA keys use e = 65537.
 */
static ACME_MUST_CHECK int
key_generate(struct key *k, enum key_type t)
{
	int rc;

	key_free(k);
	if ((unsigned)t >= KEY_TYPE_MAX)
		return err_set(ACME_ERR_USAGE, "unknown key type %d", (int)t);
	if ((rc = rng_init()) < 0)
		return rc;
	rc = key_types[t].curve != 0 ? key_gen_ec(k, t) : key_gen_rsa(k, t);
	if (rc < 0)
		key_free(k);
	return rc;
}

/* PKCS#8 DER of k into dst (NULL: length query); 0 when it cannot. */
static size_t
key_pkcs8(void *dst, const struct key *k)
{
	const struct key_rsa *r = &k->u.rsa;

	if (key_is_ec(k))
		return br_encode_ec_pkcs8_der(dst, &k->u.ec.sk, &k->u.ec.pk);
	return br_encode_rsa_pkcs8_der(dst, &r->sk, &r->pk, r->d, r->dlen);
}

/*
 * Append k as an unencrypted PKCS#8 "PRIVATE KEY" PEM block (RFC 5958,
 * RFC 7468) to out. On failure out is as it was.
 */
static ACME_MUST_CHECK int
key_to_pem(const struct key *k, struct buf *out)
{
	unsigned char der[KEY_DER_MAX];
	size_t len, start = out->len;
	int rc;

	if (!k->set)
		return err_set(ACME_ERR_USAGE, "no key to encode");
	len = key_pkcs8(NULL, k);
	if (len == 0 || len > sizeof(der))
		return err_set(ACME_ERR_CRYPTO, "cannot encode the %s key",
		    key_types[k->type].name);
	key_pkcs8(der, k);
	if ((rc = pem_encode(out, BR_ENCODE_PEM_PKCS8, der, len)) < 0)
		buf_rewind(out, start);
	wipe(der, sizeof(der));
	return rc;
}

/*
 * The public and private exponents of an RSA key in DER, which
 * br_skey_decoder does not return (RFC 8017 A.1.2, RFC 5958 2):
 *   RSAPrivateKey ::= SEQUENCE { version Version, modulus INTEGER,
 *       publicExponent INTEGER, privateExponent INTEGER, prime1 ... }
 *   OneAsymmetricKey ::= SEQUENCE { version Version,
 *       privateKeyAlgorithm AlgorithmIdentifier, privateKey OCTET STRING,
 *       ... }  -- privateKey holds an RSAPrivateKey
 * 0, or NONE when c holds neither.
 */
static ACME_MUST_CHECK int
key_rsa_exps(struct der_cur c, struct der_cur *e, struct der_cur *d)
{
	struct der_cur seq, inner;

	if (asn1_expect(&c, DER_SEQUENCE, &seq) < 0 ||
	    asn1_expect(&seq, DER_INTEGER, NULL) < 0)
		return NONE;
	if (asn1_peek(&seq) == DER_SEQUENCE) {
		if (asn1_next(&seq, NULL, NULL) < 0 ||
		    asn1_expect(&seq, DER_OCTET_STRING, &inner) < 0 ||
		    asn1_peek(&inner) != DER_SEQUENCE)
			return NONE;
		return key_rsa_exps(inner, e, d);
	}
	if (asn1_expect(&seq, DER_INTEGER, NULL) < 0 ||
	    asn1_expect(&seq, DER_INTEGER, e) < 0 ||
	    asn1_expect(&seq, DER_INTEGER, d) < 0)
		return NONE;
	return 0;
}

/* Copy one RSA private element into priv at *off; NULL when it is full. */
static unsigned char *
key_rsa_put(struct key_rsa *r, size_t *off, const unsigned char *v,
    size_t len)
{
	unsigned char *p = r->priv + *off;

	if (len > sizeof(r->priv) - *off)
		return NULL;
	memcpy(p, v, len);
	*off += len;
	return p;
}

/* Copy the CRT private key sk into r (sizes are checked). */
static ACME_MUST_CHECK int
key_rsa_copy(struct key_rsa *r, const br_rsa_private_key *sk)
{
	size_t off = 0;

	r->sk = *sk;
	if ((r->sk.p = key_rsa_put(r, &off, sk->p, sk->plen)) == NULL ||
	    (r->sk.q = key_rsa_put(r, &off, sk->q, sk->qlen)) == NULL ||
	    (r->sk.dp = key_rsa_put(r, &off, sk->dp, sk->dplen)) == NULL ||
	    (r->sk.dq = key_rsa_put(r, &off, sk->dq, sk->dqlen)) == NULL ||
	    (r->sk.iq = key_rsa_put(r, &off, sk->iq, sk->iqlen)) == NULL)
		return err_set(ACME_ERR_CRYPTO, "RSA key too large");
	return 0;
}

/* Pairwise check: a signature made with k verifies with its public key. */
static ACME_MUST_CHECK int
key_rsa_check(const struct key_rsa *r)
{
	unsigned char h[32], h2[32], sig[KEY_SIG_MAX];
	size_t slen = (r->sk.n_bitlen + 7) / 8;
	int ok;

	key_sha256("acme key check", 14, h);
	ok = br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, h,
	    sizeof(h), &r->sk, sig) == 1 &&
	    br_rsa_pkcs1_vrfy_get_default()(sig, slen, BR_HASH_OID_SHA256,
	    sizeof(h2), &r->pk, h2) == 1 && memcmp(h, h2, sizeof(h)) == 0;
	wipe(sig, sizeof(sig));
	return ok ? 0 : err_set(ACME_ERR_CRYPTO, "RSA key is inconsistent");
}

/*
 * n from p and q. BearSSL 0.6's i31 code refuses 4096-bit keys (its
 * scratch array is two words short for two 2048-bit factors and their
 * product); the i15 code takes them.
 */
static size_t
key_rsa_modulus(void *n, const br_rsa_private_key *sk)
{
	size_t len = br_rsa_compute_modulus_get_default()(n, sk);

	return len != 0 ? len : br_rsa_i15_compute_modulus(n, sk);
}

/*
 * The RSA key k holds: the CRT elements from BearSSL's decoder, n
 * recomputed from p and q, e and d as found in the DER (BearSSL can only
 * recompute them when p and q are 3 mod 4, which OpenSSL's keys are
 * not). The modulus must be exactly 2048, 3072 or 4096 bits.
 */
static ACME_MUST_CHECK int
key_set_rsa(struct key *k, const br_rsa_private_key *sk,
    const struct der_cur *e, const struct der_cur *d)
{
	struct key_rsa *r = &k->u.rsa;
	const unsigned char *ep = e->p, *dp = d->p;
	size_t elen = asn1_size(e), dlen = asn1_size(d), nlen;
	int t, rc;

	for (t = 0; t < KEY_TYPE_MAX && (key_types[t].curve != 0 ||
	    key_types[t].bits != sk->n_bitlen); t++)
		continue;
	if (t == KEY_TYPE_MAX)
		return err_set(ACME_ERR_CRYPTO, "RSA-%u keys are not "
		    "supported (2048, 3072 and 4096 bits are)", sk->n_bitlen);
	if ((rc = key_rsa_copy(r, sk)) < 0)
		return rc;
	bn_strip(&ep, &elen);
	bn_strip(&dp, &dlen);
	nlen = key_rsa_modulus(NULL, &r->sk);
	if (nlen == 0 || elen == 0 || elen > 4 || dlen == 0 ||
	    dlen > sizeof(r->d) || nlen + elen > sizeof(r->pub))
		return err_set(ACME_ERR_CRYPTO, "malformed RSA key");
	key_rsa_modulus(r->pub, &r->sk);
	memcpy(r->pub + nlen, ep, elen);
	r->pk = (br_rsa_public_key){ .n = r->pub, .nlen = nlen,
	    .e = r->pub + nlen, .elen = elen };
	memcpy(r->d, dp, dlen);
	r->dlen = dlen;
	k->type = (enum key_type)t;
	k->set = 1;
	return key_rsa_check(r);
}

static ACME_MUST_CHECK int
key_from_rsa_der(struct key *k, const br_rsa_private_key *sk,
    const unsigned char *der, size_t len)
{
	struct der_cur c = { der, der + len }, e, d;

	if (key_rsa_exps(c, &e, &d) < 0)
		return err_set(ACME_ERR_CRYPTO, "malformed RSA private key");
	return key_set_rsa(k, sk, &e, &d);
}

/* A DER private key: PKCS#8, SEC1 (RFC 5915) or PKCS#1, told apart by
 * BearSSL's decoder. */
static ACME_MUST_CHECK int
key_from_der(struct key *k, const unsigned char *der, size_t len)
{
	br_skey_decoder_context dc;
	const br_ec_private_key *ec;
	int rc, err;

	br_skey_decoder_init(&dc);
	br_skey_decoder_push(&dc, der, len);
	if ((err = br_skey_decoder_last_error(&dc)) != 0)
		rc = err_set(ACME_ERR_CRYPTO, "private key: unsupported "
		    "type or malformed (BearSSL error %d)", err);
	else if ((ec = br_skey_decoder_get_ec(&dc)) != NULL)
		rc = key_set_ec(k, ec->curve, ec->x, ec->xlen);
	else
		rc = key_from_rsa_der(k, br_skey_decoder_get_rsa(&dc), der,
		    len);
	wipe(&dc, sizeof(dc));
	return rc;
}

/*
 * Read a private key from PEM text: the first "PRIVATE KEY" (PKCS#8),
 * "EC PRIVATE KEY" (SEC1) or "RSA PRIVATE KEY" (PKCS#1) block; other
 * blocks (EC PARAMETERS, certificates) are skipped. The public key is
 * recomputed; type follows from the curve or modulus size. Whatever k
 * held is wiped; on failure k is empty.
 */
static ACME_MUST_CHECK int
key_from_pem(struct key *k, const char *pem, size_t len)
{
	static const char *const labels[] = { BR_ENCODE_PEM_PKCS8,
	    BR_ENCODE_PEM_EC_RAW, BR_ENCODE_PEM_RSA_RAW };
	struct pem_obj objs[KEY_PEM_OBJS];
	const struct pem_obj *o = NULL;
	size_t n = 0, i, j;
	int rc;

	key_free(k);
	if ((rc = pem_decode(pem, len, objs, KEY_PEM_OBJS, &n)) < 0)
		return rc;
	for (i = 0; i < n && o == NULL; i++)
		for (j = 0; j < sizeof(labels) / sizeof(labels[0]); j++)
			if (strcmp(objs[i].label, labels[j]) == 0)
				o = &objs[i];
	if (o == NULL)
		rc = err_set(ACME_ERR_CRYPTO, "no unencrypted private key in "
		    "PEM data");
	else
		rc = key_from_der(k, o->der, o->len);
	for (i = 0; i < n; i++)
		wipe(objs[i].der, objs[i].len);
	pem_objs_free(objs, n);
	if (rc < 0)
		key_free(k);
	return rc;
}

/* RFC 7518 3.1 "alg" for k: ES256, ES384 or RS256; NULL for no key. */
static const char *
key_jws_alg(const struct key *k)
{
	return k->set ? key_types[k->type].jws_alg : NULL;
}

/* Hash msg with k's digest into h (64 bytes); returns the length. */
static size_t
key_hash(const struct key *k, const void *msg, size_t len, unsigned char *h)
{
	const br_hash_class *hc = key_types[k->type].hash;
	br_hash_compat_context ctx;

	hc->init(&ctx.vtable);
	hc->update(&ctx.vtable, msg, len);
	hc->out(&ctx.vtable, h);
	return (hc->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK;
}

/*
 * Sign msg with k into sig (cap bytes); returns the signature length.
 * ECDSA (RFC 6979 deterministic in BearSSL) as raw r||s when asn1 is 0
 * (RFC 7518 3.4) or as an Ecdsa-Sig-Value SEQUENCE (RFC 5480); RSA is
 * PKCS#1 v1.5 with SHA-256 either way.
 */
static ACME_MUST_CHECK int
key_sign(const struct key *k, const void *msg, size_t len,
    unsigned char *sig, size_t cap, int asn1)
{
	unsigned char h[64];
	size_t hlen, need, n;

	if (!k->set)
		return err_set(ACME_ERR_USAGE, "no key to sign with");
	need = key_is_ec(k) ? key_types[k->type].bits / 4 + (asn1 ? 8 : 0) :
	    (k->u.rsa.sk.n_bitlen + 7) / 8;
	if (cap < need)
		return err_set(ACME_ERR_USAGE, "signature buffer too small");
	hlen = key_hash(k, msg, len, h);
	if (!key_is_ec(k))
		n = br_rsa_pkcs1_sign_get_default()(BR_HASH_OID_SHA256, h,
		    hlen, &k->u.rsa.sk, sig) == 1 ? need : 0;
	else if (asn1)
		n = br_ecdsa_i31_sign_asn1(&ec_impl,
		    key_types[k->type].hash, h, &k->u.ec.sk, sig);
	else
		n = br_ecdsa_i31_sign_raw(&ec_impl,
		    key_types[k->type].hash, h, &k->u.ec.sk, sig);
	if (n == 0)
		return err_set(ACME_ERR_CRYPTO, "signing failed");
	return (int)n;
}

/* A JWS signature (RFC 7518 3.3, 3.4): r||s for ECDSA, PKCS#1 for RSA. */
static ACME_MUST_CHECK int
key_sign_jws(const struct key *k, const void *msg, size_t len,
    unsigned char *sig, size_t cap)
{
	return key_sign(k, msg, len, sig, cap, 0);
}

/* An X.509/PKCS#10 signature value (RFC 5758 3.2, RFC 4055 5). */
static ACME_MUST_CHECK int
key_sign_der(const struct key *k, const void *msg, size_t len,
    unsigned char *sig, size_t cap)
{
	return key_sign(k, msg, len, sig, cap, 1);
}
/* ==== 7. JOSE ==== */

/*
 * JSON Web Keys (RFC 7517, 7518 6), thumbprints (RFC 7638) and the
 * flattened JWS requests of RFC 8555 6.2, including the external account
 * binding of RFC 8555 7.3.4. JSON always goes through the writer of
 * section 5, so every string is escaped and there is no whitespace.
 *
 * Prefixes: jwk_, jws_.
 * May call: 2-6.
 */

#define JOSE_B64_CAP(n)	(((n) + 2) / 3 * 4 + 1)	/* base64url + NUL */
#define JWK_JSON_MAX	2048	/* an RSA-4096 JWK is about 730 bytes */
#define THUMBPRINT_LEN	43	/* base64url of a SHA-256 digest */

/* RFC 7518 6.2.1.1: the JWK curve name of each EC --key-type. */
static const char *const jwk_crv[KEY_TYPE_MAX] = {
	[KEY_EC256] = "P-256",
	[KEY_EC384] = "P-384",
};

/*
 * Write k's public JWK as member key of w (key NULL: a bare value), with
 * only the required members in lexicographic order, as RFC 7638 3.2
 * wants for the thumbprint input:
 *   {"crv":"P-256","kty":"EC","x":..,"y":..}  fixed-length coordinates
 *   {"e":..,"kty":"RSA","n":..}               no leading zero octets
 * An empty k fails the writer (ACME_ERR_USAGE at jw_finish()).
 */
static void
jwk_write_ec(struct jw *w, const struct key *k)
{
	char x[JOSE_B64_CAP(BR_EC_KBUF_PUB_MAX_SIZE / 2)], y[sizeof(x)];
	const br_ec_public_key *pk = &k->u.ec.pk;
	size_t clen = (pk->qlen - 1) / 2;	/* q = 04 || X || Y */

	b64u_encode(x, pk->q + 1, clen);
	b64u_encode(y, pk->q + 1 + clen, clen);
	jw_str(w, "crv", jwk_crv[k->type]);
	jw_str(w, "kty", "EC");
	jw_str(w, "x", x);
	jw_str(w, "y", y);
}

static void
jwk_write_rsa(struct jw *w, const struct key *k)
{
	char n64[JOSE_B64_CAP(RSA_BITS_MAX / 8)], e64[JOSE_B64_CAP(4)];
	const unsigned char *n = k->u.rsa.pk.n, *e = k->u.rsa.pk.e;
	size_t nlen = k->u.rsa.pk.nlen, elen = k->u.rsa.pk.elen;

	bn_strip(&n, &nlen);
	bn_strip(&e, &elen);
	b64u_encode(e64, e, elen);
	b64u_encode(n64, n, nlen);
	jw_str(w, "e", e64);
	jw_str(w, "kty", "RSA");
	jw_str(w, "n", n64);
}

static void
jwk_write(struct jw *w, const char *key, const struct key *k)
{
	jw_obj_open(w, key);
	if (!k->set)
		jw_fail(w, ACME_ERR_USAGE, "no key for the JWK");
	else if (key_is_ec(k))
		jwk_write_ec(w, k);
	else
		jwk_write_rsa(w, k);
	jw_obj_close(w);
}

/* k's public JWK as JSON text appended to out. */
static ACME_MUST_CHECK int
jwk_json(struct buf *out, const struct key *k)
{
	struct jw w;

	if (!k->set)
		return err_set(ACME_ERR_USAGE, "no key for the JWK");
	jw_init(&w, out);
	jwk_write(&w, NULL, k);
	return jw_finish(&w);
}

/*
 * RFC 7638 3: base64url(SHA-256(the JWK of jwk_write())), 43 characters
 * and a NUL into out (cap at least 44).
 */
static ACME_MUST_CHECK int
jwk_thumbprint(const struct key *k, char *out, size_t cap)
{
	struct buf b = { .max = JWK_JSON_MAX };
	unsigned char h[32];
	int rc;

	if (cap < THUMBPRINT_LEN + 1)
		return err_set(ACME_ERR_USAGE, "thumbprint buffer too small");
	if ((rc = jwk_json(&b, k)) == 0) {
		key_sha256(b.data, b.len, h);
		b64u_encode(out, h, sizeof(h));
	}
	buf_free(&b);
	return rc;
}

/*
 * RFC 8555 8.1: keyAuthorization = token || '.' || thumbprint(account
 * key). The token must be non-empty base64url (RFC 8555 8.3, 8.4).
 */
static ACME_MUST_CHECK int
jwk_key_authorization(const struct key *acct, const char *token, char *out,
    size_t cap)
{
	char tp[THUMBPRINT_LEN + 1];
	size_t tlen = strlen(token);
	int rc;

	if (!b64u_is_token(token))
		return err_set(ACME_ERR_PROTO, "malformed challenge token");
	if (tlen + 1 + THUMBPRINT_LEN >= cap)
		return err_set(ACME_ERR_LIMIT, "key authorization too long");
	if ((rc = jwk_thumbprint(acct, tp, sizeof(tp))) < 0)
		return rc;
	memcpy(out, token, tlen);
	out[tlen] = '.';
	memcpy(out + tlen + 1, tp, THUMBPRINT_LEN + 1);
	return 0;
}

/* Append base64url(src) to b. */
static ACME_MUST_CHECK int
jws_b64_append(struct buf *b, const void *src, size_t len)
{
	char *s;
	int rc;

	if ((s = b64u_encode_alloc(src, len)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	rc = buf_puts(b, s);
	free(s);
	return rc;
}

/*
 * RFC 7515 5.1: the JWS Signing Input, ASCII(BASE64URL(header) || '.' ||
 * BASE64URL(payload)), appended to sin; *hlen gets the length of the
 * encoded header. An empty payload encodes as "" (RFC 8555 6.3).
 */
static ACME_MUST_CHECK int
jws_signing_input(struct buf *sin, const void *hdr, size_t len,
    const void *payload, size_t plen, size_t *hlen)
{
	size_t start = sin->len;
	int rc;

	if ((rc = jws_b64_append(sin, hdr, len)) < 0)
		return rc;
	*hlen = sin->len - start;
	buf_append(sin, ".", 1);
	return plen > 0 ? jws_b64_append(sin, payload, plen) : buf_err(sin);
}

/*
 * RFC 7515 7.2.2: the flattened JSON serialization of a signed signing
 * input: {"protected":..,"payload":..,"signature":..} appended to out.
 */
static ACME_MUST_CHECK int
jws_flatten(struct buf *out, const struct buf *sin, size_t hlen,
    const unsigned char *sig, size_t siglen)
{
	const char *s = (const char *)sin->data;
	char sig64[JOSE_B64_CAP(KEY_SIG_MAX)];
	struct jw w;

	b64u_encode(sig64, sig, siglen);
	jw_init(&w, out);
	jw_obj_open(&w, NULL);
	jw_strn(&w, "protected", s, hlen);
	jw_strn(&w, "payload", s + hlen + 1, sin->len - hlen - 1);
	jw_str(&w, "signature", sig64);
	jw_obj_close(&w);
	return jw_finish(&w);
}

/* Sign header (JSON text) and payload with k; the JWS goes to out. */
static ACME_MUST_CHECK int
jws_sign(struct buf *out, const struct key *k, const struct buf *hdr,
    const void *payload, size_t plen)
{
	struct buf sin = { .max = BODY_MAX };
	unsigned char sig[KEY_SIG_MAX];
	size_t hlen = 0;
	int rc, n;

	if ((rc = jws_signing_input(&sin, hdr->data, hdr->len, payload, plen,
	    &hlen)) < 0)
		goto out;
	if ((n = key_sign_jws(k, sin.data, sin.len, sig, sizeof(sig))) < 0) {
		rc = n;
		goto out;
	}
	rc = jws_flatten(out, &sin, hlen, sig, (size_t)n);
out:
	buf_free(&sin);
	return rc;
}

/*
 * RFC 8555 6.2: an ACME request body signed with k, appended to out.
 * Protected header members in order: alg, then jwk (kid NULL: newAccount,
 * revocation by certificate key) or kid (the account URL), nonce (NULL
 * omits it: the inner JWS of a key change, RFC 8555 7.3.5), url.
 * payload NULL is POST-as-GET: "payload":"" (RFC 8555 6.3). On failure
 * out is as it was.
 */
static ACME_MUST_CHECK int
jws_build(struct buf *out, const struct key *k, const char *kid,
    const char *nonce, const char *url, const char *payload,
    size_t payload_len)
{
	struct buf hdr = { .max = BODY_MAX };
	size_t start = out->len;
	struct jw w;
	int rc;

	if (!k->set || url == NULL)
		return err_set(ACME_ERR_USAGE, "jws: no key or URL");
	jw_init(&w, &hdr);
	jw_obj_open(&w, NULL);
	jw_str(&w, "alg", key_jws_alg(k));
	if (kid != NULL)
		jw_str(&w, "kid", kid);
	else
		jwk_write(&w, "jwk", k);
	if (nonce != NULL)
		jw_str(&w, "nonce", nonce);
	jw_str(&w, "url", url);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) == 0)
		rc = jws_sign(out, k, &hdr, payload,
		    payload != NULL ? payload_len : 0);
	if (rc < 0)
		buf_rewind(out, start);
	buf_free(&hdr);
	return rc;
}

/*
 * RFC 8555 7.3.4: the "externalAccountBinding" value of a newAccount
 * request, appended to out: a flattened JWS whose payload is the account
 * key's JWK, protected {"alg":alg,"kid":eab_kid,"url":url} (url: the
 * newAccount URL), MACed with the CA-issued key mac (raw bytes, already
 * base64url-decoded) under alg (HS256, HS384 or HS512, RFC 7518 3.2).
 * On failure out is as it was.
 */
static ACME_MUST_CHECK int
jws_eab_alg(struct buf *out, const struct key *acct, const char *alg,
    const char *eab_kid, const void *mac, size_t mac_len, const char *url)
{
	struct buf hdr = { .max = URL_MAX * 2 }, jwk = { .max = JWK_JSON_MAX };
	struct buf sin = { .max = BODY_MAX };
	const struct hmac_alg *h = hmac_alg_find(alg);
	unsigned char tag[HMAC_OUT_MAX];
	size_t start = out->len, hlen = 0;
	struct jw w;
	int rc;

	if (h == NULL)
		return err_set(ACME_ERR_USAGE, "EAB: unknown MAC algorithm "
		    "'%.20s' (HS256, HS384 or HS512)", alg);
	jw_init(&w, &hdr);
	jw_obj_open(&w, NULL);
	jw_str(&w, "alg", h->name);
	jw_str(&w, "kid", eab_kid);
	jw_str(&w, "url", url);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) < 0 || (rc = jwk_json(&jwk, acct)) < 0 ||
	    (rc = jws_signing_input(&sin, hdr.data, hdr.len, jwk.data,
	    jwk.len, &hlen)) < 0)
		goto out;
	hmac_sha2(h->hash, mac, mac_len, sin.data, sin.len, tag);
	rc = jws_flatten(out, &sin, hlen, tag, h->len);
out:
	if (rc < 0)
		buf_rewind(out, start);
	wipe(tag, sizeof(tag));
	buf_free(&hdr);
	buf_free(&jwk);
	buf_free(&sin);
	return rc;
}

/* ==== 8. DER and CSR ==== */

/*
 * DER is written length-first, in BearSSL's style: every encoder takes a
 * destination that may be NULL, writes there when it is not, and returns
 * the number of bytes the encoding takes either way. An outer encoder
 * first asks its parts for their sizes, then writes its own header, then
 * the parts. Nothing here allocates except csr_build().
 *
 * Prefixes: csr_, der_.
 * May call: 2-3, 6.
 */

/* dst + off, or NULL in query mode (no arithmetic on NULL). */
static unsigned char *
der_at(unsigned char *dst, size_t off)
{
	return dst == NULL ? NULL : dst + off;
}

/* Bytes taken by the length octets of a len-byte value (X.690 8.1.3). */
static size_t
der_len_size(size_t len)
{
	size_t n = 1;

	if (len >= 0x80)
		for (; len > 0; len >>= 8)
			n++;
	return n;
}

/* Tag and length octets for a len-byte value; returns their size. */
static size_t
der_header(unsigned char *dst, unsigned tag, size_t len)
{
	size_t n = der_len_size(len), i;

	if (dst != NULL) {
		dst[0] = (unsigned char)tag;
		if (n == 1)
			dst[1] = (unsigned char)len;
		else
			dst[1] = (unsigned char)(0x80 | (n - 1));
		for (i = n; i > 1; i--, len >>= 8)
			dst[i] = (unsigned char)len;
	}
	return 1 + n;
}

/* A whole element: header, then len bytes of src. */
static size_t
der_put(unsigned char *dst, unsigned tag, const void *src, size_t len)
{
	size_t h = der_header(dst, tag, len);

	if (dst != NULL)
		memcpy(dst + h, src, len);
	return h + len;
}

/* Raw bytes (a prebuilt encoding such as an AlgorithmIdentifier). */
static size_t
der_raw(unsigned char *dst, const void *src, size_t len)
{
	if (dst != NULL)
		memcpy(dst, src, len);
	return len;
}

/* INTEGER from unsigned big-endian v: no extra leading zeros, and one
 * 0x00 when the high bit is set (X.690 8.3). */
static size_t
der_uint(unsigned char *dst, const unsigned char *v, size_t len)
{
	size_t pad, h;

	bn_strip(&v, &len);
	pad = len == 0 || (v[0] & 0x80) != 0;
	h = der_header(dst, DER_INTEGER, pad + len);
	if (dst != NULL) {
		if (pad)
			dst[h] = 0;
		memcpy(dst + h + pad, v, len);
	}
	return h + pad + len;
}

/* BIT STRING with no unused bits wrapping len bytes of src. */
static size_t
der_bits(unsigned char *dst, const void *src, size_t len)
{
	size_t h = der_header(dst, DER_BIT_STRING, len + 1);

	if (dst != NULL) {
		dst[h] = 0;
		memcpy(dst + h + 1, src, len);
	}
	return h + 1 + len;
}

/* OIDs and AlgorithmIdentifiers, complete DER elements. */
static const unsigned char der_oid_cn[] = {	/* 2.5.4.3 */
	0x06, 0x03, 0x55, 0x04, 0x03 };
static const unsigned char der_oid_san[] = {	/* 2.5.29.17 */
	0x06, 0x03, 0x55, 0x1d, 0x11 };
static const unsigned char der_oid_ext_req[] = { /* 1.2.840.113549.1.9.14 */
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x09, 0x0e };

/* RFC 5480 2.1.1: id-ecPublicKey with namedCurve secp256r1. */
static const unsigned char der_alg_p256[] = { 0x30, 0x13,
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x03, 0x01, 0x07 };
/* RFC 5480 2.1.1: id-ecPublicKey with namedCurve secp384r1. */
static const unsigned char der_alg_p384[] = { 0x30, 0x10,
	0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01,
	0x06, 0x05, 0x2b, 0x81, 0x04, 0x00, 0x22 };
/* RFC 3279 2.3.1: rsaEncryption, parameters NULL. */
static const unsigned char der_alg_rsa[] = { 0x30, 0x0d,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x01,
	0x05, 0x00 };
/* RFC 5758 3.2: ecdsa-with-SHA256, parameters absent. */
static const unsigned char der_sig_es256[] = { 0x30, 0x0a,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
/* RFC 5758 3.2: ecdsa-with-SHA384, parameters absent. */
static const unsigned char der_sig_es384[] = { 0x30, 0x0a,
	0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 };
/* RFC 4055 5: sha256WithRSAEncryption, parameters NULL. */
static const unsigned char der_sig_rs256[] = { 0x30, 0x0d,
	0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b,
	0x05, 0x00 };

/* Per key type: SubjectPublicKeyInfo algorithm and signature algorithm. */
static const struct der_key_algs {
	const unsigned char	*spki;
	size_t			 spki_len;
	const unsigned char	*sig;
	size_t			 sig_len;
} der_key_algs[KEY_TYPE_MAX] = {
	[KEY_EC256] = { der_alg_p256, sizeof(der_alg_p256),
	    der_sig_es256, sizeof(der_sig_es256) },
	[KEY_EC384] = { der_alg_p384, sizeof(der_alg_p384),
	    der_sig_es384, sizeof(der_sig_es384) },
	[KEY_RSA2048] = { der_alg_rsa, sizeof(der_alg_rsa),
	    der_sig_rs256, sizeof(der_sig_rs256) },
	[KEY_RSA3072] = { der_alg_rsa, sizeof(der_alg_rsa),
	    der_sig_rs256, sizeof(der_sig_rs256) },
	[KEY_RSA4096] = { der_alg_rsa, sizeof(der_alg_rsa),
	    der_sig_rs256, sizeof(der_sig_rs256) },
};

/*
 * RFC 3279 2.3.1:
 *   RSAPublicKey ::= SEQUENCE {
 *       modulus            INTEGER,    -- n
 *       publicExponent     INTEGER  }  -- e
 */
static size_t
der_rsa_pub(unsigned char *dst, const br_rsa_public_key *pk)
{
	size_t body, h;

	body = der_uint(NULL, pk->n, pk->nlen) + der_uint(NULL, pk->e,
	    pk->elen);
	h = der_header(dst, DER_SEQUENCE, body);
	h += der_uint(der_at(dst, h), pk->n, pk->nlen);
	h += der_uint(der_at(dst, h), pk->e, pk->elen);
	return h;
}

/* The subjectPublicKey BIT STRING: an ECPoint (RFC 5480 2.2, the
 * uncompressed 04 || X || Y) or an RSAPublicKey. */
static size_t
der_spki_key(unsigned char *dst, const struct key *k)
{
	size_t inner, h;

	if (key_is_ec(k))
		return der_bits(dst, k->u.ec.pk.q, k->u.ec.pk.qlen);
	inner = der_rsa_pub(NULL, &k->u.rsa.pk);
	h = der_header(dst, DER_BIT_STRING, inner + 1);
	if (dst != NULL)
		dst[h] = 0;
	h++;
	return h + der_rsa_pub(der_at(dst, h), &k->u.rsa.pk);
}

/*
 * RFC 5280 4.1:
 *   SubjectPublicKeyInfo ::= SEQUENCE {
 *       algorithm            AlgorithmIdentifier,
 *       subjectPublicKey     BIT STRING  }
 */
static size_t
der_spki(unsigned char *dst, const struct key *k)
{
	const struct der_key_algs *a = &der_key_algs[k->type];
	size_t h;

	h = der_header(dst, DER_SEQUENCE, a->spki_len + der_spki_key(NULL, k));
	h += der_raw(der_at(dst, h), a->spki, a->spki_len);
	return h + der_spki_key(der_at(dst, h), k);
}

/*
 * RFC 5280 4.1.2.4 with the commonName of RFC 5280 A.1:
 *   Name ::= CHOICE { rdnSequence  RDNSequence }
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
 *       AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE {
 *       type     AttributeType,     -- id-at-commonName (2.5.4.3)
 *       value    AttributeValue }   -- UTF8String (SIZE (1..64))
 * cn NULL: the empty sequence (the identifiers are all in the SAN).
 */
static size_t
der_name_cn(unsigned char *dst, const char *cn)
{
	size_t atv, set, h;

	if (cn == NULL)
		return der_header(dst, DER_SEQUENCE, 0);
	atv = sizeof(der_oid_cn) + der_put(NULL, DER_UTF8_STRING, cn,
	    strlen(cn));
	set = der_header(NULL, DER_SEQUENCE, atv) + atv;
	h = der_header(dst, DER_SEQUENCE, der_header(NULL, DER_SET, set) +
	    set);
	h += der_header(der_at(dst, h), DER_SET, set);
	h += der_header(der_at(dst, h), DER_SEQUENCE, atv);
	h += der_raw(der_at(dst, h), der_oid_cn, sizeof(der_oid_cn));
	return h + der_put(der_at(dst, h), DER_UTF8_STRING, cn, strlen(cn));
}

/*
 * RFC 5280 4.2.1.6:
 *   SubjectAltName ::= GeneralNames
 *   GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 *   GeneralName ::= CHOICE {
 *       ...
 *       dNSName                         [2]     IA5String,
 *       ...
 *       iPAddress                       [7]     OCTET STRING,
 *       ... }
 * (implicit tags: dNSName is 0x82, iPAddress 0x87 with 4 or 16 octets)
 */
static size_t
der_general_names(unsigned char *dst, const struct ident *ids, size_t n)
{
	size_t body = 0, h, i;

	for (i = 0; i < n; i++)
		body += ids[i].type == IDENT_IP ?
		    der_put(NULL, DER_CTX(7), ids[i].ip, ids[i].iplen) :
		    der_put(NULL, DER_CTX(2), ids[i].value,
		    strlen(ids[i].value));
	h = der_header(dst, DER_SEQUENCE, body);
	for (i = 0; i < n; i++)
		h += ids[i].type == IDENT_IP ?
		    der_put(der_at(dst, h), DER_CTX(7), ids[i].ip,
		    ids[i].iplen) :
		    der_put(der_at(dst, h), DER_CTX(2), ids[i].value,
		    strlen(ids[i].value));
	return h;
}

/*
 * RFC 5280 4.1:
 *   Extension ::= SEQUENCE {
 *       extnID      OBJECT IDENTIFIER,   -- id-ce-subjectAltName
 *       critical    BOOLEAN DEFAULT FALSE,  -- absent: non-critical
 *       extnValue   OCTET STRING }       -- DER of SubjectAltName
 */
static size_t
der_san_ext(unsigned char *dst, const struct ident *ids, size_t n)
{
	size_t names = der_general_names(NULL, ids, n), body, h;

	body = sizeof(der_oid_san) + der_header(NULL, DER_OCTET_STRING,
	    names) + names;
	h = der_header(dst, DER_SEQUENCE, body);
	h += der_raw(der_at(dst, h), der_oid_san, sizeof(der_oid_san));
	h += der_header(der_at(dst, h), DER_OCTET_STRING, names);
	return h + der_general_names(der_at(dst, h), ids, n);
}

/*
 * RFC 2986 4.1 and RFC 2985 5.4.2:
 *   attributes [0] Attributes{{ CRIAttributes }}
 *   Attributes { ATTRIBUTE:IOSet } ::= SET OF Attribute{{ IOSet }}
 *   Attribute { ATTRIBUTE:IOSet } ::= SEQUENCE {
 *       type   ATTRIBUTE.&id({IOSet}),   -- pkcs-9-at-extensionRequest
 *       values SET SIZE(1..MAX) OF ATTRIBUTE.&Type({IOSet}{@type}) }
 *   extensionRequest ATTRIBUTE ::= {
 *       WITH SYNTAX ExtensionRequest
 *       SINGLE VALUE TRUE
 *       ID pkcs-9-at-extensionRequest }
 *   ExtensionRequest ::= Extensions
 *   Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension   (RFC 5280)
 */
static size_t
der_csr_attrs(unsigned char *dst, const struct ident *ids, size_t n)
{
	size_t ext = der_san_ext(NULL, ids, n), exts, values, attr, h;

	exts = der_header(NULL, DER_SEQUENCE, ext) + ext;
	values = der_header(NULL, DER_SET, exts) + exts;
	attr = sizeof(der_oid_ext_req) + values;
	h = der_header(dst, DER_CTX_CONS(0), der_header(NULL, DER_SEQUENCE,
	    attr) + attr);
	h += der_header(der_at(dst, h), DER_SEQUENCE, attr);
	h += der_raw(der_at(dst, h), der_oid_ext_req,
	    sizeof(der_oid_ext_req));
	h += der_header(der_at(dst, h), DER_SET, exts);
	h += der_header(der_at(dst, h), DER_SEQUENCE, ext);
	return h + der_san_ext(der_at(dst, h), ids, n);
}

/* The subject CN: the first DNS identifier of at most 64 characters
 * (ub-common-name, RFC 5280 A.1), else none. */
static const char *
csr_cn(const struct ident *ids, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (ids[i].type == IDENT_DNS)
			return strlen(ids[i].value) <= 64 ? ids[i].value :
			    NULL;
	return NULL;
}

/*
 * RFC 2986 4.1:
 *   CertificationRequestInfo ::= SEQUENCE {
 *       version       INTEGER { v1(0) } (v1,...),
 *       subject       Name,
 *       subjectPKInfo SubjectPublicKeyInfo{{ PKInfoAlgorithms }},
 *       attributes    [0] Attributes{{ CRIAttributes }} }
 */
static size_t
der_csr_info(unsigned char *dst, const struct key *k,
    const struct ident *ids, size_t n)
{
	static const unsigned char v1[] = { DER_INTEGER, 0x01, 0x00 };
	const char *cn = csr_cn(ids, n);
	size_t body, h;

	body = sizeof(v1) + der_name_cn(NULL, cn) + der_spki(NULL, k) +
	    der_csr_attrs(NULL, ids, n);
	h = der_header(dst, DER_SEQUENCE, body);
	h += der_raw(der_at(dst, h), v1, sizeof(v1));
	h += der_name_cn(der_at(dst, h), cn);
	h += der_spki(der_at(dst, h), k);
	return h + der_csr_attrs(der_at(dst, h), ids, n);
}

/*
 * Append CertificationRequest ::= SEQUENCE { info, alg, BIT STRING sig }
 * to der from its three parts.
 */
static ACME_MUST_CHECK int
csr_assemble(struct buf *der, const unsigned char *info, size_t ilen,
    const struct der_key_algs *a, const unsigned char *sig, size_t slen)
{
	unsigned char hdr[16];
	size_t h;

	h = der_header(hdr, DER_SEQUENCE, ilen + a->sig_len +
	    der_bits(NULL, sig, slen));
	buf_append(der, hdr, h);
	buf_append(der, info, ilen);
	buf_append(der, a->sig, a->sig_len);
	h = der_header(hdr, DER_BIT_STRING, slen + 1);
	hdr[h++] = 0;			/* no unused bits */
	buf_append(der, hdr, h);
	return buf_append(der, sig, slen);
}

/*
 * Append a PKCS#10 request for identifiers ids[0..n) signed by k to der
 * (RFC 2986 4.2):
 *   CertificationRequest ::= SEQUENCE {
 *       certificationRequestInfo CertificationRequestInfo,
 *       signatureAlgorithm AlgorithmIdentifier{{ SignatureAlgorithms }},
 *       signature          BIT STRING }
 * Every identifier goes into the subjectAltName (RFC 8555 7.4, RFC 8738
 * 4); the subject is CN = first DNS name when it fits, else empty. On
 * failure der is as it was.
 */
static ACME_MUST_CHECK int
csr_build(struct buf *der, const struct key *k, const struct ident *ids,
    size_t n)
{
	unsigned char *info, sig[KEY_SIG_MAX];
	size_t ilen, start = der->len;
	int rc;

	if (!k->set || n == 0 || n > IDENT_MAX)
		return err_set(ACME_ERR_USAGE, "csr: no key or identifiers");
	ilen = der_csr_info(NULL, k, ids, n);
	if ((info = malloc(ilen)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	der_csr_info(info, k, ids, n);
	if ((rc = key_sign_der(k, info, ilen, sig, sizeof(sig))) >= 0)
		rc = csr_assemble(der, info, ilen, &der_key_algs[k->type], sig,
		    (size_t)rc);
	if (rc < 0)
		buf_rewind(der, start);
	free(info);
	return rc;
}

/* ---- tls-alpn-01 validation certificate (RFC 8737 3) ---- */

/* RFC 8737 6.1: id-pe-acmeIdentifier (1.3.6.1.5.5.7.1.31). */
static const unsigned char der_oid_acme_id[] = { 0x06, 0x08,
	0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x01, 0x1f };
/* RFC 5280 4.1.2.5: UTCTime 1970-01-01 to GeneralizedTime 9999-12-31
 * ("no well-defined expiration"): the device clock is never read. */
static const unsigned char der_validity_always[] = { 0x30, 0x20,
	0x17, 0x0d, '7', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0',
	'Z',
	0x18, 0x0f, '9', '9', '9', '9', '1', '2', '3', '1', '2', '3', '5', '9',
	'5', '9', 'Z' };
/* RFC 5280 4.1.2.1: [0] EXPLICIT Version v3(2). */
static const unsigned char der_version_v3[] = { 0xa0, 0x03, 0x02, 0x01, 0x02 };
#define DER_ALPN_CN	"acme tls-alpn-01 challenge"

/*
 * RFC 8737 3:
 *   Extension ::= SEQUENCE {
 *       extnID      id-pe-acmeIdentifier,
 *       critical    TRUE,
 *       extnValue   OCTET STRING }  -- DER of Authorization
 *   Authorization ::= OCTET STRING (SIZE (32))  -- SHA-256(keyAuthorization)
 */
static size_t
der_acme_id_ext(unsigned char *dst, const unsigned char digest[32])
{
	static const unsigned char critical[] = { DER_BOOLEAN, 0x01, 0xff };
	size_t inner = der_put(NULL, DER_OCTET_STRING, digest, 32), body, h;

	body = sizeof(der_oid_acme_id) + sizeof(critical) +
	    der_header(NULL, DER_OCTET_STRING, inner) + inner;
	h = der_header(dst, DER_SEQUENCE, body);
	h += der_raw(der_at(dst, h), der_oid_acme_id, sizeof(der_oid_acme_id));
	h += der_raw(der_at(dst, h), critical, sizeof(critical));
	h += der_header(der_at(dst, h), DER_OCTET_STRING, inner);
	return h + der_put(der_at(dst, h), DER_OCTET_STRING, digest, 32);
}

/* extensions [3] EXPLICIT Extensions: the SAN (the one identifier, as
 * RFC 8737 3 and RFC 8738 6 ask) and the critical acmeIdentifier. */
static size_t
der_alpn_exts(unsigned char *dst, const struct ident *id,
    const unsigned char digest[32])
{
	size_t body, h;

	body = der_san_ext(NULL, id, 1) + der_acme_id_ext(NULL, digest);
	h = der_header(dst, DER_CTX_CONS(3), der_header(NULL, DER_SEQUENCE,
	    body) + body);
	h += der_header(der_at(dst, h), DER_SEQUENCE, body);
	h += der_san_ext(der_at(dst, h), id, 1);
	return h + der_acme_id_ext(der_at(dst, h), digest);
}

/*
 * RFC 5280 4.1:
 *   TBSCertificate ::= SEQUENCE {
 *       version         [0]  EXPLICIT Version DEFAULT v1,
 *       serialNumber         CertificateSerialNumber,
 *       signature            AlgorithmIdentifier,
 *       issuer               Name,
 *       validity             Validity,
 *       subject              Name,
 *       subjectPublicKeyInfo SubjectPublicKeyInfo,
 *       extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * Self-signed: issuer = subject = CN DER_ALPN_CN.
 */
static size_t
der_alpn_tbs(unsigned char *dst, const struct key *k, const struct ident *id,
    const unsigned char digest[32], const unsigned char serial[16])
{
	const struct der_key_algs *a = &der_key_algs[k->type];
	size_t body, h;

	body = sizeof(der_version_v3) + der_uint(NULL, serial, 16) +
	    a->sig_len + 2 * der_name_cn(NULL, DER_ALPN_CN) +
	    sizeof(der_validity_always) + der_spki(NULL, k) +
	    der_alpn_exts(NULL, id, digest);
	h = der_header(dst, DER_SEQUENCE, body);
	h += der_raw(der_at(dst, h), der_version_v3, sizeof(der_version_v3));
	h += der_uint(der_at(dst, h), serial, 16);
	h += der_raw(der_at(dst, h), a->sig, a->sig_len);
	h += der_name_cn(der_at(dst, h), DER_ALPN_CN);
	h += der_raw(der_at(dst, h), der_validity_always,
	    sizeof(der_validity_always));
	h += der_name_cn(der_at(dst, h), DER_ALPN_CN);
	h += der_spki(der_at(dst, h), k);
	return h + der_alpn_exts(der_at(dst, h), id, digest);
}

/*
 * Append to der the self-signed certificate a tls-alpn-01 responder
 * shows for identifier id (a DNS name or an IP address, never a
 * wildcard): Certificate ::= SEQUENCE { tbsCertificate,
 * signatureAlgorithm, signatureValue BIT STRING }, the same shape as a
 * CSR, so csr_assemble() writes it. digest = SHA-256(keyAuthorization).
 */
static ACME_MUST_CHECK int
der_alpn_cert(struct buf *der, const struct key *k, const struct ident *id,
    const unsigned char digest[32])
{
	unsigned char *tbs, sig[KEY_SIG_MAX], serial[16];
	size_t tlen, start = der->len;
	int rc;

	if (!k->set || ident_is_wildcard(id))
		return err_set(ACME_ERR_USAGE, "tls-alpn-01: no key or a "
		    "wildcard");
	if ((rc = rng_bytes(serial, sizeof(serial))) < 0)
		return rc;
	serial[0] = (serial[0] & 0x7f) | 0x01;	/* positive, 16 octets */
	tlen = der_alpn_tbs(NULL, k, id, digest, serial);
	if ((tbs = malloc(tlen)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	der_alpn_tbs(tbs, k, id, digest, serial);
	if ((rc = key_sign_der(k, tbs, tlen, sig, sizeof(sig))) >= 0)
		rc = csr_assemble(der, tbs, tlen, &der_key_algs[k->type], sig,
		    (size_t)rc);
	if (rc < 0)
		buf_rewind(der, start);
	free(tbs);
	return rc < 0 ? rc : 0;
}

/* ==== 9. X.509 reading ==== */

/*
 * What acme needs to know about a certificate it holds: validity and
 * public key from BearSSL's decoder (it exposes no SAN), the rest from a
 * small DER walk over the TBSCertificate. Certificates come from the CA
 * or from disk: both are untrusted input, checked for structure only.
 *
 * Prefixes: x509_.
 * May call: 2-3, 6.
 */

#define X509_EPOCH_DAYS	719528	/* 1970-01-01 in days since year 0 */

struct x509_info {
	int64_t		 not_before;	/* unix seconds */
	int64_t		 not_after;
	unsigned char	 serial[X509_SERIAL_MAX]; /* INTEGER contents */
	size_t		 serial_len;	/* with any leading 0x00 octet */
	unsigned char	 aki[X509_AKI_MAX]; /* authority keyIdentifier */
	size_t		 aki_len;	/* 0: no AKI extension */
	char		 issuer_cn[X509_CN_MAX]; /* "" when absent */
	char		 subject_cn[X509_CN_MAX];
	unsigned char	 sha256[32];	/* fingerprint of the DER */
	struct ident	 san[IDENT_MAX];	/* DNS names and IPs in order */
	size_t		 nsan;
};

static const unsigned char x509_oid_aki[] = { 0x55, 0x1d, 0x23 };

static ACME_MUST_CHECK int
x509_bad(const char *what)
{
	return err_set(ACME_ERR_PROTO, "certificate: malformed %s", what);
}

/* Decode der with BearSSL; 0 or an error recorded. */
static ACME_MUST_CHECK int
x509_decode(br_x509_decoder_context *dc, const unsigned char *der,
    size_t len)
{
	int err;

	br_x509_decoder_init(dc, NULL, NULL);
	br_x509_decoder_push(dc, der, len);
	if ((err = br_x509_decoder_last_error(dc)) != 0)
		return err_set(ACME_ERR_PROTO, "certificate: unsupported or "
		    "malformed (BearSSL error %d)", err);
	return 0;
}

/* BearSSL 0.6's decoder: days since 1 January of year 0 and seconds in
 * the day, to unix seconds (the proleptic Gregorian calendar, as openssl). */
static int64_t
x509_time(uint32_t days, uint32_t seconds)
{
	return ((int64_t)days - X509_EPOCH_DAYS) * 86400 + seconds;
}

/* Directory string types a CN may use (RFC 5280 4.1.2.4). */
static ACME_MUST_CHECK int
x509_is_string(unsigned tag)
{
	return tag == DER_UTF8_STRING || tag == DER_PRINTABLE_STRING ||
	    tag == DER_T61_STRING || tag == DER_IA5_STRING || tag == 0x1e ||
	    tag == 0x1c;
}

/*
 * The first commonName of a Name, printable ASCII (other bytes '?'):
 *   RDNSequence ::= SEQUENCE OF RelativeDistinguishedName
 *   RelativeDistinguishedName ::= SET SIZE (1..MAX) OF
 *       AttributeTypeAndValue
 *   AttributeTypeAndValue ::= SEQUENCE { type AttributeType,
 *       value AttributeValue }
 * name is the contents of the outer SEQUENCE.
 */
static ACME_MUST_CHECK int
x509_cn(struct der_cur name, char *out, size_t cap)
{
	struct der_cur rdn, atv, type, val;
	unsigned tag;

	out[0] = '\0';
	while (asn1_size(&name) > 0) {
		if (asn1_expect(&name, DER_SET, &rdn) < 0 ||
		    asn1_size(&rdn) == 0)
			return x509_bad("name");
		while (asn1_size(&rdn) > 0) {
			if (asn1_expect(&rdn, DER_SEQUENCE, &atv) < 0 ||
			    asn1_expect(&atv, DER_OID, &type) < 0 ||
			    asn1_next(&atv, &tag, &val) < 0 ||
			    asn1_size(&atv) != 0)
				return x509_bad("name");
			if (out[0] == '\0' && x509_is_string(tag) &&
			    asn1_eq(&type, der_oid_cn + 2,
			    sizeof(der_oid_cn) - 2))
				str_sanitize(out, cap, (const char *)val.p,
				    asn1_size(&val));
		}
	}
	return 0;
}

/* A dNSName (IA5String) as an identifier: LDH, '*' and '_' allowed,
 * lowercased. Anything else is refused rather than passed on. */
static ACME_MUST_CHECK int
x509_san_dns(const struct der_cur *v, struct ident *id)
{
	size_t i, n = asn1_size(v);
	unsigned char c;

	if (n == 0 || n > IDENT_LEN_MAX)
		return x509_bad("dNSName");
	for (i = 0; i < n; i++) {
		c = v->p[i];
		if (!isalnum(c) && c != '-' && c != '.' && c != '*' &&
		    c != '_')
			return x509_bad("dNSName");
		id->value[i] = (char)tolower(c);
	}
	id->value[n] = '\0';
	id->type = IDENT_DNS;
	return 0;
}

/* An iPAddress: 4 or 16 octets, in the RFC 5952 text form. */
static ACME_MUST_CHECK int
x509_san_ip(const struct der_cur *v, struct ident *id)
{
	size_t n = asn1_size(v);

	if (n != 4 && n != 16)
		return x509_bad("iPAddress");
	id->type = IDENT_IP;
	id->iplen = n;
	memcpy(id->ip, v->p, n);
	if (inet_ntop(n == 4 ? AF_INET : AF_INET6, id->ip, id->value,
	    sizeof(id->value)) == NULL)
		return x509_bad("iPAddress");
	return 0;
}

/*
 * RFC 5280 4.2.1.6 (implicit tags):
 *   SubjectAltName ::= GeneralNames
 *   GeneralNames ::= SEQUENCE SIZE (1..MAX) OF GeneralName
 *   GeneralName ::= CHOICE { ..., dNSName [2] IA5String, ...,
 *       iPAddress [7] OCTET STRING, ... }
 * Other kinds of name are skipped.
 */
static ACME_MUST_CHECK int
x509_san(struct der_cur val, struct x509_info *out)
{
	struct der_cur names, gn;
	unsigned tag;
	int rc;

	if (asn1_expect(&val, DER_SEQUENCE, &names) < 0 || asn1_size(&val) != 0)
		return x509_bad("subjectAltName");
	while (asn1_size(&names) > 0) {
		if (asn1_next(&names, &tag, &gn) < 0)
			return x509_bad("subjectAltName");
		if (tag != DER_CTX(2) && tag != DER_CTX(7))
			continue;
		if (out->nsan == IDENT_MAX)
			return err_set(ACME_ERR_LIMIT, "certificate: more "
			    "than %d names", IDENT_MAX);
		rc = tag == DER_CTX(2) ? x509_san_dns(&gn,
		    &out->san[out->nsan]) : x509_san_ip(&gn,
		    &out->san[out->nsan]);
		if (rc < 0)
			return rc;
		out->nsan++;
	}
	return 0;
}

/*
 * RFC 5280 4.2.1.1 (implicit tags):
 *   AuthorityKeyIdentifier ::= SEQUENCE {
 *       keyIdentifier             [0] KeyIdentifier           OPTIONAL,
 *       authorityCertIssuer       [1] GeneralNames            OPTIONAL,
 *       authorityCertSerialNumber [2] CertificateSerialNumber OPTIONAL }
 *   KeyIdentifier ::= OCTET STRING
 */
static ACME_MUST_CHECK int
x509_aki(struct der_cur val, struct x509_info *out)
{
	struct der_cur seq, id;

	if (asn1_expect(&val, DER_SEQUENCE, &seq) < 0 || asn1_size(&val) != 0)
		return x509_bad("authorityKeyIdentifier");
	if (asn1_expect(&seq, DER_CTX(0), &id) < 0)
		return 0;
	if (asn1_size(&id) > sizeof(out->aki))
		return x509_bad("authorityKeyIdentifier");
	memcpy(out->aki, id.p, asn1_size(&id));
	out->aki_len = asn1_size(&id);
	return 0;
}

/*
 * RFC 5280 4.1:
 *   extensions [3] EXPLICIT Extensions OPTIONAL
 *   Extensions ::= SEQUENCE SIZE (1..MAX) OF Extension
 *   Extension ::= SEQUENCE {
 *       extnID      OBJECT IDENTIFIER,
 *       critical    BOOLEAN DEFAULT FALSE,
 *       extnValue   OCTET STRING }
 * A certificate must not repeat an extension (RFC 5280 4.2).
 */
static ACME_MUST_CHECK int
x509_extensions(struct der_cur exts, struct x509_info *out)
{
	struct der_cur seq, ext, oid, val;
	int rc = 0, san = 0, aki = 0;

	if (asn1_expect(&exts, DER_SEQUENCE, &seq) < 0 || asn1_size(&exts) != 0)
		return x509_bad("extensions");
	while (asn1_size(&seq) > 0 && rc == 0) {
		if (asn1_expect(&seq, DER_SEQUENCE, &ext) < 0 ||
		    asn1_expect(&ext, DER_OID, &oid) < 0 ||
		    (asn1_peek(&ext) == DER_BOOLEAN &&
		    asn1_next(&ext, NULL, NULL) < 0) ||
		    asn1_expect(&ext, DER_OCTET_STRING, &val) < 0 ||
		    asn1_size(&ext) != 0)
			return x509_bad("extension");
		if (asn1_eq(&oid, der_oid_san + 2, sizeof(der_oid_san) - 2))
			rc = san++ ? x509_bad("subjectAltName (repeated)") :
			    x509_san(val, out);
		else if (asn1_eq(&oid, x509_oid_aki, sizeof(x509_oid_aki)))
			rc = aki++ ? x509_bad("authorityKeyIdentifier "
			    "(repeated)") : x509_aki(val, out);
	}
	return rc;
}

/* serialNumber: CertificateSerialNumber ::= INTEGER (RFC 5280 4.1.2.2),
 * kept as its content octets. */
static ACME_MUST_CHECK int
x509_serial(struct der_cur *tbs, struct x509_info *out)
{
	struct der_cur v;

	if (asn1_expect(tbs, DER_INTEGER, &v) < 0 || asn1_size(&v) == 0 ||
	    asn1_size(&v) > sizeof(out->serial))
		return x509_bad("serial number");
	memcpy(out->serial, v.p, asn1_size(&v));
	out->serial_len = asn1_size(&v);
	return 0;
}

/*
 * The serial as openssl and every other tool print it (x509 -serial):
 * uppercase hex of the number, without the 0x00 octet DER puts before a
 * top bit that is set. out: 2 * X509_SERIAL_MAX + 1 bytes. The ARI
 * certID keeps the DER octets (RFC 9773 4.1).
 */
static void
x509_serial_hex(const struct x509_info *xi, char *out)
{
	static const char digits[] = "0123456789ABCDEF";
	size_t i = xi->serial_len > 1 && xi->serial[0] == 0;

	for (; i < xi->serial_len; i++) {
		*out++ = digits[xi->serial[i] >> 4];
		*out++ = digits[xi->serial[i] & 15];
	}
	*out = '\0';
}

/*
 * RFC 5280 4.1:
 *   Certificate ::= SEQUENCE {
 *       tbsCertificate       TBSCertificate,
 *       signatureAlgorithm   AlgorithmIdentifier,
 *       signatureValue       BIT STRING }
 *   TBSCertificate ::= SEQUENCE {
 *       version         [0]  EXPLICIT Version DEFAULT v1,
 *       serialNumber         CertificateSerialNumber,
 *       signature            AlgorithmIdentifier,
 *       issuer               Name,
 *       validity             Validity,
 *       subject              Name,
 *       subjectPublicKeyInfo SubjectPublicKeyInfo,
 *       issuerUniqueID  [1]  IMPLICIT UniqueIdentifier OPTIONAL,
 *       subjectUniqueID [2]  IMPLICIT UniqueIdentifier OPTIONAL,
 *       extensions      [3]  EXPLICIT Extensions OPTIONAL }
 * The whole input must be exactly one Certificate.
 */
static ACME_MUST_CHECK int
x509_walk(const unsigned char *der, size_t len, struct x509_info *out)
{
	struct der_cur c = { der, der + len }, cert, tbs, name, v;
	int rc;

	if (asn1_expect(&c, DER_SEQUENCE, &cert) < 0 || asn1_size(&c) != 0 ||
	    asn1_expect(&cert, DER_SEQUENCE, &tbs) < 0)
		return x509_bad("structure");
	if (asn1_peek(&tbs) == DER_CTX_CONS(0) &&
	    asn1_next(&tbs, NULL, NULL) < 0)
		return x509_bad("version");
	if ((rc = x509_serial(&tbs, out)) < 0)
		return rc;
	if (asn1_expect(&tbs, DER_SEQUENCE, NULL) < 0 ||
	    asn1_expect(&tbs, DER_SEQUENCE, &name) < 0 ||
	    (rc = x509_cn(name, out->issuer_cn, sizeof(out->issuer_cn))) < 0 ||
	    asn1_expect(&tbs, DER_SEQUENCE, NULL) < 0 ||
	    asn1_expect(&tbs, DER_SEQUENCE, &name) < 0 ||
	    (rc = x509_cn(name, out->subject_cn,
	    sizeof(out->subject_cn))) < 0 ||
	    asn1_expect(&tbs, DER_SEQUENCE, NULL) < 0)
		return rc < 0 ? rc : x509_bad("TBSCertificate");
	while (asn1_peek(&tbs) == DER_CTX(1) || asn1_peek(&tbs) == DER_CTX(2))
		if (asn1_next(&tbs, NULL, NULL) < 0)
			return x509_bad("unique identifier");
	if (asn1_peek(&tbs) == DER_CTX_CONS(3) &&
	    (asn1_next(&tbs, NULL, &v) < 0 ||
	    (rc = x509_extensions(v, out)) < 0))
		return rc < 0 ? rc : x509_bad("extensions");
	if (asn1_size(&tbs) != 0)
		return x509_bad("TBSCertificate (trailing data)");
	return 0;
}

/*
 * Parse one DER certificate into out: validity (unix seconds), serial,
 * issuer and subject CN, the DNS and IP names of its subjectAltName, the
 * authority key identifier and the SHA-256 fingerprint. Malformed input
 * is ACME_ERR_PROTO, more than IDENT_MAX names ACME_ERR_LIMIT; out is
 * then all zero.
 */
static ACME_MUST_CHECK int
x509_parse(const unsigned char *der, size_t len, struct x509_info *out)
{
	br_x509_decoder_context dc;
	int rc;

	memset(out, 0, sizeof(*out));
	if ((rc = x509_decode(&dc, der, len)) < 0 ||
	    (rc = x509_walk(der, len, out)) < 0) {
		memset(out, 0, sizeof(*out));
		return rc;
	}
	out->not_before = x509_time(dc.notbefore_days, dc.notbefore_seconds);
	out->not_after = x509_time(dc.notafter_days, dc.notafter_seconds);
	key_sha256(der, len, out->sha256);
	return 0;
}

/*
 * 1 when the certificate's public key is k's public key, 0 when it is
 * another key, negative when der cannot be decoded or k is empty.
 */
static ACME_MUST_CHECK int
x509_key_matches(const unsigned char *der, size_t len, const struct key *k)
{
	br_x509_decoder_context dc;
	const br_x509_pkey *pk;
	int rc;

	if (!k->set)
		return err_set(ACME_ERR_USAGE, "no key to compare");
	if ((rc = x509_decode(&dc, der, len)) < 0)
		return rc;
	pk = br_x509_decoder_get_pkey(&dc);
	if (key_is_ec(k))
		return pk->key_type == BR_KEYTYPE_EC &&
		    pk->key.ec.curve == k->u.ec.pk.curve &&
		    bn_eq(pk->key.ec.q, pk->key.ec.qlen, k->u.ec.pk.q,
		    k->u.ec.pk.qlen);
	return pk->key_type == BR_KEYTYPE_RSA &&
	    bn_eq(pk->key.rsa.n, pk->key.rsa.nlen, k->u.rsa.pk.n,
	    k->u.rsa.pk.nlen) &&
	    bn_eq(pk->key.rsa.e, pk->key.rsa.elen, k->u.rsa.pk.e,
	    k->u.rsa.pk.elen);
}
/*
 * A certificate signing request brought by the user (--csr), RFC 2986 4:
 *   CertificationRequest ::= SEQUENCE {
 *       certificationRequestInfo CertificationRequestInfo,
 *       signatureAlgorithm       AlgorithmIdentifier,
 *       signature                BIT STRING }
 *   CertificationRequestInfo ::= SEQUENCE {
 *       version       INTEGER { v1(0) },
 *       subject       Name,
 *       subjectPKInfo SubjectPublicKeyInfo,
 *       attributes    [0] Attributes }
 *   Attribute ::= SEQUENCE { type OBJECT IDENTIFIER, values SET OF ANY }
 * The subject CN and the names of the subjectAltName in the
 * extensionRequest attribute (RFC 2985 5.4.2) go to out; *spki gets the
 * whole SubjectPublicKeyInfo element (header included), to compare with
 * a key. The signature is left to the CA.
 */
static ACME_MUST_CHECK int
x509_csr_parse(const unsigned char *der, size_t len, struct x509_info *out,
    struct der_cur *spki)
{
	struct der_cur c = { der, der + len }, attrs = { der, der }, req,
	    info, name, attr, type, vals;
	int rc = 0;

	memset(out, 0, sizeof(*out));
	if (asn1_expect(&c, DER_SEQUENCE, &req) < 0 || asn1_size(&c) != 0 ||
	    asn1_expect(&req, DER_SEQUENCE, &info) < 0 ||
	    asn1_expect(&info, DER_INTEGER, NULL) < 0 ||
	    asn1_expect(&info, DER_SEQUENCE, &name) < 0 ||
	    (rc = x509_cn(name, out->subject_cn,
	    sizeof(out->subject_cn))) < 0)
		goto bad;
	spki->p = info.p;
	if (asn1_expect(&info, DER_SEQUENCE, NULL) < 0)
		goto bad;
	spki->end = info.p;
	if (asn1_peek(&info) == DER_CTX_CONS(0) &&
	    asn1_next(&info, NULL, &attrs) < 0)
		goto bad;
	while (asn1_size(&attrs) > 0 && rc == 0) {
		if (asn1_expect(&attrs, DER_SEQUENCE, &attr) < 0 ||
		    asn1_expect(&attr, DER_OID, &type) < 0 ||
		    asn1_expect(&attr, DER_SET, &vals) < 0)
			goto bad;
		if (asn1_eq(&type, der_oid_ext_req + 2,
		    sizeof(der_oid_ext_req) - 2))
			rc = x509_extensions(vals, out);
	}
	if (rc == 0)
		return 0;
bad:
	memset(out, 0, sizeof(*out));
	return rc < 0 ? rc : err_set(ACME_ERR_USAGE, "the CSR is not a DER "
	    "PKCS#10 request");
}

/* ==== 10. Storage ==== */

/*
 * Layout under DIR (see README and acme.1):
 *   accounts/HOST/{key.pem,account.txt,backup/}  live/NAME/{cert,chain,
 *   fullchain,privkey}.pem,meta.txt  backup/NAME/{1,2,3}/ (the same five
 *   files; 1 is the newest), backup/NAME/stray/  conf/NAME.conf
 * Every path below DIR is opened relative to a directory descriptor with
 * O_NOFOLLOW, so a symlink planted inside DIR is never followed; DIR itself
 * may be a symlink to persistent storage. Names starting with '.' are ours
 * (staging); NAME can never start with one.
 *
 * Prefixes: store_.
 * May call: 2-4, 9.
 */

#define STORE_DIR_MODE	0700
#define STORE_KEY_MODE	0600
#define STORE_FILE_MODE	0644
#define STORE_STAGE_FMT	".%s.new"	/* staged or swapped-out set */
#define STORE_OLD_FMT	".%s.old"	/* old live set, on its way to the ring */
#define STORE_MARK	".staged"	/* in a set: staged complete, not settled */
#define STORE_DEL	".del"		/* backup/NAME: a set being deleted */
#define STORE_NEW	".new"		/* backup/NAME: a set being imported */
#define STORE_STRAY	"stray"		/* backup/NAME: what acme did not write */

/* The files of a set, and the entries of a ring (its slots for a
 * BACKUP_DEPTH of 3 first, then the other sets, then STORE_STRAY). */
static const char *const store_set_files[] = {
	"cert.pem", "chain.pem", "fullchain.pem", "privkey.pem", "meta.txt",
	STORE_MARK,
};
static const char *const store_ring_names[] = {
	"1", "2", "3", STORE_DEL, STORE_NEW, STORE_STRAY,
};

/*
 * Absence is not an error until a caller says so: store_subdir() without
 * create, store_read(), store_read_private() and the imports' imp_read()
 * and imp_list() return STORE_ABSENT when the entry does not exist, and
 * record nothing (err_msg stays as it was). Callers that expect absence
 * test rc == STORE_ABSENT; for every other caller it is one more negative
 * result. It is internal: no public function returns it (api_leave turns
 * a stray one into ACME_ERR_IO with a message).
 */
#define STORE_ABSENT	(ACME_ERR_MAX - 1)

/* rc where absence is an error too: STORE_ABSENT becomes ACME_ERR_IO
 * (the caller records what is missing). */
static ACME_MUST_CHECK int
store_need(int rc)
{
	return rc == STORE_ABSENT ? ACME_ERR_IO : rc;
}

/* RENAME_EXCHANGE from <linux/fs.h>; musl 1.2.3 has no renameat2(). */
#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE	(1 << 1)
#endif

/*
 * A certificate NAME becomes a directory name: 1..NAME_LEN_MAX bytes of
 * [A-Za-z0-9._:*-], not starting with '.' or '-'. So it can never be "..",
 * contain '/', or collide with our dot-named staging directories.
 */
static ACME_MUST_CHECK int
store_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > NAME_LEN_MAX || name[0] == '.' || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) &&
		    strchr("._:*-", name[i]) == NULL)
			return 0;
	return 1;
}

/* Does name exist below dirfd (without following a symlink)? */
static ACME_MUST_CHECK int
store_exists(int dirfd, const char *name)
{
	struct stat st;

	return fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0;
}

/*
 * ACME_TEST_CRASH_AT=K, test build only: the K-th write step of this run
 * (a mkdir, file creation, rename, exchange or unlink below DIR) is not
 * done; the process is killed with SIGKILL instead, as a power cut would.
 * The crash tests run a command with K = 1, 2, ... until it completes.
 */
static void
store_step(void)
{
	static long at = -1, n;
	const char *s;

	if (at < 0) {
		s = TEST_GETENV("ACME_TEST_CRASH_AT");
		at = s != NULL ? strtol(s, NULL, 10) : 0;
		if (at < 0)
			at = 0;
	}
	if (at > 0 && ++n == at)
		kill(getpid(), SIGKILL);
}

/*
 * Open directory name below parent, no symlinks: its descriptor, or NONE
 * (errno says why) for the callers to which a missing or unreadable one
 * only means there is nothing to look at.
 */
static ACME_MUST_CHECK int
store_subdir_try(int parent, const char *name)
{
	int fd = openat(parent, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW |
	    O_CLOEXEC);

	return fd >= 0 ? fd : NONE;
}

/* Open (and with create, make) directory name below parent, no symlinks. */
static ACME_MUST_CHECK int
store_subdir(int parent, const char *name, int create)
{
	int fd;

	if (create && !store_exists(parent, name) && (store_step(),
	    mkdirat(parent, name, STORE_DIR_MODE)) < 0 && errno != EEXIST)
		return err_set(ACME_ERR_IO, "mkdir %s: %s", name,
		    strerror(errno));
	if ((fd = store_subdir_try(parent, name)) < 0) {
		if (errno == ENOENT && !create)
			return STORE_ABSENT;
		return err_set(ACME_ERR_IO, "open %s: %s", name,
		    strerror(errno));
	}
	return fd;
}

/* All of data to fd: 0, or ACME_ERR_IO with errno set and nothing
 * recorded, for the caller names the file in the line it records. */
static ACME_MUST_CHECK int
store_write_all(int fd, const void *data, size_t len)
{
	const unsigned char *p = data;
	ssize_t n;

	while (len > 0) {
		if ((n = write(fd, p, len)) < 0) {
			if (errno == EINTR)
				continue;
			return ACME_ERR_IO;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Create name (which must not exist) with data, fsync it; no rename. */
static ACME_MUST_CHECK int
store_create(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode)
{
	int fd, rc = 0;

	store_step();
	fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW |
	    O_CLOEXEC, mode);
	if (fd < 0)
		return err_set(ACME_ERR_IO, "create %s: %s", name,
		    strerror(errno));
	if (fchmod(fd, mode) < 0 || store_write_all(fd, data, len) < 0 ||
	    fsync(fd) < 0)
		rc = err_set(ACME_ERR_IO, "write %s: %s", name,
		    strerror(errno));
	if (close(fd) < 0 && rc == 0)
		rc = err_set(ACME_ERR_IO, "close %s: %s", name,
		    strerror(errno));
	if (rc < 0)
		unlinkat(dirfd, name, 0);
	return rc;
}

/*
 * The one atomic write path: a temporary file in the same directory,
 * written and fsynced, renamed over name, then the directory fsynced.
 * A crash leaves either the old or the new content, never a mix.
 */
static ACME_MUST_CHECK int
store_write(int dirfd, const char *name, const void *data, size_t len,
    mode_t mode)
{
	char tmp[NAME_LEN_MAX + 32];
	int rc;

	snprintf(tmp, sizeof(tmp), ".%s.%ld.tmp", name, (long)getpid());
	unlinkat(dirfd, tmp, 0);
	if ((rc = store_create(dirfd, tmp, data, len, mode)) < 0)
		return rc;
	store_step();
	if (renameat(dirfd, tmp, dirfd, name) < 0) {
		rc = err_set(ACME_ERR_IO, "rename %s: %s", name,
		    strerror(errno));
		unlinkat(dirfd, tmp, 0);
		return rc;
	}
	if (fsync(dirfd) < 0)
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	return 0;
}

/* store_write of the text b, unless an append to b failed. */
static ACME_MUST_CHECK int
store_write_buf(int dirfd, const char *name, const struct buf *b,
    mode_t mode)
{
	if (buf_err(b) < 0)
		return buf_err(b);
	return store_write(dirfd, name, b->data, b->len, mode);
}

/* Read all of fd, at most max bytes, into out: every file load's loop. */
static ACME_MUST_CHECK int
store_read_fd(int fd, struct buf *out, size_t max)
{
	unsigned char tmp[4096];
	ssize_t n;
	int rc = 0;

	out->max = max;
	while ((n = read(fd, tmp, sizeof(tmp))) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			rc = err_set(ACME_ERR_IO, "read: %s", strerror(errno));
			break;
		}
		if ((rc = buf_append(out, tmp, (size_t)n)) < 0)
			break;
	}
	wipe(tmp, sizeof(tmp));
	return rc;
}

/* Read a regular file (no symlink) of at most max bytes into out. */
static ACME_MUST_CHECK int
store_read(int dirfd, const char *name, struct buf *out, size_t max)
{
	int fd, rc;

	fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return STORE_ABSENT;
		return err_set(ACME_ERR_IO, "open %s: %s", name,
		    strerror(errno));
	}
	if ((rc = store_read_fd(fd, out, max)) < 0)
		err_wrap(rc, "%s", name);
	close(fd);
	return rc;
}

/*
 * DIR, DIR/conf and the conf files name the programs renew runs, as root
 * on most routers: each must belong to the user running acme and be
 * writable by no one else. 0, or ACME_ERR_USAGE naming path and the fix.
 */
static ACME_MUST_CHECK int
store_private_ok(int fd, const char *path)
{
	struct stat st;
	unsigned me = (unsigned)geteuid();

	if (fstat(fd, &st) < 0)
		return err_set(ACME_ERR_IO, "%s: %s", path, strerror(errno));
	if ((unsigned)st.st_uid != me)
		return err_set(ACME_ERR_USAGE, "%s belongs to uid %u, not to "
		    "the user running acme (uid %u): chown %u %s", path,
		    (unsigned)st.st_uid, me, me, path);
	if (st.st_mode & (S_IWGRP | S_IWOTH))
		return err_set(ACME_ERR_USAGE, "%s is writable by group or "
		    "others: chmod go-w %s", path, path);
	return 0;
}

/* store_read() of a file that must pass store_private_ok() as path. */
static ACME_MUST_CHECK int
store_read_private(int dirfd, const char *name, const char *path,
    struct buf *out, size_t max)
{
	int fd, rc;

	if ((fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		if (errno == ENOENT)
			return STORE_ABSENT;
		return err_set(ACME_ERR_IO, "open %s: %s", path,
		    strerror(errno));
	}
	if ((rc = store_private_ok(fd, path)) == 0 &&
	    (rc = store_read_fd(fd, out, max)) < 0)
		err_wrap(rc, "%s", path);
	close(fd);
	return rc;
}

/* Remove one entry of a set directory (counted as a write step). */
static void
store_unlink(int dirfd, const char *name, int flags)
{
	if (!store_exists(dirfd, name))
		return;
	store_step();
	unlinkat(dirfd, name, flags);
}

/* Remove file name below dirfd for good (one write step), then sync the
 * directory. Nothing to do (no step) when it is absent. */
static ACME_MUST_CHECK int
store_remove(int dirfd, const char *name)
{
	if (!store_exists(dirfd, name))
		return 0;
	store_step();
	if (unlinkat(dirfd, name, 0) < 0 && errno != ENOENT)
		return err_set(ACME_ERR_IO, "remove %s: %s", name,
		    strerror(errno));
	if (fsync(dirfd) < 0)
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	return 0;
}

/*
 * Remove directory name below dirfd and the files of a set in it (sets
 * are one level deep). Symlinks in it are unlinked, never followed. An
 * unexpected file makes it fail (ENOTEMPTY): we delete only what we made.
 */
static ACME_MUST_CHECK int
store_rmset(int dirfd, const char *name)
{
	size_t i;
	int fd;

	if ((fd = store_subdir(dirfd, name, 0)) < 0)
		return fd == STORE_ABSENT ? 0 : fd;
	for (i = 0; i < sizeof(store_set_files) / sizeof(store_set_files[0]);
	    i++)
		store_unlink(fd, store_set_files[i], 0);
	fsync(fd);
	close(fd);
	store_step();
	if (unlinkat(dirfd, name, AT_REMOVEDIR) < 0 && errno != ENOENT)
		return err_set(ACME_ERR_IO, "remove %s: %s", name,
		    strerror(errno));
	fsync(dirfd);
	return 0;
}

/* renameat (one write step), then both directories synced. */
static ACME_MUST_CHECK int
store_rename(int fromfd, const char *from, int tofd, const char *to)
{
	store_step();
	if (renameat(fromfd, from, tofd, to) < 0)
		return err_set(ACME_ERR_IO, "rename %s to %s: %s", from, to,
		    strerror(errno));
	if (fsync(tofd) < 0 || (fromfd != tofd && fsync(fromfd) < 0))
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	return 0;
}

/*
 * Swap two directories atomically with renameat2 RENAME_EXCHANGE.
 * Returns 0, 1 when the kernel or file system cannot (EINVAL, ENOSYS:
 * the caller takes its journaled fallback), or an error.
 */
static ACME_MUST_CHECK int
store_exchange(int afd, const char *a, int bfd, const char *b)
{
	/* Test build only: take the fallback as on a file system without. */
	if (TEST_GETENV("ACME_TEST_NO_EXCHANGE") != NULL)
		return 1;
	store_step();
	if (syscall(SYS_renameat2, afd, a, bfd, b, RENAME_EXCHANGE) < 0) {
		if (errno == EINVAL || errno == ENOSYS)
			return 1;
		return err_set(ACME_ERR_IO, "exchange %s and %s: %s", a, b,
		    strerror(errno));
	}
	if (fsync(bfd) < 0 || (afd != bfd && fsync(afd) < 0))
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	return 0;
}

/*
 * A file of DIR copied where another program reads it (--copy-key ...),
 * written like every file: a temporary file in the target's directory,
 * fsync, renamed over path. Never through a symbolic link at path (the
 * link would be replaced, so it is refused), never into a directory
 * group or others can write (another user could swap what a server
 * reads). An existing file keeps its mode, and its owner and group when
 * acme runs as root; a new one is 0600 for a key, else 0644.
 */
struct store_copy {
	int		 dirfd;		/* path's directory; -1 closed */
	int		 staged;	/* tmp exists */
	char		 base[NAME_LEN_MAX + 1];
	char		 tmp[NAME_LEN_MAX + 32];
};

/* Open path's directory into c, checked; st: path's file, st_mode 0
 * when there is none. */
static ACME_MUST_CHECK int
store_copy_open(struct store_copy *c, const char *path, struct stat *st)
{
	const char *slash = strrchr(path, '/');
	char dir[PATH_LEN_MAX];
	struct stat ds;

	memset(c, 0, sizeof(*c));
	c->dirfd = -1;
	st->st_mode = 0;
	if (path[0] != '/' || strlen(slash + 1) > NAME_LEN_MAX ||
	    strspn(slash + 1, ".") == strlen(slash + 1))
		return err_set(ACME_ERR_USAGE, "%.200s: no absolute path of a "
		    "file", path);
	snprintf(c->base, sizeof(c->base), "%s", slash + 1);
	snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 :
	    (int)(slash - path), path);
	if ((c->dirfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0 ||
	    fstat(c->dirfd, &ds) < 0)
		return err_set(ACME_ERR_IO, "%.200s: %s", dir, strerror(errno));
	if (ds.st_mode & (S_IWGRP | S_IWOTH))	/* store_private_ok's words */
		return err_set(ACME_ERR_USAGE, "%s is writable by group or "
		    "others: chmod go-w %s", dir, dir);
	if (fstatat(c->dirfd, c->base, st, AT_SYMLINK_NOFOLLOW) < 0)
		st->st_mode = 0;
	else if (!S_ISREG(st->st_mode))
		return err_set(ACME_ERR_USAGE, "%.200s is no regular file (a "
		    "symbolic link?): acme writes no copy through it", path);
	return 0;
}

static void
store_copy_close(struct store_copy *c)
{
	if (c->staged)
		unlinkat(c->dirfd, c->tmp, 0);
	if (c->dirfd >= 0)
		close(c->dirfd);
	c->dirfd = -1;
	c->staged = 0;
}

/* Could a copy be written to path? 0, or why not. */
static ACME_MUST_CHECK int
store_copy_check(const char *path)
{
	struct store_copy c;
	struct stat st;
	int rc = store_copy_open(&c, path, &st);

	store_copy_close(&c);
	return rc;
}

/* Stage b as a temporary file beside path (key: a private key). */
static ACME_MUST_CHECK int
store_copy_stage(struct store_copy *c, const char *path, const struct buf *b,
    int key)
{
	struct stat st;
	int rc;

	if ((rc = store_copy_open(c, path, &st)) < 0)
		return rc;
	snprintf(c->tmp, sizeof(c->tmp), ".%s.%ld.tmp", strrchr(path, '/') + 1,
	    (long)getpid());
	unlinkat(c->dirfd, c->tmp, 0);
	if ((rc = store_create(c->dirfd, c->tmp, b->data, b->len, st.st_mode ?
	    st.st_mode & 0777 : key ? STORE_KEY_MODE : STORE_FILE_MODE)) < 0)
		return err_wrap(rc, "%.200s", path);
	c->staged = 1;
	/* only root may give a file away: as another user, the copy is its */
	if (st.st_mode != 0)
		ACME_IGNORE(fchownat(c->dirfd, c->tmp, st.st_uid, st.st_gid,
		    AT_SYMLINK_NOFOLLOW));
	return 0;
}

/* Rename the staged copy over its path; closes c. */
static ACME_MUST_CHECK int
store_copy_commit(struct store_copy *c)
{
	int rc = store_rename(c->dirfd, c->tmp, c->dirfd, c->base);

	c->staged = rc < 0;
	store_copy_close(c);
	return rc;
}

/* The PEM texts of one certificate set and its meta.txt, all owned. */
struct cert_set {
	struct buf	cert;
	struct buf	chain;
	struct buf	fullchain;
	struct buf	privkey;
	struct buf	meta;		/* meta.txt; not written when empty */
};

static void
store_cert_set_free(struct cert_set *cs)
{
	buf_free(&cs->cert);
	buf_free(&cs->chain);
	buf_free(&cs->fullchain);
	buf_free(&cs->privkey);
	buf_free(&cs->meta);
}

/*
 * Write the set's files into the new, empty directory stagefd, then the
 * empty STORE_MARK: it exists only once every file is complete and
 * synced, and it travels with the new set through the exchange, so
 * recovery can tell the new set from the old (see store_install).
 */
static ACME_MUST_CHECK int
store_stage_files(int stagefd, const struct cert_set *cs, int mark)
{
	int rc;

	/* privkey first: a staged cert never exists without its key. */
	if ((rc = store_create(stagefd, "privkey.pem", cs->privkey.data,
	    cs->privkey.len, STORE_KEY_MODE)) < 0 ||
	    (rc = store_create(stagefd, "cert.pem", cs->cert.data,
	    cs->cert.len, STORE_FILE_MODE)) < 0 ||
	    (rc = store_create(stagefd, "chain.pem", cs->chain.data,
	    cs->chain.len, STORE_FILE_MODE)) < 0 ||
	    (rc = store_create(stagefd, "fullchain.pem", cs->fullchain.data,
	    cs->fullchain.len, STORE_FILE_MODE)) < 0 ||
	    (cs->meta.len > 0 && (rc = store_create(stagefd, "meta.txt",
	    cs->meta.data, cs->meta.len, STORE_FILE_MODE)) < 0))
		return rc;
	if (fsync(stagefd) < 0)
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	if (!mark)
		return 0;
	if ((rc = store_create(stagefd, STORE_MARK, "", 0,
	    STORE_FILE_MODE)) < 0)
		return rc;
	if (fsync(stagefd) < 0)
		return err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	return 0;
}

/* Does set directory name below dirfd hold STORE_MARK? */
static ACME_MUST_CHECK int
store_marked(int dirfd, const char *name)
{
	int fd = store_subdir(dirfd, name, 0), r;

	if (fd < 0)
		return 0;
	r = store_exists(fd, STORE_MARK);
	close(fd);
	return r;
}

/* Stage cs as the new directory stage below dirfd (removed on failure). */
static ACME_MUST_CHECK int
store_stage(int dirfd, const char *stage, const struct cert_set *cs, int mark)
{
	int fd, rc;

	store_step();
	if (mkdirat(dirfd, stage, STORE_DIR_MODE) < 0)
		return err_set(ACME_ERR_IO, "mkdir %s: %s", stage,
		    strerror(errno));
	if ((fd = store_subdir(dirfd, stage, 0)) < 0)
		rc = fd;
	else {
		rc = store_stage_files(fd, cs, mark);
		close(fd);
	}
	if (rc == 0 && fsync(dirfd) < 0)
		rc = err_set(ACME_ERR_IO, "fsync: %s", strerror(errno));
	if (rc < 0)	/* else the next run's recovery removes it */
		ACME_IGNORE(store_rmset(dirfd, stage));
	return rc;
}

/* ---- backup ring: backup/NAME/1 (newest) .. BACKUP_DEPTH ---- */

static void
store_slot(char *out, size_t cap, int k)
{
	snprintf(out, cap, "%d", k);
}

/* The occupied slots of the ring, ascending, into slots[]; the count. */
static ACME_MUST_CHECK int
store_ring_slots(int ringfd, int *slots)
{
	char s[16];
	int k, n = 0;

	for (k = 1; k <= BACKUP_DEPTH; k++) {
		store_slot(s, sizeof(s), k);
		if (store_exists(ringfd, s))
			slots[n++] = k;
	}
	return n;
}

/* Delete a set of the ring: renamed to STORE_DEL first, so a crash
 * never leaves a half-deleted set under a slot number. */
static ACME_MUST_CHECK int
store_ring_drop(int fromfd, const char *from, int ringfd)
{
	int rc;

	if ((rc = store_rmset(ringfd, STORE_DEL)) < 0 ||
	    (rc = store_rename(fromfd, from, ringfd, STORE_DEL)) < 0)
		return rc;
	return store_rmset(ringfd, STORE_DEL);
}

/*
 * Renumber the ring so its sets keep their order and occupy slots first,
 * first + 1, ...; a set that would land beyond BACKUP_DEPTH is deleted.
 * first 1 closes gaps; first 2 makes room for a new newest set. Each step
 * is one rename, and running it again after a crash finishes the job.
 */
static ACME_MUST_CHECK int
store_ring_shift(int ringfd, int first)
{
	char from[16], to[16];
	int slots[BACKUP_DEPTH], n, i, j, want, rc = 0;

	n = store_ring_slots(ringfd, slots);
	for (j = 0; j < n && rc == 0; j++) {
		i = first == 1 ? j : n - 1 - j;	/* never onto a used slot */
		want = first + i;
		store_slot(from, sizeof(from), slots[i]);
		store_slot(to, sizeof(to), want);
		if (want > BACKUP_DEPTH)
			rc = store_ring_drop(ringfd, from, ringfd);
		else if (want != slots[i])
			rc = store_rename(ringfd, from, ringfd, to);
	}
	return rc;
}

/* The set dir/name (a directory below dirfd) enters the ring as 1. */
static ACME_MUST_CHECK int
store_ring_insert(int ringfd, int dirfd, const char *name)
{
	int rc;

	if ((rc = store_ring_shift(ringfd, 2)) < 0)
		return rc;
	return store_rename(dirfd, name, ringfd, "1");
}

/* notAfter of set directory name below dirfd, from its cert.pem; and
 * its serial (x509_serial_hex) unless serial is NULL. */
static ACME_MUST_CHECK int
store_set_not_after(int dirfd, const char *name, int64_t *not_after,
    char *serial)
{
	struct buf b = { 0 };
	struct pem_obj obj[1];
	struct x509_info *xi = NULL;
	size_t n = 0;
	int fd, rc;

	memset(obj, 0, sizeof(obj));
	if ((fd = store_subdir(dirfd, name, 0)) < 0)
		return fd;
	rc = store_read(fd, "cert.pem", &b, PEM_MAX);
	close(fd);
	if (rc < 0 || (rc = pem_decode((const char *)b.data, b.len, obj, 1,
	    &n)) < 0)
		goto out;
	if (n != 1 || strcmp(obj[0].label, "CERTIFICATE") != 0) {
		rc = err_set(ACME_ERR_PROTO, "%s/cert.pem: no certificate",
		    name);
		goto out;
	}
	if ((xi = malloc(sizeof(*xi))) == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	if ((rc = x509_parse(obj[0].der, obj[0].len, xi)) == 0)
		*not_after = xi->not_after;
	if (rc == 0 && serial != NULL)
		x509_serial_hex(xi, serial);
out:
	free(xi);
	pem_objs_free(obj, n);
	buf_free(&b);
	return rc;
}

/*
 * Purge rule: a set whose notAfter is before at (the issuance time by
 * the CA's clock, a lower bound of the true time) has expired for sure
 * and is deleted. A set whose certificate cannot be read is kept: we
 * never delete what we cannot judge. Returns the number deleted.
 */
static ACME_MUST_CHECK int
store_purge_one(int dirfd, const char *name, int ringfd, int64_t at)
{
	int64_t na = 0;
	int rc;

	if (!store_exists(dirfd, name))
		return 0;
	err_hush();
	rc = store_set_not_after(dirfd, name, &na, NULL);
	err_unhush();
	if (rc < 0 || na >= at)
		return 0;
	if ((rc = store_ring_drop(dirfd, name, ringfd)) < 0)
		return rc;
	log_msg(LOG_LEVEL_INFO, "deleted an expired backup");
	return 1;
}

/* Apply the purge rule to the ring and the set old (below dirfd). */
static ACME_MUST_CHECK int
store_purge(int ringfd, int dirfd, const char *old, int64_t at)
{
	char s[16];
	int k, rc;

	if ((rc = store_purge_one(dirfd, old, ringfd, at)) < 0)
		return rc;
	for (k = 1; k <= BACKUP_DEPTH; k++) {
		store_slot(s, sizeof(s), k);
		if ((rc = store_purge_one(ringfd, s, ringfd, at)) < 0)
			return rc;
	}
	return store_ring_shift(ringfd, 1);
}

/*
 * After the swap: the marker leaves live/NAME, the purge rule runs when
 * at >= 0, and the previous live set (livefd/old, if any) enters the
 * ring as 1, the ring rotating and keeping BACKUP_DEPTH sets.
 */
static ACME_MUST_CHECK int
store_finish(int storefd, int livefd, const char *name, const char *old,
    int64_t at)
{
	int livenamefd, bakfd = -1, ringfd = -1, rc = 0;

	if ((livenamefd = store_subdir(livefd, name, 0)) >= 0) {
		if (store_exists(livenamefd, STORE_MARK)) {
			store_unlink(livenamefd, STORE_MARK, 0);
			fsync(livenamefd);
		}
		close(livenamefd);
	}
	if (!store_exists(livefd, old)) {
		/* nothing enters the ring: purge an existing one only */
		if (at < 0 || (bakfd = store_subdir_try(storefd, "backup")) <
		    0 || (ringfd = store_subdir_try(bakfd, name)) < 0)
			goto out;
	} else if ((bakfd = store_subdir(storefd, "backup", 1)) < 0 ||
	    (ringfd = store_subdir(bakfd, name, 1)) < 0) {
		rc = bakfd < 0 ? bakfd : ringfd;
		goto out;
	}
	if ((at < 0 || (rc = store_purge(ringfd, livefd, old, at)) >= 0) &&
	    store_exists(livefd, old))
		rc = store_ring_insert(ringfd, livefd, old);
out:
	if (ringfd >= 0)
		close(ringfd);
	if (bakfd >= 0)
		close(bakfd);
	return rc < 0 ? rc : 0;
}

/* Open live/ and backup/NAME below storefd, without creating them. */
static void
store_open_name(int storefd, const char *name, int *livefd, int *ringfd)
{
	int bakfd;

	*livefd = store_subdir_try(storefd, "live");
	*ringfd = -1;
	if ((bakfd = store_subdir_try(storefd, "backup")) >= 0) {
		*ringfd = store_subdir_try(bakfd, name);
		close(bakfd);
	}
}

/*
 * Undo or finish an interrupted step on the live side of NAME. The
 * exchange (or the second rename of the fallback) is the commit point:
 * before it the staged set is removed and the old live set stays; after
 * it the new set stays and the old one goes on into the ring.
 */
static ACME_MUST_CHECK int
store_recover_live(int storefd, int livefd, const char *name,
    const char **did)
{
	char stage[NAME_LEN_MAX + 8], old[NAME_LEN_MAX + 8];
	int rc;

	snprintf(stage, sizeof(stage), STORE_STAGE_FMT, name);
	snprintf(old, sizeof(old), STORE_OLD_FMT, name);
	if (store_exists(livefd, stage) && !store_marked(livefd, stage) &&
	    store_marked(livefd, name)) {
		/* exchanged: the stage holds the old live set */
		*did = "finished";
		if ((rc = store_rename(livefd, stage, livefd, old)) < 0)
			return rc;
	}
	if (store_exists(livefd, stage)) {
		*did = "rolled back";
		if (!store_exists(livefd, name) && store_exists(livefd, old) &&
		    (rc = store_rename(livefd, old, livefd, name)) < 0)
			return rc;
		if ((rc = store_rmset(livefd, stage)) < 0)
			return rc;
	}
	if (!store_exists(livefd, name) && store_exists(livefd, old)) {
		*did = "rolled back";
		if ((rc = store_rename(livefd, old, livefd, name)) < 0)
			return rc;
	}
	if (store_marked(livefd, name) || store_exists(livefd, old)) {
		if (*did == NULL)
			*did = "finished";
		return store_finish(storefd, livefd, name, old, -1);
	}
	return 0;
}

/*
 * Move every entry of directory sub below ringfd that is not one of
 * keep[0..n) to ringfd's STORE_STRAY (as NAME, else NAME.1, NAME.2 ...).
 * Returns how many, or an error.
 */
static ACME_MUST_CHECK int
store_stray(int ringfd, const char *sub, const char *const *keep, size_t n)
{
	char to[NAME_LEN_MAX + 8];
	struct dirent *de;
	size_t i;
	int fd, sfd = -1, moved = 0, rc = 0, k;
	DIR *d;

	if ((fd = store_subdir(ringfd, sub, 0)) < 0)
		return fd == STORE_ABSENT ? 0 : fd;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(ACME_ERR_IO, "%s: %s", sub, strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL) {
		for (i = 0; i < n && strcmp(de->d_name, keep[i]) != 0; i++)
			;
		if (i < n || strcmp(de->d_name, ".") == 0 ||
		    strcmp(de->d_name, "..") == 0)
			continue;
		if (sfd < 0 && (rc = sfd = store_subdir(ringfd, STORE_STRAY,
		    1)) < 0)
			break;
		snprintf(to, sizeof(to), "%s", de->d_name);
		for (k = 1; k < STRAY_COPIES_MAX && store_exists(sfd, to); k++)
			snprintf(to, sizeof(to), "%s.%d", de->d_name, k);
		if ((rc = store_rename(fd, de->d_name, sfd, to)) == 0)
			moved++;
	}
	closedir(d);
	if (sfd >= 0)
		close(sfd);
	return rc < 0 ? rc : moved;
}

/*
 * What a person left in the ring of NAME (a note in a set, an editor's
 * backup, a file beside the sets) never blocks it and is never deleted:
 * each entry acme did not write there is moved to backup/NAME/stray/,
 * and one line says so.
 */
static ACME_MUST_CHECK int
store_ring_tidy(int ringfd, const char *name)
{
	size_t i, nr = sizeof(store_ring_names) / sizeof(store_ring_names[0]);
	int n, moved;

	if ((moved = store_stray(ringfd, ".", store_ring_names, nr)) < 0)
		return moved;
	for (i = 0; i + 1 < nr; i++) {	/* every set, not STORE_STRAY */
		if ((n = store_stray(ringfd, store_ring_names[i],
		    store_set_files, sizeof(store_set_files) /
		    sizeof(store_set_files[0]))) < 0)
			return n;
		moved += n;
	}
	if (moved > 0)
		log_msg(LOG_LEVEL_ERROR, "%s: moved %d entries acme did not "
		    "write to backup/%s/" STORE_STRAY "/", name, moved, name);
	return 0;
}

/* Remove ring leftovers (a half-deleted or half-imported set), close
 * gaps in the numbering. */
static ACME_MUST_CHECK int
store_recover_ring(int ringfd, const char **did)
{
	int slots[BACKUP_DEPTH], n, i, rc;

	if (store_exists(ringfd, STORE_DEL) || store_exists(ringfd,
	    STORE_NEW)) {
		if (*did == NULL)
			*did = "finished";
		if ((rc = store_rmset(ringfd, STORE_DEL)) < 0 ||
		    (rc = store_rmset(ringfd, STORE_NEW)) < 0)
			return rc;
	}
	n = store_ring_slots(ringfd, slots);
	for (i = 0; i < n; i++)
		if (slots[i] != i + 1) {
			if (*did == NULL)
				*did = "finished";
			return store_ring_shift(ringfd, 1);
		}
	return 0;
}

/*
 * Finish or roll back whatever a crash, power cut or full disk left of an
 * update of NAME (see store_install, store_restore), saying so in one
 * line. Writes nothing when there is nothing to do.
 */
static ACME_MUST_CHECK int
store_recover_name(int storefd, const char *name)
{
	const char *did = NULL;
	int livefd, ringfd, rc = 0;

	store_open_name(storefd, name, &livefd, &ringfd);
	if (livefd >= 0)
		rc = store_recover_live(storefd, livefd, name, &did);
	if (rc == 0 && ringfd >= 0 && (rc = store_ring_tidy(ringfd, name)) == 0)
		rc = store_recover_ring(ringfd, &did);
	if (did != NULL)
		log_msg(LOG_LEVEL_ERROR, "%s: %s an interrupted update%s", name,
		    did, rc < 0 ? " (incomplete)" : "");
	if (livefd >= 0)
		close(livefd);
	if (ringfd >= 0)
		close(ringfd);
	return rc < 0 ? err_wrap(rc, "recovering %s", name) : 0;
}

static ACME_MUST_CHECK int
store_name_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static void
store_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; names != NULL && i < n; i++)
		free(names[i]);
	free(names);
}

/*
 * The NAMEs in the directory dirfd (left open, read from its start):
 * entries that are a valid NAME followed by suffix ("" for none), at most
 * max, sorted. *names and its strings are owned by the caller
 * (store_names_free); on failure there are none.
 */
static ACME_MUST_CHECK int
store_names(int dirfd, const char *what, const char *suffix, size_t max,
    char ***names, size_t *n)
{
	char **v = NULL, **nv, name[NAME_LEN_MAX + 1];
	size_t len, sl = strlen(suffix);
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	*names = NULL;
	*n = 0;
	if ((fd = dup(dirfd)) < 0 || (d = fdopendir(fd)) == NULL) {
		if (fd >= 0)
			close(fd);
		return err_set(ACME_ERR_IO, "%s: %s", what, strerror(errno));
	}
	rewinddir(d);
	while (rc == 0 && *n < max && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (len <= sl || len - sl > NAME_LEN_MAX ||
		    strcmp(de->d_name + len - sl, suffix) != 0)
			continue;
		snprintf(name, sizeof(name), "%.*s", (int)(len - sl),
		    de->d_name);
		if (!store_name_ok(name))
			continue;
		if ((nv = realloc(v, (*n + 1) * sizeof(*v))) != NULL)
			v = nv;
		if (nv == NULL || (v[*n] = strdup(name)) == NULL)
			rc = err_set(ACME_ERR_NOMEM, "out of memory");
		else
			(*n)++;
	}
	closedir(d);
	if (rc < 0) {
		store_names_free(v, *n);
		*n = 0;
		return rc;
	}
	if (*n > 1)
		qsort(v, *n, sizeof(*v), store_name_cmp);
	*names = v;
	return 0;
}

/* NAME from a live/ or backup/ entry ("NAME", ".NAME.new", ".NAME.old");
 * 0, or NONE when ent is none of these. */
static ACME_MUST_CHECK int
store_entry_name(const char *ent, char *name, size_t cap)
{
	size_t n = strlen(ent);

	if (ent[0] == '.' && n > 5 && (strcmp(ent + n - 4, ".new") == 0 ||
	    strcmp(ent + n - 4, ".old") == 0)) {
		ent++;
		n -= 5;
	}
	if (n >= cap)
		return NONE;
	memcpy(name, ent, n);
	name[n] = '\0';
	return store_name_ok(name) ? 0 : NONE;
}

/* Recover every NAME found below DIR/sub. */
static ACME_MUST_CHECK int
store_recover_dir(int storefd, const char *sub)
{
	char name[NAME_LEN_MAX + 1];
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	if ((fd = store_subdir(storefd, sub, 0)) < 0)
		return fd == STORE_ABSENT ? 0 : fd;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(ACME_ERR_IO, "%s: %s", sub, strerror(errno));
	}
	while (rc == 0 && (de = readdir(d)) != NULL)
		if (store_entry_name(de->d_name, name, sizeof(name)) == 0)
			rc = store_recover_name(storefd, name);
	closedir(d);
	return rc;
}

/* Remove the temporary files of store_write a crash left in DIR/sub. */
static void
store_sweep_tmp(int storefd, const char *sub)
{
	struct dirent *de;
	size_t n;
	DIR *d;
	int fd;

	if ((fd = store_subdir_try(storefd, sub)) < 0)
		return;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL) {
		n = strlen(de->d_name);
		if (de->d_name[0] == '.' && n > 5 &&
		    strcmp(de->d_name + n - 4, ".tmp") == 0) {
			store_unlink(fd, de->d_name, 0);
			log_msg(LOG_LEVEL_INFO, "removed %s/%s, left by a crash",
			    sub, de->d_name);
		}
	}
	closedir(d);
}

/* store_sweep_tmp wherever store_write writes: DIR itself (time), conf,
 * hooks (imported deploy wrappers) and every accounts/HOST. */
static void
store_sweep_all(int storefd)
{
	struct dirent *de;
	DIR *d;
	int fd;

	store_sweep_tmp(storefd, ".");
	store_sweep_tmp(storefd, "conf");
	store_sweep_tmp(storefd, "hooks");
	if ((fd = store_subdir_try(storefd, "accounts")) < 0)
		return;		/* best effort, like store_sweep_tmp */
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return;
	}
	while ((de = readdir(d)) != NULL)
		if (de->d_name[0] != '.')
			store_sweep_tmp(fd, de->d_name);
	closedir(d);
}

/* Recovery of the whole state directory, first thing after the lock. */
static ACME_MUST_CHECK int
store_recover_all(int storefd)
{
	int rc;

	if ((rc = store_recover_dir(storefd, "live")) < 0)
		return rc;
	store_sweep_all(storefd);
	return store_recover_dir(storefd, "backup");
}

/*
 * Install cs as live/NAME, the one path for issue, renew and import:
 *  1. stage it in the sibling live/.NAME.new (every file synced, then
 *     STORE_MARK);
 *  2. swap: renameat2 RENAME_EXCHANGE of the stage and live/NAME, then
 *     the stage (now the old set) is renamed .NAME.old; where the file
 *     system lacks the exchange, live/NAME is renamed .NAME.old and the
 *     stage into place (a crash between the two is rolled back);
 *  3. the marker is removed; when at >= 0 (a new issuance, at its time
 *     by the CA's clock) the purge rule deletes expired backups and an
 *     expired old set; the old set enters backup/NAME as 1, the ring
 *     keeping BACKUP_DEPTH sets.
 * At no instant does live/NAME hold a certificate whose key is not the
 * privkey.pem beside it; a crash at any step leaves the old or the new
 * set there, and store_recover_name finishes or rolls back the rest.
 */
static ACME_MUST_CHECK int
store_install(int storefd, const char *name, const struct cert_set *cs,
    int64_t at)
{
	char stage[NAME_LEN_MAX + 8], old[NAME_LEN_MAX + 8];
	int livefd, rc;

	snprintf(stage, sizeof(stage), STORE_STAGE_FMT, name);
	snprintf(old, sizeof(old), STORE_OLD_FMT, name);
	if ((rc = store_recover_name(storefd, name)) < 0)
		return rc;
	if ((livefd = store_subdir(storefd, "live", 1)) < 0)
		return livefd;
	if ((rc = store_stage(livefd, stage, cs, 1)) < 0)
		goto out;
	if (!store_exists(livefd, name))
		rc = store_rename(livefd, stage, livefd, name);
	else if ((rc = store_exchange(livefd, stage, livefd, name)) == 0)
		rc = store_rename(livefd, stage, livefd, old);
	else if (rc == 1 && (rc = store_rename(livefd, name, livefd,
	    old)) == 0)
		rc = store_rename(livefd, stage, livefd, name);
	if (rc < 0) {
		/* undo now; what this cannot undo, the next run's recovery
		 * does: rc already holds the failure to report */
		ACME_IGNORE(store_recover_live(storefd, livefd, name,
		    &(const char *){ 0 }));
		goto out;
	}
	if ((rc = store_finish(storefd, livefd, name, old, at)) < 0)
		err_wrap(rc, "%s is installed, but its backups", name);
out:
	close(livefd);
	return rc < 0 ? err_wrap(rc, "live/%s", name) : 0;
}

/*
 * Backup n of NAME becomes live; the live set enters the ring as 1 and
 * backups 1..n-1 move down by one. With RENAME_EXCHANGE every step swaps
 * two complete sets, so the ring is whole at every instant; else the
 * live set goes to .NAME.old first (recovery rolls that back).
 */
static ACME_MUST_CHECK int
store_restore(int storefd, const char *name, int n)
{
	char slot[16], prev[16], old[NAME_LEN_MAX + 8];
	int livefd = -1, ringfd = -1, rc, k;

	snprintf(old, sizeof(old), STORE_OLD_FMT, name);
	store_slot(slot, sizeof(slot), n);
	store_open_name(storefd, name, &livefd, &ringfd);
	if (ringfd < 0 || n < 1 || n > BACKUP_DEPTH ||
	    !store_exists(ringfd, slot)) {
		rc = err_set(ACME_ERR_USAGE, "%s has no backup %d (see acme "
		    "list)", name, n);
		goto out;
	}
	if (livefd < 0 && (livefd = store_subdir(storefd, "live", 1)) < 0) {
		rc = livefd;
		goto out;
	}
	if (!store_exists(livefd, name)) {
		if ((rc = store_rename(ringfd, slot, livefd, name)) == 0)
			rc = store_ring_shift(ringfd, 1);
		goto out;
	}
	if ((rc = store_exchange(ringfd, slot, livefd, name)) == 1) {
		if ((rc = store_rename(livefd, name, livefd, old)) == 0 &&
		    (rc = store_rename(ringfd, slot, livefd, name)) == 0 &&
		    (rc = store_ring_shift(ringfd, 1)) == 0)
			rc = store_ring_insert(ringfd, livefd, old);
		goto out;
	}
	for (k = n; k > 1 && rc == 0; k--) {
		store_slot(slot, sizeof(slot), k);
		store_slot(prev, sizeof(prev), k - 1);
		rc = store_exchange(ringfd, prev, ringfd, slot);
	}
out:
	if (livefd >= 0)
		close(livefd);
	if (ringfd >= 0)
		close(ringfd);
	return rc < 0 ? err_wrap(rc, "restore %s", name) : 0;
}

/*
 * Put cs into backup/NAME/k directly (import: staged as backup/NAME/.new,
 * then renamed; the slot must be free).
 */
static ACME_MUST_CHECK int
store_ring_put(int storefd, const char *name, int k, const struct cert_set *cs)
{
	char slot[16];
	int bakfd = -1, ringfd = -1, rc;

	store_slot(slot, sizeof(slot), k);
	if ((bakfd = store_subdir(storefd, "backup", 1)) < 0 ||
	    (ringfd = store_subdir(bakfd, name, 1)) < 0) {
		rc = bakfd < 0 ? bakfd : ringfd;
		goto out;
	}
	if ((rc = store_stage(ringfd, STORE_NEW, cs, 0)) == 0)
		rc = store_rename(ringfd, STORE_NEW, ringfd, slot);
out:
	if (ringfd >= 0)
		close(ringfd);
	if (bakfd >= 0)
		close(bakfd);
	return rc;
}

/* ==== 11. Trusted time ==== */

/*
 * Trusted time (acme(1), TIME): the only place the device clock is read;
 * RFC 3339 and HTTP dates; issuance times; and the time the CA's TLS
 * certificate is checked against when the device clock is wrong, raised
 * by the floor (DIR/time, kept by section 12) that only a successful run
 * raises and that the CA's own certificate bounds.
 *
 * Prefixes: clock_.
 * May call: 2-3.
 */

/*
 * The only place the system clock is read. In a test build, ACME_TEST_NOW
 * (seconds since the epoch) makes the device clock read something else,
 * since a static musl binary cannot be faked with LD_PRELOAD.
 */
static int64_t
clock_now(void)
{
	const char *fake = TEST_GETENV("ACME_TEST_NOW");
	char *end;
	long long v;

	if (fake != NULL && *fake != '\0') {
		errno = 0;
		v = strtoll(fake, &end, 10);
		if (errno == 0 && *end == '\0')
			return (int64_t)v;
	}
	return (int64_t)time(NULL);
}

/* Seconds on the monotonic clock: for deadlines, never for dates. */
static int64_t
clock_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec;
}

/* Milliseconds on the monotonic clock (polls, connection deadlines). */
static int64_t
clock_mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Days from 1970-01-01 to y-m-d in the proleptic Gregorian calendar,
 * counting in 400-year eras that start on 1 March so leap days fall last.
 */
static int64_t
clock_days(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

/* Read exactly n digits at *p into *v; advance *p. 0, or NONE. */
static ACME_MUST_CHECK int
clock_digits(const char **p, int n, int *v)
{
	*v = 0;
	while (n-- > 0) {
		if (!isdigit((unsigned char)**p))
			return NONE;
		*v = *v * 10 + (*(*p)++ - '0');
	}
	return 0;
}

static ACME_MUST_CHECK int
clock_valid(int y, int mo, int d, int h, int mi, int s)
{
	static const int mdays[12] = {
		31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31
	};

	if (mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || s > 60)
		return 0;
	return mo != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 ||
	    y % 400 == 0));
}

/*
 * RFC 3339 5.6 date-time: 2026-11-22T10:00:00Z, with optional fraction
 * (dropped) and a Z or +hh:mm/-hh:mm offset. A leap second counts as :59.
 * 0, or NONE when s is no such time.
 */
static ACME_MUST_CHECK int
clock_parse_rfc3339(const char *s, int64_t *out)
{
	int y, mo, d, h, mi, sec, oh = 0, om = 0, sign = 0;

	if (clock_digits(&s, 4, &y) < 0 || *s++ != '-' ||
	    clock_digits(&s, 2, &mo) < 0 || *s++ != '-' ||
	    clock_digits(&s, 2, &d) < 0 || (*s != 'T' && *s != 't') ||
	    (s++, clock_digits(&s, 2, &h)) < 0 || *s++ != ':' ||
	    clock_digits(&s, 2, &mi) < 0 || *s++ != ':' ||
	    clock_digits(&s, 2, &sec) < 0)
		return NONE;
	if (*s == '.' && isdigit((unsigned char)s[1]))
		for (s++; isdigit((unsigned char)*s); s++)
			;
	if (*s == 'Z' || *s == 'z')
		s++;
	else if (*s == '+' || *s == '-') {
		sign = *s++ == '+' ? 1 : -1;
		if (clock_digits(&s, 2, &oh) < 0 || *s++ != ':' ||
		    clock_digits(&s, 2, &om) < 0 || oh > 23 || om > 59)
			return NONE;
	} else
		return NONE;
	if (*s != '\0' || !clock_valid(y, mo, d, h, mi, sec))
		return NONE;
	*out = clock_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    (sec == 60 ? 59 : sec) - sign * (oh * 3600 + om * 60);
	return 0;
}

/* RFC 9110 5.6.7 IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"; 0 or NONE. */
static ACME_MUST_CHECK int
clock_parse_http_date(const char *s, int64_t *out)
{
	static const char months[] = "JanFebMarAprMayJunJulAugSepOctNovDec";
	const char *m;
	int y, mo, d, h, mi, sec;

	if (strlen(s) != 29 || s[3] != ',' || s[4] != ' ' || s[7] != ' ' ||
	    s[11] != ' ' || s[16] != ' ' || strcmp(s + 25, " GMT") != 0)
		return NONE;
	if ((m = strstr(months, (char[4]){ s[8], s[9], s[10], '\0' })) ==
	    NULL || (m - months) % 3 != 0)
		return NONE;
	mo = (int)(m - months) / 3 + 1;
	s += 5;
	if (clock_digits(&s, 2, &d) < 0 || (s += 5, clock_digits(&s, 4,
	    &y)) < 0 || *s++ != ' ' || clock_digits(&s, 2, &h) < 0 ||
	    *s++ != ':' || clock_digits(&s, 2, &mi) < 0 || *s++ != ':' ||
	    clock_digits(&s, 2, &sec) < 0 || !clock_valid(y, mo, d, h, mi, sec))
		return NONE;
	*out = clock_days(y, mo, d) * 86400 + h * 3600 + mi * 60 +
	    (sec == 60 ? 59 : sec);
	return 0;
}

/*
 * t as RFC 3339 UTC, "2026-11-22T10:00:00Z"; cap of 32 is plenty. The
 * text of musl's strftime "%Y-%m-%dT%H:%M:%SZ" (years past 9999 with a
 * "+"), without strftime: it would link the time zone code (its %Z).
 */
static void
clock_format_rfc3339(int64_t t, char *out, size_t cap)
{
	time_t tt = (time_t)t;
	struct tm tm;
	long long y;
	int n = -1;

	if (gmtime_r(&tt, &tm) != NULL) {
		y = tm.tm_year + 1900LL;
		n = snprintf(out, cap, "%s%04lld-%02d-%02dT%02d:%02d:%02dZ",
		    y > 9999 ? "+" : "", y, tm.tm_mon + 1, tm.tm_mday,
		    tm.tm_hour, tm.tm_min, tm.tm_sec);
	}
	if (n < 0 || (size_t)n >= cap)
		snprintf(out, cap, "@%lld", (long long)t);
}

/*
 * When a certificate was issued, by the CA's clock, as a lower bound of
 * the true time at the end of the download (the purge rule relies on it,
 * see acme(1)). Two sources, each a lower bound:
 *  - date: the Date header of the certificate download, received over
 *    verified TLS: the CA's clock when it answered, before we read it;
 *    used only when it agrees with the certificate, not_before - backdate
 *    <= date <= not_after (a CA clock that disagrees with its own
 *    certificate is not a time to purge backups by);
 *  - not_before + backdate: the CA sets notBefore at or before the moment
 *    of issuance, earlier by its backdate (Let's Encrypt: one hour); with
 *    backdate no larger than the CA's, the sum is at most that moment.
 * The later of the two that are valid wins; *source names it. The system
 * clock is never used. Returns the time.
 */
static int64_t
clock_issued_at(const char *date, int64_t not_before, int64_t not_after,
    int64_t backdate, const char **source)
{
	int64_t d, nb = not_before + backdate;

	*source = "notbefore+backdate";
	if (date == NULL || clock_parse_http_date(date, &d) < 0)
		return nb;
	if (d < not_before - backdate || d > not_after) {
		log_msg(LOG_LEVEL_INFO, "the CA's Date %s disagrees with the "
		    "certificate's validity: issuance time from its notBefore",
		    date);
		return nb;
	}
	if (d > nb)
		*source = "http-date";
	return d > nb ? d : nb;
}

/*
 * The time TLS certificates of the CA are checked against: the highest of
 * three lower bounds of the true time, the device clock, the DIR/time
 * floor and the build date. See acme(1) TIME for why this is safe.
 */
static int64_t
clock_tls_time(int64_t floor)
{
	int64_t t = clock_now();

	if (t < floor)
		t = floor;
	if (t < (int64_t)ACME_BUILD_TIME)
		t = (int64_t)ACME_BUILD_TIME;
	return t < 0 ? 0 : t;
}

/* ==== 12. File formats ==== */

/*
 * The files acme keeps beside the certificate sets, one subsection
 * each, holding its reader, its writer and its checks: DIR/time,
 * meta.txt, the account record (accounts/HOST), conf/NAME.conf,
 * conf/NAME.state, conf/NAME.order, and the lock (DIR itself: no file).
 * Every other section reads and writes them through these functions,
 * and test/toc.py checks that no other section names one of them
 * (Storage stores meta.txt's bytes with the rest of a set, and reads
 * none of it). acme(1) FILES describes them for users. Their lines are
 * "key: value" (meta.txt, account.txt, the order record), read by
 * file_get, or "key = value" (conf, state), trimmed by file_trim.
 *
 * Prefixes: file_.
 * May call: 2-4, 6, 9-11.
 */

/* ---- lines: "key: value" and "key = value" ---- */

/* Trim blanks (and a CR) at both ends of p, in place: "key = value"
 * lines, ours and the other clients' (imports). */
static char *
file_trim(char *p)
{
	char *e;

	while (*p == ' ' || *p == '\t')
		p++;
	e = p + strlen(p);
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		*--e = '\0';
	return p;
}

/*
 * The value of the "key: value" line of text b (a line that starts with
 * key) into out (cap bytes): 1; 0 when there is no such line or its
 * value does not fit, and out is left as it was.
 */
static ACME_MUST_CHECK int
file_get(const struct buf *b, const char *key, char *out, size_t cap)
{
	const char *p = b->data ? (const char *)b->data : "";
	size_t kl = strlen(key), n;

	for (; *p != '\0'; p += strcspn(p, "\n"), p += *p == '\n') {
		if (strncmp(p, key, kl) != 0 || p[kl] != ':' ||
		    p[kl + 1] != ' ')
			continue;
		p += kl + 2;
		if ((n = strcspn(p, "\n")) >= cap)
			return 0;
		memcpy(out, p, n);
		out[n] = '\0';
		return 1;
	}
	return 0;
}

/* ---- the lock: DIR itself ---- */

/*
 * The state lock: an flock on DIR (open as fd) itself, so no lock file
 * is ever written; with wait, wait for it. The lock goes with fd.
 */
static ACME_MUST_CHECK int
file_lock(int fd, const char *dir, int wait)
{
	int rc;

	if (flock(fd, LOCK_EX | LOCK_NB) == 0)
		return 0;
	if (errno != EWOULDBLOCK || !wait)
		return err_set(ACME_ERR_BUSY, "%s is busy: another acme is "
		    "running (--wait waits for it)", dir);
	log_msg(LOG_LEVEL_INFO, "waiting for another acme on %s", dir);
	while ((rc = flock(fd, LOCK_EX)) < 0 && errno == EINTR)
		;
	if (rc < 0)
		return err_set(ACME_ERR_IO, "lock %s: %s", dir,
		    strerror(errno));
	return 0;
}

/* ---- DIR/time ---- */

/*
 * DIR/time, the trusted-time floor: one line, an RFC 3339 UTC time, the
 * highest CA time (Date header over verified TLS) ever seen. It never goes
 * back and is rewritten at most once per TIME_FLOOR_STEP, so a run that
 * changes nothing else writes nothing (flash wear). file_time_get returns
 * the floor below dirfd, 0 when the file is absent or unreadable (no
 * floor: not an error).
 */
static int64_t
file_time_get(int dirfd)
{
	struct buf b = { 0 };
	char line[64];
	int64_t t = 0;
	int rc;

	err_hush();
	rc = store_read(dirfd, "time", &b, 64);
	err_unhush();
	if (rc == 0 && b.len > 0 && b.len < sizeof(line)) {
		memcpy(line, b.data, b.len);
		line[b.len] = '\0';
		line[strcspn(line, "\n")] = '\0';
		if (clock_parse_rfc3339(line, &t) < 0 || t < 0)
			t = 0;
	}
	buf_free(&b);
	return t;
}

/* The floor of DIR given by path; 0 when DIR is absent too. */
static int64_t
file_time_read(const char *dir)
{
	int64_t t;
	int fd;

	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return 0;
	t = file_time_get(fd);
	close(fd);
	return t;
}

/* Raise DIR/time to ca_time when that is a day past the floor. */
static ACME_MUST_CHECK int
file_time_raise(int storefd, int64_t floor, int64_t ca_time)
{
	char line[40];

	if (ca_time <= 0 || (floor > 0 && ca_time < floor + TIME_FLOOR_STEP))
		return 0;
	clock_format_rfc3339(ca_time, line, sizeof(line) - 1);
	log_msg(LOG_LEVEL_DEBUG, "time floor raised to %s", line);
	strcat(line, "\n");
	return store_write(storefd, "time", line, strlen(line),
	    STORE_FILE_MODE);
}

/* ---- meta.txt ---- */

/*
 * meta.txt of a set: "key: value" lines a user can grep (acme(1) lists
 * them). Identifiers are the certificate's own names; times RFC 3339 UTC.
 * Storage writes it with the set's other files; file_get reads a key.
 */
static ACME_MUST_CHECK int
file_meta_build(struct buf *b, const char *name, const struct x509_info *xi,
    const char *key_type, const char *server, int64_t at, const char *source)
{
	char t[32], hex[2 * X509_SERIAL_MAX + 1], fp[2 * 32 + 1];
	size_t i;

	b->max = META_MAX;
	buf_printf(b, "format: 1\nname: %s\nidentifiers:", name);
	for (i = 0; i < xi->nsan; i++)
		buf_printf(b, " %s", xi->san[i].value);
	x509_serial_hex(xi, hex);
	buf_printf(b, "\nserial: %s\nissuer: %s\n", hex, xi->issuer_cn);
	clock_format_rfc3339(xi->not_before, t, sizeof(t));
	buf_printf(b, "not_before: %s\n", t);
	clock_format_rfc3339(xi->not_after, t, sizeof(t));
	buf_printf(b, "not_after: %s\nkey_type: %s\n", t, key_type);
	hex_encode(fp, xi->sha256, sizeof(xi->sha256));
	buf_printf(b, "sha256: %s\nserver: ", fp);
	buf_puts(b, server);
	buf_puts(b, "\n");
	clock_format_rfc3339(at, t, sizeof(t));
	return buf_printf(b, "issued_at: %s\nissued_at_source: %s\n", t,
	    source);
}

/* meta.txt of the set directory setfd into b. */
static ACME_MUST_CHECK int
file_meta_read(int setfd, struct buf *b)
{
	return store_read(setfd, "meta.txt", b, META_MAX);
}

/* ---- the account record: accounts/HOST ---- */

/*
 * DIR/accounts/HOST (HOST[:PORT] of the server URL): key.pem, the
 * account key (0600), and account.txt, "key: value" lines: url (the
 * account URL), server (the directory URL), agreed (the terms of service
 * URL the user agreed to with --agree-tos when the account was made,
 * "none" when the CA listed none; older records have no such line), and
 * from an import created and imported. Any may be absent; file_get
 * reads one.
 */
struct file_acct {
	const char	*url;		/* NULL: looked up by key later */
	const char	*server;
	const char	*agreed;	/* NULL: no consent recorded */
	const char	*created;	/* imports */
	const char	*imported;
};

#define FILE_ACCT_MAX	8192		/* account.txt: a few URLs */

/* accounts/HOST below storefd (made when create); its fd, STORE_ABSENT
 * when there is none. */
static ACME_MUST_CHECK int
file_acct_dir(int storefd, const char *host, int create)
{
	int accfd, hostfd;

	if ((accfd = store_subdir(storefd, "accounts", create)) < 0)
		return accfd;
	hostfd = store_subdir(accfd, host, create);
	close(accfd);
	return hostfd;
}

/* "key: value" of r (values set) appended to b. */
static ACME_MUST_CHECK int
file_acct_text(struct buf *b, const struct file_acct *r)
{
	if (r->url != NULL)
		buf_printf(b, "url: %s\n", r->url);
	buf_printf(b, "server: %s\n", r->server);
	if (r->agreed != NULL)
		buf_printf(b, "agreed: %s\n", r->agreed);
	if (r->created != NULL)
		buf_printf(b, "created: %s\n", r->created);
	if (r->imported != NULL)
		buf_printf(b, "imported: %s\n", r->imported);
	return buf_err(b);
}

/* Write accounts/HOST: key.pem first (0600), then account.txt. */
static ACME_MUST_CHECK int
file_acct_write(int storefd, const char *host, const struct key *k,
    const struct file_acct *r)
{
	struct buf pem = { .max = PEM_MAX }, txt = { .max = FILE_ACCT_MAX };
	int hostfd = -1, rc;

	if ((rc = key_to_pem(k, &pem)) < 0 ||
	    (rc = file_acct_text(&txt, r)) < 0 ||
	    (rc = hostfd = file_acct_dir(storefd, host, 1)) < 0)
		goto out;
	if ((rc = store_write_buf(hostfd, "key.pem", &pem,
	    STORE_KEY_MODE)) == 0)
		rc = store_write_buf(hostfd, "account.txt", &txt,
		    STORE_FILE_MODE);
out:
	if (hostfd >= 0)
		close(hostfd);
	buf_free(&pem);
	buf_free(&txt);
	return rc;
}

/* key.pem of accounts/HOST (hostfd) into k; STORE_ABSENT without one. */
static ACME_MUST_CHECK int
file_acct_key(int hostfd, struct key *k)
{
	struct buf pem = { 0 };
	int rc;

	if ((rc = store_read(hostfd, "key.pem", &pem, PEM_MAX)) == 0)
		rc = key_from_pem(k, (const char *)pem.data, pem.len);
	buf_free(&pem);
	return rc;
}

/* account.txt of accounts/HOST (hostfd) into txt. */
static ACME_MUST_CHECK int
file_acct_read(int hostfd, struct buf *txt)
{
	return store_read(hostfd, "account.txt", txt, FILE_ACCT_MAX);
}

/* Keep account.txt text txt as accounts/HOST/backup/account.txt. */
static ACME_MUST_CHECK int
file_acct_backup(int hostfd, const struct buf *txt)
{
	int fd, rc;

	if ((fd = store_subdir(hostfd, "backup", 1)) < 0)
		return fd;
	rc = store_write_buf(fd, "account.txt", txt, STORE_FILE_MODE);
	close(fd);
	return rc;
}

/*
 * A key rollover in flight: the new key is kept as key-rollover.pem
 * (0600) before the keyChange request, so that a run that dies before
 * the answer leaves it to the next run, which asks the CA which key the
 * account has and settles the file.
 */
#define FILE_ACCT_ROLLOVER	"key-rollover.pem"

static ACME_MUST_CHECK int
file_acct_rollover_write(int hostfd, const struct key *nk)
{
	struct buf pem = { .max = PEM_MAX };
	int rc;

	if ((rc = key_to_pem(nk, &pem)) == 0)
		rc = store_write_buf(hostfd, FILE_ACCT_ROLLOVER, &pem,
		    STORE_KEY_MODE);
	buf_free(&pem);
	return rc;
}

/* key-rollover.pem below hostfd into nk; STORE_ABSENT without one. */
static ACME_MUST_CHECK int
file_acct_rollover_read(int hostfd, struct key *nk)
{
	struct buf pem = { 0 };
	int rc;

	if (!store_exists(hostfd, FILE_ACCT_ROLLOVER))
		return STORE_ABSENT;
	if ((rc = store_read(hostfd, FILE_ACCT_ROLLOVER, &pem, PEM_MAX)) == 0)
		rc = key_from_pem(nk, (const char *)pem.data, pem.len);
	buf_free(&pem);
	return rc;
}

/* The outcome of a rollover is known: key-rollover.pem below hostfd
 * becomes key.pem (applied) or is removed. */
static ACME_MUST_CHECK int
file_acct_rollover_settle(int hostfd, int applied)
{
	int rc;

	if (!applied)
		return store_remove(hostfd, FILE_ACCT_ROLLOVER);
	if ((rc = store_rename(hostfd, FILE_ACCT_ROLLOVER, hostfd,
	    "key.pem")) < 0)
		return err_wrap(rc, "the CA has the new key but key.pem was "
		    "not replaced (do it by hand)");
	return 0;
}

/* ---- conf/NAME.conf ---- */

/*
 * conf/NAME.conf: how NAME is issued and renewed, "key = value" lines
 * that renew reads back (file_conf_parse): a comment, name, identifiers,
 * then every option whose conf column in OPTIONS is not NO, in table
 * order, server-alias (when --server was an alias: the URL is saved) and
 * imported (the import that wrote it, for renew to name when the account
 * did not come along). Issue and the imports both write it from a
 * conf_file. EAB credentials are never written.
 */
struct conf_file {
	const char	*why;		/* the comment, after "# acme: " */
	const char	*name;
	const struct ident *ids;	/* borrowed */
	size_t		 nids;
	const char	*alias;		/* --server's alias, or NULL */
	const char	*imported;	/* "import-certbot TREE", or NULL */
	struct acme_options o;		/* the settings; strings borrowed */
};

/*
 * The options as conf/NAME.conf keeps them: only what was asked for, so
 * that renewal chooses alike. The responder's settings only with
 * --standalone, its ports resolved; the hook's timeout only with a hook,
 * resolved; webroot-symlinks only with a webroot.
 */
static void
file_conf_saved(struct acme_options *o)
{
	if (o->standalone) {
		o->http_port = o->http_port > 0 ? o->http_port : 80;
		o->tls_port = o->tls_port > 0 ? o->tls_port : 443;
	} else {
		o->http_port = o->tls_port = 0;
		o->bind = NULL;
	}
	if (o->hook == NULL)
		o->hook_timeout = 0;
	else if (o->hook_timeout <= 0)
		o->hook_timeout = HOOK_TIMEOUT;
	if (o->webroot == NULL)
		o->webroot_symlinks = 0;
}

/* "key = value\n"; values may be long paths. An append: b's error. */
static void
file_conf_kv(struct buf *b, const char *key, const char *value)
{
	buf_puts(b, key);
	buf_puts(b, " = ");
	buf_puts(b, value);
	buf_puts(b, "\n");
}

/* Option r's line, when o sets it and conf/NAME.conf keeps it. */
static void
file_conf_opt(struct buf *b, const struct opt *r,
    const struct acme_options *o)
{
	const char *v = NULL;
	char num[16];

	if (r->conf == OPT_CONF_NO)
		return;
	if (r->kind == OPT_STR)
		v = opt_str_get(o, r);
	else if (opt_int_get(o, r) > 0) {
		snprintf(num, sizeof(num), "%d", opt_int_get(o, r));
		v = r->kind == OPT_FLAG ? "yes" : num;
	}
	if (v == NULL && r->conf == OPT_CONF_ALWAYS)
		v = "";
	if (v != NULL)
		file_conf_kv(b, r->name, v);
}

/* The text of conf/NAME.conf for f, appended to b. */
static ACME_MUST_CHECK int
file_conf_text(struct buf *b, const struct conf_file *f)
{
	struct acme_options o = f->o;
	size_t i;

	file_conf_saved(&o);
	buf_printf(b, "# acme: %s\n", f->why);
	file_conf_kv(b, "name", f->name);
	buf_puts(b, "identifiers =");
	for (i = 0; i < f->nids; i++)
		buf_printf(b, " %s", f->ids[i].value);
	buf_puts(b, "\n");
	for (i = 0; i < OPT_N; i++)
		file_conf_opt(b, &opt_table[i], &o);
	if (f->alias != NULL)
		file_conf_kv(b, "server-alias", f->alias);
	if (f->imported != NULL)
		file_conf_kv(b, "imported", f->imported);
	return buf_err(b);
}

/* Write conf/NAME.conf from f; issue and the imports. */
static ACME_MUST_CHECK int
file_conf_write(int storefd, const struct conf_file *f)
{
	struct buf b = { .max = CONF_MAX };
	char file[NAME_LEN_MAX + 8];
	int fd, rc;

	if ((rc = file_conf_text(&b, f)) < 0 ||
	    (rc = fd = store_subdir(storefd, "conf", 1)) < 0)
		goto out;
	snprintf(file, sizeof(file), "%s.conf", f->name);
	rc = store_write_buf(fd, file, &b, STORE_FILE_MODE);
	close(fd);
out:
	buf_free(&b);
	return rc;
}

/*
 * Reading it back: each option key sets its acme_options field (OPTIONS:
 * conf, kind) unless the command line already set it (options given to
 * renew win for that run); an empty value sets nothing. Unknown keys are
 * a warning, so a conf written by a newer acme still renews. The
 * challenge settings (conf CHAL) are all skipped when the command line
 * chose its own way to answer (--webroot, --standalone, --hook or
 * --challenge).
 */

/* One NAME's saved settings; strings point into text. */
struct conf {
	struct buf	 text;			/* owned */
	struct acme_options o;			/* merged with the CLI's */
	const char	*idents[IDENT_MAX];	/* into text */
	size_t		 nidents;
	const char	*imported;		/* into text: the import */
	char		 file[NAME_LEN_MAX + 8];	/* "NAME.conf" */
};

static ACME_MUST_CHECK int
file_conf_idents(struct conf *c, char *v)
{
	char *save = NULL, *w;

	c->nidents = 0;
	for (w = strtok_r(v, " \t", &save); w != NULL;
	    w = strtok_r(NULL, " \t", &save)) {
		if (c->nidents == IDENT_MAX)
			return err_set(ACME_ERR_LIMIT, "more than %d "
			    "identifiers", IDENT_MAX);
		c->idents[c->nidents++] = w;
	}
	return 0;
}

/* The option whose conf key is k, or NULL. */
static const struct opt *
file_conf_find(const char *k)
{
	size_t i;

	for (i = 0; i < OPT_N; i++)
		if (opt_table[i].conf != OPT_CONF_NO &&
		    strcmp(k, opt_table[i].name) == 0)
			return &opt_table[i];
	return NULL;
}

/* Set r's field of o from v unless it is already set (by the CLI):
 * a string, yes or no for a flag, a number 0..INT_MAX (api_limits checks
 * the option's own range once the conf is read). */
static ACME_MUST_CHECK int
file_conf_set(const struct opt *r, struct acme_options *o, char *v, int line)
{
	char *end;
	long n;

	if (r->kind == OPT_STR) {
		if (*opt_str(o, r) == NULL)
			*opt_str(o, r) = v;
		return 0;
	}
	if (r->kind == OPT_FLAG && (strcmp(v, "yes") == 0 ||
	    strcmp(v, "no") == 0))
		n = strcmp(v, "yes") == 0;
	else {
		errno = 0;
		n = strtol(v, &end, 10);
		if (!OPT_IS_NUMBER(r->kind) || errno != 0 || *end != '\0' ||
		    n < 0 || n > INT_MAX)
			return err_set(ACME_ERR_USAGE, "line %d: bad value "
			    "for %s", line, r->name);
	}
	if (*opt_int(o, r) == 0)
		*opt_int(o, r) = (int)n;
	return 0;
}

/* Apply "key = value" (both trimmed, v NUL-terminated in the text). */
static ACME_MUST_CHECK int
file_conf_apply(struct conf *c, const struct acme_options *cli, const char *k,
    char *v, int line)
{
	const struct opt *r;

	if (strcmp(k, "identifiers") == 0)
		return file_conf_idents(c, v);
	if (strcmp(k, "name") == 0 || strcmp(k, "server-alias") == 0)
		return 0;		/* for the reader of the file */
	if (strcmp(k, "imported") == 0) {
		c->imported = v;	/* named when there is no account */
		return 0;
	}
	if ((r = file_conf_find(k)) == NULL) {
		log_msg(LOG_LEVEL_ERROR, "warning: conf/%s line %d: unknown "
		    "key '%.40s' ignored", c->file, line, k);
		return 0;
	}
	if ((r->conf == OPT_CONF_CHAL && (cli->webroot != NULL ||
	    cli->standalone || cli->hook != NULL || cli->challenge != NULL ||
	    cli->dns_api != NULL)) ||
	    *v == '\0')
		return 0;
	return file_conf_set(r, &c->o, v, line);
}

/* Parse the conf text in c->text (NUL-terminated, edited in place). */
static ACME_MUST_CHECK int
file_conf_parse(struct conf *c, const struct acme_options *cli)
{
	char *p = (char *)c->text.data, *nl, *eq;
	int line = 0, rc;

	c->o = *cli;
	while (p != NULL && *p != '\0') {
		line++;
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		p = file_trim(p);
		if (*p != '\0' && *p != '#') {
			if ((eq = strchr(p, '=')) == NULL)
				return err_set(ACME_ERR_USAGE, "line %d: no "
				    "'='", line);
			*eq = '\0';
			if ((rc = file_conf_apply(c, cli, file_trim(p),
			    file_trim(eq + 1), line)) < 0)
				return rc;
		}
		p = nl;
	}
	if (c->nidents == 0)
		return err_set(ACME_ERR_USAGE, "no identifiers");
	return 0;
}

/* Read conf/NAME.conf below conffd (DIR/conf) into c, merged with cli;
 * it must be private to the user running acme (store_private_ok). The
 * caller checks the merged options' limits (api_limits) before any use. */
static ACME_MUST_CHECK int
file_conf_load(int conffd, const char *dir, const char *name,
    const struct acme_options *cli, struct conf *c)
{
	char *file = c->file, path[PATH_LEN_MAX];
	int rc;

	memset(c, 0, sizeof(*c));
	snprintf(c->file, sizeof(c->file), "%s.conf", name);
	snprintf(path, sizeof(path), "%s/conf/%s", dir, file);
	if ((rc = store_read_private(conffd, file, path, &c->text,
	    CONF_MAX)) < 0 ||
	    (rc = buf_append(&c->text, "", 0)) < 0) {
		if (rc == STORE_ABSENT)
			return err_set(ACME_ERR_USAGE, "no conf/%s: issue it "
			    "first", file);
		return rc;
	}
	if ((rc = file_conf_parse(c, cli)) < 0)
		return err_wrap(rc, "conf/%s", file);
	return 0;
}

/* Whether conf/NAME.conf exists below storefd. */
static int
file_conf_exists(int storefd, const char *name)
{
	char file[NAME_LEN_MAX + 8];
	int fd, r;

	if ((fd = store_subdir_try(storefd, "conf")) < 0)
		return 0;
	snprintf(file, sizeof(file), "%s.conf", name);
	r = store_exists(fd, file);
	close(fd);
	return r;
}

/* Remove conf/NAME.suffix (".conf", ".order") below storefd, when there
 * is one. */
static ACME_MUST_CHECK int
file_conf_unlink(int storefd, const char *name, const char *suffix)
{
	char file[NAME_LEN_MAX + 8];
	int fd, rc;

	if ((fd = store_subdir(storefd, "conf", 0)) < 0)
		return fd == STORE_ABSENT ? 0 : fd;
	snprintf(file, sizeof(file), "%s%s", name, suffix);
	rc = store_remove(fd, file);
	close(fd);
	return rc;
}

/* Remove conf/NAME.conf below storefd, when there is one. */
static ACME_MUST_CHECK int
file_conf_remove(int storefd, const char *name)
{
	return file_conf_unlink(storefd, name, ".conf");
}

/* The NAMEs of conf/ (conffd), sorted; *names owned by the caller. */
static ACME_MUST_CHECK int
file_conf_names(int conffd, size_t max, char ***names, size_t *n)
{
	return store_names(conffd, "conf", ".conf", max, names, n);
}

/*
 * "key = value" of one conf/NAME.conf line (blanks around both): v set
 * to the value (in place) when line is key's line.
 */
static ACME_MUST_CHECK int
file_conf_value(char *line, const char *key, char **v)
{
	size_t n = strlen(key);
	char *e;

	line += strspn(line, " \t");
	if (strncmp(line, key, n) != 0)
		return 0;
	line += n + strspn(line + n, " \t");
	if (*line++ != '=')
		return 0;
	*v = line + strspn(line, " \t");
	for (e = *v + strlen(*v); e > *v && isspace((unsigned char)e[-1]);)
		*--e = '\0';
	return 1;
}

/*
 * The server and the ca-file conf/NAME.conf below DIR dir names, read
 * without the lock (a command checks them before it takes DIR): into
 * *server and *ca_file, pointing into text ("" when not set).
 * STORE_ABSENT when NAME has no conf.
 */
static ACME_MUST_CHECK int
file_conf_server(const char *dir, const char *name, struct buf *text,
    const char **server, const char **ca_file)
{
	char path[PATH_LEN_MAX], *p, *e, *v;
	int rc;

	*server = *ca_file = "";
	snprintf(path, sizeof(path), "%s/conf/%s.conf", dir, name);
	if ((rc = store_read_private(AT_FDCWD, path, path, text,
	    CONF_MAX)) < 0 || (rc = buf_append(text, "", 0)) < 0)
		return rc;
	for (p = (char *)text->data; p != NULL; p = e) {
		if ((e = strchr(p, '\n')) != NULL)
			*e++ = '\0';
		if (file_conf_value(p, "server", &v))
			*server = v;
		else if (file_conf_value(p, "ca-file", &v))
			*ca_file = v;
	}
	return 0;
}

/* ---- conf/NAME.state ---- */

/*
 * conf/NAME.state: what renew must remember between runs, "key = value"
 * lines (times RFC 3339 UTC). Written with store_write only when it
 * changes; removed once a renewal succeeded. ari-* belong to the
 * certificate whose serial (hex) is ari-serial.
 */
struct renew_state {
	char	 serial[2 * X509_SERIAL_MAX + 1];
	int64_t	 ari_start;		/* window last seen */
	int64_t	 ari_end;
	int64_t	 ari_time;		/* the point drawn in it */
	int64_t	 ari_next;		/* no renewalInfo request before */
	int64_t	 retry_until;		/* rate limited: no order before */
};

#define STATE_F(f)	offsetof(struct renew_state, f)

static const struct {
	const char	*key;
	size_t		 off;
} state_times[] = {
	{ "ari-window-start", STATE_F(ari_start) },
	{ "ari-window-end", STATE_F(ari_end) },
	{ "ari-renew-at", STATE_F(ari_time) },
	{ "ari-next-check", STATE_F(ari_next) },
	{ "rate-limited-until", STATE_F(retry_until) },
};

#define STATE_NTIMES	(sizeof(state_times) / sizeof(state_times[0]))

static int64_t *
file_state_field(struct renew_state *st, size_t i)
{
	return (int64_t *)(void *)((char *)st + state_times[i].off);
}

/* One line of the state file; unknown or bad lines are dropped. */
static void
file_state_line(struct renew_state *st, char *k, char *v)
{
	size_t i;

	if (strcmp(k, "ari-serial") == 0 && strlen(v) < sizeof(st->serial)) {
		memcpy(st->serial, v, strlen(v) + 1);
		return;
	}
	for (i = 0; i < STATE_NTIMES; i++)
		if (strcmp(k, state_times[i].key) == 0 &&
		    clock_parse_rfc3339(v, file_state_field(st, i)) < 0)
			*file_state_field(st, i) = 0;
}

/* Read conf/NAME.state into st: empty when there is none; a file that
 * cannot be read is an error (a rate limit in it must not be lost). */
static ACME_MUST_CHECK int
file_state_read(int conffd, const char *name, struct renew_state *st)
{
	struct buf b = { 0 };
	char file[NAME_LEN_MAX + 8], *p, *nl, *eq;
	int rc;

	memset(st, 0, sizeof(*st));
	snprintf(file, sizeof(file), "%s.state", name);
	if ((rc = store_read(conffd, file, &b, STATE_MAX)) == 0)
		rc = buf_append(&b, "", 0);
	for (p = rc == 0 ? (char *)b.data : NULL; p != NULL && *p != '\0';
	    p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		file_state_line(st, file_trim(p), file_trim(eq + 1));
	}
	buf_free(&b);
	return rc == STORE_ABSENT ? 0 : rc;
}

/* Write st when it differs from old (remove the file when st is empty). */
static ACME_MUST_CHECK int
file_state_write(int conffd, const char *name, const struct renew_state *old,
    struct renew_state *st)
{
	static const struct renew_state empty;
	struct buf b = { .max = STATE_MAX };
	char file[NAME_LEN_MAX + 8], t[40];
	size_t i;
	int rc;

	if (memcmp(old, st, sizeof(*st)) == 0)
		return 0;
	snprintf(file, sizeof(file), "%s.state", name);
	if (memcmp(st, &empty, sizeof(*st)) == 0)
		return store_remove(conffd, file);
	buf_printf(&b, "# acme: renewal state of %s (see acme(1))\n", name);
	if (st->serial[0] != '\0')
		buf_printf(&b, "ari-serial = %s\n", st->serial);
	for (i = 0; i < STATE_NTIMES; i++)
		if (*file_state_field(st, i) != 0) {
			clock_format_rfc3339(*file_state_field(st, i), t,
			    sizeof(t));
			buf_printf(&b, "%s = %s\n", state_times[i].key, t);
		}
	rc = store_write_buf(conffd, file, &b, STORE_FILE_MODE);
	buf_free(&b);
	return rc;
}

/* ---- conf/NAME.order ---- */

/*
 * Before finalize, the order and the key its CSR is for are recorded in
 * conf/NAME.order (0600): a run that dies or loses the answer after that
 * leaves the certificate the CA may already have issued to the next run
 * for NAME, which goes on with the order instead of starting over (see
 * order_load). "key: value" lines, server, order, identifiers and
 * key-type, then the key's PEM. Removed once the set is installed, or
 * when unusable.
 */
struct file_order {
	const char	*server;
	const char	*order;		/* the order URL; writing only */
	const struct ident *ids;	/* borrowed */
	size_t		 nids;
	const char	*key_type;
	const struct key *key;		/* writing only */
};

#define FILE_ORDER_MAX	META_MAX	/* IDENT_MAX names and a key fit */

/* "identifiers: a b c" and "key-type" of r, the lines a record must
 * match. */
static void
file_order_ids(const struct file_order *r, struct buf *b)
{
	size_t i;

	buf_puts(b, "identifiers:");
	for (i = 0; i < r->nids; i++)
		buf_printf(b, " %s", r->ids[i].value);
	buf_printf(b, "\nkey-type: %s\n", r->key_type);
}

/* Write conf/NAME.order below storefd for r. */
static ACME_MUST_CHECK int
file_order_write(int storefd, const char *name, const struct file_order *r)
{
	struct buf b = { .max = FILE_ORDER_MAX };
	char file[NAME_LEN_MAX + 8];
	int fd, rc;

	buf_printf(&b, "# acme: an order of %s in flight (see acme(1))\n"
	    "server: %s\norder: %s\n", name, r->server, r->order);
	file_order_ids(r, &b);
	if ((rc = buf_err(&b)) < 0 || (rc = key_to_pem(r->key, &b)) < 0 ||
	    (rc = fd = store_subdir(storefd, "conf", 1)) < 0)
		goto out;
	snprintf(file, sizeof(file), "%s.order", name);
	rc = store_write_buf(fd, file, &b, STORE_KEY_MODE);
	close(fd);
out:
	buf_free(&b);
	return rc;
}

/* Remove conf/NAME.order below storefd when there is one. */
static ACME_MUST_CHECK int
file_order_remove(int storefd, const char *name)
{
	return file_conf_unlink(storefd, name, ".order");
}

/* conf/NAME.order below storefd into b, NUL-terminated; it holds a key
 * to install: ours only (store_private_ok). STORE_ABSENT without one. */
static ACME_MUST_CHECK int
file_order_read(int storefd, const char *name, struct buf *b)
{
	char file[NAME_LEN_MAX + 8], path[NAME_LEN_MAX + 16];
	int fd, rc;

	if ((fd = store_subdir(storefd, "conf", 0)) < 0)
		return fd;
	snprintf(file, sizeof(file), "%s.order", name);
	snprintf(path, sizeof(path), "conf/%s", file);
	if ((rc = store_read_private(fd, file, path, b, FILE_ORDER_MAX)) == 0)
		rc = buf_append(b, "", 0);
	close(fd);
	return rc;
}

/* The order URL of record text t when it is for want (same server,
 * identifiers and key type), else "". */
static void
file_order_match(const char *t, const struct file_order *want, char *url)
{
	struct buf w = { .max = FILE_ORDER_MAX };
	const char *p;
	size_t n;

	url[0] = '\0';
	if (buf_printf(&w, "\nserver: %s\norder: ", want->server) < 0 ||
	    (p = strstr(t, (char *)w.data)) == NULL)
		goto out;
	p += w.len;
	if ((n = strcspn(p, "\n")) >= URL_MAX || p[n] != '\n')
		goto out;
	w.len = 0;
	file_order_ids(want, &w);
	if (buf_err(&w) < 0 ||
	    strncmp(p + n + 1, (char *)w.data, w.len) != 0)
		goto out;
	memcpy(url, p, n);
	url[n] = '\0';
out:
	buf_free(&w);
}

/* The key of record text t (len bytes) into k. */
static ACME_MUST_CHECK int
file_order_key(const char *t, size_t len, struct key *k)
{
	return key_from_pem(k, t, len);
}

/* ==== 13. HTTP ==== */

/*
 * One HTTP session over libcurl and BearSSL: trust anchors (--ca-file, a
 * system bundle, else the built-in roots that vendor/gen-anchors.sh
 * generates), certificates checked at section 11's trusted time, bounded
 * headers and bodies, per-request timeouts, and a fresh connection for a
 * retried idempotent request. Knows nothing of ACME.
 *
 * Prefixes: http_.
 * May call: 2-4, 6, 9-11.
 */

/* System CA bundles tried, in order, when --ca-file is not given. */
static const char *const http_ca_bundles[] = {
	"/etc/ssl/certs/ca-certificates.crt",	/* Debian, OpenWrt, Alpine */
	"/etc/pki/tls/certs/ca-bundle.crt",	/* Fedora, RHEL */
	"/etc/ssl/cert.pem",			/* OpenWrt ca-bundle, BSD */
};

/* One response; body and the headers ACME needs. */
struct http_resp {
	long		status;
	struct buf	body;			/* owned */
	char		nonce[NONCE_MAX];	/* Replay-Nonce */
	char		location[URL_MAX];
	char		content_type[128];
	char		link_up[URL_MAX];	/* Link: rel="up" */
	char		link_alt[LINK_ALT_MAX][URL_MAX]; /* rel="alternate" */
	size_t		nlink_alt;
	char		date[64];		/* Date */
	long		retry_after;		/* seconds, -1 when absent */
	int64_t		retry_at;		/* Retry-After as an HTTP-date,
						   unix seconds; 0 absent */
	struct buf	*dump;			/* borrowed: every header line
						   of every response, or NULL */
};

/*
 * A CA reached by IP address (acme(1), --server): for an IP literal host
 * libcurl sends no SNI and gives BearSSL no name to check (vendor/
 * patches/curl-bearssl-verify-ip.patch), so our engine keeps the server
 * certificate and matches the URL's address exactly against its
 * iPAddress names (RFC 5280 4.2.1.6, RFC 6125 6.2.1: never a DNS name or
 * the CN). It fails closed: a chain BearSSL checked no name of passes
 * only when the URL's host is an IP literal that matches.
 */
struct http_ipx {
	struct buf	 leaf;			/* owned: the server
						   certificate, DER */
	unsigned	 ncert;			/* certificates of the chain */
	int		 named;			/* BearSSL checks a DNS name
						   (it checks none for NULL
						   or "") */
	int		 refused;		/* the address did not match */
	unsigned char	 ip[16];		/* the URL's host, an IP: */
	size_t		 iplen;			/* 4 or 16; 0 a DNS name */
};

/*
 * Our X.509 engine (see http_ssl_ctx_cb): BearSSL's minimal engine, whose
 * validation time we set, wrapped so that each certificate it checks is
 * also decoded for its dates: the chain is judged on a lower bound of the
 * true time (http_chain_valid), and once it verified, its earliest
 * notAfter bounds any honest Date of the CA (acme(1), TIME); the first,
 * the server's, is kept too when the CA is reached by IP address
 * (struct http_ipx).
 */
struct http_x509 {
	const br_x509_class *vtable;		/* first: BearSSL's objects */
	br_x509_minimal_context minimal;
	br_x509_decoder_context cert;		/* the certificate being read */
	int64_t		 v;			/* V, the validation time */
	int64_t		 nb_max;		/* latest notBefore, earliest */
	int64_t		 na_min;		/* notAfter of those checked */
	int		 reading;		/* minimal checks this one */
	int64_t		*not_after;		/* borrowed: http's
						   tls_not_after */
	struct http_ipx	*ipx;			/* borrowed: http's */
};

/* One libcurl handle for the whole run: one TLS connection, reused. */
struct http {
	CURL		*curl;			/* owned */
	const char	*ca_file;		/* NULL, or ca_path */
	char		 ca_path[PATH_LEN_MAX];	/* the CA file, a copy: the
						   caller's string may go */
	char		 errbuf[CURL_ERROR_SIZE];
	int64_t		 tls_time;		/* X.509 validation time
						   (http_set_tls_time) */
	const char	*floor_dir;		/* borrowed: DIR when tls_time
						   is DIR/time's, else NULL */
	int64_t		 tls_not_after;		/* earliest notAfter of the
						   server certificates verified
						   so far; 0 none */
	int64_t		 date;			/* Date of the run's first
						   answer (CA time); 0 none */
	struct http_x509 *x509;			/* owned, our X.509 engine */
	br_x509_trust_anchor *tas;		/* owned anchors of ca_file, or
						   the built-in anchors */
	size_t		 ntas;
	long		 timeout;		/* seconds for the next
						   exchanges; 0: HTTP_TIMEOUT */
	int		 fresh;			/* the next one on a new
						   connection */
	int		 transient;		/* the last failure was the
						   network's: a retry may pass */
	struct http_ipx	 ipx;			/* x509's IP check */
};

static void
http_resp_free(struct http_resp *r)
{
	buf_free(&r->body);
}

static void
http_resp_reset(struct http_resp *r)
{
	struct buf *dump = r->dump;

	buf_free(&r->body);
	memset(r, 0, sizeof(*r));
	r->retry_after = -1;
	r->body.max = BODY_MAX;
	r->dump = dump;
}

static size_t
http_body_cb(char *p, size_t size, size_t n, void *arg)
{
	struct http_resp *r = arg;

	if (buf_append(&r->body, p, size * n) < 0)
		return 0;		/* aborts the transfer */
	return size * n;
}

/* Copy header value v (len n, trimmed) into dst if it fits, else skip. */
static void
http_hdr_copy(char *dst, size_t cap, const char *v, size_t n)
{
	while (n > 0 && (*v == ' ' || *v == '\t'))
		v++, n--;
	while (n > 0 && (v[n - 1] == '\r' || v[n - 1] == '\n' ||
	    v[n - 1] == ' '))
		n--;
	if (n >= cap)
		return;
	memcpy(dst, v, n);
	dst[n] = '\0';
}

/* RFC 8288: Link: <url>;rel="up" (one link per header line is enough). */
static void
http_hdr_link(struct http_resp *r, const char *v, size_t n)
{
	const char *lt = memchr(v, '<', n), *gt;

	if (lt == NULL || (gt = memchr(lt, '>', n - (size_t)(lt - v))) == NULL)
		return;
	if (memmem(gt, n - (size_t)(gt - v), "rel=\"up\"", 8) == NULL)
		return;
	http_hdr_copy(r->link_up, sizeof(r->link_up), lt + 1,
	    (size_t)(gt - lt - 1));
}

/*
 * RFC 9110 10.2.3: Retry-After in delay-seconds or as an HTTP-date. The
 * seconds are clamped to RETRY_AFTER_CLAMP before anyone adds them to a
 * time (99999999999999999999 is a valid delay-seconds).
 */
static void
http_hdr_retry(struct http_resp *r, const char *v, size_t n)
{
	char tmp[32];
	char *end;
	long s;

	tmp[0] = '\0';
	http_hdr_copy(tmp, sizeof(tmp), v, n);
	errno = 0;
	s = strtol(tmp, &end, 10);
	if (end != tmp && *end == '\0' && isdigit((unsigned char)tmp[0]))
		r->retry_after = errno == ERANGE || s > RETRY_AFTER_CLAMP ?
		    RETRY_AFTER_CLAMP : s;
	else if (clock_parse_http_date(tmp, &r->retry_at) < 0)
		r->retry_at = 0;
}

/*
 * RFC 8288 / RFC 8555 7.4.2: every <url>;rel="alternate" of a Link header
 * line (several links may share one line, comma-separated), at most
 * LINK_ALT_MAX in all; later ones are dropped.
 */
static void
http_hdr_link_alt(struct http_resp *r, const char *v, size_t n)
{
	const char *end = v + n, *lt, *gt, *next;
	size_t seg;

	while (v < end && (lt = memchr(v, '<', (size_t)(end - v))) != NULL) {
		if ((gt = memchr(lt, '>', (size_t)(end - lt))) == NULL)
			return;
		next = memchr(gt, '<', (size_t)(end - gt));
		seg = (size_t)((next != NULL ? next : end) - gt);
		if (memmem(gt, seg, "rel=\"alternate\"", 15) != NULL &&
		    r->nlink_alt < LINK_ALT_MAX) {
			http_hdr_copy(r->link_alt[r->nlink_alt], URL_MAX,
			    lt + 1, (size_t)(gt - lt - 1));
			if (r->link_alt[r->nlink_alt][0] != '\0')
				r->nlink_alt++;
		}
		v = gt + 1;
	}
}

static size_t
http_header_cb(char *p, size_t size, size_t n, void *arg)
{
	static const struct {
		const char	*name;
		size_t		 off;
		size_t		 cap;
	} copies[] = {
		{ "replay-nonce:", offsetof(struct http_resp, nonce), NONCE_MAX },
		{ "location:", offsetof(struct http_resp, location), URL_MAX },
		{ "content-type:", offsetof(struct http_resp, content_type),
		    128 },
		{ "date:", offsetof(struct http_resp, date), 64 },
	};
	struct http_resp *r = arg;
	size_t len = size * n, i, k;

	if (len > HEADER_MAX)
		return len;		/* ignore oversized header lines */
	/* a dump that outgrew its max keeps its first lines */
	if (r->dump != NULL)
		ACME_IGNORE(buf_append(r->dump, p, len));
	if (len >= 5 && strncmp(p, "HTTP/", 5) == 0) {
		http_resp_reset(r);	/* a new response (e.g. after 100) */
		return len;
	}
	for (i = 0; i < sizeof(copies) / sizeof(copies[0]); i++) {
		k = strlen(copies[i].name);
		if (len > k && strncasecmp(p, copies[i].name, k) == 0)
			http_hdr_copy((char *)r + copies[i].off,
			    copies[i].cap, p + k, len - k);
	}
	if (len > 5 && strncasecmp(p, "link:", 5) == 0)
		http_hdr_link(r, p + 5, len - 5);
	if (len > 5 && strncasecmp(p, "link:", 5) == 0)
		http_hdr_link_alt(r, p + 5, len - 5);
	if (len > 12 && strncasecmp(p, "retry-after:", 12) == 0)
		http_hdr_retry(r, p + 12, len - 12);
	return len;
}

/* A readable, non-empty regular file (a usable CA bundle). */
static ACME_MUST_CHECK int
http_bundle_ok(const char *path)
{
	struct stat st;

	return access(path, R_OK) == 0 && stat(path, &st) == 0 &&
	    S_ISREG(st.st_mode) && st.st_size > 0;
}

/*
 * The CA file: --ca-file, else the first system bundle present and not
 * empty, else NULL (the built-in anchors). ACME_TEST_CA_BUNDLES, a
 * colon-separated list, replaces the system paths in a test build.
 */
static const char *
http_pick_ca(const char *ca_file)
{
	static char test_path[PATH_LEN_MAX];
	const char *env = TEST_GETENV("ACME_TEST_CA_BUNDLES"), *p;
	size_t i, n;

	if (ca_file != NULL)
		return ca_file;
	for (p = env; p != NULL && *p != '\0'; p += n + (p[n] == ':')) {
		n = strcspn(p, ":");
		if (n == 0 || n >= sizeof(test_path))
			continue;
		memcpy(test_path, p, n);
		test_path[n] = '\0';
		if (http_bundle_ok(test_path))
			return test_path;
	}
	for (i = 0; env == NULL && i < sizeof(http_ca_bundles) /
	    sizeof(http_ca_bundles[0]); i++)
		if (http_bundle_ok(http_ca_bundles[i]))
			return http_ca_bundles[i];
	return NULL;
}

/* ---- the built-in trust anchors ---- */

/* ---- BEGIN GENERATED by vendor/gen-anchors.sh: do not edit ---- */
/*
 * The roots the ACME endpoints of the CA aliases chain to, from
 * Debian's ca-certificates (Mozilla's store), as BearSSL trust
 * anchors: each certificate's subject name (DER) and public key,
 * which is all BearSSL takes from an anchor (no dates, no other
 * extension than the CA flag); used when there is no --ca-file and
 * no system CA bundle. SHA-256 of each certificate:
 *   ISRG_Root_X1
 *     96bcec06264976f37460779acf28c5a7cfe8a3c0aae11a8ffcee05c0bddf08c6
 *   ISRG_Root_X2
 *     69729b8e15a86efc177a57afb7171dfc64add28c2fca8cf1507e34453ccb1470
 *   USERTrust_RSA_Certification_Authority
 *     e793c9b02fd8aa13e21c31228accb08119643b749c898964b1746d46c3d4cbd2
 *   USERTrust_ECC_Certification_Authority
 *     4ff460d54b9c86dabfbcfc5712e0400d2bed3fbc4d4fbdaa86e06adcd2a9ad7a
 *   Buypass_Class_2_Root_CA
 *     9a114025197c5bb95d94e63d55cd43790847b646b23cdf11ada4a00eff15fb48
 *   GTS_Root_R1
 *     d947432abde7b7fa90fc2e6b59101b1280e0e1c7e4e40fa3c6887fff57a7f4cf
 *   GTS_Root_R4
 *     349dfa4058c5e263123b398ae795573c4e1313c83fe68f93556cd5e8031b3c7d
 */
/* ISRG_Root_X1 */
static unsigned char anchor0_dn[] = {
	0x30, 0x4f, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
	0x02, 0x55, 0x53, 0x31, 0x29, 0x30, 0x27, 0x06, 0x03, 0x55, 0x04, 0x0a,
	0x13, 0x20, 0x49, 0x6e, 0x74, 0x65, 0x72, 0x6e, 0x65, 0x74, 0x20, 0x53,
	0x65, 0x63, 0x75, 0x72, 0x69, 0x74, 0x79, 0x20, 0x52, 0x65, 0x73, 0x65,
	0x61, 0x72, 0x63, 0x68, 0x20, 0x47, 0x72, 0x6f, 0x75, 0x70, 0x31, 0x15,
	0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0c, 0x49, 0x53, 0x52,
	0x47, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x58, 0x31,
};
static unsigned char anchor0_n[] = {
	0xad, 0xe8, 0x24, 0x73, 0xf4, 0x14, 0x37, 0xf3, 0x9b, 0x9e, 0x2b, 0x57,
	0x28, 0x1c, 0x87, 0xbe, 0xdc, 0xb7, 0xdf, 0x38, 0x90, 0x8c, 0x6e, 0x3c,
	0xe6, 0x57, 0xa0, 0x78, 0xf7, 0x75, 0xc2, 0xa2, 0xfe, 0xf5, 0x6a, 0x6e,
	0xf6, 0x00, 0x4f, 0x28, 0xdb, 0xde, 0x68, 0x86, 0x6c, 0x44, 0x93, 0xb6,
	0xb1, 0x63, 0xfd, 0x14, 0x12, 0x6b, 0xbf, 0x1f, 0xd2, 0xea, 0x31, 0x9b,
	0x21, 0x7e, 0xd1, 0x33, 0x3c, 0xba, 0x48, 0xf5, 0xdd, 0x79, 0xdf, 0xb3,
	0xb8, 0xff, 0x12, 0xf1, 0x21, 0x9a, 0x4b, 0xc1, 0x8a, 0x86, 0x71, 0x69,
	0x4a, 0x66, 0x66, 0x6c, 0x8f, 0x7e, 0x3c, 0x70, 0xbf, 0xad, 0x29, 0x22,
	0x06, 0xf3, 0xe4, 0xc0, 0xe6, 0x80, 0xae, 0xe2, 0x4b, 0x8f, 0xb7, 0x99,
	0x7e, 0x94, 0x03, 0x9f, 0xd3, 0x47, 0x97, 0x7c, 0x99, 0x48, 0x23, 0x53,
	0xe8, 0x38, 0xae, 0x4f, 0x0a, 0x6f, 0x83, 0x2e, 0xd1, 0x49, 0x57, 0x8c,
	0x80, 0x74, 0xb6, 0xda, 0x2f, 0xd0, 0x38, 0x8d, 0x7b, 0x03, 0x70, 0x21,
	0x1b, 0x75, 0xf2, 0x30, 0x3c, 0xfa, 0x8f, 0xae, 0xdd, 0xda, 0x63, 0xab,
	0xeb, 0x16, 0x4f, 0xc2, 0x8e, 0x11, 0x4b, 0x7e, 0xcf, 0x0b, 0xe8, 0xff,
	0xb5, 0x77, 0x2e, 0xf4, 0xb2, 0x7b, 0x4a, 0xe0, 0x4c, 0x12, 0x25, 0x0c,
	0x70, 0x8d, 0x03, 0x29, 0xa0, 0xe1, 0x53, 0x24, 0xec, 0x13, 0xd9, 0xee,
	0x19, 0xbf, 0x10, 0xb3, 0x4a, 0x8c, 0x3f, 0x89, 0xa3, 0x61, 0x51, 0xde,
	0xac, 0x87, 0x07, 0x94, 0xf4, 0x63, 0x71, 0xec, 0x2e, 0xe2, 0x6f, 0x5b,
	0x98, 0x81, 0xe1, 0x89, 0x5c, 0x34, 0x79, 0x6c, 0x76, 0xef, 0x3b, 0x90,
	0x62, 0x79, 0xe6, 0xdb, 0xa4, 0x9a, 0x2f, 0x26, 0xc5, 0xd0, 0x10, 0xe1,
	0x0e, 0xde, 0xd9, 0x10, 0x8e, 0x16, 0xfb, 0xb7, 0xf7, 0xa8, 0xf7, 0xc7,
	0xe5, 0x02, 0x07, 0x98, 0x8f, 0x36, 0x08, 0x95, 0xe7, 0xe2, 0x37, 0x96,
	0x0d, 0x36, 0x75, 0x9e, 0xfb, 0x0e, 0x72, 0xb1, 0x1d, 0x9b, 0xbc, 0x03,
	0xf9, 0x49, 0x05, 0xd8, 0x81, 0xdd, 0x05, 0xb4, 0x2a, 0xd6, 0x41, 0xe9,
	0xac, 0x01, 0x76, 0x95, 0x0a, 0x0f, 0xd8, 0xdf, 0xd5, 0xbd, 0x12, 0x1f,
	0x35, 0x2f, 0x28, 0x17, 0x6c, 0xd2, 0x98, 0xc1, 0xa8, 0x09, 0x64, 0x77,
	0x6e, 0x47, 0x37, 0xba, 0xce, 0xac, 0x59, 0x5e, 0x68, 0x9d, 0x7f, 0x72,
	0xd6, 0x89, 0xc5, 0x06, 0x41, 0x29, 0x3e, 0x59, 0x3e, 0xdd, 0x26, 0xf5,
	0x24, 0xc9, 0x11, 0xa7, 0x5a, 0xa3, 0x4c, 0x40, 0x1f, 0x46, 0xa1, 0x99,
	0xb5, 0xa7, 0x3a, 0x51, 0x6e, 0x86, 0x3b, 0x9e, 0x7d, 0x72, 0xa7, 0x12,
	0x05, 0x78, 0x59, 0xed, 0x3e, 0x51, 0x78, 0x15, 0x0b, 0x03, 0x8f, 0x8d,
	0xd0, 0x2f, 0x05, 0xb2, 0x3e, 0x7b, 0x4a, 0x1c, 0x4b, 0x73, 0x05, 0x12,
	0xfc, 0xc6, 0xea, 0xe0, 0x50, 0x13, 0x7c, 0x43, 0x93, 0x74, 0xb3, 0xca,
	0x74, 0xe7, 0x8e, 0x1f, 0x01, 0x08, 0xd0, 0x30, 0xd4, 0x5b, 0x71, 0x36,
	0xb4, 0x07, 0xba, 0xc1, 0x30, 0x30, 0x5c, 0x48, 0xb7, 0x82, 0x3b, 0x98,
	0xa6, 0x7d, 0x60, 0x8a, 0xa2, 0xa3, 0x29, 0x82, 0xcc, 0xba, 0xbd, 0x83,
	0x04, 0x1b, 0xa2, 0x83, 0x03, 0x41, 0xa1, 0xd6, 0x05, 0xf1, 0x1b, 0xc2,
	0xb6, 0xf0, 0xa8, 0x7c, 0x86, 0x3b, 0x46, 0xa8, 0x48, 0x2a, 0x88, 0xdc,
	0x76, 0x9a, 0x76, 0xbf, 0x1f, 0x6a, 0xa5, 0x3d, 0x19, 0x8f, 0xeb, 0x38,
	0xf3, 0x64, 0xde, 0xc8, 0x2b, 0x0d, 0x0a, 0x28, 0xff, 0xf7, 0xdb, 0xe2,
	0x15, 0x42, 0xd4, 0x22, 0xd0, 0x27, 0x5d, 0xe1, 0x79, 0xfe, 0x18, 0xe7,
	0x70, 0x88, 0xad, 0x4e, 0xe6, 0xd9, 0x8b, 0x3a, 0xc6, 0xdd, 0x27, 0x51,
	0x6e, 0xff, 0xbc, 0x64, 0xf5, 0x33, 0x43, 0x4f,
};
static unsigned char anchor0_e[] = {
	0x01, 0x00, 0x01,
};
/* ISRG_Root_X2 */
static unsigned char anchor1_dn[] = {
	0x30, 0x4f, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
	0x02, 0x55, 0x53, 0x31, 0x29, 0x30, 0x27, 0x06, 0x03, 0x55, 0x04, 0x0a,
	0x13, 0x20, 0x49, 0x6e, 0x74, 0x65, 0x72, 0x6e, 0x65, 0x74, 0x20, 0x53,
	0x65, 0x63, 0x75, 0x72, 0x69, 0x74, 0x79, 0x20, 0x52, 0x65, 0x73, 0x65,
	0x61, 0x72, 0x63, 0x68, 0x20, 0x47, 0x72, 0x6f, 0x75, 0x70, 0x31, 0x15,
	0x30, 0x13, 0x06, 0x03, 0x55, 0x04, 0x03, 0x13, 0x0c, 0x49, 0x53, 0x52,
	0x47, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x58, 0x32,
};
static unsigned char anchor1_q[] = {
	0x04, 0xcd, 0x9b, 0xd5, 0x9f, 0x80, 0x83, 0x0a, 0xec, 0x09, 0x4a, 0xf3,
	0x16, 0x4a, 0x3e, 0x5c, 0xcf, 0x77, 0xac, 0xde, 0x67, 0x05, 0x0d, 0x1d,
	0x07, 0xb6, 0xdc, 0x16, 0xfb, 0x5a, 0x8b, 0x14, 0xdb, 0xe2, 0x71, 0x60,
	0xc4, 0xba, 0x45, 0x95, 0x11, 0x89, 0x8e, 0xea, 0x06, 0xdf, 0xf7, 0x2a,
	0x16, 0x1c, 0xa4, 0xb9, 0xc5, 0xc5, 0x32, 0xe0, 0x03, 0xe0, 0x1e, 0x82,
	0x18, 0x38, 0x8b, 0xd7, 0x45, 0xd8, 0x0a, 0x6a, 0x6e, 0xe6, 0x00, 0x77,
	0xfb, 0x02, 0x51, 0x7d, 0x22, 0xd8, 0x0a, 0x6e, 0x9a, 0x5b, 0x77, 0xdf,
	0xf0, 0xfa, 0x41, 0xec, 0x39, 0xdc, 0x75, 0xca, 0x68, 0x07, 0x0c, 0x1f,
	0xea,
};
/* USERTrust_RSA_Certification_Authority */
static unsigned char anchor2_dn[] = {
	0x30, 0x81, 0x88, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06,
	0x13, 0x02, 0x55, 0x53, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04,
	0x08, 0x13, 0x0a, 0x4e, 0x65, 0x77, 0x20, 0x4a, 0x65, 0x72, 0x73, 0x65,
	0x79, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x07, 0x13, 0x0b,
	0x4a, 0x65, 0x72, 0x73, 0x65, 0x79, 0x20, 0x43, 0x69, 0x74, 0x79, 0x31,
	0x1e, 0x30, 0x1c, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x15, 0x54, 0x68,
	0x65, 0x20, 0x55, 0x53, 0x45, 0x52, 0x54, 0x52, 0x55, 0x53, 0x54, 0x20,
	0x4e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x31, 0x2e, 0x30, 0x2c, 0x06,
	0x03, 0x55, 0x04, 0x03, 0x13, 0x25, 0x55, 0x53, 0x45, 0x52, 0x54, 0x72,
	0x75, 0x73, 0x74, 0x20, 0x52, 0x53, 0x41, 0x20, 0x43, 0x65, 0x72, 0x74,
	0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x20, 0x41, 0x75,
	0x74, 0x68, 0x6f, 0x72, 0x69, 0x74, 0x79,
};
static unsigned char anchor2_n[] = {
	0x80, 0x12, 0x65, 0x17, 0x36, 0x0e, 0xc3, 0xdb, 0x08, 0xb3, 0xd0, 0xac,
	0x57, 0x0d, 0x76, 0xed, 0xcd, 0x27, 0xd3, 0x4c, 0xad, 0x50, 0x83, 0x61,
	0xe2, 0xaa, 0x20, 0x4d, 0x09, 0x2d, 0x64, 0x09, 0xdc, 0xce, 0x89, 0x9f,
	0xcc, 0x3d, 0xa9, 0xec, 0xf6, 0xcf, 0xc1, 0xdc, 0xf1, 0xd3, 0xb1, 0xd6,
	0x7b, 0x37, 0x28, 0x11, 0x2b, 0x47, 0xda, 0x39, 0xc6, 0xbc, 0x3a, 0x19,
	0xb4, 0x5f, 0xa6, 0xbd, 0x7d, 0x9d, 0xa3, 0x63, 0x42, 0xb6, 0x76, 0xf2,
	0xa9, 0x3b, 0x2b, 0x91, 0xf8, 0xe2, 0x6f, 0xd0, 0xec, 0x16, 0x20, 0x90,
	0x09, 0x3e, 0xe2, 0xe8, 0x74, 0xc9, 0x18, 0xb4, 0x91, 0xd4, 0x62, 0x64,
	0xdb, 0x7f, 0xa3, 0x06, 0xf1, 0x88, 0x18, 0x6a, 0x90, 0x22, 0x3c, 0xbc,
	0xfe, 0x13, 0xf0, 0x87, 0x14, 0x7b, 0xf6, 0xe4, 0x1f, 0x8e, 0xd4, 0xe4,
	0x51, 0xc6, 0x11, 0x67, 0x46, 0x08, 0x51, 0xcb, 0x86, 0x14, 0x54, 0x3f,
	0xbc, 0x33, 0xfe, 0x7e, 0x6c, 0x9c, 0xff, 0x16, 0x9d, 0x18, 0xbd, 0x51,
	0x8e, 0x35, 0xa6, 0xa7, 0x66, 0xc8, 0x72, 0x67, 0xdb, 0x21, 0x66, 0xb1,
	0xd4, 0x9b, 0x78, 0x03, 0xc0, 0x50, 0x3a, 0xe8, 0xcc, 0xf0, 0xdc, 0xbc,
	0x9e, 0x4c, 0xfe, 0xaf, 0x05, 0x96, 0x35, 0x1f, 0x57, 0x5a, 0xb7, 0xff,
	0xce, 0xf9, 0x3d, 0xb7, 0x2c, 0xb6, 0xf6, 0x54, 0xdd, 0xc8, 0xe7, 0x12,
	0x3a, 0x4d, 0xae, 0x4c, 0x8a, 0xb7, 0x5c, 0x9a, 0xb4, 0xb7, 0x20, 0x3d,
	0xca, 0x7f, 0x22, 0x34, 0xae, 0x7e, 0x3b, 0x68, 0x66, 0x01, 0x44, 0xe7,
	0x01, 0x4e, 0x46, 0x53, 0x9b, 0x33, 0x60, 0xf7, 0x94, 0xbe, 0x53, 0x37,
	0x90, 0x73, 0x43, 0xf3, 0x32, 0xc3, 0x53, 0xef, 0xdb, 0xaa, 0xfe, 0x74,
	0x4e, 0x69, 0xc7, 0x6b, 0x8c, 0x60, 0x93, 0xde, 0xc4, 0xc7, 0x0c, 0xdf,
	0xe1, 0x32, 0xae, 0xcc, 0x93, 0x3b, 0x51, 0x78, 0x95, 0x67, 0x8b, 0xee,
	0x3d, 0x56, 0xfe, 0x0c, 0xd0, 0x69, 0x0f, 0x1b, 0x0f, 0xf3, 0x25, 0x26,
	0x6b, 0x33, 0x6d, 0xf7, 0x6e, 0x47, 0xfa, 0x73, 0x43, 0xe5, 0x7e, 0x0e,
	0xa5, 0x66, 0xb1, 0x29, 0x7c, 0x32, 0x84, 0x63, 0x55, 0x89, 0xc4, 0x0d,
	0xc1, 0x93, 0x54, 0x30, 0x19, 0x13, 0xac, 0xd3, 0x7d, 0x37, 0xa7, 0xeb,
	0x5d, 0x3a, 0x6c, 0x35, 0x5c, 0xdb, 0x41, 0xd7, 0x12, 0xda, 0xa9, 0x49,
	0x0b, 0xdf, 0xd8, 0x80, 0x8a, 0x09, 0x93, 0x62, 0x8e, 0xb5, 0x66, 0xcf,
	0x25, 0x88, 0xcd, 0x84, 0xb8, 0xb1, 0x3f, 0xa4, 0x39, 0x0f, 0xd9, 0x02,
	0x9e, 0xeb, 0x12, 0x4c, 0x95, 0x7c, 0xf3, 0x6b, 0x05, 0xa9, 0x5e, 0x16,
	0x83, 0xcc, 0xb8, 0x67, 0xe2, 0xe8, 0x13, 0x9d, 0xcc, 0x5b, 0x82, 0xd3,
	0x4c, 0xb3, 0xed, 0x5b, 0xff, 0xde, 0xe5, 0x73, 0xac, 0x23, 0x3b, 0x2d,
	0x00, 0xbf, 0x35, 0x55, 0x74, 0x09, 0x49, 0xd8, 0x49, 0x58, 0x1a, 0x7f,
	0x92, 0x36, 0xe6, 0x51, 0x92, 0x0e, 0xf3, 0x26, 0x7d, 0x1c, 0x4d, 0x17,
	0xbc, 0xc9, 0xec, 0x43, 0x26, 0xd0, 0xbf, 0x41, 0x5f, 0x40, 0xa9, 0x44,
	0x44, 0xf4, 0x99, 0xe7, 0x57, 0x87, 0x9e, 0x50, 0x1f, 0x57, 0x54, 0xa8,
	0x3e, 0xfd, 0x74, 0x63, 0x2f, 0xb1, 0x50, 0x65, 0x09, 0xe6, 0x58, 0x42,
	0x2e, 0x43, 0x1a, 0x4c, 0xb4, 0xf0, 0x25, 0x47, 0x59, 0xfa, 0x04, 0x1e,
	0x93, 0xd4, 0x26, 0x46, 0x4a, 0x50, 0x81, 0xb2, 0xde, 0xbe, 0x78, 0xb7,
	0xfc, 0x67, 0x15, 0xe1, 0xc9, 0x57, 0x84, 0x1e, 0x0f, 0x63, 0xd6, 0xe9,
	0x62, 0xba, 0xd6, 0x5f, 0x55, 0x2e, 0xea, 0x5c, 0xc6, 0x28, 0x08, 0x04,
	0x25, 0x39, 0xb8, 0x0e, 0x2b, 0xa9, 0xf2, 0x4c, 0x97, 0x1c, 0x07, 0x3f,
	0x0d, 0x52, 0xf5, 0xed, 0xef, 0x2f, 0x82, 0x0f,
};
static unsigned char anchor2_e[] = {
	0x01, 0x00, 0x01,
};
/* USERTrust_ECC_Certification_Authority */
static unsigned char anchor3_dn[] = {
	0x30, 0x81, 0x88, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06,
	0x13, 0x02, 0x55, 0x53, 0x31, 0x13, 0x30, 0x11, 0x06, 0x03, 0x55, 0x04,
	0x08, 0x13, 0x0a, 0x4e, 0x65, 0x77, 0x20, 0x4a, 0x65, 0x72, 0x73, 0x65,
	0x79, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x07, 0x13, 0x0b,
	0x4a, 0x65, 0x72, 0x73, 0x65, 0x79, 0x20, 0x43, 0x69, 0x74, 0x79, 0x31,
	0x1e, 0x30, 0x1c, 0x06, 0x03, 0x55, 0x04, 0x0a, 0x13, 0x15, 0x54, 0x68,
	0x65, 0x20, 0x55, 0x53, 0x45, 0x52, 0x54, 0x52, 0x55, 0x53, 0x54, 0x20,
	0x4e, 0x65, 0x74, 0x77, 0x6f, 0x72, 0x6b, 0x31, 0x2e, 0x30, 0x2c, 0x06,
	0x03, 0x55, 0x04, 0x03, 0x13, 0x25, 0x55, 0x53, 0x45, 0x52, 0x54, 0x72,
	0x75, 0x73, 0x74, 0x20, 0x45, 0x43, 0x43, 0x20, 0x43, 0x65, 0x72, 0x74,
	0x69, 0x66, 0x69, 0x63, 0x61, 0x74, 0x69, 0x6f, 0x6e, 0x20, 0x41, 0x75,
	0x74, 0x68, 0x6f, 0x72, 0x69, 0x74, 0x79,
};
static unsigned char anchor3_q[] = {
	0x04, 0x1a, 0xac, 0x54, 0x5a, 0xa9, 0xf9, 0x68, 0x23, 0xe7, 0x7a, 0xd5,
	0x24, 0x6f, 0x53, 0xc6, 0x5a, 0xd8, 0x4b, 0xab, 0xc6, 0xd5, 0xb6, 0xd1,
	0xe6, 0x73, 0x71, 0xae, 0xdd, 0x9c, 0xd6, 0x0c, 0x61, 0xfd, 0xdb, 0xa0,
	0x89, 0x03, 0xb8, 0x05, 0x14, 0xec, 0x57, 0xce, 0xee, 0x5d, 0x3f, 0xe2,
	0x21, 0xb3, 0xce, 0xf7, 0xd4, 0x8a, 0x79, 0xe0, 0xa3, 0x83, 0x7e, 0x2d,
	0x97, 0xd0, 0x61, 0xc4, 0xf1, 0x99, 0xdc, 0x25, 0x91, 0x63, 0xab, 0x7f,
	0x30, 0xa3, 0xb4, 0x70, 0xe2, 0xc7, 0xa1, 0x33, 0x9c, 0xf3, 0xbf, 0x2e,
	0x5c, 0x53, 0xb1, 0x5f, 0xb3, 0x7d, 0x32, 0x7f, 0x8a, 0x34, 0xe3, 0x79,
	0x79,
};
/* Buypass_Class_2_Root_CA */
static unsigned char anchor4_dn[] = {
	0x30, 0x4e, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
	0x02, 0x4e, 0x4f, 0x31, 0x1d, 0x30, 0x1b, 0x06, 0x03, 0x55, 0x04, 0x0a,
	0x0c, 0x14, 0x42, 0x75, 0x79, 0x70, 0x61, 0x73, 0x73, 0x20, 0x41, 0x53,
	0x2d, 0x39, 0x38, 0x33, 0x31, 0x36, 0x33, 0x33, 0x32, 0x37, 0x31, 0x20,
	0x30, 0x1e, 0x06, 0x03, 0x55, 0x04, 0x03, 0x0c, 0x17, 0x42, 0x75, 0x79,
	0x70, 0x61, 0x73, 0x73, 0x20, 0x43, 0x6c, 0x61, 0x73, 0x73, 0x20, 0x32,
	0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x43, 0x41,
};
static unsigned char anchor4_n[] = {
	0xd7, 0xc7, 0x5e, 0xf7, 0xc1, 0x07, 0xd4, 0x77, 0xfb, 0x43, 0x21, 0xf4,
	0xf4, 0xf5, 0x69, 0xe4, 0xee, 0x32, 0x01, 0xdb, 0xa3, 0x86, 0x1f, 0xe4,
	0x59, 0x0d, 0xba, 0xe7, 0x75, 0x83, 0x52, 0xeb, 0xea, 0x1c, 0x61, 0x15,
	0x48, 0xbb, 0x1d, 0x07, 0xca, 0x8c, 0xae, 0xb0, 0xdc, 0x96, 0x9d, 0xea,
	0xc3, 0x60, 0x92, 0x86, 0x82, 0x28, 0x73, 0x9c, 0x56, 0x06, 0xff, 0x4b,
	0x64, 0xf0, 0x0c, 0x2a, 0x37, 0x49, 0xb5, 0xe5, 0xcf, 0x0c, 0x7c, 0xee,
	0xf1, 0x4a, 0xbb, 0x73, 0x30, 0x65, 0xf3, 0xd5, 0x2f, 0x83, 0xb6, 0x7e,
	0xe3, 0xe7, 0xf5, 0x9e, 0xab, 0x60, 0xf9, 0xd3, 0xf1, 0x9d, 0x92, 0x74,
	0x8a, 0xe4, 0x1c, 0x96, 0xac, 0x5b, 0x80, 0xe9, 0xb5, 0xf4, 0x31, 0x87,
	0xa3, 0x51, 0xfc, 0xc7, 0x7e, 0xa1, 0x6f, 0x8e, 0x53, 0x77, 0xd4, 0x97,
	0xc1, 0x55, 0x33, 0x92, 0x3e, 0x18, 0x2f, 0x75, 0xd4, 0xad, 0x86, 0x49,
	0xcb, 0x95, 0xaf, 0x54, 0x06, 0x6c, 0xd8, 0x06, 0x13, 0x8d, 0x5b, 0xff,
	0xe1, 0x26, 0x19, 0x59, 0xc0, 0x24, 0xba, 0x81, 0x71, 0x79, 0x90, 0x44,
	0x50, 0x68, 0x24, 0x94, 0x5f, 0xb8, 0xb3, 0x11, 0xf1, 0x29, 0x41, 0x61,
	0xa3, 0x41, 0xcb, 0x23, 0x36, 0xd5, 0xc1, 0xf1, 0x32, 0x50, 0x10, 0x4e,
	0x7f, 0xf4, 0x86, 0x93, 0xec, 0x84, 0xd3, 0x8e, 0xbc, 0x4b, 0xbf, 0x5c,
	0x01, 0x4e, 0x07, 0x3d, 0xdc, 0x14, 0x8a, 0x94, 0x0a, 0xa4, 0xea, 0x73,
	0xfb, 0x0b, 0x51, 0xe8, 0x13, 0x07, 0x18, 0xfa, 0x0e, 0xf1, 0x2b, 0xd1,
	0x54, 0x15, 0x7d, 0x3c, 0xe1, 0xf7, 0xb4, 0x19, 0x42, 0x67, 0x62, 0x5e,
	0x77, 0xe0, 0xa2, 0x55, 0xec, 0xb6, 0xd9, 0x69, 0x17, 0xd5, 0x3a, 0xaf,
	0x44, 0xed, 0x4a, 0xc5, 0x9e, 0xe4, 0x7a, 0x27, 0x7c, 0xe5, 0x75, 0xd7,
	0xaa, 0xcb, 0x25, 0xe7, 0xdf, 0x6b, 0x0a, 0xdb, 0x0f, 0x4d, 0x93, 0x4e,
	0xa8, 0xa0, 0xcd, 0x7b, 0x2e, 0xf2, 0x59, 0x01, 0x6a, 0xb7, 0x0d, 0xb8,
	0x07, 0x81, 0x7e, 0x8b, 0x38, 0x1b, 0x38, 0xe6, 0x0a, 0x57, 0x99, 0x3d,
	0xee, 0x21, 0xe8, 0xa3, 0xf5, 0x0c, 0x16, 0xdd, 0x8b, 0xec, 0x34, 0x8e,
	0x9c, 0x2a, 0x1c, 0x00, 0x15, 0x17, 0x8d, 0x68, 0x83, 0xd2, 0x70, 0x9f,
	0x18, 0x08, 0xcd, 0x11, 0x68, 0xd5, 0xc9, 0x6b, 0x52, 0xcd, 0xc4, 0x46,
	0x8f, 0xdc, 0xb5, 0xf3, 0xd8, 0x57, 0x73, 0x1e, 0xe9, 0x94, 0x39, 0x04,
	0xbf, 0xd3, 0xde, 0x38, 0xde, 0xb4, 0x53, 0xec, 0x69, 0x1c, 0xa2, 0x7e,
	0xc4, 0x8f, 0xe4, 0x1b, 0x70, 0xad, 0xf2, 0xa2, 0xf9, 0xfb, 0xf7, 0x16,
	0x64, 0x66, 0x69, 0x9f, 0x49, 0x51, 0xa2, 0xe2, 0x15, 0x18, 0x67, 0x06,
	0x4a, 0x7f, 0xd5, 0x6c, 0xb5, 0x4d, 0xb3, 0x33, 0xe0, 0x61, 0xeb, 0x5d,
	0xbe, 0xe9, 0x98, 0x0f, 0x32, 0xd7, 0x1d, 0x4b, 0x3c, 0x2e, 0x5a, 0x01,
	0x52, 0x91, 0x09, 0xf2, 0xdf, 0xea, 0x8d, 0xd8, 0x06, 0x40, 0x63, 0xaa,
	0x11, 0xe4, 0xfe, 0xc3, 0x37, 0x9e, 0x14, 0x52, 0x3f, 0xf4, 0xe2, 0xcc,
	0xf2, 0x61, 0x93, 0xd1, 0xfd, 0x67, 0x6b, 0xd7, 0x52, 0xae, 0xbf, 0x68,
	0xab, 0x40, 0x43, 0xa0, 0x57, 0x35, 0x53, 0x78, 0xf0, 0x53, 0xf8, 0x61,
	0x42, 0x07, 0x64, 0xc6, 0xd7, 0x6f, 0x9b, 0x4c, 0x38, 0x0d, 0x63, 0xac,
	0x62, 0xaf, 0x36, 0x8b, 0xa2, 0x73, 0x0a, 0x0d, 0xf5, 0x21, 0xbd, 0x74,
	0xaa, 0x4d, 0xea, 0x72, 0x03, 0x49, 0xdb, 0xc7, 0x5f, 0x1d, 0x62, 0x63,
	0xc7, 0xfd, 0xdd, 0x91, 0xec, 0x33, 0xee, 0xf5, 0x6d, 0xb4, 0x6e, 0x30,
	0x68, 0xde, 0xc8, 0xd6, 0x26, 0xb0, 0x75, 0x5e, 0x7b, 0xb4, 0x07, 0x20,
	0x98, 0xa1, 0x76, 0x32, 0xb8, 0x4d, 0x6c, 0x4f,
};
static unsigned char anchor4_e[] = {
	0x01, 0x00, 0x01,
};
/* GTS_Root_R1 */
static unsigned char anchor5_dn[] = {
	0x30, 0x47, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
	0x02, 0x55, 0x53, 0x31, 0x22, 0x30, 0x20, 0x06, 0x03, 0x55, 0x04, 0x0a,
	0x13, 0x19, 0x47, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x20, 0x54, 0x72, 0x75,
	0x73, 0x74, 0x20, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x20,
	0x4c, 0x4c, 0x43, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x13, 0x0b, 0x47, 0x54, 0x53, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x52,
	0x31,
};
static unsigned char anchor5_n[] = {
	0xb6, 0x11, 0x02, 0x8b, 0x1e, 0xe3, 0xa1, 0x77, 0x9b, 0x3b, 0xdc, 0xbf,
	0x94, 0x3e, 0xb7, 0x95, 0xa7, 0x40, 0x3c, 0xa1, 0xfd, 0x82, 0xf9, 0x7d,
	0x32, 0x06, 0x82, 0x71, 0xf6, 0xf6, 0x8c, 0x7f, 0xfb, 0xe8, 0xdb, 0xbc,
	0x6a, 0x2e, 0x97, 0x97, 0xa3, 0x8c, 0x4b, 0xf9, 0x2b, 0xf6, 0xb1, 0xf9,
	0xce, 0x84, 0x1d, 0xb1, 0xf9, 0xc5, 0x97, 0xde, 0xef, 0xb9, 0xf2, 0xa3,
	0xe9, 0xbc, 0x12, 0x89, 0x5e, 0xa7, 0xaa, 0x52, 0xab, 0xf8, 0x23, 0x27,
	0xcb, 0xa4, 0xb1, 0x9c, 0x63, 0xdb, 0xd7, 0x99, 0x7e, 0xf0, 0x0a, 0x5e,
	0xeb, 0x68, 0xa6, 0xf4, 0xc6, 0x5a, 0x47, 0x0d, 0x4d, 0x10, 0x33, 0xe3,
	0x4e, 0xb1, 0x13, 0xa3, 0xc8, 0x18, 0x6c, 0x4b, 0xec, 0xfc, 0x09, 0x90,
	0xdf, 0x9d, 0x64, 0x29, 0x25, 0x23, 0x07, 0xa1, 0xb4, 0xd2, 0x3d, 0x2e,
	0x60, 0xe0, 0xcf, 0xd2, 0x09, 0x87, 0xbb, 0xcd, 0x48, 0xf0, 0x4d, 0xc2,
	0xc2, 0x7a, 0x88, 0x8a, 0xbb, 0xba, 0xcf, 0x59, 0x19, 0xd6, 0xaf, 0x8f,
	0xb0, 0x07, 0xb0, 0x9e, 0x31, 0xf1, 0x82, 0xc1, 0xc0, 0xdf, 0x2e, 0xa6,
	0x6d, 0x6c, 0x19, 0x0e, 0xb5, 0xd8, 0x7e, 0x26, 0x1a, 0x45, 0x03, 0x3d,
	0xb0, 0x79, 0xa4, 0x94, 0x28, 0xad, 0x0f, 0x7f, 0x26, 0xe5, 0xa8, 0x08,
	0xfe, 0x96, 0xe8, 0x3c, 0x68, 0x94, 0x53, 0xee, 0x83, 0x3a, 0x88, 0x2b,
	0x15, 0x96, 0x09, 0xb2, 0xe0, 0x7a, 0x8c, 0x2e, 0x75, 0xd6, 0x9c, 0xeb,
	0xa7, 0x56, 0x64, 0x8f, 0x96, 0x4f, 0x68, 0xae, 0x3d, 0x97, 0xc2, 0x84,
	0x8f, 0xc0, 0xbc, 0x40, 0xc0, 0x0b, 0x5c, 0xbd, 0xf6, 0x87, 0xb3, 0x35,
	0x6c, 0xac, 0x18, 0x50, 0x7f, 0x84, 0xe0, 0x4c, 0xcd, 0x92, 0xd3, 0x20,
	0xe9, 0x33, 0xbc, 0x52, 0x99, 0xaf, 0x32, 0xb5, 0x29, 0xb3, 0x25, 0x2a,
	0xb4, 0x48, 0xf9, 0x72, 0xe1, 0xca, 0x64, 0xf7, 0xe6, 0x82, 0x10, 0x8d,
	0xe8, 0x9d, 0xc2, 0x8a, 0x88, 0xfa, 0x38, 0x66, 0x8a, 0xfc, 0x63, 0xf9,
	0x01, 0xf9, 0x78, 0xfd, 0x7b, 0x5c, 0x77, 0xfa, 0x76, 0x87, 0xfa, 0xec,
	0xdf, 0xb1, 0x0e, 0x79, 0x95, 0x57, 0xb4, 0xbd, 0x26, 0xef, 0xd6, 0x01,
	0xd1, 0xeb, 0x16, 0x0a, 0xbb, 0x8e, 0x0b, 0xb5, 0xc5, 0xc5, 0x8a, 0x55,
	0xab, 0xd3, 0xac, 0xea, 0x91, 0x4b, 0x29, 0xcc, 0x19, 0xa4, 0x32, 0x25,
	0x4e, 0x2a, 0xf1, 0x65, 0x44, 0xd0, 0x02, 0xce, 0xaa, 0xce, 0x49, 0xb4,
	0xea, 0x9f, 0x7c, 0x83, 0xb0, 0x40, 0x7b, 0xe7, 0x43, 0xab, 0xa7, 0x6c,
	0xa3, 0x8f, 0x7d, 0x89, 0x81, 0xfa, 0x4c, 0xa5, 0xff, 0xd5, 0x8e, 0xc3,
	0xce, 0x4b, 0xe0, 0xb5, 0xd8, 0xb3, 0x8e, 0x45, 0xcf, 0x76, 0xc0, 0xed,
	0x40, 0x2b, 0xfd, 0x53, 0x0f, 0xb0, 0xa7, 0xd5, 0x3b, 0x0d, 0xb1, 0x8a,
	0xa2, 0x03, 0xde, 0x31, 0xad, 0xcc, 0x77, 0xea, 0x6f, 0x7b, 0x3e, 0xd6,
	0xdf, 0x91, 0x22, 0x12, 0xe6, 0xbe, 0xfa, 0xd8, 0x32, 0xfc, 0x10, 0x63,
	0x14, 0x51, 0x72, 0xde, 0x5d, 0xd6, 0x16, 0x93, 0xbd, 0x29, 0x68, 0x33,
	0xef, 0x3a, 0x66, 0xec, 0x07, 0x8a, 0x26, 0xdf, 0x13, 0xd7, 0x57, 0x65,
	0x78, 0x27, 0xde, 0x5e, 0x49, 0x14, 0x00, 0xa2, 0x00, 0x7f, 0x9a, 0xa8,
	0x21, 0xb6, 0xa9, 0xb1, 0x95, 0xb0, 0xa5, 0xb9, 0x0d, 0x16, 0x11, 0xda,
	0xc7, 0x6c, 0x48, 0x3c, 0x40, 0xe0, 0x7e, 0x0d, 0x5a, 0xcd, 0x56, 0x3c,
	0xd1, 0x97, 0x05, 0xb9, 0xcb, 0x4b, 0xed, 0x39, 0x4b, 0x9c, 0xc4, 0x3f,
	0xd2, 0x55, 0x13, 0x6e, 0x24, 0xb0, 0xd6, 0x71, 0xfa, 0xf4, 0xc1, 0xba,
	0xcc, 0xed, 0x1b, 0xf5, 0xfe, 0x81, 0x41, 0xd8, 0x00, 0x98, 0x3d, 0x3a,
	0xc8, 0xae, 0x7a, 0x98, 0x37, 0x18, 0x05, 0x95,
};
static unsigned char anchor5_e[] = {
	0x01, 0x00, 0x01,
};
/* GTS_Root_R4 */
static unsigned char anchor6_dn[] = {
	0x30, 0x47, 0x31, 0x0b, 0x30, 0x09, 0x06, 0x03, 0x55, 0x04, 0x06, 0x13,
	0x02, 0x55, 0x53, 0x31, 0x22, 0x30, 0x20, 0x06, 0x03, 0x55, 0x04, 0x0a,
	0x13, 0x19, 0x47, 0x6f, 0x6f, 0x67, 0x6c, 0x65, 0x20, 0x54, 0x72, 0x75,
	0x73, 0x74, 0x20, 0x53, 0x65, 0x72, 0x76, 0x69, 0x63, 0x65, 0x73, 0x20,
	0x4c, 0x4c, 0x43, 0x31, 0x14, 0x30, 0x12, 0x06, 0x03, 0x55, 0x04, 0x03,
	0x13, 0x0b, 0x47, 0x54, 0x53, 0x20, 0x52, 0x6f, 0x6f, 0x74, 0x20, 0x52,
	0x34,
};
static unsigned char anchor6_q[] = {
	0x04, 0xf3, 0x74, 0x73, 0xa7, 0x68, 0x8b, 0x60, 0xae, 0x43, 0xb8, 0x35,
	0xc5, 0x81, 0x30, 0x7b, 0x4b, 0x49, 0x9d, 0xfb, 0xc1, 0x61, 0xce, 0xe6,
	0xde, 0x46, 0xbd, 0x6b, 0xd5, 0x61, 0x18, 0x35, 0xae, 0x40, 0xdd, 0x73,
	0xf7, 0x89, 0x91, 0x30, 0x5a, 0xeb, 0x3c, 0xee, 0x85, 0x7c, 0xa2, 0x40,
	0x76, 0x3b, 0xa9, 0xc6, 0xb8, 0x47, 0xd8, 0x2a, 0xe7, 0x92, 0x91, 0x6a,
	0x73, 0xe9, 0xb1, 0x72, 0x39, 0x9f, 0x29, 0x9f, 0xa2, 0x98, 0xd3, 0x5f,
	0x5e, 0x58, 0x86, 0x65, 0x0f, 0xa1, 0x84, 0x65, 0x06, 0xd1, 0xdc, 0x8b,
	0xc9, 0xc7, 0x73, 0xc8, 0x8c, 0x6a, 0x2f, 0xe5, 0xc4, 0xab, 0xd1, 0x1d,
	0x8a,
};
static br_x509_trust_anchor anchors[] = {
	/* ISRG_Root_X1 */
	{ { anchor0_dn, sizeof(anchor0_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_RSA, { .rsa = { anchor0_n, sizeof(anchor0_n),
	    anchor0_e, sizeof(anchor0_e) } } } },
	/* ISRG_Root_X2 */
	{ { anchor1_dn, sizeof(anchor1_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_EC, { .ec = { BR_EC_secp384r1, anchor1_q,
	    sizeof(anchor1_q) } } } },
	/* USERTrust_RSA_Certification_Authority */
	{ { anchor2_dn, sizeof(anchor2_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_RSA, { .rsa = { anchor2_n, sizeof(anchor2_n),
	    anchor2_e, sizeof(anchor2_e) } } } },
	/* USERTrust_ECC_Certification_Authority */
	{ { anchor3_dn, sizeof(anchor3_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_EC, { .ec = { BR_EC_secp384r1, anchor3_q,
	    sizeof(anchor3_q) } } } },
	/* Buypass_Class_2_Root_CA */
	{ { anchor4_dn, sizeof(anchor4_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_RSA, { .rsa = { anchor4_n, sizeof(anchor4_n),
	    anchor4_e, sizeof(anchor4_e) } } } },
	/* GTS_Root_R1 */
	{ { anchor5_dn, sizeof(anchor5_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_RSA, { .rsa = { anchor5_n, sizeof(anchor5_n),
	    anchor5_e, sizeof(anchor5_e) } } } },
	/* GTS_Root_R4 */
	{ { anchor6_dn, sizeof(anchor6_dn) }, BR_X509_TA_CA,
	    { BR_KEYTYPE_EC, { .ec = { BR_EC_secp384r1, anchor6_q,
	    sizeof(anchor6_q) } } } },
};
/* ---- END GENERATED by vendor/gen-anchors.sh ---- */

/*
 * Our own X.509 engine: libcurl's BearSSL backend lets
 * BearSSL check certificate dates against time(NULL), which on a device
 * without a real-time clock reads 1970. So the trust anchors (of the CA
 * file, else the built-in ones) are loaded here, once per run, and a
 * br_x509_minimal_context with the validation time clock_tls_time()
 * replaces libcurl's engine in the SSL_CTX callback. Chain, signature, key
 * usage and host name checks are BearSSL's, unchanged: only the time
 * differs. libcurl itself loads no anchors (vendor/patches/
 * curl-bearssl-trust.patch): without our engine nothing verifies.
 */
static void
http_anchors_free(struct http *h)
{
	size_t i;

	for (i = 0; h->tas != anchors && i < h->ntas; i++) {
		free(h->tas[i].dn.data);
		if (h->tas[i].pkey.key_type == BR_KEYTYPE_RSA) {
			free(h->tas[i].pkey.key.rsa.n);
			free(h->tas[i].pkey.key.rsa.e);
		} else
			free(h->tas[i].pkey.key.ec.q);
	}
	if (h->tas != anchors)		/* the built-in ones are static */
		free(h->tas);
	free(h->x509);
	h->tas = NULL;
	h->x509 = NULL;
	h->ntas = 0;
}

static void
http_dn_append(void *ctx, const void *data, size_t len)
{
	struct buf *b = ctx;

	/* a failure sticks to b: http_anchor checks buf_err() */
	ACME_IGNORE(buf_append(b, data, len));
}

static ACME_MUST_CHECK unsigned char *
http_dup(const void *p, size_t n)
{
	unsigned char *d = malloc(n ? n : 1);

	if (d != NULL)
		memcpy(d, p, n);
	return d;
}

/* One certificate of the CA file as a trust anchor (like BearSSL's
 * brssl tool: CA flag from basicConstraints); 0, or NONE when it is
 * none BearSSL can use. */
static ACME_MUST_CHECK int
http_anchor(br_x509_trust_anchor *ta, const unsigned char *der, size_t len)
{
	br_x509_decoder_context dc;
	struct buf dn = { .max = CA_DN_MAX };
	const br_x509_pkey *pk;
	int ok = 0;

	memset(ta, 0, sizeof(*ta));
	br_x509_decoder_init(&dc, http_dn_append, &dn);
	br_x509_decoder_push(&dc, der, len);
	if (br_x509_decoder_last_error(&dc) != 0 || buf_err(&dn) < 0 ||
	    (pk = br_x509_decoder_get_pkey(&dc)) == NULL || dn.len == 0)
		goto out;
	ta->flags = br_x509_decoder_isCA(&dc) ? BR_X509_TA_CA : 0;
	ta->pkey.key_type = pk->key_type;
	if (pk->key_type == BR_KEYTYPE_RSA) {
		ta->pkey.key.rsa.n = http_dup(pk->key.rsa.n, pk->key.rsa.nlen);
		ta->pkey.key.rsa.nlen = pk->key.rsa.nlen;
		ta->pkey.key.rsa.e = http_dup(pk->key.rsa.e, pk->key.rsa.elen);
		ta->pkey.key.rsa.elen = pk->key.rsa.elen;
		ok = ta->pkey.key.rsa.n != NULL && ta->pkey.key.rsa.e != NULL;
	} else {
		ta->pkey.key.ec.curve = pk->key.ec.curve;
		ta->pkey.key.ec.q = http_dup(pk->key.ec.q, pk->key.ec.qlen);
		ta->pkey.key.ec.qlen = pk->key.ec.qlen;
		ok = ta->pkey.key.ec.q != NULL;
	}
	ta->dn.data = dn.data;
	ta->dn.len = dn.len;
	dn.data = NULL;
out:
	buf_free(&dn);
	return ok ? 0 : NONE;
}

/* Decode the PEM certificate starting at p (one BEGIN..END block). */
static int
http_anchor_pem(struct http *h, const char *p, size_t len)
{
	struct pem_obj obj;
	size_t n = 0;
	int rc;

	memset(&obj, 0, sizeof(obj));
	err_hush();
	rc = pem_decode(p, len, &obj, 1, &n);
	err_unhush();
	if (rc < 0 || n != 1 || strcmp(obj.label, "CERTIFICATE") != 0) {
		pem_objs_free(&obj, n);
		return 0;		/* not a certificate: skipped */
	}
	if (http_anchor(&h->tas[h->ntas], obj.der, obj.len) == 0)
		h->ntas++;
	pem_objs_free(&obj, n);
	return 0;
}

/* Without a CA file: the built-in anchors, as they are. */
static ACME_MUST_CHECK int
http_anchors_builtin(struct http *h)
{
	h->tas = anchors;
	h->ntas = sizeof(anchors) / sizeof(anchors[0]);
	if ((h->x509 = calloc(1, sizeof(*h->x509))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	return 0;
}

/* Load every certificate of h->ca_file as a trust anchor. */
static ACME_MUST_CHECK int
http_anchors_load(struct http *h)
{
	static const char end_line[] = "-----END CERTIFICATE-----";
	struct buf b = { 0 };
	const char *p, *q, *e;
	int rc, fd;

	/* The CA file may be a symlink (OpenWrt's /etc/ssl/cert.pem). */
	if ((fd = open(h->ca_file, O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_USAGE, "%s: %s", h->ca_file,
		    strerror(errno));
	rc = store_read_fd(fd, &b, CA_FILE_MAX);
	close(fd);
	if (rc < 0 || b.data == NULL) {
		buf_free(&b);
		return rc < 0 ? err_wrap(rc, "%s", h->ca_file) :
		    err_set(ACME_ERR_USAGE, "%s: empty", h->ca_file);
	}
	h->tas = calloc(CA_ANCHORS_MAX, sizeof(*h->tas));
	h->x509 = calloc(1, sizeof(*h->x509));
	if (h->tas == NULL || h->x509 == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	p = (const char *)b.data;
	e = p + b.len;
	while ((q = memmem(p, (size_t)(e - p), "-----BEGIN CERTIFICATE-----",
	    27)) != NULL && h->ntas < CA_ANCHORS_MAX) {
		if ((p = memmem(q, (size_t)(e - q), end_line,
		    sizeof(end_line) - 1)) == NULL)
			break;
		p += sizeof(end_line) - 1;
		http_anchor_pem(h, q, (size_t)(p - q));
	}
	if (h->ntas == 0)
		rc = err_set(ACME_ERR_USAGE, "%s: no usable CA certificate",
		    h->ca_file);
out:
	buf_free(&b);
	return rc;
}

/* A new chain: nothing kept; BearSSL checks server_name if a name. */
static void
http_ipx_start(struct http_ipx *x, const char *server_name)
{
	x->ncert = 0;
	x->named = server_name != NULL && *server_name != '\0';
	x->refused = 0;
	buf_free(&x->leaf);
	x->leaf.max = HTTP_LEAF_MAX;
	x->leaf.quiet = 1;	/* too long is no match, not the error */
}

/* 1 when the chain minimal verified may pass (struct http_ipx). */
static ACME_MUST_CHECK int
http_ipx_match(struct http_ipx *x)
{
	struct x509_info *xi;
	int ok = 0, rc;
	size_t i;

	if (x->named || x->iplen == 0)
		return x->named && x->iplen == 0;
	if (buf_err(&x->leaf) < 0 || (xi = malloc(sizeof(*xi))) == NULL)
		return 0;
	err_hush();	/* a malformed one is just no match */
	rc = x509_parse(x->leaf.data, x->leaf.len, xi);
	err_unhush();
	for (i = 0; rc == 0 && i < xi->nsan && !ok; i++)
		ok = xi->san[i].type == IDENT_IP &&
		    xi->san[i].iplen == x->iplen &&
		    memcmp(xi->san[i].ip, x->ip, x->iplen) == 0;
	free(xi);
	buf_free(&x->leaf);
	x->refused = !ok;
	return ok;
}

/*
 * The host of url as libcurl parses it (its own URL parser: "127.1" is
 * 127.0.0.1 to both), kept in h->ipx when it is an IP literal.
 */
static void
http_url_ip(struct http *h, const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	size_t n;

	h->ipx.iplen = 0;
	h->ipx.refused = 0;
	if (u != NULL && curl_url_set(u, CURLUPART_URL, url, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK) {
		n = strlen(host);
		if (n > 2 && host[0] == '[' && host[n - 1] == ']') {
			host[n - 1] = '\0';
			if (inet_pton(AF_INET6, host + 1, h->ipx.ip) == 1)
				h->ipx.iplen = 16;
		} else if (inet_pton(AF_INET, host, h->ipx.ip) == 1)
			h->ipx.iplen = 4;
	}
	curl_free(host);
	curl_url_cleanup(u);
}

/*
 * acme(1), TIME: V is a lower bound of the true time, so it proves that a
 * certificate expired (notAfter < V) but never that one is not yet valid.
 * A chain is accepted when some time t >= V has every certificate of it
 * valid: each notAfter >= V, and the latest notBefore <= the earliest
 * notAfter. notBefore alone never refuses.
 */
static ACME_MUST_CHECK int
http_chain_valid(int64_t v, int64_t nb_max, int64_t na_min)
{
	return na_min >= v && nb_max <= na_min;
}

/* The br_x509_class methods of struct http_x509: minimal's, with each
 * certificate it checks decoded on the side. */
static void
http_x509_start_chain(const br_x509_class **ctx, const char *server_name)
{
	struct http_x509 *x = (struct http_x509 *)(void *)ctx;

	x->nb_max = INT64_MIN;
	x->na_min = INT64_MAX;
	http_ipx_start(x->ipx, server_name);
	x->minimal.vtable->start_chain(&x->minimal.vtable, server_name);
}

static void
http_x509_start_cert(const br_x509_class **ctx, uint32_t length)
{
	struct http_x509 *x = (struct http_x509 *)(void *)ctx;

	/* minimal ignores what follows the certificate a trust anchor
	 * issued (err set); so do we */
	if ((x->reading = x->minimal.err == 0))
		br_x509_decoder_init(&x->cert, NULL, NULL);
	x->minimal.vtable->start_cert(&x->minimal.vtable, length);
}

/*
 * The bytes go to our decoder first, so that minimal, which checks the
 * dates as it reads them, checks this certificate at V or at its
 * notBefore when that is later: never refused for notBefore alone, and
 * refused for a notAfter before either (http_chain_valid).
 */
static void
http_x509_append(const br_x509_class **ctx, const unsigned char *buf,
    size_t len)
{
	struct http_x509 *x = (struct http_x509 *)(void *)ctx;
	int64_t t = x->v, nb;

	if (x->reading) {
		br_x509_decoder_push(&x->cert, buf, len);
		nb = x509_time(x->cert.notbefore_days,
		    x->cert.notbefore_seconds);
		if (nb > t)	/* not yet decoded: year 0, before t */
			t = nb;
		br_x509_minimal_set_time(&x->minimal, (uint32_t)(t / 86400 +
		    X509_EPOCH_DAYS), (uint32_t)(t % 86400));
	}
	/* a failure sticks to leaf: http_ipx_match checks buf_err() */
	if (x->ipx->ncert == 0 && x->ipx->iplen > 0)
		ACME_IGNORE(buf_append(&x->ipx->leaf, buf, len));
	x->minimal.vtable->append(&x->minimal.vtable, buf, len);
}

/* The dates of a certificate minimal checked join the chain's: dates
 * our decoder did not reach are day 0 of year 0, which fails the chain
 * (http_chain_valid), so nothing passes undated. */
static void
http_x509_end_cert(const br_x509_class **ctx)
{
	struct http_x509 *x = (struct http_x509 *)(void *)ctx;
	int64_t nb, na;

	if (x->reading) {
		nb = x509_time(x->cert.notbefore_days,
		    x->cert.notbefore_seconds);
		na = x509_time(x->cert.notafter_days, x->cert.notafter_seconds);
		x->nb_max = nb > x->nb_max ? nb : x->nb_max;
		x->na_min = na < x->na_min ? na : x->na_min;
	}
	x->ipx->ncert++;
	x->minimal.vtable->end_cert(&x->minimal.vtable);
}

/* A verified chain is judged on V and, for an IP host, on its address
 * (http_ipx_match); its earliest notAfter is kept. */
static unsigned
http_x509_end_chain(const br_x509_class **ctx)
{
	struct http_x509 *x = (struct http_x509 *)(void *)ctx;
	unsigned err = x->minimal.vtable->end_chain(&x->minimal.vtable);

	if (err != 0)
		return err;
	if (!http_chain_valid(x->v, x->nb_max, x->na_min))
		return BR_ERR_X509_EXPIRED;
	if (!http_ipx_match(x->ipx))
		return BR_ERR_X509_BAD_SERVER_NAME;
	if (*x->not_after == 0 || x->na_min < *x->not_after)
		*x->not_after = x->na_min;
	return 0;
}

static const br_x509_pkey *
http_x509_get_pkey(const br_x509_class *const *ctx, unsigned *usages)
{
	const struct http_x509 *x = (const struct http_x509 *)(const void *)
	    ctx;

	return x->minimal.vtable->get_pkey(&x->minimal.vtable, usages);
}

static const br_x509_class http_x509_vtable = {
	sizeof(struct http_x509),
	http_x509_start_chain,
	http_x509_start_cert,
	http_x509_append,
	http_x509_end_cert,
	http_x509_end_chain,
	http_x509_get_pkey,
};

/*
 * CURLOPT_SSL_CTX_FUNCTION: install our engine, validation time set, and
 * seed the TLS engine from our DRBG: BearSSL's own seeder reads
 * /dev/urandom on ARM and MIPS, which an initramfs or chroot may lack. Our
 * engine takes its hash, RSA and ECDSA code from the TLS engine libcurl set
 * up (br_x509_minimal_init_full would link MD5 and a second RSA verifier);
 * both get ec_impl (libcurl's own choice is the slower generic code).
 */
static CURLcode
http_ssl_ctx_cb(CURL *curl, void *sslctx, void *arg)
{
	br_ssl_client_context *cc = sslctx;
	struct http *h = arg;
	int64_t t = h->tls_time;
	unsigned char seed[RNG_SEED_LEN];
	int id;

	(void)curl;
	if (rng_bytes(seed, sizeof(seed)) < 0)
		return CURLE_FAILED_INIT;
	br_ssl_engine_inject_entropy(&cc->eng, seed, sizeof(seed));
	wipe(seed, sizeof(seed));
	br_ssl_engine_set_ec(&cc->eng, &ec_impl);
	br_x509_minimal_init(&h->x509->minimal, &br_sha256_vtable, h->tas,
	    h->ntas);
	br_x509_minimal_set_rsa(&h->x509->minimal,
	    br_ssl_engine_get_rsavrfy(&cc->eng));
	br_x509_minimal_set_ecdsa(&h->x509->minimal, &ec_impl,
	    br_ssl_engine_get_ecdsa(&cc->eng));
	for (id = br_sha1_ID; id <= br_sha512_ID; id++)
		br_x509_minimal_set_hash(&h->x509->minimal, id,
		    br_ssl_engine_get_hash(&cc->eng, id));
	h->x509->v = t;
	h->x509->vtable = &http_x509_vtable;
	h->x509->not_after = &h->tls_not_after;
	h->x509->ipx = &h->ipx;
	br_ssl_engine_set_x509(&cc->eng, &h->x509->vtable);
	return CURLE_OK;
}

/*
 * Check TLS dates against t (see clock_tls_time) with our own engine.
 * Without this call no server certificate verifies (libcurl's engine
 * has no trust anchor).
 */
static ACME_MUST_CHECK int
http_set_tls_time(struct http *h, int64_t t)
{
	int rc;

	if (h->x509 == NULL && (rc = h->ca_file != NULL ?
	    http_anchors_load(h) : http_anchors_builtin(h)) < 0)
		return rc;
	h->tls_time = t;
	return 0;
}

/* A date failure of the CA's TLS certificate, with the time used. */
static ACME_MUST_CHECK int
http_fail_time(const struct http *h, const char *url)
{
	char t[32];

	clock_format_rfc3339(h->tls_time, t, sizeof(t));
	if (h->floor_dir != NULL)
		return err_set(ACME_ERR_NET, "%s: the server's TLS certificate "
		    "expired before %s, the time in %s/time (the latest CA "
		    "time seen, ahead of the device clock): if that time is "
		    "wrong, remove %s/time; acme writes it again (see acme(1), "
		    "TIME)", url, t, h->floor_dir, h->floor_dir);
	return err_set(ACME_ERR_NET, "%s: the server's TLS certificate "
	    "expired before %s (the later of the device clock, DIR/time and "
	    "the build date): if the device clock is ahead, set it right (see "
	    "acme(1), TIME)", url, t);
}

static ACME_MUST_CHECK int
http_init(struct http *h, const char *ca_file)
{
	const char *ca;

	memset(h, 0, sizeof(*h));
	ca = http_pick_ca(ca_file);
	if (ca != NULL && (size_t)snprintf(h->ca_path, sizeof(h->ca_path),
	    "%s", ca) >= sizeof(h->ca_path))
		return err_set(ACME_ERR_USAGE, "--ca-file: path too long");
	h->ca_file = ca != NULL ? h->ca_path : NULL;
	if (ca_file != NULL && access(ca_file, R_OK) < 0)
		return err_set(ACME_ERR_USAGE, "--ca-file %s: %s", ca_file,
		    strerror(errno));
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK ||
	    (h->curl = curl_easy_init()) == NULL)
		return err_set(ACME_ERR_NOMEM, "cannot initialise libcurl");
	return 0;
}

static void
http_cleanup(struct http *h)
{
	if (h->curl != NULL) {
		curl_easy_cleanup(h->curl);
		curl_global_cleanup();
	}
	h->curl = NULL;
	http_anchors_free(h);
	buf_free(&h->ipx.leaf);
}

static long
http_timeout(const struct http *h)
{
	return h->timeout > 0 ? h->timeout : HTTP_TIMEOUT;
}

/* Options that hold for every request of the run. */
static ACME_MUST_CHECK int
http_setopts(struct http *h, const char *url, struct http_resp *r)
{
	CURL *c = h->curl;
	CURLcode e = CURLE_OK;

	curl_easy_reset(c);
	h->errbuf[0] = '\0';
	if ((e = curl_easy_setopt(c, CURLOPT_URL, url)) != CURLE_OK ||
	    (e = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "https")) ||
	    (e = curl_easy_setopt(c, CURLOPT_USERAGENT, ACME_USER_AGENT)) ||
	    (e = curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L)) ||
	    (e = curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L)) ||
	    (e = curl_easy_setopt(c, CURLOPT_ERRORBUFFER, h->errbuf)) ||
	    (e = curl_easy_setopt(c, CURLOPT_TIMEOUT, http_timeout(h))) ||
	    (e = curl_easy_setopt(c, CURLOPT_FRESH_CONNECT, (long)h->fresh)) ||
	    (e = curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT,
	    (long)HTTP_CONNECT_TIMEOUT)) ||
	    (e = curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE,
	    (curl_off_t)BODY_MAX)) ||
	    (e = curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, http_body_cb)) ||
	    (e = curl_easy_setopt(c, CURLOPT_WRITEDATA, r)) ||
	    (e = curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, http_header_cb)) ||
	    (e = curl_easy_setopt(c, CURLOPT_HEADERDATA, r)))
		return err_set(ACME_ERR_USAGE, "libcurl: %s",
		    curl_easy_strerror(e));
	if (h->x509 != NULL &&
	    ((e = curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION,
	    http_ssl_ctx_cb)) != CURLE_OK ||
	    (e = curl_easy_setopt(c, CURLOPT_SSL_CTX_DATA, h)) != CURLE_OK))
		return err_set(ACME_ERR_USAGE, "libcurl: TLS time: %s",
		    curl_easy_strerror(e));
	return 0;
}

/* A failure of the network or of the peer's connection, not an
 * answer: the same request on a new connection may pass. */
static ACME_MUST_CHECK int
http_transient(CURLcode e)
{
	static const CURLcode codes[] = {
		CURLE_OPERATION_TIMEDOUT, CURLE_GOT_NOTHING, CURLE_RECV_ERROR,
		CURLE_SEND_ERROR, CURLE_PARTIAL_FILE, CURLE_COULDNT_CONNECT,
		CURLE_READ_ERROR,	/* BearSSL: EOF without close_notify */
	};
	size_t i;

	for (i = 0; i < sizeof(codes) / sizeof(codes[0]); i++)
		if (e == codes[i])
			return 1;
	return 0;
}

/* Map a failed transfer to one line naming the URL. */
static ACME_MUST_CHECK int
http_fail(struct http *h, const char *url, CURLcode e)
{
	char safe[URL_MAX];

	str_sanitize(safe, sizeof(safe), url, strlen(url));
	h->transient = http_transient(e);
	if (e == CURLE_WRITE_ERROR || e == CURLE_FILESIZE_EXCEEDED)
		return err_set(ACME_ERR_LIMIT, "%s: response larger than "
		    "%d bytes", safe, BODY_MAX);
	if (e == CURLE_OPERATION_TIMEDOUT)
		return err_set(ACME_ERR_NET, "%s: timed out after %ld s", safe,
		    http_timeout(h));
	if (h->x509 != NULL && strstr(h->errbuf, "expired or not yet") != NULL)
		return http_fail_time(h, safe);
	if (h->ipx.refused)
		return err_set(ACME_ERR_NET, "%s: the server's TLS certificate "
		    "has no iPAddress name for this address (acme(1), "
		    "--server)", safe);
	if (h->ca_file == NULL && (e == CURLE_PEER_FAILED_VERIFICATION ||
	    e == CURLE_SSL_CONNECT_ERROR || e == CURLE_SSL_CACERT_BADFILE))
		return err_set(ACME_ERR_NET, "%s: %s; no system CA bundle was "
		    "found, so only acme's built-in roots of the known CAs "
		    "were trusted: use --ca-file FILE", safe, h->errbuf[0] !=
		    '\0' ? h->errbuf : curl_easy_strerror(e));
	return err_set(ACME_ERR_NET, "%s: %s", safe,
	    h->errbuf[0] != '\0' ? h->errbuf : curl_easy_strerror(e));
}

/* Request headers: Accept, no Expect: 100-continue, JOSE body type. */
static ACME_MUST_CHECK struct curl_slist *
http_headers(const char *accept, int post)
{
	struct curl_slist *l = NULL, *t;
	const char *v[3];
	char acc[96];
	size_t i, n = 0;

	snprintf(acc, sizeof(acc), "Accept: %s",
	    accept != NULL ? accept : "application/json");
	v[n++] = acc;
	v[n++] = "Expect:";
	if (post)
		v[n++] = "Content-Type: application/jose+json";
	for (i = 0; i < n; i++) {
		if ((t = curl_slist_append(l, v[i])) == NULL) {
			curl_slist_free_all(l);
			err_set(ACME_ERR_NOMEM, "out of memory");
			return NULL;
		}
		l = t;
	}
	return l;
}

/*
 * One exchange. body NULL: GET (or HEAD when head is set); else POST of a
 * JWS. r is reset first and owns the body afterwards.
 */
static ACME_MUST_CHECK int
http_request(struct http *h, const char *url, const char *body, size_t len,
    int head, const char *accept, struct http_resp *r)
{
	struct curl_slist *hdrs;
	CURLcode e = CURLE_OK;
	int rc;

	http_resp_reset(r);
	h->transient = 0;
	http_url_ip(h, url);
	rc = http_setopts(h, url, r);
	h->fresh = 0;
	if (rc < 0)
		return rc;
	if ((hdrs = http_headers(accept, body != NULL)) == NULL)
		return ACME_ERR_NOMEM;
	if (body != NULL)
		e = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDSIZE, (long)len);
	if (e == CURLE_OK && body != NULL)
		e = curl_easy_setopt(h->curl, CURLOPT_POSTFIELDS, body);
	if (e == CURLE_OK && head)
		e = curl_easy_setopt(h->curl, CURLOPT_NOBODY, 1L);
	if (e == CURLE_OK)
		e = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, hdrs);
	if (e == CURLE_OK)
		e = curl_easy_perform(h->curl);
	if (e != CURLE_OK)
		rc = http_fail(h, url, e);
	else {
		curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &r->status);
		if (h->date == 0 && clock_parse_http_date(r->date, &h->date) < 0)
			h->date = 0;
		log_msg(LOG_LEVEL_DEBUG, "%s %s: HTTP %ld", body ? "POST" :
		    head ? "HEAD" : "GET", url, r->status);
	}
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(hdrs);
	return rc;
}

/*
 * The request headers of http_api: hdrs (NULL-terminated "Name: value"
 * lines, empty ones skipped) and no Expect: 100-continue. NULL when out
 * of memory.
 */
static ACME_MUST_CHECK struct curl_slist *
http_api_headers(const char *const *hdrs)
{
	struct curl_slist *l, *t;

	if ((l = curl_slist_append(NULL, "Expect:")) == NULL)
		return NULL;
	for (; *hdrs != NULL; hdrs++) {
		if (**hdrs == '\0')
			continue;
		if ((t = curl_slist_append(l, *hdrs)) == NULL) {
			curl_slist_free_all(l);
			return NULL;
		}
		l = t;
	}
	return l;
}

/*
 * One exchange with a DNS provider's API for a dnsapi script (section 14,
 * dns-api), as acme.sh's curl makes it: method (HEAD: no body read) on an
 * http or https URL, the headers hdrs, a body of len bytes when len > 0,
 * redirects followed (at most API_REDIRS_MAX), every response header
 * line appended to r->dump when set. TLS, trust, limits and timeouts are
 * the CA's (http_setopts). r is reset first; an HTTP error status is an
 * answer, not a failure.
 */
static ACME_MUST_CHECK int
http_api(struct http *h, const char *method, const char *url,
    const char *const *hdrs, const char *body, size_t len,
    struct http_resp *r)
{
	struct curl_slist *l;
	CURL *c = h->curl;
	CURLcode e;
	int rc;

	http_resp_reset(r);
	if ((rc = http_setopts(h, url, r)) < 0)
		return rc;
	if ((l = http_api_headers(hdrs)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	/* redirects: libcurl's http and https are all there is */
	if ((e = curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https")) ||
	    (e = curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 1L)) ||
	    (e = curl_easy_setopt(c, CURLOPT_MAXREDIRS,
	    (long)API_REDIRS_MAX)) ||
	    (e = curl_easy_setopt(c, CURLOPT_HTTPHEADER, l)) ||
	    (e = strcmp(method, "HEAD") == 0 ? curl_easy_setopt(c,
	    CURLOPT_NOBODY, 1L) : curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST,
	    method)) ||
	    (len > 0 && ((e = curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE,
	    (long)len)) || (e = curl_easy_setopt(c, CURLOPT_POSTFIELDS,
	    body)))) || (e = curl_easy_perform(c)))
		rc = e == CURLE_UNKNOWN_OPTION ? err_set(ACME_ERR_USAGE,
		    "libcurl: %s", curl_easy_strerror(e)) :
		    http_fail(h, url, e);
	else
		curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
	curl_easy_setopt(c, CURLOPT_HTTPHEADER, NULL);
	curl_slist_free_all(l);
	return rc;
}

/* ==== 14. Challenges ==== */

/*
 * Answering challenges (RFC 8555 8, RFC 8737, dns-persist-01): key
 * authorizations, http-01 files placed in a webroot opened without following
 * symlinks, the standalone responder that answers every order of a run,
 * tls-alpn-01 answers, hooks (one runner for every hook, with the caller's
 * environment and ours on top), and the dns-persist-01 record.
 *
 * Prefixes: chal_, hook_.
 * May call: 2-8, 10-13.
 */

#define CHAL_WK_DIR	".well-known"
#define CHAL_AC_DIR	"acme-challenge"
#define CHAL_HTTP_PREFIX "/.well-known/acme-challenge/"
#define HOOK_FDS_CLOSED	1024	/* fds above 2 a hook or the responder never
				   inherits */
#define KEYAUTH_MAX	(TOKEN_MAX + 64)

enum chal_type {
	CHAL_HTTP01,
	CHAL_DNS01,
	CHAL_TLSALPN01,
	CHAL_DNSPERSIST01,	/* draft-ietf-acme-dns-persist-01 */
	CHAL_TYPE_MAX
};

static const char *const chal_type_names[CHAL_TYPE_MAX] = {
	[CHAL_HTTP01] = "http-01",
	[CHAL_DNS01] = "dns-01",
	[CHAL_TLSALPN01] = "tls-alpn-01",
	[CHAL_DNSPERSIST01] = "dns-persist-01",
};

/* Who puts an answer in place. */
enum chal_how {
	CHAL_BY_WEBROOT,	/* a file below --webroot (http-01) */
	CHAL_BY_STANDALONE,	/* our responder child (http-01, tls-alpn-01) */
	CHAL_BY_HOOK,		/* the --hook program (any type) */
	CHAL_BY_RECORD,		/* the TXT record the user published once
				   (dns-persist-01): nothing to place */
	CHAL_HOW_MAX
};

/* How each way answers, for -v. */
static const char *const chal_how_names[CHAL_HOW_MAX] = {
	[CHAL_BY_WEBROOT] = "in the webroot",
	[CHAL_BY_STANDALONE] = "ourselves",
	[CHAL_BY_HOOK] = "by the hook",
	[CHAL_BY_RECORD] = "with the published record",
};

/* A challenge we answer (RFC 8555 8.1): token and key authorization. */
struct chal_answer {
	enum chal_type	 type;
	enum chal_how	 how;
	struct ident	 id;		/* the authorization's identifier:
					   no "*." (RFC 8555 7.1.4) */
	char		 token[TOKEN_MAX + 1];
	char		 keyauth[KEYAUTH_MAX];	/* token.thumbprint */
	char		 digest[THUMBPRINT_LEN + 1]; /* base64url(SHA-256(
					   keyauth)): dns-01 TXT value */
	unsigned char	 sha[32];	/* SHA-256(keyauth): tls-alpn-01 */
	int		 placed;	/* webroot file written */
	int		 begun;		/* hook said yes: done/failed owed */
	int		 valid;		/* its authorization became valid */
};

/* How the challenges of one order are answered. */
struct chal_ctx {
	const char	*webroot;	/* borrowed; NULL unless --webroot */
	int		 standalone;
	const char	*bind;		/* borrowed; NULL = every address */
	int		 http_port;
	int		 tls_port;
	int		 want;		/* --challenge: enum chal_type or -1 */
	int		 hook_timeout;	/* seconds */
	int		 dns_wait;	/* seconds after dns-01 begins */
	size_t		 nanswers;
	size_t		 round;		/* answers[round..] are this round's */
	int		 made_wk;	/* we created .well-known */
	int		 made_ac;	/* we created acme-challenge */
	int		 webroot_symlinks; /* --webroot-symlinks */
	int		 wr_fd[3];	/* owned: the webroot, .well-known and
					   acme-challenge, open; -1 before */
	struct key	 tls_key;	/* owned: tls-alpn-01 certificates */
	struct buf	*tls_certs;	/* owned DER, IDENT_MAX by answer;
					   NULL without tls-alpn-01 */
	/* --dns-api: hook is the dnsapi script (hook_api_run) */
	int		 api;
	const char	*api_dir;	/* borrowed: DIR */
	const char	*api_name;	/* borrowed: the certificate NAME */
	const char	*api_ca;	/* borrowed: --ca-file, or NULL */
	const char	*alias;		/* borrowed: --challenge-alias */
	const char	*dalias;	/* borrowed: --domain-alias */
	char		 hook[PATH_LEN_MAX]; /* absolute path; "" = none */
	struct chal_answer answers[IDENT_MAX]; /* last: see chal_init */
};

/*
 * Everything before hook is cleared, hook made "": an answer is written
 * whole before nanswers counts it, and leaving the rest alone keeps the
 * pages of a fresh calloc() untouched (peak RSS: a renew run holds up to
 * ORDERS_MAX of these).
 */
static void
chal_init(struct chal_ctx *c)
{
	memset(c, 0, offsetof(struct chal_ctx, hook));
	c->hook[0] = '\0';
	c->wr_fd[0] = c->wr_fd[1] = c->wr_fd[2] = -1;
	c->want = -1;
	c->hook_timeout = HOOK_TIMEOUT;
}

/* The type the standalone responder answers: tls-alpn-01 on request. */
static enum chal_type
chal_sa_type(const struct chal_ctx *c)
{
	return c->want == CHAL_TLSALPN01 ? CHAL_TLSALPN01 : CHAL_HTTP01;
}

/*
 * --webroot: the web root is often writable by the web server's user,
 * while acme runs as root, and the CA chooses the token file names. So
 * WEBROOT/.well-known/acme-challenge is walked one component at a time
 * from an fd of WEBROOT with O_NOFOLLOW | O_DIRECTORY (missing ones made
 * 0755), every token is created below that fd with O_EXCL | O_NOFOLLOW
 * and removed relative to the same fd: nothing is ever written or removed
 * outside it. A symlink in the two components is refused unless
 * --webroot-symlinks asks to follow it, once, when it is opened.
 */
static const char *const chal_wr_names[2] = { CHAL_WK_DIR, CHAL_AC_DIR };

/* Component k (0 .well-known, 1 acme-challenge) below wr_fd[k]. */
static ACME_MUST_CHECK int
chal_webroot_sub(struct chal_ctx *c, int k)
{
	char shown[PATH_LEN_MAX], proc[32], to[PATH_LEN_MAX];
	int *made = k == 0 ? &c->made_wk : &c->made_ac, parent = c->wr_fd[k];
	ssize_t n;
	int fd;

	snprintf(shown, sizeof(shown), "%s/%s%s%s", c->webroot, k ? CHAL_WK_DIR
	    : "", k ? "/" : "", chal_wr_names[k]);
	if (mkdirat(parent, chal_wr_names[k], 0755) == 0)
		*made = 1;
	fd = openat(parent, chal_wr_names[k], O_RDONLY | O_DIRECTORY |
	    O_NOFOLLOW | O_CLOEXEC);
	if (fd >= 0) {
		if (*made)	/* 0755 whatever the umask: the server reads */
			fchmod(fd, 0755);
		return fd;
	}
	if (errno != ENOTDIR && errno != ELOOP)
		return err_set(ACME_ERR_CHALLENGE, "%s: %s", shown,
		    strerror(errno));
	if (!c->webroot_symlinks)
		return err_set(ACME_ERR_CHALLENGE, "%s is a symbolic link (or "
		    "not a directory): refused, acme would write where it "
		    "points; use --webroot-symlinks if it is shared on "
		    "purpose", shown);
	if ((fd = openat(parent, chal_wr_names[k], O_RDONLY | O_DIRECTORY |
	    O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_CHALLENGE, "%s: %s", shown,
		    strerror(errno));
	snprintf(proc, sizeof(proc), "/proc/self/fd/%d", fd);
	n = readlink(proc, to, sizeof(to) - 1);
	to[n > 0 ? n : 0] = '\0';
	log_msg(LOG_LEVEL_INFO, "--webroot-symlinks: %s is a symbolic link, "
	    "followed once to %s", shown, n > 0 ? to : "its target");
	return fd;
}

/* Open WEBROOT/.well-known/acme-challenge (once per order) into wr_fd. */
static ACME_MUST_CHECK int
chal_webroot_dir(struct chal_ctx *c)
{
	int k, fd;

	if (c->wr_fd[2] >= 0)
		return 0;
	if (c->wr_fd[0] < 0 && (c->wr_fd[0] = open(c->webroot, O_RDONLY |
	    O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_CHALLENGE, "--webroot %s: %s",
		    c->webroot, strerror(errno));
	for (k = 0; k < 2; k++)
		if (c->wr_fd[k + 1] < 0) {
			if ((fd = chal_webroot_sub(c, k)) < 0)
				return fd;
			c->wr_fd[k + 1] = fd;
		}
	return 0;
}

/* One token file: created, never through a symlink, never replacing. */
static ACME_MUST_CHECK int
chal_webroot_token(struct chal_ctx *c, const struct chal_answer *a)
{
	size_t len = strlen(a->keyauth);
	int fd, rc, tries;

	for (tries = 0; tries < 2; tries++) {
		fd = openat(c->wr_fd[2], a->token, O_WRONLY | O_CREAT |
		    O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
		if (fd >= 0 || errno != EEXIST)
			break;
		/* the same token left by a run that was killed: ours */
		unlinkat(c->wr_fd[2], a->token, 0);
	}
	if (fd < 0)
		return err_set(ACME_ERR_CHALLENGE, "--webroot %s: token %s: %s",
		    c->webroot, a->token, strerror(errno));
	rc = fchmod(fd, 0644) < 0 ? ACME_ERR_IO :
	    store_write_all(fd, a->keyauth, len);
	if (close(fd) < 0 || rc < 0) {
		unlinkat(c->wr_fd[2], a->token, 0);
		return err_set(ACME_ERR_CHALLENGE, "--webroot %s: token %s: %s",
		    c->webroot, a->token, strerror(errno));
	}
	return 0;
}

static ACME_MUST_CHECK int
chal_webroot_put(struct chal_ctx *c)
{
	size_t i;
	int rc;

	if ((rc = chal_webroot_dir(c)) < 0)
		return rc;
	for (i = 0; i < c->nanswers && rc == 0; i++) {
		if (c->answers[i].how != CHAL_BY_WEBROOT ||
		    c->answers[i].placed)
			continue;
		rc = chal_webroot_token(c, &c->answers[i]);
		c->answers[i].placed = rc == 0;
	}
	return rc;
}

/* Remove our token files, and the directories if we created them, each
 * relative to the fd it was made in; close them. */
static void
chal_webroot_clean(struct chal_ctx *c)
{
	size_t i;
	int k;

	for (i = 0; i < c->nanswers && c->wr_fd[2] >= 0; i++)
		if (c->answers[i].placed)
			unlinkat(c->wr_fd[2], c->answers[i].token, 0);
	for (i = 0; i < c->nanswers; i++)
		c->answers[i].placed = 0;
	if (c->made_ac && c->wr_fd[1] >= 0)
		unlinkat(c->wr_fd[1], CHAL_AC_DIR, AT_REMOVEDIR);
	if (c->made_wk && c->wr_fd[0] >= 0)
		unlinkat(c->wr_fd[0], CHAL_WK_DIR, AT_REMOVEDIR);
	for (k = 0; k < 3; k++) {
		if (c->wr_fd[k] >= 0)
			close(c->wr_fd[k]);
		c->wr_fd[k] = -1;
	}
	c->made_ac = c->made_wk = 0;
}

/* Listen on --bind (default: every IPv6 and IPv4 address) --http-port. */
static ACME_MUST_CHECK int
chal_listen(const char *bind_addr, int port)
{
	struct sockaddr_in6 s6;
	struct sockaddr_in s4;
	struct sockaddr *sa;
	socklen_t salen;
	int fd, one = 1, zero = 0;

	memset(&s6, 0, sizeof(s6));
	memset(&s4, 0, sizeof(s4));
	s6.sin6_family = AF_INET6;
	s6.sin6_port = htons((uint16_t)port);
	s4.sin_family = AF_INET;
	s4.sin_port = htons((uint16_t)port);
	if (bind_addr == NULL || inet_pton(AF_INET6, bind_addr,
	    &s6.sin6_addr) == 1) {
		sa = (struct sockaddr *)&s6;
		salen = sizeof(s6);
	} else if (inet_pton(AF_INET, bind_addr, &s4.sin_addr) == 1) {
		sa = (struct sockaddr *)&s4;
		salen = sizeof(s4);
	} else
		return err_set(ACME_ERR_USAGE, "--bind %s: not an IP address",
		    bind_addr);
	if ((fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC |
	    SOCK_NONBLOCK, 0)) < 0)
		return err_set(ACME_ERR_CHALLENGE, "socket: %s",
		    strerror(errno));
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (sa->sa_family == AF_INET6)
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
	if (bind(fd, sa, salen) < 0 || listen(fd, 64) < 0) {
		err_set(ACME_ERR_CHALLENGE, "--standalone: cannot listen on "
		    "%s port %d: %s", bind_addr ? bind_addr : "*", port,
		    strerror(errno));
		close(fd);
		return ACME_ERR_CHALLENGE;
	}
	return fd;
}

/* The key authorization for an http-01 request line, or NULL. */
static const char *
chal_lookup(const struct chal_ctx *c, const char *req)
{
	const char *p, *end;
	size_t i, n;

	if (strncmp(req, "GET " CHAL_HTTP_PREFIX, 4 + strlen(
	    CHAL_HTTP_PREFIX)) != 0)
		return NULL;
	p = req + 4 + strlen(CHAL_HTTP_PREFIX);
	if ((end = strchr(p, ' ')) == NULL)
		return NULL;
	n = (size_t)(end - p);
	for (i = 0; i < c->nanswers; i++)
		if (strlen(c->answers[i].token) == n &&
		    memcmp(c->answers[i].token, p, n) == 0)
			return c->answers[i].keyauth;
	return NULL;
}

/* ---- tls-alpn-01 answers (RFC 8737, RFC 8738 6) ---- */

#define CHAL_ALPN_PROTO	"acme-tls/1"	/* RFC 8737 6.2 */
#define CHAL_REVERSE_MAX 80		/* 32 nibbles "x." + "ip6.arpa" */
#define CHAL_CERT_MAX	(16 * 1024)	/* one validation certificate: ~500 B */

/* RFC 8738 6: the SNI of an IP identifier is its reverse-mapping name
 * (RFC 1035 3.5 in-addr.arpa, RFC 3596 2.5 ip6.arpa). */
static void
chal_reverse_name(const struct ident *id, char *out, size_t cap)
{
	static const char hex[] = "0123456789abcdef";
	size_t i, n = 0;

	if (id->iplen == 4) {
		snprintf(out, cap, "%u.%u.%u.%u.in-addr.arpa", id->ip[3],
		    id->ip[2], id->ip[1], id->ip[0]);
		return;
	}
	for (i = id->iplen; i-- > 0 && n + 5 < cap; ) {
		out[n++] = hex[id->ip[i] & 0x0f];
		out[n++] = '.';
		out[n++] = hex[id->ip[i] >> 4];
		out[n++] = '.';
	}
	snprintf(out + n, cap - n, "ip6.arpa");
}

/* The tls-alpn-01 answer for an SNI name (a trailing dot allowed), or NONE. */
static ACME_MUST_CHECK int
chal_tls_match(const struct chal_ctx *c, const char *sni)
{
	char rev[CHAL_REVERSE_MAX];
	const char *want;
	size_t i, n = strlen(sni);

	if (n > 0 && sni[n - 1] == '.')
		n--;
	for (i = 0; i < c->nanswers && n > 0; i++) {
		if (c->answers[i].type != CHAL_TLSALPN01 ||
		    c->answers[i].how != CHAL_BY_STANDALONE ||
		    c->tls_certs == NULL || c->tls_certs[i].len == 0)
			continue;
		want = c->answers[i].id.value;
		if (c->answers[i].id.type == IDENT_IP) {
			chal_reverse_name(&c->answers[i].id, rev, sizeof(rev));
			want = rev;
		}
		if (strlen(want) == n && strncasecmp(want, sni, n) == 0)
			return (int)i;
	}
	return NONE;
}

/* ---- the standalone responder: one process answers every order ---- */

#define CHAL_LISTEN_MAX	2	/* one http-01 and one tls-alpn-01 port */
#define CHAL_NOBODY	65534	/* uid and gid of nobody and nogroup on
				   Debian, OpenWrt and Alpine */

/* What the responder answers: the standalone answers of n contexts. */
struct chal_srv {
	struct chal_ctx	*const *cs;	/* borrowed */
	size_t		 n;
};

/* A listening socket and the challenge type it answers. */
struct chal_lsock {
	int	fd;
	int	tls;			/* tls-alpn-01, else http-01 */
};

/*
 * A server policy that picks the certificate (and the key it is under)
 * by SNI among every context, then lets BearSSL's single-EC policy (a
 * copy of the one chal_tls_init set up) choose the suite and sign.
 * vtable must stay the first member.
 */
struct chal_tls_policy {
	const br_ssl_server_policy_class *vtable;
	br_ssl_server_policy_ec_context	 inner;
	const struct chal_srv		*srv;	/* borrowed */
	br_x509_certificate		 cert;	/* points into srv */
};

static ACME_MUST_CHECK int
chal_tls_choose(const br_ssl_server_policy_class **pctx,
    const br_ssl_server_context *cc, br_ssl_server_choices *choices)
{
	struct chal_tls_policy *p = (struct chal_tls_policy *)(void *)pctx;
	const char *sni = br_ssl_engine_get_server_name(&cc->eng);
	const struct chal_ctx *c = NULL;
	size_t k;
	int i = -1;

	for (k = 0; k < p->srv->n && i < 0; k++)
		i = chal_tls_match(c = p->srv->cs[k], sni);
	if (i < 0 || cc->eng.selected_protocol == 0)	/* no ALPN at all */
		return 0;
	p->cert.data = c->tls_certs[i].data;
	p->cert.data_len = c->tls_certs[i].len;
	p->inner.chain = &p->cert;
	p->inner.chain_len = 1;
	p->inner.sk = &c->tls_key.u.ec.sk;
	return p->inner.vtable->choose(&p->inner.vtable, cc, choices);
}

static uint32_t
chal_tls_keyx(const br_ssl_server_policy_class **pctx, unsigned char *data,
    size_t *len)
{
	struct chal_tls_policy *p = (struct chal_tls_policy *)(void *)pctx;

	return p->inner.vtable->do_keyx(&p->inner.vtable, data, len);
}

static size_t
chal_tls_sign(const br_ssl_server_policy_class **pctx, unsigned algo_id,
    unsigned char *data, size_t hv_len, size_t len)
{
	struct chal_tls_policy *p = (struct chal_tls_policy *)(void *)pctx;

	return p->inner.vtable->do_sign(&p->inner.vtable, algo_id, data,
	    hv_len, len);
}

static const br_ssl_server_policy_class chal_tls_policy_class = {
	sizeof(struct chal_tls_policy), chal_tls_choose, chal_tls_keyx,
	chal_tls_sign
};

/*
 * br_ssl_server_init_minf2g() with the EC code the client side already
 * links (ec_impl) instead of br_ec_all_m15: TLS 1.2,
 * ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, which every validator offers.
 * The key is chosen by chal_tls_choose.
 */
static void
chal_tls_init(br_ssl_server_context *sc)
{
	static const uint16_t suites[] = {
		BR_TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256
	};

	br_ssl_server_zero(sc);
	br_ssl_engine_set_versions(&sc->eng, BR_TLS12, BR_TLS12);
	br_ssl_engine_set_suites(&sc->eng, suites, 1);
	br_ssl_engine_set_ec(&sc->eng, &ec_impl);
	br_ssl_server_set_single_ec(sc, NULL, 0, NULL, BR_KEYTYPE_SIGN, 0,
	    &ec_impl, br_ecdsa_i31_sign_asn1);
	br_ssl_engine_set_hash(&sc->eng, br_sha256_ID, &br_sha256_vtable);
	br_ssl_engine_set_prf_sha256(&sc->eng, &br_tls12_sha256_prf);
	br_ssl_engine_set_default_aes_gcm(&sc->eng);
}

/* Certificates for the tls-alpn-01 answers, all under one fresh key. */
static ACME_MUST_CHECK int
chal_tls_certs(struct chal_ctx *c)
{
	size_t i;
	int rc;

	if (!c->tls_key.set && (rc = key_generate(&c->tls_key, KEY_EC256)) < 0)
		return rc;
	if (c->tls_certs == NULL &&
	    (c->tls_certs = calloc(IDENT_MAX, sizeof(*c->tls_certs))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	for (i = 0; i < c->nanswers; i++) {
		if (c->answers[i].type != CHAL_TLSALPN01 ||
		    c->answers[i].how != CHAL_BY_STANDALONE ||
		    c->tls_certs[i].len > 0)
			continue;
		c->tls_certs[i].max = CHAL_CERT_MAX;
		if ((rc = der_alpn_cert(&c->tls_certs[i], &c->tls_key,
		    &c->answers[i].id, c->answers[i].sha)) < 0)
			return rc;
	}
	return 0;
}

/* One tls-alpn-01 connection's engine (half-duplex: a handshake only). */
struct chal_tls {
	br_ssl_server_context	 sc;
	struct chal_tls_policy	 pol;
	unsigned char		 buf[BR_SSL_BUFSIZE_MONO];
};

/* RFC 8737 3: TLS 1.2, ALPN acme-tls/1 required, the certificate for
 * the SNI name. */
static ACME_MUST_CHECK int
chal_tls_start(const struct chal_srv *s, struct chal_tls *t)
{
	static const char *protos[] = { CHAL_ALPN_PROTO };
	unsigned char seed[32];
	int rc;

	if ((rc = rng_sys(seed, sizeof(seed))) < 0)
		return rc;
	chal_tls_init(&t->sc);
	memset(&t->pol, 0, sizeof(t->pol));
	t->pol.vtable = &chal_tls_policy_class;
	t->pol.inner = t->sc.chain_handler.single_ec;
	t->pol.srv = s;
	t->sc.policy_vtable = &t->pol.vtable;
	br_ssl_engine_set_protocol_names(&t->sc.eng, protos, 1);
	br_ssl_engine_add_flags(&t->sc.eng, BR_OPT_FAIL_ON_ALPN_MISMATCH);
	br_ssl_engine_inject_entropy(&t->sc.eng, seed, sizeof(seed));
	wipe(seed, sizeof(seed));
	br_ssl_engine_set_buffer(&t->sc.eng, t->buf, sizeof(t->buf), 0);
	if (!br_ssl_server_reset(&t->sc))
		return err_set(ACME_ERR_CRYPTO, "tls-alpn-01: TLS engine: "
		    "error %d", br_ssl_engine_last_error(&t->sc.eng));
	return 0;
}

/* One client of the responder, served a step at a time (non-blocking);
 * its buffers are made when its first bytes come (chal_http_io,
 * chal_tls_io), so an idle one costs no memory. */
struct chal_conn {
	int		 fd;		/* -1: a free slot */
	int		 is_tls;	/* tls-alpn-01, else http-01 */
	int64_t		 deadline;	/* clock_mono_ms(): closed then */
	unsigned char	 addr[16];	/* the client's IP address */
	struct chal_tls	*tls;		/* owned, tls-alpn-01 */
	char		*req;		/* owned, http-01: the request, then
					   CHAL_RESP_MAX for the answer */
	size_t		 len;		/* bytes read (of req); 0: idle */
	size_t		 rlen;		/* 0 until the answer is made */
	size_t		 sent;
};

#define CHAL_RESP_MAX	(KEYAUTH_MAX + 256)
#define CHAL_RESP(k)	((k)->req + STANDALONE_REQ_MAX + 1)

/* After send or recv gave n: 0 to wait for the socket, 1 to close. */
static ACME_MUST_CHECK int
chal_again(ssize_t n)
{
	return n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK ||
	    errno == EINTR) ? 0 : 1;
}

/* The answer to a whole request: 200 and the key authorization of a
 * token we hold, else 404. */
static void
chal_http_answer(const struct chal_srv *s, struct chal_conn *k)
{
	const char *ka = NULL;
	size_t i;
	int n;

	for (i = 0; i < s->n && ka == NULL; i++)
		ka = chal_lookup(s->cs[i], k->req);
	if (ka != NULL)
		n = snprintf(CHAL_RESP(k), CHAL_RESP_MAX, "HTTP/1.1 200 OK\r\n"
		    "Content-Type: text/plain\r\nContent-Length: %zu\r\n"
		    "Connection: close\r\n\r\n%s", strlen(ka), ka);
	else
		n = snprintf(CHAL_RESP(k), CHAL_RESP_MAX, "HTTP/1.1 404 Not "
		    "Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
	k->rlen = n > 0 && n < CHAL_RESP_MAX ? (size_t)n : 0;
}

/* http-01: read the request header, then send the answer; 1 when done. */
static ACME_MUST_CHECK int
chal_http_io(const struct chal_srv *s, struct chal_conn *k)
{
	ssize_t n;

	if (k->req == NULL && (k->req = malloc(STANDALONE_REQ_MAX + 1 +
	    CHAL_RESP_MAX)) == NULL)
		return 1;
	if (k->rlen == 0) {
		n = recv(k->fd, k->req + k->len, STANDALONE_REQ_MAX - k->len,
		    0);
		if (n <= 0)
			return chal_again(n);
		k->len += (size_t)n;
		k->req[k->len] = '\0';
		if (strstr(k->req, "\r\n\r\n") == NULL &&
		    k->len < STANDALONE_REQ_MAX)
			return 0;
		chal_http_answer(s, k);
		if (k->rlen == 0)
			return 1;
	}
	n = send(k->fd, CHAL_RESP(k) + k->sent, k->rlen - k->sent,
	    MSG_NOSIGNAL);
	if (n <= 0)
		return chal_again(n);
	k->sent += (size_t)n;
	return k->sent == k->rlen;
}

/*
 * tls-alpn-01: run the engine as far as the socket allows; 1 when done.
 * The validator closes after the handshake (RFC 8737 3); so do we.
 */
static ACME_MUST_CHECK int
chal_tls_io(const struct chal_srv *s, struct chal_conn *k)
{
	br_ssl_engine_context *e;
	unsigned char *buf;
	unsigned st;
	size_t len;
	ssize_t n;

	if (k->tls == NULL && ((k->tls = malloc(sizeof(*k->tls))) == NULL ||
	    chal_tls_start(s, k->tls) < 0))
		return 1;
	for (e = &k->tls->sc.eng;;) {
		st = br_ssl_engine_current_state(e);
		if (st & BR_SSL_CLOSED)
			return 1;
		if (st & BR_SSL_SENDREC) {
			buf = br_ssl_engine_sendrec_buf(e, &len);
			if ((n = send(k->fd, buf, len, MSG_NOSIGNAL)) <= 0)
				return chal_again(n);
			br_ssl_engine_sendrec_ack(e, (size_t)n);
		} else if (st & BR_SSL_RECVAPP) {
			br_ssl_engine_recvapp_buf(e, &len);
			br_ssl_engine_recvapp_ack(e, len);
		} else if (st & BR_SSL_SENDAPP)
			br_ssl_engine_close(e);
		else if (st & BR_SSL_RECVREC) {
			buf = br_ssl_engine_recvrec_buf(e, &len);
			if ((n = recv(k->fd, buf, len, 0)) <= 0)
				return chal_again(n);
			k->len += (size_t)n;
			br_ssl_engine_recvrec_ack(e, (size_t)n);
		} else
			return 1;
	}
}

static void
chal_conn_close(struct chal_conn *k)
{
	if (k->fd >= 0)
		close(k->fd);
	free(k->req);
	if (k->tls != NULL)
		wipe(k->tls, sizeof(*k->tls));
	free(k->tls);
	memset(k, 0, sizeof(*k));
	k->fd = -1;
}

/* Take accepted socket fd into the free slot k. */
static void
chal_conn_open(struct chal_conn *k, int fd, int tls)
{
	k->fd = fd;
	k->is_tls = tls;
	k->deadline = clock_mono_ms() + STANDALONE_CONN_MS;
}

/* What k waits for: its answer to send, or more from the client. */
static short
chal_conn_events(const struct chal_conn *k)
{
	if (k->tls != NULL)
		return (br_ssl_engine_current_state(&k->tls->sc.eng) &
		    BR_SSL_SENDREC) ? POLLOUT : POLLIN;
	return k->rlen > 0 ? POLLOUT : POLLIN;
}

/* p[0]: control pipe, p[1..nl]: listeners, p[1 + nl + i]: connection
 * i. Returns the poll timeout (ms). */
static ACME_MUST_CHECK int
chal_poll_set(const struct chal_conn *k, const struct chal_lsock *ls,
    size_t nl, struct pollfd *p)
{
	int64_t now = clock_mono_ms(), wait = -1;
	size_t i;

	for (i = 0; i < STANDALONE_CONN_MAX; i++) {
		p[1 + nl + i].fd = k[i].fd;
		p[1 + nl + i].events = k[i].fd >= 0 ? chal_conn_events(&k[i]) :
		    0;
		if (k[i].fd >= 0 && (wait < 0 || k[i].deadline - now < wait))
			wait = k[i].deadline > now ? k[i].deadline - now : 0;
	}
	for (i = 0; i < nl; i++) {
		p[1 + i].fd = ls[i].fd;
		p[1 + i].events = POLLIN;
	}
	return (int)wait;
}

/* Serve the connections that are ready; close those past deadline. */
static void
chal_conns_io(const struct chal_srv *s, struct chal_conn *k,
    const struct pollfd *p)
{
	int64_t now = clock_mono_ms();
	size_t i;

	for (i = 0; i < STANDALONE_CONN_MAX; i++) {
		if (k[i].fd < 0)
			continue;
		if (now >= k[i].deadline)
			chal_conn_close(&k[i]);
		else if (p[i].revents != 0 && (k[i].is_tls ?
		    chal_tls_io(s, &k[i]) : chal_http_io(s, &k[i])))
			chal_conn_close(&k[i]);
	}
}

/* Idle ones (nothing received yet) first, then the oldest first. */
#define CHAL_RANK(k)	((k)->deadline + ((k)->len > 0 ? (1LL << 40) : 0))

/*
 * The slot for a new client at address a: a free one while a has fewer
 * than STANDALONE_ADDR_MAX idle connections; else one closed for it, of
 * a's when a is at that cap, else of all: the oldest idle one, or
 * failing that the oldest. A crowd of idle connections from one address
 * so churns within its own STANDALONE_ADDR_MAX and never keeps a
 * validator out.
 */
static size_t
chal_slot(struct chal_conn *k, const unsigned char *a)
{
	size_t i, n = 0, best = STANDALONE_CONN_MAX;

	for (i = 0; i < STANDALONE_CONN_MAX; i++)
		n += k[i].fd >= 0 && k[i].len == 0 &&
		    memcmp(k[i].addr, a, 16) == 0;
	for (i = 0; i < STANDALONE_CONN_MAX; i++) {
		if (k[i].fd < 0 && n < STANDALONE_ADDR_MAX)
			return i;
		if (k[i].fd >= 0 && (n < STANDALONE_ADDR_MAX ||
		    memcmp(k[i].addr, a, 16) == 0) &&
		    (best == STANDALONE_CONN_MAX ||
		    CHAL_RANK(&k[i]) < CHAL_RANK(&k[best])))
			best = i;
	}
	chal_conn_close(&k[best]);
	return best;
}

/* Accept one new client per ready listener (chal_slot). */
static void
chal_accept(struct chal_conn *k, const struct chal_lsock *ls, size_t nl,
    const struct pollfd *p)
{
	struct sockaddr_in6 sa;
	unsigned char a[16];
	socklen_t len;
	size_t i, j;
	int fd;

	for (j = 0; j < nl; j++) {
		len = sizeof(sa);
		if ((p[j].revents & POLLIN) == 0 || (fd = accept4(ls[j].fd,
		    (struct sockaddr *)&sa, &len, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) < 0)
			continue;
		memset(a, 0, sizeof(a));
		if (sa.sin6_family == AF_INET6)
			memcpy(a, &sa.sin6_addr, 16);
		else
			memcpy(a, &((struct sockaddr_in *)(void *)&sa)->sin_addr,
			    4);
		i = chal_slot(k, a);
		chal_conn_open(&k[i], fd, ls[j].tls);
		memcpy(k[i].addr, a, 16);
	}
}

/*
 * Serve every client at once until the control pipe closes: each
 * connection is a non-blocking socket polled with the others, gets
 * STANDALONE_CONN_MS in all, and at most STANDALONE_CONN_MAX are open,
 * STANDALONE_ADDR_MAX from one address (chal_slot closes the oldest idle
 * one for a newcomer), so neither a client sending a byte a second nor
 * one holding a crowd of idle connections delays a validator.
 */
static void
chal_serve(const struct chal_srv *s, const struct chal_lsock *ls, size_t nl,
    int ctl)
{
	struct chal_conn k[STANDALONE_CONN_MAX];
	struct pollfd p[1 + CHAL_LISTEN_MAX + STANDALONE_CONN_MAX];
	size_t i;
	int wait;

	memset(k, 0, sizeof(k));
	for (i = 0; i < STANDALONE_CONN_MAX; i++)
		k[i].fd = -1;
	memset(p, 0, sizeof(p));
	p[0].fd = ctl;
	p[0].events = POLLIN;
	for (;;) {
		wait = chal_poll_set(k, ls, nl, p);
		if (poll(p, 1 + nl + STANDALONE_CONN_MAX, wait) < 0 &&
		    errno != EINTR)
			break;
		if (p[0].revents != 0)
			break;
		chal_conns_io(s, k, p + 1 + nl);
		chal_accept(k, ls, nl, p + 1);
	}
	for (i = 0; i < STANDALONE_CONN_MAX; i++)
		chal_conn_close(&k[i]);
}

/*
 * The responder child gives up what it does not need: every file
 * descriptor but its sockets and the control pipe (the DIR lock, the
 * connection to the CA), the private keys in secrets (its copy of the
 * parent's memory: the account key, certificate keys; tls-alpn-01 needs
 * only its own throwaway key), and, started as root, root itself:
 * nobody (CHAL_NOBODY) where setuid allows, no new privileges.
 */
static void
chal_child_init(const struct chal_lsock *ls, size_t nl, int ctl,
    struct key *const *secrets, size_t nsecrets)
{
	size_t i;
	int fd, keep;

	for (fd = 3; fd < HOOK_FDS_CLOSED; fd++) {
		for (i = 0, keep = fd == ctl; i < nl; i++)
			keep |= fd == ls[i].fd;
		if (!keep)
			close(fd);
	}
	for (i = 0; i < nsecrets; i++)
		key_free(secrets[i]);
	/* raw system calls: this process has one thread, and musl's
	 * wrappers would pull in their all-threads machinery */
	if (geteuid() == 0 && syscall(SYS_setgroups, 0, NULL) == 0 &&
	    syscall(SYS_setgid, CHAL_NOBODY) == 0 &&
	    syscall(SYS_setuid, CHAL_NOBODY) == 0)
		log_msg(LOG_LEVEL_DEBUG, "responder: running as uid %d",
		    CHAL_NOBODY);
	prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
}

/* The responder process (see chal_resp_start). */
struct chal_resp {
	pid_t	pid;			/* -1: none */
	int	ctl;			/* closing it stops the child */
};

static void
chal_resp_init(struct chal_resp *r)
{
	r->pid = -1;
	r->ctl = -1;
}

/* Whether c has standalone answers, and on which port. */
static ACME_MUST_CHECK int
chal_sa_port(const struct chal_ctx *c, int *tls)
{
	size_t i;

	for (i = 0; i < c->nanswers; i++)
		if (c->answers[i].how == CHAL_BY_STANDALONE)
			break;
	if (i == c->nanswers)
		return 0;
	*tls = chal_sa_type(c) == CHAL_TLSALPN01;
	return *tls ? c->tls_port : c->http_port;
}

/* Listen on every port the standalone answers of cs need (the first
 * context's --bind for each); make the tls-alpn-01 certificates. */
static ACME_MUST_CHECK int
chal_resp_listen(struct chal_ctx *const *cs, size_t n,
    struct chal_lsock *ls, size_t *nl)
{
	size_t i, j;
	int port, tls, rc;

	for (i = 0; i < n; i++) {
		if ((port = chal_sa_port(cs[i], &tls)) == 0)
			continue;
		if (tls && (rc = chal_tls_certs(cs[i])) < 0)
			return rc;
		for (j = 0; j < *nl && ls[j].tls != tls; j++)
			;
		if (j < *nl)
			continue;
		if (*nl == CHAL_LISTEN_MAX)
			return err_set(ACME_ERR_CHALLENGE, "--standalone: "
			    "too many ports");
		if ((rc = chal_listen(cs[i]->bind, port)) < 0)
			return rc;
		ls[*nl].fd = rc;
		ls[(*nl)++].tls = tls;
	}
	return 0;
}

/*
 * Start one responder for the standalone answers of every context in
 * cs[0..n): it listens on each port they need and answers every token
 * and SNI name of all of them. The child first forgets secrets (see
 * chal_child_init). No standalone answer: nothing is started.
 */
static ACME_MUST_CHECK int
chal_resp_start(struct chal_resp *r, struct chal_ctx *const *cs, size_t n,
    struct key *const *secrets, size_t nsecrets)
{
	struct chal_lsock ls[CHAL_LISTEN_MAX];
	struct chal_srv srv = { cs, n };
	pid_t parent = getpid();
	size_t nl = 0, i;
	int pfd[2] = { -1, -1 }, rc;

	if ((rc = chal_resp_listen(cs, n, ls, &nl)) < 0 || nl == 0)
		goto out;
	if (pipe2(pfd, O_CLOEXEC) < 0) {
		rc = err_set(ACME_ERR_CHALLENGE, "pipe: %s", strerror(errno));
		goto out;
	}
	fflush(NULL);
	if ((r->pid = fork()) < 0)
		rc = err_set(ACME_ERR_CHALLENGE, "fork: %s", strerror(errno));
	if (r->pid == 0) {
		close(pfd[1]);
		chal_child_init(ls, nl, pfd[0], secrets, nsecrets);
		/* a credential change clears the death signal: set it now */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() == parent)
			chal_serve(&srv, ls, nl, pfd[0]);
		_exit(0);
	}
	r->ctl = r->pid > 0 ? pfd[1] : -1;
	pfd[1] = r->pid > 0 ? -1 : pfd[1];
out:
	for (i = 0; i < nl; i++)
		close(ls[i].fd);
	if (pfd[0] >= 0)
		close(pfd[0]);
	if (pfd[1] >= 0)
		close(pfd[1]);
	return rc;
}

static void
chal_resp_stop(struct chal_resp *r)
{
	if (r->pid > 0) {
		close(r->ctl);
		kill(r->pid, SIGTERM);
		while (waitpid(r->pid, NULL, 0) < 0 && errno == EINTR)
			;
	}
	chal_resp_init(r);
}

/* ---- dns-api: acme.sh's dnsapi scripts ---- */

/*
 * --dns-api NAME answers dns-01 with acme.sh's dnsapi script NAME.sh,
 * unchanged: /bin/sh runs hook_api_prelude, which defines the helper
 * functions acme.sh gives those scripts (its "DNS API Dev Guide"; our own
 * definitions), sources the script and calls NAME_add or NAME_rm with
 * the TXT record's name and value (hook_api_run). Whatever needs HTTP(S),
 * a hash, an HMAC, base64 or a durable write, the prelude asks of this
 * binary, `acme dns-api-call OP ARG...` (hook_api_call, acme(1) DNS API):
 * the same TLS, trust and limits as for the CA, so a router needs only a
 * busybox shell. Secrets go on stdin or in the environment, never in argv.
 * The scripts' saved settings are kept as acme.sh keeps them, KEY='value'
 * lines (SAVED_KEY for the _mutable helpers; values with a control
 * character base64-wrapped, as acme.sh's base64encode), 0600, rewritten
 * only when they change: DIR/dns-api/account.conf, and DIR/conf/
 * NAME.dns-api for a certificate's own (acme.sh's DOMAIN.conf).
 */

#define HOOK_API_DIR	"/usr/lib/acme/client/dnsapi"	/* OpenWrt's
					   acme-acmesh-dnsapi package */
#define HOOK_API_HOME	".acme.sh/dnsapi"	/* below $HOME */
#define HOOK_API_SUB	"dns-api"		/* DIR/dns-api/ */
#define HOOK_API_CALL	"dns-api-call"		/* argv[1] of a callback */
#define HOOK_API_B64_START "__ACME_BASE64__START_"
#define HOOK_API_B64_END "__ACME_BASE64__END_"

/*
 * The prelude: sh -c PRELUDE NAME SCRIPT add|rm FULLDOMAIN TXT VERBOSITY,
 * with ACME_EXE, ACME_DIR, ACME_NAME and ACME_CA_FILE in the environment.
 * Messages go to stderr: _err always, _info with -v, _debug with two,
 * _debug2 and _debug3 with three; a value whose label names a key, token,
 * secret, password, auth, signature or credential, and every
 * _secure_debug value, is shown as [hidden]. Before the script is
 * sourced, account.conf's plain KEY='value' lines (_saveaccountconf's)
 * that the environment does not set become shell variables, as acme.sh
 * sources that file.
 */
static const char hook_api_prelude[] =
"_Zn=$0 _Zs=$1 _Zf=$0_$2 _Zd=$3 _Zt=$4 "
"_Zv=$5\n"
"set --\n"
"_Z(){ \"$ACME_EXE\" " HOOK_API_CALL " \"$@\";}\n"
"_Zh(){ _H1=$_H1 _H2=$_H2 _H3=$_H3 _H4=$_H4 _H5=$_H5 "
"HTTP_HEADER=$HTTP_HEADER _Z \"$@\";}\n"
"_Zsay(){ [ \"$_Zv\" -ge \"$1\" ]||return 0\n"
"if [ $# -gt 3 ];then case $2$(printf %s \"$3\"|tr A-Z a-z) in\n"
"1*|*key*|*token*|*secret*|*pass*|*auth*|*sig*|*cred*)"
"set -- \"$3=[hidden]\";;\n"
"*)set -- \"$3='$4'\";;esac;else set -- \"$3\";fi\n"
"printf '%s: %s\\n' \"$_Zn\" \"$1\" >&2;}\n"
"_info(){ _Zsay 1 0 \"$@\";}\n"
"_debug(){ _Zsay 2 0 \"$@\";}\n"
"_debug2(){ _Zsay 3 0 \"$@\";}\n"
"_debug3(){ _Zsay 3 0 \"$@\";}\n"
"_secure_debug(){ _Zsay 2 1 \"$@\";}\n"
"_secure_debug2(){ _Zsay 3 1 \"$@\";}\n"
"_secure_debug3(){ _Zsay 3 1 \"$@\";}\n"
"_err(){ _Zsay -9 0 \"$@\";return 1;}\n"
"_usage(){ printf '%s\\n' \"$*\" >&2;}\n"
"_log(){ :;}\n"
"__green(){ printf %b \"$1\";}\n"
"__red(){ printf %b \"$1\";}\n"
"_Zgrep(){ printf '%s\\n' \"$2\"|grep -q -- \"$1\";}\n"
"_contains(){ _Zgrep \"$2\" \"$1\";}\n"
"_startswith(){ _Zgrep \"^$2\" \"$1\";}\n"
"_endswith(){ _Zgrep \"$2\\$\" \"$1\";}\n"
"_exists(){ [ -n \"$1\" ]&&type \"$1\" >/dev/null 2>&1;}\n"
"_math(){ printf %s \"$(($*))\";}\n"
"_egrep_o(){ grep -Eo -- \"$1\" 2>/dev/null;}\n"
"_head_n(){ head -n \"$1\";}\n"
"_tail_n(){ tail -n \"$1\";}\n"
"_lower_case(){ tr A-Z a-z;}\n"
"_upper_case(){ tr a-z A-Z;}\n"
"_normalizeJson(){ sed 's/^ *//;s/\" *: *\\([\"{[]\\)/\":\\1/g'|"
"tr -d '\\r\\n';}\n"
"_json_decode(){ sed 's#\\\\/#/#g';}\n"
"_url_replace(){ tr /+ _-|tr -d '= ';}\n"
"_time(){ date -u +%s;}\n"
"_utc_date(){ date -u '+%Y-%m-%d %H:%M:%S';}\n"
"_sleep(){ sleep \"$1\";}\n"
"_mktemp(){ mktemp;}\n"
"_idn(){ printf %s \"$1\";}\n"
"_resethttp(){ :;}\n"
"_sed_i(){ sed -i \"$1\" \"$2\";}\n"
"_getfield(){ _Zi=$2\n"
"while [ \"$_Zi\" -gt 0 ];do "
"_Zg=$(printf '%s\\n' \"$1\"|cut -d \"${3:-,}\" -f \"$_Zi\")\n"
"[ -n \"$_Zg\" ]&&{ printf %s \"$_Zg\";return 0;}\n"
"_Zi=$((_Zi-1));done;printf %s \"$1\";}\n"
"_post(){ printf %s \"$1\"|_Zh http \"$2\" \"${4:-POST}\" \"$5\" "
"\"$3\";}\n"
"_get(){ _Zh http \"$1\" GET '' '' \"$2\" \"$3\" </dev/null;}\n"
"_ns_lookup(){ _H1='accept: application/dns-json' _H2= _H3= _H4= _H5= "
"_get \"https://cloudflare-dns.com/dns-query?name=$1&type=$2\"|tr {} '<>'"
"|_egrep_o '\"Answer\":\\[[^]]*]'|tr '<>' '\\n\\n';}\n"
"_base64(){ _Z b64 \"$1\";}\n"
"_dbase64(){ _Z d64;}\n"
"_digest(){ _Z digest \"$1\" \"$2\";}\n"
"_hmac(){ ACME_HMAC_KEY=$2 _Z hmac \"$1\" \"$3\";}\n"
"_hex_dump(){ _Z hex;}\n"
"_h2b(){ _Z h2b;}\n"
"_url_encode(){ _Z url \"$1\";}\n"
"_sign(){ _Z sign \"$1\" \"$2\";}\n"
"_isRSA(){ grep -q -e 'BEGIN RSA PRIVATE' "
"-e '^MII.....ADANBgkqhkiG9w0BAQEF' \"$1\" 2>/dev/null;}\n"
"_fingerprint(){ sed -n '/-BEGIN CERT/,/-END CERT/p' \"$1\"|"
"grep -v -- -----|_dbase64|_digest \"$2\" hex|tr a-f A-F;}\n"
"_saveaccountconf(){ printf %s \"$2\"|_Z set a \"$1\" \"$3\";}\n"
"_saveaccountconf_mutable(){ printf %s \"$2\"|"
"_Z set a \"SAVED_$1\" \"$3\" \"$1\";}\n"
"_readaccountconf(){ _Z get a \"$1\";}\n"
"_readaccountconf_mutable(){ _Z get a \"SAVED_$1\";}\n"
"_clearaccountconf(){ _Z del a \"$1\";}\n"
"_clearaccountconf_mutable(){ _Z del a \"SAVED_$1\" \"$1\";}\n"
"_savedomainconf(){ printf %s \"$2\"|_Z set d \"$1\" \"$3\";}\n"
"_readdomainconf(){ _Z get d \"$1\";}\n"
"_cleardomainconf(){ _Z del d \"$1\";}\n"
"HTTP_HEADER=$(mktemp)||exit 1\n"
"trap 'rm -f \"$HTTP_HEADER\"' EXIT\n"
"trap 'exit 1' HUP INT TERM\n"
"eval \"$(_Z load)\"||exit 1\n"
". \"$_Zs\"||exit 1\n"
"type \"$_Zf\" >/dev/null 2>&1||"
"{ _err \"$_Zs defines no $_Zf\";exit 1;}\n"
"\"$_Zf\" \"$_Zd\" \"$_Zt\"\n";

/* Letters, digits and '_' only: 1..max of them (a shell name, when it
 * starts with no digit). */
static ACME_MUST_CHECK int
hook_api_word(const char *s, size_t max)
{
	size_t n = strlen(s);

	return n > 0 && n <= max && strspn(s, "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") == n;
}

/* --dns-api NAME: a file name and the prefix of shell function names. */
static ACME_MUST_CHECK int
hook_api_name_ok(const char *s)
{
	return hook_api_word(s, API_NAME_MAX);
}

/*
 * Where NAME.sh is (acme(1), DNS API): --dns-api-dir DIR first, then
 * HOOK_API_DIR, then $HOME/.acme.sh/dnsapi; the first holding it wins.
 * It runs as the user running acme, so it must be a regular file
 * belonging to that user or root that no one else may write. Its
 * absolute path into out (PATH_LEN_MAX bytes).
 */
static ACME_MUST_CHECK int
hook_api_find(const char *name, const char *dir, char *out)
{
	const char *home = getenv("HOME"), *dirs[3];
	char path[PATH_LEN_MAX];
	struct stat st;
	size_t i;

	if (!hook_api_name_ok(name))
		return err_set(ACME_ERR_USAGE, "--dns-api '%.64s': a name such "
		    "as dns_cf", name);
	dirs[0] = dir;
	dirs[1] = HOOK_API_DIR;
	dirs[2] = home != NULL && home[0] == '/' ? home : NULL;
	for (i = 0; i < 3; i++) {
		if (dirs[i] == NULL || snprintf(path, sizeof(path),
		    "%s/%s%s.sh", dirs[i], i == 2 ? HOOK_API_HOME "/" : "",
		    name) >= (int)sizeof(path) || stat(path, &st) < 0)
			continue;
		if (!S_ISREG(st.st_mode) || (st.st_uid != 0 && st.st_uid !=
		    geteuid()) || (st.st_mode & (S_IWGRP | S_IWOTH)))
			return err_set(ACME_ERR_USAGE, "%s: not a file of "
			    "root or ours, or writable by others", path);
		if (realpath(path, out) == NULL)
			return err_set(ACME_ERR_USAGE, "%s: %s", path,
			    strerror(errno));
		return 0;
	}
	return err_set(ACME_ERR_USAGE, "--dns-api %s: no %s.sh in %s%s%s "
	    "(OpenWrt: acme-acmesh-dnsapi)", name, name, dir != NULL ? dir :
	    "", dir != NULL ? ", " : "", HOOK_API_DIR);
}

/* ---- dns-api: the callbacks ---- */

/* What a callback reads on stdin (a body, a value, data to hash), kept
 * NUL-terminated. */
static ACME_MUST_CHECK int
hook_api_input(struct buf *in)
{
	int rc = store_read_fd(0, in, API_IN_MAX);

	return rc < 0 ? rc : buf_append(in, "", 0);
}

/* n bytes on stdout (p may be NULL when n is 0: an empty body). */
static void
hook_api_put(const void *p, size_t n)
{
	if (n > 0)
		fwrite(p, 1, n, stdout);
}

/* base64 of n bytes on stdout: one line, or lines of 64 characters
 * ending in a newline as openssl base64 writes them. */
static ACME_MUST_CHECK int
hook_api_put_b64(const void *p, size_t n, int lines)
{
	size_t len = b64_encode_with(NULL, p, n, b64_alpha_std, 1), i;
	char *s = malloc(len + 1);

	if (s == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	b64_encode_with(s, p, n, b64_alpha_std, 1);
	for (i = 0; i < len; i += 64)
		printf(lines ? "%.64s\n" : "%.64s", s + i);
	wipe(s, len);		/* it may be a credential's */
	free(s);
	return 0;
}

/* A digest or MAC d of n bytes: lowercase hex and a newline (openssl dgst
 * -hex as acme.sh cuts it), else base64 when b64, else the raw bytes. */
static ACME_MUST_CHECK int
hook_api_put_mac(const unsigned char *d, size_t n, int hex, int b64)
{
	size_t i;

	if (!hex && b64)
		return hook_api_put_b64(d, n, 0);
	for (i = 0; i < n; i++)
		printf(hex ? "%02x" : "%c", d[i]);
	if (hex)
		putchar('\n');
	return 0;
}

/* Hex text s (n bytes, whitespace skipped) into out as bytes. */
static ACME_MUST_CHECK int
hook_api_unhex(const char *s, size_t n, struct buf *out)
{
	unsigned char c = 0;
	size_t i, k = 0;
	const char *h;

	for (i = 0; i < n; i++) {
		if (isspace((unsigned char)s[i]))
			continue;
		if ((h = strchr(hex_digits, tolower((unsigned char)s[i]))) ==
		    NULL || s[i] == '\0')
			return err_set(ACME_ERR_USAGE, "not hex");
		c = (unsigned char)(c << 4 | (h - hex_digits));
		if (k++ % 2 == 1 && buf_append(out, &c, 1) < 0)
			return buf_err(out);
	}
	if (k % 2 == 1)
		return err_set(ACME_ERR_USAGE, "odd number of hex digits");
	return buf_append(out, "", 0);
}

/* b64 [multiline] */
static ACME_MUST_CHECK int
hook_api_b64(const char **av, struct buf *in)
{
	return hook_api_put_b64(in->data, in->len, av[0][0] != '\0');
}

/* d64: base64 (whitespace and '=' ignored) decoded. */
static ACME_MUST_CHECK int
hook_api_d64(const char **av, struct buf *in)
{
	char *s = (char *)in->data;
	size_t i, n = 0;
	int len;

	(void)av;
	for (i = 0; i < in->len; i++)
		if (!isspace((unsigned char)s[i]) && s[i] != '=')
			s[n++] = s[i];
	/* in place: byte k is written after character 4k/3 was read */
	if ((len = b64_decode_with(s, in->cap, s, n, 0)) < 0)
		return len;
	hook_api_put(s, (size_t)len);
	return 0;
}

/* The hashes acme.sh's scripts name: not sha3-256 (not in BearSSL), nor
 * md5 (BearSSL's is wrong once LTO links it beside its AES code). */
static const struct hook_api_hash {
	const char		*name;
	const br_hash_class	*hc;
} hook_api_hashes[] = {
	{ "sha256", &br_sha256_vtable },
	{ "sha1", &br_sha1_vtable },
	{ "sha384", &br_sha384_vtable },
	{ "sha512", &br_sha512_vtable },
};

static ACME_MUST_CHECK const br_hash_class *
hook_api_hash(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(hook_api_hashes) / sizeof(hook_api_hashes[0]);
	    i++)
		if (strcmp(name, hook_api_hashes[i].name) == 0)
			return hook_api_hashes[i].hc;
	err_set(ACME_ERR_USAGE, "unknown hash '%.20s'", name);
	return NULL;
}

#define HOOK_API_HASH_LEN(hc) \
	(((hc)->desc >> BR_HASHDESC_OUT_OFF) & BR_HASHDESC_OUT_MASK)

/* digest ALG [hex]: base64 of the digest, or its hex. */
static ACME_MUST_CHECK int
hook_api_digest(const char **av, struct buf *in)
{
	const br_hash_class *hc = hook_api_hash(av[0]);
	br_hash_compat_context ctx;
	unsigned char d[64];

	if (hc == NULL)
		return ACME_ERR_USAGE;
	hc->init(&ctx.vtable);
	hc->update(&ctx.vtable, in->data, in->len);
	hc->out(&ctx.vtable, d);
	return hook_api_put_mac(d, HOOK_API_HASH_LEN(hc), av[1][0] != '\0', 1);
}

/* hmac ALG [hex], the key in hex in $ACME_HMAC_KEY: the raw MAC, or hex. */
static ACME_MUST_CHECK int
hook_api_hmac(const char **av, struct buf *in)
{
	const br_hash_class *hc = hook_api_hash(av[0]);
	const char *k = getenv("ACME_HMAC_KEY");
	struct buf key = { .max = API_IN_MAX };
	unsigned char d[64];
	int rc;

	if (hc == NULL)
		return ACME_ERR_USAGE;
	if (k == NULL || *k == '\0')
		return err_set(ACME_ERR_USAGE, "no key");
	if ((rc = hook_api_unhex(k, strlen(k), &key)) == 0) {
		hmac_sha2(hc, key.data, key.len, in->data, in->len, d);
		rc = hook_api_put_mac(d, HOOK_API_HASH_LEN(hc),
		    av[1][0] != '\0', 0);
	}
	buf_free(&key);
	wipe(d, sizeof(d));
	return rc;
}

/* hex: " 61 62 63", as acme.sh's _hex_dump. */
static ACME_MUST_CHECK int
hook_api_hex(const char **av, struct buf *in)
{
	size_t i;

	(void)av;
	for (i = 0; i < in->len; i++)
		printf(" %02x", in->data[i]);
	return 0;
}

/* h2b: hex back to bytes. */
static ACME_MUST_CHECK int
hook_api_h2b(const char **av, struct buf *in)
{
	struct buf b = { .max = API_IN_MAX };
	int rc;

	(void)av;
	if ((rc = hook_api_unhex((const char *)in->data, in->len, &b)) == 0)
		hook_api_put(b.data, b.len);
	buf_free(&b);
	return rc;
}

/* url [upper-hex]: RFC 3986 2.3's unreserved bytes as they are, the
 * others %xx (%XX with upper-hex). */
static ACME_MUST_CHECK int
hook_api_url(const char **av, struct buf *in)
{
	size_t i;
	int c;

	for (i = 0; i < in->len; i++) {
		c = in->data[i];
		if (isalnum(c) || strchr("-_.~", c) != NULL)
			putchar(c);
		else
			printf(av[0][0] != '\0' ? "%%%02X" : "%%%02x", c);
	}
	return 0;
}

/* sign KEYFILE ALG: base64 of the signature of stdin, ECDSA as r||s with
 * the curve's hash, RSA PKCS#1 v1.5 (sha256 only, key_sign's). */
static ACME_MUST_CHECK int
hook_api_sign(const char **av, struct buf *in)
{
	unsigned char sig[1024];
	struct buf pem = { 0 };
	struct key k;
	int fd, rc;

	memset(&k, 0, sizeof(k));
	if ((fd = open(av[0], O_RDONLY | O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_USAGE, "%s: %s", av[0],
		    strerror(errno));
	if ((rc = store_read_fd(fd, &pem, PEM_MAX)) == 0)
		rc = pem.data == NULL ? err_set(ACME_ERR_USAGE, "%s: empty",
		    av[0]) : key_from_pem(&k, (const char *)pem.data, pem.len);
	close(fd);
	if (rc == 0 && !key_is_ec(&k) && strcmp(av[1], "sha256") != 0)
		rc = err_set(ACME_ERR_USAGE, "RSA with sha256 only");
	if (rc == 0 && (rc = key_sign(&k, in->data, in->len, sig, sizeof(sig),
	    0)) > 0)
		rc = hook_api_put_b64(sig, (size_t)rc, 0);
	key_free(&k);
	buf_free(&pem);
	return rc;
}

/* DIR from the prelude's environment (hook_api_run sets it). */
static ACME_MUST_CHECK const char *
hook_api_dir(void)
{
	const char *dir = getenv("ACME_DIR");

	if (dir == NULL || dir[0] != '/')
		err_set(ACME_ERR_USAGE, "no ACME_DIR");
	return dir != NULL && dir[0] == '/' ? dir : NULL;
}

/* The response headers for the script: into the file $HTTP_HEADER. */
static ACME_MUST_CHECK int
hook_api_dump(const struct buf *dump)
{
	const char *path = getenv("HTTP_HEADER");
	int fd, rc;

	if (path == NULL || *path == '\0')
		return 0;
	if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW |
	    O_CLOEXEC, 0600)) < 0)
		return err_set(ACME_ERR_IO, "%s: %s", path, strerror(errno));
	rc = dump->data != NULL ? store_write_all(fd, dump->data, dump->len) :
	    0;
	if (close(fd) < 0 || rc < 0)
		return err_set(ACME_ERR_IO, "%s: %s", path, strerror(errno));
	return 0;
}

/* The request of http: its URL, method and headers one line each; the
 * headers of $_H1..$_H5 and the content type into hdrs (ct holds the
 * last). */
static ACME_MUST_CHECK int
hook_api_request(const char **av, const char **hdrs, char *ct, size_t cap)
{
	char name[4] = "_H1";
	size_t i;

	for (i = 0; i < 5; i++, name[2]++)
		if (!str_one_line(hdrs[i] = getenv(name) ? getenv(name) : ""))
			return err_set(ACME_ERR_USAGE, "%s: control character",
			    name);
	/* the URL's scheme: libcurl's http and https only (http_api) */
	if ((size_t)snprintf(ct, cap, "%s%s", av[2][0] ? "Content-Type: " : "",
	    av[2]) >= cap || !str_one_line(ct) || !str_one_line(av[0]) ||
	    !hook_api_word(av[1], 16))
		return err_set(ACME_ERR_USAGE, "bad URL, method or type");
	hdrs[5] = ct;
	hdrs[6] = NULL;
	return 0;
}

/*
 * http URL METHOD CTYPE B64 [HEAD [TIMEOUT]], the body on stdin (none
 * when empty): the response body on stdout (base64 with B64), or with
 * HEAD its headers; the headers also into $HTTP_HEADER. Fails only when
 * no answer came; an HTTP error status is an answer, as with curl.
 */
static ACME_MUST_CHECK int
hook_api_http(const char **av, struct buf *in)
{
	struct buf dump = { .max = API_DUMP_MAX };
	struct http_resp r = { .dump = &dump };
	const char *hdrs[7], *dir, *ca = getenv("ACME_CA_FILE");
	char ct[OPT_WORD_MAX + 16];
	struct http h;
	long t = atol(av[5]);
	int rc;

	if ((rc = hook_api_request(av, hdrs, ct, sizeof(ct))) < 0 ||
	    (dir = hook_api_dir()) == NULL)
		return rc < 0 ? rc : ACME_ERR_USAGE;
	if ((rc = http_init(&h, ca != NULL && *ca ? ca : NULL)) == 0 &&
	    (rc = http_set_tls_time(&h, clock_tls_time(file_time_read(dir))))
	    == 0) {
		h.timeout = t > 0 && t < HTTP_TIMEOUT ? t : 0;
		rc = http_api(&h, av[4][0] ? "HEAD" : av[1], av[0], hdrs,
		    (const char *)in->data, in->len, &r);
	}
	if (rc == 0 && (rc = hook_api_dump(&dump)) == 0) {
		if (av[4][0])
			hook_api_put(dump.data, dump.len);
		else if (av[3][0])
			rc = hook_api_put_b64(r.body.data, r.body.len, 0);
		else
			hook_api_put(r.body.data, r.body.len);
	}
	http_cleanup(&h);
	http_resp_free(&r);
	buf_free(&dump);
	return rc;
}



/*
 * A file of saved settings below DIR: DIR/dns-api/account.conf (acme.sh's
 * account.conf) when name is NULL, else DIR/conf/NAME.dns-api (acme.sh's
 * DOMAIN.conf). Its text (empty when absent) into c->text, its directory
 * into c->fd (made 0700 with create; -1 when absent).
 */
struct hook_api_conf {
	struct buf	 text;		/* owned, NUL-terminated */
	int		 fd;		/* owned, or -1 */
	char		 file[NAME_LEN_MAX + 16];
};

static ACME_MUST_CHECK int
hook_api_conf_read(struct hook_api_conf *c, const char *dir,
    const char *name, int create)
{
	int fd, rc = 0;

	memset(c, 0, sizeof(*c));
	c->fd = -1;
	snprintf(c->file, sizeof(c->file), "%s%s", name ? name :
	    "account.conf", name ? ".dns-api" : "");
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_IO, "%s: %s", dir, strerror(errno));
	c->fd = store_subdir(fd, name ? "conf" : HOOK_API_SUB, create);
	close(fd);
	if (c->fd >= 0)
		rc = store_read(c->fd, c->file, &c->text, API_CONF_MAX);
	else if ((rc = c->fd) == STORE_ABSENT)
		c->fd = -1;
	if (rc < 0 && rc != STORE_ABSENT)
		return rc;
	return buf_append(&c->text, "", 0);
}

static void
hook_api_conf_free(struct hook_api_conf *c)
{
	if (c->fd >= 0)
		close(c->fd);
	buf_free(&c->text);
}

/* Is line KEY=...? (acme.sh writes no space around '='.) */
static ACME_MUST_CHECK int
hook_api_is(const char *line, const char *key)
{
	size_t n = strlen(key);

	return n > 0 && strncmp(line, key, n) == 0 && line[n] == '=';
}

/* A shell variable name: what a KEY must be. */
static ACME_MUST_CHECK int
hook_api_key_ok(const char *k)
{
	return hook_api_word(k, OPT_WORD_MAX) && !isdigit((unsigned char)k[0]);
}

/* v (n bytes) as one shell word in single quotes: ' becomes '\''. */
static void
hook_api_quote(struct buf *out, const char *v, size_t n)
{
	size_t i;

	buf_puts(out, "'");
	for (i = 0; i < n; i++)
		buf_append(out, v[i] == '\'' ? "'\\''" : &v[i], v[i] ==
		    '\'' ? 4 : 1);
	buf_puts(out, "'");
}

/*
 * Unquote, in place, the value of a KEY=value line of ours or acme.sh's
 * (which the shell reads back): 'single', "double" (\" \\ \$ \` escaped)
 * and bare parts. 0, or NONE when a quote is left open.
 */
static ACME_MUST_CHECK int
hook_api_unquote(char *v)
{
	char *o = v, q = 0;

	for (; *v != '\0'; v++) {
		if ((q == 0 && (*v == '\'' || *v == '"')) || *v == q) {
			q = q == 0 ? *v : 0;
			continue;
		}
		if (*v == '\\' && q != '\'' && v[1] != '\0' && (q == 0 ||
		    strchr("\"\\$`", v[1]) != NULL))
			v++;
		*o++ = *v;
	}
	*o = '\0';
	return q == 0 ? 0 : NONE;
}

/* KEY='value' and a newline; a value with a control character, or any
 * with b64, base64-wrapped between acme.sh's markers. */
static void
hook_api_line(struct buf *out, const char *key, const struct buf *in,
    int b64)
{
	size_t i, n;
	char *s;

	for (i = 0; i < in->len && !b64; i++)
		b64 = in->data[i] < 0x20 || in->data[i] == 0x7f;
	buf_printf(out, "%s=", key);
	if (!b64)
		hook_api_quote(out, (const char *)in->data, in->len);
	else if ((s = malloc((n = b64_encode_with(NULL, in->data, in->len,
	    b64_alpha_std, 1)) + 1)) != NULL) {
		b64_encode_with(s, in->data, in->len, b64_alpha_std, 1);
		buf_printf(out, "'" HOOK_API_B64_START "%s" HOOK_API_B64_END
		    "'", s);
		wipe(s, n);
		free(s);
	} else
		out->err = err_set(ACME_ERR_NOMEM, "out of memory");
	buf_puts(out, "\n");
}

/*
 * text with key's line set to the value in (in place, else appended; in
 * NULL: removed) and drop's line (may be "") removed, into out.
 */
static void
hook_api_edit(const char *text, const char *key, const struct buf *in,
    int b64, const char *drop, struct buf *out)
{
	const char *p, *nl;
	int put = in == NULL;

	for (p = text; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		nl = p + strcspn(p, "\n");
		if (hook_api_is(p, drop))
			continue;
		if (hook_api_is(p, key)) {
			if (!put)
				hook_api_line(out, key, in, b64);
			put = 1;
			continue;
		}
		buf_append(out, p, (size_t)(nl - p));
		buf_puts(out, "\n");
	}
	if (!put)
		hook_api_line(out, key, in, b64);
}

/* In the file of DIR and name (hook_api_conf_read), set (in) or remove
 * (NULL) key and remove drop; written only when that changes it, 0600. */
static ACME_MUST_CHECK int
hook_api_change(const char *dir, const char *name, const char *key,
    const struct buf *in, int b64, const char *drop)
{
	struct buf out = { .max = API_CONF_MAX };
	struct hook_api_conf c;
	int rc;

	if (!hook_api_key_ok(key) || (*drop != '\0' && !hook_api_key_ok(drop)))
		return err_set(ACME_ERR_USAGE, "bad key");
	if ((rc = hook_api_conf_read(&c, dir, name, in != NULL)) == 0) {
		hook_api_edit((const char *)c.text.data, key, in, b64, drop,
		    &out);
		if ((rc = buf_append(&out, "", 0)) == 0 && c.fd >= 0 &&
		    (out.len != c.text.len || memcmp(out.data, c.text.data,
		    out.len) != 0))
			rc = store_write_buf(c.fd, c.file, &out,
			    STORE_KEY_MODE);
	}
	hook_api_conf_free(&c);
	buf_free(&out);
	return rc;
}

/* The file of a callback: "a" account.conf (*name NULL), "d" the
 * certificate $ACME_NAME's; DIR from $ACME_DIR. */
static ACME_MUST_CHECK int
hook_api_which(const char *which, const char **dir, const char **name)
{
	*name = strcmp(which, "d") == 0 ? getenv("ACME_NAME") : NULL;
	if ((*dir = hook_api_dir()) == NULL)
		return ACME_ERR_USAGE;
	if (*name == NULL ? strcmp(which, "a") != 0 : !store_name_ok(*name))
		return err_set(ACME_ERR_USAGE, "bad file '%.8s' (or no "
		    "ACME_NAME)", which);
	return 0;
}

/* set a|d KEY [b64 [DROP]], the value on stdin */
static ACME_MUST_CHECK int
hook_api_set(const char **av, struct buf *in)
{
	const char *dir, *name;
	int rc = hook_api_which(av[0], &dir, &name);

	return rc < 0 ? rc : hook_api_change(dir, name, av[1], in,
	    av[2][0] != '\0', av[3]);
}

/* del a|d KEY [KEY2] */
static ACME_MUST_CHECK int
hook_api_del(const char **av, struct buf *in)
{
	const char *dir, *name;
	int rc = hook_api_which(av[0], &dir, &name);

	(void)in;
	return rc < 0 ? rc : hook_api_change(dir, name, av[1], NULL, 0,
	    av[2]);
}

/* The value of line p (KEY= already skipped) unquoted and, when
 * wrapped in acme.sh's base64 markers, decoded; its length. */
static ACME_MUST_CHECK int
hook_api_value(char *v)
{
	size_t a = strlen(HOOK_API_B64_START), z = strlen(HOOK_API_B64_END);
	size_t n;

	if (hook_api_unquote(v) < 0)
		return err_set(ACME_ERR_USAGE, "a value with an open quote");
	n = strlen(v);
	if (n < a + z || strncmp(v, HOOK_API_B64_START, a) != 0 ||
	    strcmp(v + n - z, HOOK_API_B64_END) != 0)
		return (int)n;
	/* in place: byte k lands before character a + 4k/3 is read */
	return b64_decode_padded(v, n, v + a, n - a - z);
}

/* get a|d KEY: its value, no newline (nothing when not set). */
static ACME_MUST_CHECK int
hook_api_get(const char **av, struct buf *in)
{
	struct hook_api_conf c = { .fd = -1 };
	const char *dir, *name;
	char *p, *nl;
	int rc, n;

	(void)in;
	if ((rc = hook_api_which(av[0], &dir, &name)) == 0 &&
	    (rc = hook_api_conf_read(&c, dir, name, 0)) == 0)
		for (p = (char *)c.text.data; *p != '\0'; p = nl + 1) {
			*(nl = p + strcspn(p, "\n")) = '\0';
			if (hook_api_is(p, av[1])) {
				p += strlen(av[1]) + 1;
				if ((n = hook_api_value(p)) < 0)
					rc = n;
				else
					hook_api_put(p, (size_t)n);
				break;
			}
			if (nl == (char *)c.text.data + c.text.len)
				break;
		}
	hook_api_conf_free(&c);
	return rc;
}

/*
 * load: the plain KEY='value' lines of account.conf (not SAVED_*) whose
 * key the environment does not set, as shell assignments: what acme.sh's
 * scripts get by its sourcing of account.conf.
 */
static ACME_MUST_CHECK int
hook_api_load(const char **av, struct buf *in)
{
	struct buf out = { .max = API_CONF_MAX };
	struct hook_api_conf c = { .fd = -1 };
	const char *dir, *name;
	char *p, *nl, *eq;
	int rc;

	(void)av;
	(void)in;
	if ((rc = hook_api_which("a", &dir, &name)) == 0 &&
	    (rc = hook_api_conf_read(&c, dir, NULL, 0)) == 0)
		for (p = (char *)c.text.data; *p != '\0'; p = nl) {
			nl = p + strcspn(p, "\n");
			if (*nl != '\0')
				*nl++ = '\0';
			if ((eq = strchr(p, '=')) == NULL)
				continue;
			*eq = '\0';
			if (!hook_api_key_ok(p) || strncmp(p, "_Z", 2) == 0 ||
			    strncmp(p, "SAVED_", 6) == 0 || getenv(p) ||
			    strcmp(p, "HTTP_HEADER") == 0 ||
			    hook_api_unquote(eq + 1) < 0)
				continue;
			buf_printf(&out, "%s=", p);
			hook_api_quote(&out, eq + 1, strlen(eq + 1));
			buf_puts(&out, "\n");
		}
	if (rc == 0 && (rc = buf_err(&out)) == 0 && out.len > 0)
		hook_api_put(out.data, out.len);
	hook_api_conf_free(&c);
	buf_free(&out);
	return rc;
}

/* The operations of acme dns-api-call (acme(1), DNS API). */
static const struct hook_api_op {
	const char	*name;
	int		(*run)(const char **, struct buf *);
	unsigned char	 min, max;	/* its arguments */
	unsigned char	 input;		/* it reads stdin */
} hook_api_ops[] = {
	{ "http", hook_api_http, 4, 6, 1 },
	{ "get", hook_api_get, 2, 2, 0 },
	{ "set", hook_api_set, 2, 4, 1 },
	{ "del", hook_api_del, 2, 3, 0 },
	{ "load", hook_api_load, 0, 0, 0 },
	{ "b64", hook_api_b64, 0, 1, 1 },
	{ "d64", hook_api_d64, 0, 1, 1 },
	{ "digest", hook_api_digest, 1, 2, 1 },
	{ "hmac", hook_api_hmac, 1, 2, 1 },
	{ "hex", hook_api_hex, 0, 0, 1 },
	{ "h2b", hook_api_h2b, 0, 0, 1 },
	{ "url", hook_api_url, 0, 1, 1 },
	{ "sign", hook_api_sign, 2, 2, 1 },
};

#define HOOK_API_ARGS	6	/* the most arguments an operation takes */

/*
 * acme dns-api-call OP ARG... (argv[0] is OP): one callback of the
 * prelude; its output on stdout. 0, or an error (recorded).
 */
static ACME_MUST_CHECK int
hook_api_call(int argc, char **argv)
{
	const char *av[HOOK_API_ARGS + 1];
	const struct hook_api_op *op = NULL;
	struct buf in = { .max = API_IN_MAX };
	size_t i;
	int k, rc = 0;

	for (i = 0; argc > 0 && i < sizeof(hook_api_ops) /
	    sizeof(hook_api_ops[0]); i++)
		if (strcmp(argv[0], hook_api_ops[i].name) == 0)
			op = &hook_api_ops[i];
	if (op == NULL || argc - 1 < op->min || argc - 1 > op->max)
		return err_set(ACME_ERR_USAGE, HOOK_API_CALL ": for acme's "
		    "dnsapi prelude (acme(1), DNS API)");
	for (k = 0; k <= HOOK_API_ARGS; k++)
		av[k] = k < argc - 1 ? argv[k + 1] : "";
	if (op->input)
		rc = hook_api_input(&in);
	if (rc == 0)
		rc = op->run(av, &in);
	if (fflush(stdout) != 0 && rc == 0)
		rc = err_set(ACME_ERR_IO, "stdout: %s", strerror(errno));
	buf_free(&in);
	return rc < 0 ? err_wrap(rc, HOOK_API_CALL " %s", argv[0]) : 0;
}

/* ---- hooks ---- */


/* The child side of hook_run(): never returns. */
static void
hook_child(const char *const *argv, const char *const *env, int ep)
{
	char *const *av, *const *ev;
	int fd, e;

	setpgid(0, 0);
	/* stopped with acme, however acme ends (OpenWrt's hook stops acme) */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	signal(SIGPIPE, SIG_DFL);
	if ((fd = open("/dev/null", O_RDONLY)) >= 0 && fd != 0) {
		dup2(fd, 0);
		close(fd);
	}
	dup2(2, 1);		/* stdout is for our result lines */
	for (fd = 3; fd < HOOK_FDS_CLOSED; fd++)
		if (fd != ep)
			close(fd);
	memcpy(&av, &argv, sizeof(av));	/* execve's historic prototype */
	memcpy(&ev, &env, sizeof(ev));
	execve(argv[0], av, ev);
	e = errno;
	if (write(ep, &e, sizeof(e)) < 0)
		_exit(126);
	_exit(127);
}

#define HOOK_TICKS	50		/* waitpid polls per second */

/* Stop a hook that ran out of time: its whole process group. */
static void
hook_kill(pid_t pid)
{
	struct timespec ts = { 0, 1000 * 1000 * 1000 / HOOK_TICKS };
	long ticks = 0;

	kill(-pid, SIGTERM);
	while (waitpid(pid, NULL, WNOHANG) == 0 &&
	    ticks++ < HOOK_KILL_GRACE * HOOK_TICKS)
		nanosleep(&ts, NULL);
	kill(-pid, SIGKILL);
	while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
		;
}

/* Wait for pid for up to timeout seconds; its exit status or < 0. */
static ACME_MUST_CHECK int
hook_wait(const char *prog, pid_t pid, int timeout)
{
	struct timespec ts = { 0, 1000 * 1000 * 1000 / HOOK_TICKS };
	long ticks = 0;
	pid_t r;
	int st;

	while ((r = waitpid(pid, &st, WNOHANG)) != pid) {
		if (r < 0 && errno != EINTR)
			return err_set(ACME_ERR_CHALLENGE, "%s: %s", prog,
			    strerror(errno));
		if (ticks++ >= (long)timeout * HOOK_TICKS) {
			hook_kill(pid);
			return err_set(ACME_ERR_CHALLENGE, "%s did not finish "
			    "within %d s and was stopped", prog, timeout);
		}
		nanosleep(&ts, NULL);
	}
	if (WIFEXITED(st))
		return WEXITSTATUS(st);
	return err_set(ACME_ERR_CHALLENGE, "%s was killed by signal %d", prog,
	    WTERMSIG(st));
}

/*
 * Run argv[0] (a path: execve, no shell, no PATH search) with exactly
 * the environment env, stdin /dev/null, its stdout on our stderr, in a
 * process group of its own, for at most timeout seconds; then the group
 * gets SIGTERM, and SIGKILL HOOK_KILL_GRACE seconds later. Returns the
 * exit status (0..255), or a negative acme_error when it could not be
 * started, ran out of time or died of a signal.
 */
static ACME_MUST_CHECK int
hook_run(const char *const *argv, const char *const *env, int timeout)
{
	int ep[2], e = 0;
	ssize_t n;
	pid_t pid;

	if (pipe2(ep, O_CLOEXEC) < 0)
		return err_set(ACME_ERR_CHALLENGE, "pipe: %s", strerror(errno));
	fflush(NULL);
	if ((pid = fork()) < 0) {
		close(ep[0]);
		close(ep[1]);
		return err_set(ACME_ERR_CHALLENGE, "fork: %s", strerror(errno));
	}
	if (pid == 0)
		hook_child(argv, env, ep[1]);
	close(ep[1]);
	setpgid(pid, pid);	/* also done by the child: no race */
	while ((n = read(ep[0], &e, sizeof(e))) < 0 && errno == EINTR)
		;
	close(ep[0]);
	if (n == (ssize_t)sizeof(e)) {
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
		return err_set(ACME_ERR_CHALLENGE, "%s: cannot execute: %s",
		    argv[0], strerror(e));
	}
	return hook_wait(argv[0], pid, timeout);
}

#define HOOK_PATH	"PATH=/usr/sbin:/usr/bin:/sbin:/bin"

/* Does environment entry e set the variable that entry v sets? */
static ACME_MUST_CHECK int
hook_env_same(const char *e, const char *v)
{
	size_t n = strcspn(v, "=");

	return strncmp(e, v, n) == 0 && e[n] == '=';
}

/* Secrets of ours a caller may hand us in the environment: never passed
 * on to a hook. */
static const char *const hook_env_secret[] = {
	"ACME_EAB_HMAC=",		/* the EAB MAC key, kept out of argv */
	NULL
};

/*
 * The environment a hook runs with, as uacme and certbot give theirs: the
 * caller's (systemd Environment=, cron, a shell's exports) less
 * hook_env_secret[], with ours ("NAME=value" strings, NULL-terminated) on
 * top, replacing any of the same name, and HOOK_PATH when the caller has
 * no PATH. acme puts nothing secret into any environment: keys live only
 * in its memory and files. Returns a malloc'd array of borrowed strings
 * (free the array only), or NULL when out of memory.
 */
static ACME_MUST_CHECK int
hook_env_hidden(const char *e)
{
	size_t k;

	for (k = 0; hook_env_secret[k] != NULL; k++)
		if (hook_env_same(e, hook_env_secret[k]))
			return 1;
	return 0;
}

static const char **
hook_env(const char *const *ours)
{
	const char **env;
	size_t n = 0, m = 0, k = 0, i, j;
	int path = 0;

	while (environ != NULL && environ[n] != NULL)
		n++;
	while (ours[m] != NULL)
		m++;
	if ((env = calloc(n + m + 2, sizeof(*env))) == NULL)
		return NULL;
	for (j = 0; j < m; j++)
		env[k++] = ours[j];
	for (i = 0; i < n; i++) {
		for (j = 0; j < m && !hook_env_same(environ[i], ours[j]); j++)
			continue;
		if (j < m || strchr(environ[i], '=') == NULL ||
		    hook_env_hidden(environ[i]))
			continue;
		path |= hook_env_same(environ[i], HOOK_PATH);
		env[k++] = environ[i];
	}
	for (j = 0; j < m; j++)
		path |= hook_env_same(ours[j], HOOK_PATH);
	if (!path)
		env[k++] = HOOK_PATH;
	return env;
}

/* hook_run() with the caller's environment and ours on top. */
static ACME_MUST_CHECK int
hook_run_env(const char *const *argv, const char *const *ours, int timeout)
{
	const char **env;
	int rc;

	if ((env = hook_env(ours)) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	rc = hook_run(argv, env, timeout);
	free(env);
	return rc;
}

/* The path of this binary for the prelude's callbacks: the name it was
 * run by (AT_EXECFN; needs no /proc), made absolute. */
static ACME_MUST_CHECK int
hook_api_exe(char *out, size_t cap)
{
	const char *fn = TEST_GETENV("ACME_TEST_EXE");
	char cwd[PATH_LEN_MAX];

	if (fn == NULL || *fn == '\0')
		fn = (const char *)getauxval(AT_EXECFN);
	if (fn == NULL || (fn[0] != '/' && getcwd(cwd, sizeof(cwd)) == NULL))
		return err_set(ACME_ERR_CHALLENGE, "no path of acme");
	if ((size_t)snprintf(out, cap, "ACME_EXE=%s%s%s", fn[0] == '/' ? "" :
	    cwd, fn[0] == '/' ? "" : "/", fn) >= cap)
		return err_set(ACME_ERR_CHALLENGE, "--dns-api: path too long");
	return 0;
}

/*
 * The environment of the dnsapi script for certificate c->api_name
 * (hook_api_call reads it): ACME_EXE, ACME_DIR (absolute), ACME_NAME,
 * ACME_CA_FILE (absolute, or empty: the system bundle).
 */
struct hook_api_env {
	char	exe[PATH_LEN_MAX + 16];
	char	dir[PATH_LEN_MAX + 16];
	char	name[NAME_LEN_MAX + 16];
	char	ca[PATH_LEN_MAX + 16];
};

static ACME_MUST_CHECK int
hook_api_env(const struct chal_ctx *c, struct hook_api_env *e)
{
	char dir[PATH_LEN_MAX], ca[PATH_LEN_MAX];
	int rc;

	if ((rc = hook_api_exe(e->exe, sizeof(e->exe))) < 0)
		return rc;
	if (realpath(c->api_dir, dir) == NULL || (c->api_ca != NULL &&
	    realpath(c->api_ca, ca) == NULL))
		return err_set(ACME_ERR_CHALLENGE, "--dns-api: %s", strerror(
		    errno));
	snprintf(e->dir, sizeof(e->dir), "ACME_DIR=%s", dir);
	snprintf(e->name, sizeof(e->name), "ACME_NAME=%s", c->api_name);
	snprintf(e->ca, sizeof(e->ca), "ACME_CA_FILE=%s", c->api_ca != NULL ?
	    ca : "");
	return 0;
}

/*
 * --dns-api: NAME_add (begin) or NAME_rm (done, failed) of the script
 * c->hook for answer a, as acme.sh calls them: the TXT record's name
 * (_acme-challenge.IDENT; --challenge-alias A: _acme-challenge.A;
 * --domain-alias D: D) and value. The exit status, as hook_run's.
 */
static ACME_MUST_CHECK int
hook_api_run(const struct chal_ctx *c, const char *method,
    const struct chal_answer *a)
{
	char name[API_NAME_MAX + 1], txt[2 * IDENT_LEN_MAX], v[16];
	const char *argv[10], *ours[5], *base = strrchr(c->hook, '/') + 1;
	struct hook_api_env e;
	int rc;

	snprintf(name, sizeof(name), "%.*s", (int)(strlen(base) - 3), base);
	if (c->dalias != NULL)
		snprintf(txt, sizeof(txt), "%s", c->dalias);
	else
		snprintf(txt, sizeof(txt), "_acme-challenge.%s", c->alias ?
		    c->alias : a->id.value);
	snprintf(v, sizeof(v), "%d", log_verbosity);
	if ((rc = hook_api_env(c, &e)) < 0)
		return rc;
	argv[0] = "/bin/sh";
	argv[1] = "-c";
	argv[2] = hook_api_prelude;
	argv[3] = name;
	argv[4] = c->hook;
	argv[5] = strcmp(method, "begin") == 0 ? "add" : "rm";
	argv[6] = txt;
	argv[7] = a->digest;
	argv[8] = v;
	argv[9] = NULL;
	ours[0] = e.exe;
	ours[1] = e.dir;
	ours[2] = e.name;
	ours[3] = e.ca;
	ours[4] = NULL;
	log_msg(LOG_LEVEL_INFO, "%s_%s %s", name, argv[5], txt);
	return hook_run_env(argv, ours, c->hook_timeout);
}

/*
 * uacme's contract: PROG METHOD TYPE IDENT TOKEN AUTH, AUTH being the key
 * authorization for http-01 and base64url(SHA-256(key authorization))
 * for dns-01 (the TXT value, RFC 8555 8.4) and tls-alpn-01.
 */
static ACME_MUST_CHECK int
chal_hook(const struct chal_ctx *c, const char *method,
    const struct chal_answer *a)
{
	static const char *const none[] = { NULL };
	const char *argv[7];
	int rc;

	argv[0] = c->hook;
	argv[1] = method;
	argv[2] = chal_type_names[a->type];
	argv[3] = a->id.value;
	argv[4] = a->token;
	argv[5] = a->type == CHAL_HTTP01 ? a->keyauth : a->digest;
	argv[6] = NULL;
	if (c->api)
		rc = hook_api_run(c, method, a);
	else {
		log_msg(LOG_LEVEL_INFO, "hook %s %s %s", method, argv[2],
		    argv[3]);
		rc = hook_run_env(argv, none, c->hook_timeout);
	}
	if (rc < 0)
		err_wrap(rc, "challenge hook %s %s %s", method, argv[2],
		    argv[3]);
	return rc;
}

/* begin: 0 the challenge is in place, 1 declined, < 0 failed (then
 * a->begun is set: the hook still gets its 'failed' call). */
static ACME_MUST_CHECK int
chal_hook_begin(const struct chal_ctx *c, struct chal_answer *a)
{
	int rc;

	err_clear();	/* no error is pending here; drop any stale one */
	rc = chal_hook(c, "begin", a);

	if (rc > 0 && c->api)		/* NAME_add failed */
		return err_set(ACME_ERR_CHALLENGE, "%s: %s could not add the "
		    "TXT record (exit %d)", a->id.value, strrchr(c->hook, '/') +
		    1, rc);
	if (rc > 0)
		log_msg(LOG_LEVEL_INFO, "the hook declined %s for %s (exit "
		    "%d)", chal_type_names[a->type], a->id.value, rc);
	a->begun = rc <= 0;
	return rc > 0 ? 1 : rc;
}

/* done or failed for answer a when it was begun; keeps the recorded
 * error. */
static void
chal_hook_end(const struct chal_ctx *c, struct chal_answer *a)
{
	char saved[ERR_MSG_MAX];

	if (!a->begun)
		return;
	a->begun = 0;
	memcpy(saved, err_msg, sizeof(saved));
	err_clear();
	if (chal_hook(c, a->valid ? "done" : "failed", a) < 0)
		log_msg(LOG_LEVEL_INFO, "%s", err_msg);
	memcpy(err_msg, saved, sizeof(err_msg));
}

/* done or failed for every begun challenge. */
static void
chal_hook_finish(struct chal_ctx *c)
{
	size_t i;

	for (i = 0; i < c->nanswers; i++)
		chal_hook_end(c, &c->answers[i]);
}

/* ---- choosing and placing answers ---- */

/* "http-01"... to enum chal_type, or NONE. */
static ACME_MUST_CHECK int
chal_type_parse(const char *s)
{
	int i;

	for (i = 0; i < CHAL_TYPE_MAX; i++)
		if (strcmp(s, chal_type_names[i]) == 0)
			return i;
	return NONE;
}

/* One way to answer: a challenge type and who answers it. */
struct chal_cand {
	enum chal_type	type;
	enum chal_how	how;
};
#define CHAL_CANDS_MAX	5

/*
 * The ways to try for every authorization, in order: the built-in one
 * (--webroot: http-01; --standalone: http-01, or tls-alpn-01 when asked
 * for), then the hook with the --challenge type, or with dns-01, http-01
 * and tls-alpn-01 in turn. dns-persist-01 is the one way when asked for,
 * and never chosen otherwise. Returns how many (at most CHAL_CANDS_MAX).
 */
static size_t
chal_candidates(const struct chal_ctx *c, struct chal_cand *out)
{
	static const enum chal_type hook_order[] = {
		CHAL_DNS01, CHAL_HTTP01, CHAL_TLSALPN01
	};
	size_t n = 0, i;

	if (c->want == CHAL_DNSPERSIST01) {
		out[0].type = CHAL_DNSPERSIST01;
		out[0].how = CHAL_BY_RECORD;
		return 1;
	}
	if (c->webroot != NULL && (c->want < 0 || c->want == CHAL_HTTP01)) {
		out[n].type = CHAL_HTTP01;
		out[n++].how = CHAL_BY_WEBROOT;
	}
	if (c->standalone && (c->want < 0 || c->want == (int)chal_sa_type(c))) {
		out[n].type = chal_sa_type(c);
		out[n++].how = CHAL_BY_STANDALONE;
	}
	for (i = 0; c->hook[0] != '\0' && i < 3; i++)
		if ((c->want < 0 || c->want == (int)hook_order[i]) &&
		    (!c->api || hook_order[i] == CHAL_DNS01)) {
			out[n].type = hook_order[i];
			out[n++].how = CHAL_BY_HOOK;
		}
	return n;
}

/* RFC 8555 7.1.3: a wildcard needs dns-01 (or dns-persist-01, draft 5);
 * RFC 8738 7: an IP address cannot use either. */
static ACME_MUST_CHECK int
chal_fits(enum chal_type t, const struct ident *id, int wildcard)
{
	if (t == CHAL_DNSPERSIST01)
		return id->type == IDENT_DNS;
	if (wildcard)
		return t == CHAL_DNS01;
	return !(id->type == IDENT_IP && t == CHAL_DNS01);
}

/* keyauth (RFC 8555 8.1), its SHA-256 and the dns-01 digest (8.4). */
static ACME_MUST_CHECK int
chal_answer_keys(struct chal_answer *a, const struct key *acct)
{
	int rc;

	if ((rc = jwk_key_authorization(acct, a->token, a->keyauth,
	    sizeof(a->keyauth))) < 0 ||
	    (rc = key_sha256(a->keyauth, strlen(a->keyauth), a->sha)) < 0)
		return rc;
	b64u_encode(a->digest, a->sha, sizeof(a->sha));
	a->digest[THUMBPRINT_LEN] = '\0';
	return 0;
}

/* ---- dns-persist-01 (draft-ietf-acme-dns-persist-01) ---- */

#define CHAL_PERSIST_LABEL "_validation-persist"	/* draft 4 */

/*
 * An issuer domain name as the record carries it (draft 3.1): lowercase,
 * without a trailing dot, a DNS name as ident_dns_check() has it (LDH
 * labels, at least two; RFC 8659 4.2 issuer-domain-name). A-labels pass
 * as they are; we do no IDNA, so other non-ASCII names are refused.
 * 0 or NONE.
 */
static ACME_MUST_CHECK int
chal_persist_issuer(const char *s, char *dst, size_t cap)
{
	char tmp[IDENT_LEN_MAX + 1];
	size_t n = strlen(s);

	if (n > 0 && s[n - 1] == '.')
		n--;
	if (n > IDENT_LEN_MAX)
		return NONE;
	memcpy(tmp, s, n);
	tmp[n] = '\0';
	return ident_dns_check(tmp, dst, cap);
}

/*
 * draft 3.1: the issuer domain names of a dns-persist-01 challenge
 * object c, 1 to PERSIST_ISSUERS_MAX of them (else the challenge is
 * malformed), normalised into out. Returns how many, or an error.
 */
static ACME_MUST_CHECK int
chal_persist_issuers(const struct json *j, int c,
    char (*out)[IDENT_LEN_MAX + 1])
{
	char raw[IDENT_LEN_MAX + 2], safe[IDENT_LEN_MAX + 2];
	int arr = json_get(j, c, "issuer-domain-names"), n, i;

	if ((n = json_array_len(j, arr)) < 1 || n > PERSIST_ISSUERS_MAX)
		return err_set(ACME_ERR_PROTO, "a dns-persist-01 challenge "
		    "with %d issuer-domain-names, not 1 to %d (acme speaks "
		    "draft-ietf-acme-dns-persist-01)", n < 0 ? 0 : n,
		    PERSIST_ISSUERS_MAX);
	for (i = 0; i < n; i++)
		if (json_str(j, json_array_at(j, arr, i), raw, sizeof(raw)) < 0
		    || chal_persist_issuer(raw, out[i], IDENT_LEN_MAX + 1) < 0)
			return err_set(ACME_ERR_PROTO, "a dns-persist-01 "
			    "challenge with the bad issuer domain name '%s'",
			    str_sanitize(safe, sizeof(safe), raw, strlen(raw)));
	return n;
}

/* Challenge object c is a well-formed dns-persist-01 one (draft 3.1). */
static ACME_MUST_CHECK int
chal_persist_check(const struct json *j, int c)
{
	char names[PERSIST_ISSUERS_MAX][IDENT_LEN_MAX + 1];
	int n = chal_persist_issuers(j, c, names);

	return n < 0 ? n : 0;
}

/*
 * The record's text (draft 4, an RFC 8659 4.2 issue-value): "ISSUER;
 * accounturi=URL[; policy=wildcard][; persistUntil=UNIX-SECONDS]", one
 * space after each ';' as in the draft's figures. until 0: none. The
 * account URL must be an RFC 8659 value: printable, no space, no ';'.
 */
static ACME_MUST_CHECK int
chal_persist_value(struct buf *out, const char *issuer, const char *acct,
    int wildcard, int64_t until)
{
	const char *p;

	for (p = acct; *p != '\0'; p++)
		if ((unsigned char)*p <= 0x20 || (unsigned char)*p >= 0x7f ||
		    *p == ';')
			break;
	if (*acct == '\0' || *p != '\0')
		return err_set(ACME_ERR_PROTO, "the account URL cannot be an "
		    "accounturi value (RFC 8659 4.2)");
	buf_puts(out, issuer);
	buf_puts(out, "; accounturi=");
	buf_puts(out, acct);
	if (wildcard)
		buf_puts(out, "; policy=wildcard");
	if (until > 0)
		buf_printf(out, "; persistUntil=%lld", (long long)until);
	return buf_err(out);
}

/*
 * RFC 1035 5.1 presentation of TXT text: quoted character-strings of at
 * most 255 bytes each (draft 9.1: longer text is split, the strings
 * concatenate), '"' and the backslash escaped by a backslash, any byte
 * outside printable ASCII as \DDD.
 */
static ACME_MUST_CHECK int
chal_txt_quote(struct buf *out, const char *s, size_t n)
{
	char esc[8];
	size_t i;

	buf_puts(out, "\"");
	for (i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		if (i > 0 && i % 255 == 0)
			buf_puts(out, "\" \"");
		if (c == '"' || c == '\\')
			snprintf(esc, sizeof(esc), "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			snprintf(esc, sizeof(esc), "\\%03u", (unsigned)c);
		else
			snprintf(esc, sizeof(esc), "%c", c);
		buf_puts(out, esc);
	}
	return buf_puts(out, "\"");
}

/*
 * One zone-file line for the DNS name name (no "*.": the record of a
 * wildcard is its base name's, with policy=wildcard):
 *   _validation-persist.NAME. IN TXT "ISSUER; accounturi=URL..."
 */
static ACME_MUST_CHECK int
chal_persist_record(struct buf *out, const char *name, const char *issuer,
    const char *acct, int wildcard, int64_t until)
{
	struct buf v = { .max = PERSIST_VALUE_MAX };
	int rc;

	if (strlen(name) + sizeof(CHAL_PERSIST_LABEL) > IDENT_LEN_MAX)
		return err_set(ACME_ERR_USAGE, "%s: too long for a "
		    CHAL_PERSIST_LABEL " name (at most %zu bytes)", name,
		    IDENT_LEN_MAX - sizeof(CHAL_PERSIST_LABEL));
	if ((rc = chal_persist_value(&v, issuer, acct, wildcard, until)) ==
	    0 && (rc = buf_printf(out, CHAL_PERSIST_LABEL ".%s. IN TXT ",
	    name)) == 0)
		rc = chal_txt_quote(out, (const char *)v.data, v.len);
	buf_free(&v);
	return rc;
}

/* 1 when this round has an answer of type t, or answered by how. */
static ACME_MUST_CHECK int
chal_round_has(const struct chal_ctx *c, int t, int how)
{
	size_t i;

	for (i = c->round; i < c->nanswers; i++)
		if ((int)c->answers[i].type == t || (int)c->answers[i].how == how)
			return 1;
	return 0;
}

/* Seconds to wait for DNS after this round began: --dns-wait when it
 * has dns-01 answers, else 0. */
static ACME_MUST_CHECK int
chal_dns_need(const struct chal_ctx *c)
{
	return chal_round_has(c, CHAL_DNS01, -1) ? c->dns_wait : 0;
}

/* Sleep s seconds for DNS to propagate. */
static void
chal_dns_sleep(int s)
{
	struct timespec ts = { 0, 0 };

	if (s <= 0)
		return;
	log_msg(LOG_LEVEL_INFO, "waiting %d s for DNS to propagate", s);
	ts.tv_sec = s;
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

/* Put this round's webroot answers in place (the hook placed its own;
 * the standalone ones are the responder's, chal_resp_start). */
static ACME_MUST_CHECK int
chal_setup(struct chal_ctx *c)
{
	return chal_round_has(c, -1, CHAL_BY_WEBROOT) ? chal_webroot_put(c) :
	    0;
}

/* Undo chal_setup and end every begun hook challenge, success or
 * failure; safe to call more than once. */
static void
chal_cleanup(struct chal_ctx *c)
{
	size_t i;

	chal_hook_finish(c);
	if (c->webroot != NULL)
		chal_webroot_clean(c);
	for (i = 0; i < IDENT_MAX && c->tls_certs != NULL; i++)
		buf_free(&c->tls_certs[i]);
	free(c->tls_certs);
	c->tls_certs = NULL;
	key_free(&c->tls_key);
	c->nanswers = 0;
	c->round = 0;
}

/*
 * The deploy hook (--deploy-hook PROG), run once after a new set is in
 * live/NAME: execve(2) without a shell, stdin /dev/null, its own process
 * group, the caller's environment with the set's variables on top
 * (acme's names and certbot's, so certbot deploy hooks keep working),
 * killed after HOOK_TIMEOUT seconds. Its failure never undoes the
 * certificate.
 */
struct hook_env {
	char	name[NAME_LEN_MAX + 16];
	char	live[PATH_LEN_MAX + 32];
	char	lineage[PATH_LEN_MAX + 32];
	char	*domains;		/* owned "ACME_DOMAINS=a b" */
	char	*renewed;		/* owned "RENEWED_DOMAINS=a b" */
};

static void
hook_env_free(struct hook_env *e)
{
	free(e->domains);
	free(e->renewed);
}

/* "KEY=id1 id2 ..." in a malloc'd string. */
static ACME_MUST_CHECK char *
hook_list(const char *key, const struct ident *ids, size_t n)
{
	struct buf b = { .max = 64 * 1024 };
	size_t i;

	buf_printf(&b, "%s=", key);
	for (i = 0; i < n; i++)
		buf_printf(&b, "%s%s", i ? " " : "", ids[i].value);
	if (b.data == NULL || buf_append(&b, "", 0) < 0) {
		buf_free(&b);
		return NULL;
	}
	return (char *)b.data;
}

static ACME_MUST_CHECK int
hook_env_make(struct hook_env *e, const char *name, const char *live,
    const struct ident *ids, size_t n)
{
	memset(e, 0, sizeof(*e));
	snprintf(e->name, sizeof(e->name), "ACME_NAME=%s", name);
	snprintf(e->live, sizeof(e->live), "ACME_LIVE_DIR=%s", live);
	snprintf(e->lineage, sizeof(e->lineage), "RENEWED_LINEAGE=%s", live);
	e->domains = hook_list("ACME_DOMAINS", ids, n);
	e->renewed = hook_list("RENEWED_DOMAINS", ids, n);
	if (e->domains == NULL || e->renewed == NULL) {
		hook_env_free(e);
		return err_set(ACME_ERR_NOMEM, "out of memory");
	}
	return 0;
}

static ACME_MUST_CHECK int
hook_deploy(const char *prog, const char *name, const char *live,
    const struct ident *ids, size_t n)
{
	const char *argv[2], *ours[6];
	struct hook_env e;
	int rc;

	if ((rc = hook_env_make(&e, name, live, ids, n)) < 0)
		return rc;
	argv[0] = prog;
	argv[1] = NULL;
	ours[0] = e.name;
	ours[1] = e.domains;
	ours[2] = e.live;
	ours[3] = e.lineage;
	ours[4] = e.renewed;
	ours[5] = NULL;
	rc = hook_run_env(argv, ours, HOOK_TIMEOUT);
	hook_env_free(&e);
	if (rc < 0)
		return err_wrap(ACME_ERR_HOOK, "deploy hook");
	if (rc > 0)
		return err_set(ACME_ERR_HOOK, "deploy hook %s: exit status %d%s",
		    prog, rc, rc == 127 ? " (not found or not executable?)" :
		    "");
	return 0;
}

/* ==== 15. ACME requests ==== */

/*
 * One ACME request at a time (RFC 8555 6-7): the directory, nonces and their
 * badNonce retries, signed POSTs and POST-as-GETs, problem documents turned
 * into one error line, Retry-After, the poll schedule, and ARI's renewalInfo
 * (RFC 9773).
 *
 * Prefixes: req_.
 * May call: 2-7, 11, 13-14.
 */

/* RFC 8555 7.1.1: the directory. URLs are validated https URLs. */
struct acme_dir {
	char	new_nonce[URL_MAX];
	char	new_account[URL_MAX];
	char	new_order[URL_MAX];
	char	revoke_cert[URL_MAX];
	char	key_change[URL_MAX];
	char	renewal_info[URL_MAX];	/* RFC 9773; empty when absent */
	char	terms[URL_MAX];		/* meta.termsOfService */
	int	eab_required;		/* meta.externalAccountRequired */
	char	profiles[PROFILE_MAX][PROFILE_NAME_MAX]; /* meta.profiles */
	size_t	nprofiles;
	char	caa[PERSIST_ISSUERS_MAX][IDENT_LEN_MAX + 1];
				/* meta.caaIdentities, normalised as
				   dns-persist-01 issuer domain names */
	size_t	ncaa;
};

/* One conversation with one ACME server. */
struct acme {
	struct http	 http;
	struct acme_dir	 dir;
	struct key	 key;			/* account key, owned */
	char		 kid[URL_MAX];		/* account URL, "" before */
	char		 nonce[NONCE_MAX];	/* next Replay-Nonce */
	char		 server[URL_MAX];	/* directory URL */
	char		 problem[128];		/* type of the last problem */
	int		 again;			/* section 16's: the account
						   was registered again
						   (acct_again), once per
						   session */
	unsigned	 requests;		/* HTTP exchanges made */
	unsigned	 polls;			/* of which polls */
};

/* RFC 8555 7.1.6 status values, one table per object type. */
enum order_status {
	ORDER_PENDING, ORDER_READY, ORDER_PROCESSING, ORDER_VALID,
	ORDER_INVALID, ORDER_STATUS_MAX
};
static const char *const order_status_names[ORDER_STATUS_MAX] = {
	[ORDER_PENDING] = "pending", [ORDER_READY] = "ready",
	[ORDER_PROCESSING] = "processing", [ORDER_VALID] = "valid",
	[ORDER_INVALID] = "invalid",
};

enum authz_status {
	AUTHZ_PENDING, AUTHZ_VALID, AUTHZ_INVALID, AUTHZ_DEACTIVATED,
	AUTHZ_EXPIRED, AUTHZ_REVOKED, AUTHZ_STATUS_MAX
};
static const char *const authz_status_names[AUTHZ_STATUS_MAX] = {
	[AUTHZ_PENDING] = "pending", [AUTHZ_VALID] = "valid",
	[AUTHZ_INVALID] = "invalid", [AUTHZ_DEACTIVATED] = "deactivated",
	[AUTHZ_EXPIRED] = "expired", [AUTHZ_REVOKED] = "revoked",
};

#define ACME_ERR_NS	"urn:ietf:params:acme:error:"

/* An https URL we accept from the user or the server. */
static ACME_MUST_CHECK int
req_url_ok(const char *url)
{
	size_t i, n = strlen(url);

	if (n >= URL_MAX || strncmp(url, "https://", 8) != 0 || n == 8)
		return 0;
	for (i = 0; i < n; i++)
		if ((unsigned char)url[i] <= 0x20 ||
		    (unsigned char)url[i] >= 0x7f)
			return 0;
	return 1;
}

/* Member key of obj as an https URL into dst (URL_MAX bytes): 0, or
 * NONE (dst "") when it is absent or no such URL. */
static ACME_MUST_CHECK int
req_url_member(const struct json *j, int obj, const char *key, char *dst)
{
	if (json_get_str(j, obj, key, dst, URL_MAX) < 0 || !req_url_ok(dst)) {
		dst[0] = '\0';
		return NONE;
	}
	return 0;
}

/* A member that must be an https URL. required: absent is an error. */
static ACME_MUST_CHECK int
req_get_url(const struct json *j, int obj, const char *key, char *dst,
    const char *what, int required)
{
	if (req_url_member(j, obj, key, dst) < 0) {
		if (!required && json_get(j, obj, key) < 0)
			return 0;
		return err_set(ACME_ERR_PROTO, "%s: missing or bad \"%s\" URL",
		    what, key);
	}
	return 0;
}

/* A status member mapped through names[]; unknown is an error. */
static ACME_MUST_CHECK int
req_status(const struct json *j, int obj, const char *const *names, int n,
    const char *what)
{
	char s[32];
	int i;

	if (json_get_str(j, obj, "status", s, sizeof(s)) < 0)
		return err_set(ACME_ERR_PROTO, "%s: missing status", what);
	for (i = 0; i < n; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return err_set(ACME_ERR_PROTO, "%s: unknown status \"%.31s\"", what, s);
}

/* Append one member of a problem document to line, made printable. */
static void
req_problem_part(struct buf *line, const struct json *j, int obj,
    const char *key)
{
	char safe[512], *raw;
	const char *p;
	int t = json_get(j, obj, key);

	if (t < 0 || (raw = json_strdup(j, t)) == NULL)
		return;
	p = raw;
	if (strcmp(key, "type") == 0 && strncmp(p, ACME_ERR_NS,
	    strlen(ACME_ERR_NS)) == 0)
		p += strlen(ACME_ERR_NS);
	str_sanitize(safe, sizeof(safe), p, strlen(p));	/* truncates */
	buf_printf(line, "%s%s", line->len > 0 ? ": " : "", safe);
	free(raw);
}

/* RFC 8555 6.7.1: subproblems, each with its identifier. */
static void
req_subproblems(struct buf *line, const struct json *j, int obj)
{
	char ident[IDENT_LEN_MAX + 1], safe[IDENT_LEN_MAX + 1];
	int arr = json_get(j, obj, "subproblems"), i, n, sub, id;

	if ((n = json_array_len(j, arr)) <= 0)
		return;
	for (i = 0; i < n && i < PROBLEM_SUB_MAX; i++) {
		sub = json_array_at(j, arr, i);
		id = json_get(j, sub, "identifier");
		if (id >= 0 && json_get_str(j, id, "value", ident,
		    sizeof(ident)) >= 0) {
			str_sanitize(safe, sizeof(safe), ident, strlen(ident));
			buf_printf(line, "; %s", safe);
		} else
			buf_puts(line, ";");
		req_problem_part(line, j, sub, "type");
		req_problem_part(line, j, sub, "detail");
	}
	if (n > PROBLEM_SUB_MAX)
		buf_printf(line, "; and %d more", n - PROBLEM_SUB_MAX);
}

/*
 * RFC 8555 6.7: what the user can do about each problem type, appended
 * to the error line after " -- ". Types not listed get no hint.
 */
static const struct {
	const char	*type;		/* without ACME_ERR_NS */
	const char	*hint;
} req_hints[] = {
	{ "accountDoesNotExist", "this CA does not know the account (any "
	    "more): an issue or renew with --agree-tos registers it again" },
	{ "alreadyRevoked", "nothing to do: the certificate is already "
	    "revoked" },
	{ "badCSR", "the CA refused the CSR: check its names and key type" },
	{ "badNonce", "the CA kept refusing nonces: try again later" },
	{ "badPublicKey", "the CA refused the key: choose another "
	    "--key-type" },
	{ "badRevocationReason", "choose another --reason: unspecified, "
	    "keyCompromise, affiliationChanged, superseded or "
	    "cessationOfOperation" },
	{ "badSignatureAlgorithm", "the CA refused the account key's "
	    "algorithm: use an account key of another --key-type" },
	{ "caa", "a CAA record of the name forbids this CA: add the CA to "
	    "the domain's CAA record or remove the record" },
	{ "compound", "fix each problem listed" },
	{ "connection", "the CA could not connect to the name: check its "
	    "DNS A/AAAA records, the firewall and port forwarding (port 80 "
	    "for http-01, 443 for tls-alpn-01)" },
	{ "dns", "the CA could not look the name up: check the domain's DNS "
	    "records and that its name servers answer" },
	{ "externalAccountRequired", "this CA needs external account "
	    "binding: pass --eab-kid and --eab-hmac from the CA's account "
	    "page" },
	{ "incorrectResponse", "the challenge answer the CA got was wrong: "
	    "check what the name serves for the challenge" },
	{ "invalidContact", "the CA refused the contact: give a working "
	    "--email address" },
	{ "malformed", "the CA could not use the request: check the names "
	    "and options, else report a bug in acme" },
	{ "orderNotReady", "the order was not ready: run the command again" },
	{ "rateLimited", "the CA limits how often you may ask: try again "
	    "later" },
	{ "rejectedIdentifier", "the CA will not issue for a name: remove "
	    "it from the identifiers" },
	{ "serverInternal", "the CA had an internal error: try again later" },
	{ "tls", "the TLS connection to the name failed: check the server "
	    "on port 443" },
	{ "unauthorized", "the CA refused: check that challenge answers "
	    "reach it (webroot served at /.well-known/acme-challenge/, TXT "
	    "record in place), the --eab-kid/--eab-hmac pair, and that the "
	    "account may act on these names or this certificate" },
	{ "unsupportedContact", "use an e-mail address (--email)" },
	{ "unsupportedIdentifier", "the CA does not issue for this kind of "
	    "identifier (an IP address or a wildcard, say)" },
	{ "userActionRequired", "the CA needs you to act first: visit the "
	    "URL it gives, then run the command again" },
};

/* The hint for problem type t (full URN); NULL when none. */
static const char *
req_hint(const char *t)
{
	size_t i, n = strlen(ACME_ERR_NS);

	if (strncmp(t, ACME_ERR_NS, n) != 0)
		return NULL;
	for (i = 0; i < sizeof(req_hints) / sizeof(req_hints[0]); i++)
		if (strcmp(t + n, req_hints[i].type) == 0)
			return req_hints[i].hint;
	return NULL;
}

/*
 * The details a hint names: rateLimited the time to retry (Date plus
 * Retry-After of r, else Retry-After alone), userActionRequired the
 * instance URL of the problem. Appended to line.
 */
static void
req_hint_detail(struct buf *line, const char *type, const struct json *j,
    int obj, const struct http_resp *r)
{
	char url[URL_MAX], safe[URL_MAX], when[32];
	int64_t t;

	if (strcmp(type, ACME_ERR_NS "rateLimited") == 0 && r != NULL &&
	    r->retry_after >= 0) {
		if (clock_parse_http_date(r->date, &t) == 0) {
			clock_format_rfc3339(t + r->retry_after, when,
			    sizeof(when));
			buf_printf(line, " after %s", when);
		} else
			buf_printf(line, " in %ld s", r->retry_after);
	}
	if (strcmp(type, ACME_ERR_NS "userActionRequired") == 0 &&
	    json_get_str(j, obj, "instance", url, sizeof(url)) >= 0) {
		str_sanitize(safe, sizeof(safe), url, strlen(url));
		buf_printf(line, ": %s", safe);
	}
}

/*
 * Turn the problem document at token obj (RFC 7807, RFC 8555 6.7) into
 * the one error line "what: HTTP 403: type: detail; ident: type: detail
 * -- hint" (no "HTTP n" when status is 0; hint from req_hints[]). r (may
 * be NULL) is the answer that carried it. Returns ACME_ERR_SERVER; *type
 * receives the problem type for callers that act on it (badNonce).
 */
static ACME_MUST_CHECK int
req_problem_json_r(const char *what, long status, const struct json *j,
    int obj, char *type, size_t cap, const struct http_resp *r)
{
	struct buf line = { .max = PROBLEM_LINE_MAX };
	char http[32] = "", t[128];
	const char *hint;
	int rc;

	if (json_get_str(j, obj, "type", t, sizeof(t)) < 0)
		t[0] = '\0';
	if (type != NULL)
		snprintf(type, cap, "%s", t);
	req_problem_part(&line, j, obj, "type");
	req_problem_part(&line, j, obj, "detail");
	req_subproblems(&line, j, obj);
	if ((hint = req_hint(t)) != NULL) {
		buf_printf(&line, " -- %s", hint);
		req_hint_detail(&line, t, j, obj, r);
	}
	if (status > 0)
		snprintf(http, sizeof(http), "HTTP %ld: ", status);
	rc = err_set(ACME_ERR_SERVER, "%s: %s%s", what, http,
	    buf_err(&line) == 0 && line.data != NULL ? (char *)line.data :
	    "(no detail)");
	buf_free(&line);
	return rc;
}

/* req_problem_json_r() for a problem inside an object (no response). */
static ACME_MUST_CHECK int
req_problem_json(const char *what, long status, const struct json *j,
    int obj, char *type, size_t cap)
{
	return req_problem_json_r(what, status, j, obj, type, cap, NULL);
}

/* An HTTP error answer: a problem document, or garbage. */
static ACME_MUST_CHECK int
req_problem(const char *url, const struct http_resp *r, char *type,
    size_t cap)
{
	struct json *j;
	char safe[URL_MAX];
	int rc;

	str_sanitize(safe, sizeof(safe), url, strlen(url));
	if (type != NULL)
		type[0] = '\0';
	if ((j = malloc(sizeof(*j))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	err_hush();	/* not JSON: no problem document, said below */
	rc = r->body.len > 0 ? json_parse(j, (const char *)r->body.data,
	    r->body.len) : NONE;
	err_unhush();
	if (rc == 0) {
		rc = req_problem_json_r(safe, r->status, j, 0, type, cap, r);
	} else {
		rc = err_set(r->status >= 500 ? ACME_ERR_SERVER :
		    ACME_ERR_PROTO, "%s: HTTP %ld from the server, without an "
		    "ACME problem document", safe, r->status);
	}
	free(j);
	return rc;
}

/* Parse a 2xx JSON answer; anything else becomes an error line. */
static ACME_MUST_CHECK int
req_json(const char *url, const struct http_resp *r, struct json *j)
{
	char safe[URL_MAX];

	if (r->status < 200 || r->status > 299)
		return req_problem(url, r, NULL, 0);
	if (json_parse(j, (const char *)r->body.data, r->body.len) < 0) {
		str_sanitize(safe, sizeof(safe), url, strlen(url));
		return err_wrap(ACME_ERR_PROTO, "%s: HTTP %ld: bad answer",
		    safe, r->status);
	}
	return 0;
}

/*
 * draft-ietf-acme-profiles: meta.profiles is an object whose member names
 * are the profiles (the values describe them). Names that are not short
 * printable tokens are skipped; at most PROFILE_MAX are kept.
 */
static void
req_profiles(struct acme_dir *d, const struct json *j, int obj)
{
	char name[PROFILE_NAME_MAX];
	int k;
	size_t i, n;

	d->nprofiles = 0;
	if (json_tok(j, obj, JSMN_OBJECT) == NULL)
		return;
	for (k = obj + 1; k < j->ntok && j->tok[k].parent == obj;
	    k = json_skip(j, k + 1)) {
		if (json_str(j, k, name, sizeof(name)) < 0 ||
		    d->nprofiles == PROFILE_MAX)
			continue;
		for (i = 0, n = strlen(name); i < n; i++)
			if (!isalnum((unsigned char)name[i]) &&
			    strchr("-_.", name[i]) == NULL)
				break;
		if (n > 0 && i == n)
			memcpy(d->profiles[d->nprofiles++], name, n + 1);
	}
}

/*
 * RFC 8555 7.1.1 meta.caaIdentities: the issuer domain names a
 * dns-persist-01 record may name (draft-ietf-acme-dns-persist-01 2),
 * normalised; entries that are no domain names are skipped, at most
 * PERSIST_ISSUERS_MAX are kept.
 */
static void
req_caa_identities(struct acme_dir *d, const struct json *j, int arr)
{
	char raw[IDENT_LEN_MAX + 2];
	int i, n = json_array_len(j, arr);

	d->ncaa = 0;
	for (i = 0; i < n && d->ncaa < PERSIST_ISSUERS_MAX; i++)
		if (json_str(j, json_array_at(j, arr, i), raw, sizeof(raw)) >= 0
		    && chal_persist_issuer(raw, d->caa[d->ncaa],
		    sizeof(d->caa[0])) == 0)
			d->ncaa++;
}

/* 1 when the directory offers profile name. */
static ACME_MUST_CHECK int
req_has_profile(const struct acme_dir *d, const char *name)
{
	size_t i;

	for (i = 0; i < d->nprofiles; i++)
		if (strcmp(d->profiles[i], name) == 0)
			return 1;
	return 0;
}

/*
 * After a failed idempotent request (tries made so far): 1 when it is
 * worth another try on a new connection, at most REQ_RETRIES more and
 * while deadline (clock_mono_ms(); 0: none) leaves room for one.
 */
static ACME_MUST_CHECK int
req_retry(struct acme *a, int tries, int64_t deadline)
{
	if (!a->http.transient || tries >= REQ_RETRIES || (deadline > 0 &&
	    clock_mono_ms() + HTTP_IDEM_TIMEOUT * 1000 > deadline))
		return 0;
	log_msg(LOG_LEVEL_INFO, "%s; trying again on a new connection",
	    err_msg);
	err_clear();
	a->http.fresh = 1;
	return 1;
}

/* A GET (directory, renewalInfo): idempotent, so retried (req_retry). */
static ACME_MUST_CHECK int
req_get(struct acme *a, const char *url, struct http_resp *r)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		a->requests++;
		a->http.timeout = HTTP_IDEM_TIMEOUT;
		rc = http_request(&a->http, url, NULL, 0, 0, NULL, r);
		a->http.timeout = 0;
		if (rc == 0 || !req_retry(a, tries, 0))
			return rc;
	}
}

/* RFC 8555 7.1.1: GET the directory and check the URLs we need. */
static ACME_MUST_CHECK int
req_directory(struct acme *a)
{
	struct http_resp r = { 0 };
	struct json *j;
	int rc, meta;

	if ((j = malloc(sizeof(*j))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = req_get(a, a->server, &r)) < 0 ||
	    (rc = req_json(a->server, &r, j)) < 0)
		goto out;
	if ((rc = req_get_url(j, 0, "newNonce", a->dir.new_nonce,
	    "directory", 1)) < 0 ||
	    (rc = req_get_url(j, 0, "newAccount", a->dir.new_account,
	    "directory", 1)) < 0 ||
	    (rc = req_get_url(j, 0, "newOrder", a->dir.new_order,
	    "directory", 1)) < 0 ||
	    (rc = req_get_url(j, 0, "revokeCert", a->dir.revoke_cert,
	    "directory", 0)) < 0 ||
	    (rc = req_get_url(j, 0, "keyChange", a->dir.key_change,
	    "directory", 0)) < 0 ||
	    (rc = req_get_url(j, 0, "renewalInfo", a->dir.renewal_info,
	    "directory", 0)) < 0)
		goto out;
	if ((meta = json_get(j, 0, "meta")) >= 0) {
		/* optional, and kept only as an https URL (Pebble's is
		 * data:) */
		ACME_IGNORE(req_url_member(j, meta, "termsOfService",
		    a->dir.terms));
		a->dir.eab_required = json_bool(j, json_get(j, meta,
		    "externalAccountRequired")) == 1;
		req_profiles(&a->dir, j, json_get(j, meta, "profiles"));
		req_caa_identities(&a->dir, j, json_get(j, meta,
		    "caaIdentities"));
	}
out:
	if (rc < 0 && rc != ACME_ERR_NET && rc != ACME_ERR_SERVER)
		err_wrap(rc, "%s is not an ACME directory", a->server);
	http_resp_free(&r);
	free(j);
	return rc;
}

/* Keep the server's fresh nonce (RFC 8555 7.2), if it looks sane. */
static void
req_keep_nonce(struct acme *a, const struct http_resp *r)
{
	if (r->nonce[0] != '\0' && b64u_is_token(r->nonce))
		memcpy(a->nonce, r->nonce, sizeof(a->nonce));
}

/* RFC 8555 7.2: HEAD newNonce. */
static ACME_MUST_CHECK int
req_new_nonce(struct acme *a)
{
	struct http_resp r = { 0 };
	int rc;

	a->requests++;
	rc = http_request(&a->http, a->dir.new_nonce, NULL, 0, 1, NULL, &r);
	if (rc == 0) {
		req_keep_nonce(a, &r);
		if (a->nonce[0] == '\0')
			rc = err_set(ACME_ERR_PROTO, "%s: no Replay-Nonce",
			    a->dir.new_nonce);
	}
	http_resp_free(&r);
	return rc;
}

/*
 * RFC 8555 6.2/6.3: POST a JWS (payload NULL: POST-as-GET) signed with
 * key k, by its jwk when kid is NULL, else by kid. A badNonce answer is
 * retried with the nonce it carries, at most NONCE_RETRIES times. An
 * HTTP error becomes the error line; r holds the answer.
 */
static ACME_MUST_CHECK int
req_post_as(struct acme *a, const struct key *k, const char *kid,
    const char *url, const char *payload, const char *accept,
    struct http_resp *r)
{
	struct buf jws = { .max = BODY_MAX };
	int rc = 0, tries;

	a->problem[0] = '\0';
	for (tries = 0; tries <= NONCE_RETRIES; tries++) {
		if (a->nonce[0] == '\0' && (rc = req_new_nonce(a)) < 0)
			break;
		jws.len = 0;
		rc = jws_build(&jws, k, kid, a->nonce, url, payload,
		    payload ? strlen(payload) : 0);
		a->nonce[0] = '\0';
		if (rc < 0)
			break;
		a->requests++;
		if ((rc = http_request(&a->http, url, (const char *)jws.data,
		    jws.len, 0, accept, r)) < 0)
			break;
		req_keep_nonce(a, r);
		if (r->status >= 200 && r->status <= 299)
			break;
		rc = req_problem(url, r, a->problem, sizeof(a->problem));
		if (strcmp(a->problem, ACME_ERR_NS "badNonce") != 0 ||
		    tries == NONCE_RETRIES)
			break;
		log_msg(LOG_LEVEL_DEBUG, "badNonce, retrying");
		err_clear();
	}
	buf_free(&jws);
	return rc;
}

/* req_post_as() with the account key: by jwk before the account exists,
 * by kid after. */
static ACME_MUST_CHECK int
req_post(struct acme *a, const char *url, const char *payload,
    const char *accept, struct http_resp *r)
{
	return req_post_as(a, &a->key, a->kid[0] ? a->kid : NULL, url,
	    payload, accept, r);
}

/* POST and parse the JSON answer into j. */
static ACME_MUST_CHECK int
req_post_json(struct acme *a, const char *url, const char *payload,
    struct http_resp *r, struct json *j)
{
	int rc;

	if ((rc = req_post(a, url, payload, NULL, r)) < 0)
		return rc;
	return req_json(url, r, j);
}

/*
 * An idempotent POST-as-GET (RFC 8555 6.3) of an order, authorization or
 * certificate: HTTP_IDEM_TIMEOUT seconds, then on a new connection again
 * (req_retry) until deadline. A lost answer costs a retry, not the order.
 */
static ACME_MUST_CHECK int
req_fetch(struct acme *a, const char *url, const char *accept,
    int64_t deadline, struct http_resp *r)
{
	int rc, tries;

	for (tries = 0;; tries++) {
		a->http.timeout = HTTP_IDEM_TIMEOUT;
		rc = req_post(a, url, NULL, accept, r);
		a->http.timeout = 0;
		if (rc == 0 || !req_retry(a, tries, deadline))
			return rc;
	}
}

/* req_fetch() of a JSON object into j. */
static ACME_MUST_CHECK int
req_fetch_json(struct acme *a, const char *url, int64_t deadline,
    struct http_resp *r, struct json *j)
{
	int rc;

	if ((rc = req_fetch(a, url, NULL, deadline, r)) < 0)
		return rc;
	return req_json(url, r, j);
}

/*
 * The poll schedule of one order, the one poller of the order flow
 * (RFC 8555 7.5.1, 7.4): the next poll is due at next; the order fails at
 * deadline. Orders poll side by side: the caller sleeps until the
 * earliest next of them (req_poll_sleep).
 */
struct req_poll {
	int64_t	next;			/* clock_mono_ms() */
	int64_t	deadline;		/* clock_mono_ms() */
	int64_t	stuck;			/* clock_mono_ms() of an error of the
					   CA with no progress since; 0 none */
	int	round;			/* polls so far */
};

/*
 * Milliseconds until the next poll: Retry-After of the last answer
 * (seconds, or an HTTP-date against its Date) within [POLL_FIRST_MS,
 * RETRY_AFTER_MAX s]; without one, POLL_FIRST_MS doubled each round up
 * to POLL_MAX_MS: 50, 100, 200, 400, 800, 1600, 2000, 2000... ms.
 */
static int64_t
req_poll_delay(const struct http_resp *r, int round)
{
	int64_t d = 0, date;
	int have = 0;

	if ((have = r->retry_after >= 0))
		d = r->retry_after;
	else if ((have = r->retry_at != 0 && clock_parse_http_date(r->date,
	    &date) == 0))
		d = r->retry_at - date;
	if (have)
		return d > RETRY_AFTER_MAX ? RETRY_AFTER_MAX * 1000 :
		    d * 1000 < POLL_FIRST_MS ? POLL_FIRST_MS : d * 1000;
	d = (int64_t)POLL_FIRST_MS << (round < 8 ? round : 8);
	return d < POLL_MAX_MS ? d : POLL_MAX_MS;
}

/* Begin waiting after answer r (a challenge or finalize answer). */
static void
req_poll_begin(struct req_poll *p, const struct http_resp *r,
    int64_t deadline)
{
	p->round = 0;
	p->deadline = deadline;
	p->stuck = 0;
	p->next = clock_mono_ms() + req_poll_delay(r, 0);
}

/* POST-as-GET url as a poll (counted), parsed into j. */
static ACME_MUST_CHECK int
req_poll_fetch(struct acme *a, const char *url, const struct req_poll *p,
    struct http_resp *r, struct json *j)
{
	a->polls++;
	return req_fetch_json(a, url, p->deadline, r, j);
}

/* The object at url is not settled after answer r: schedule the next
 * poll, or fail when it would come after the deadline. */
static ACME_MUST_CHECK int
req_poll_again(struct req_poll *p, const struct http_resp *r,
    const char *url)
{
	char safe[URL_MAX];

	p->round++;
	p->next = clock_mono_ms() + req_poll_delay(r, p->round);
	if (p->next <= p->deadline)
		return 0;
	str_sanitize(safe, sizeof(safe), url, strlen(url));
	return err_set(ACME_ERR_TIMEOUT, "%s: still not done after %d s", safe,
	    POLL_DEADLINE);
}

/*
 * An answer of what p polls shows an error the CA put on it and no
 * progress (err 0: progress, which clears it). 1 once that has lasted
 * POLL_STUCK seconds: the caller ends the wait with the CA's words. The
 * schedule (Retry-After) is unchanged: this is only judged on answers.
 */
static ACME_MUST_CHECK int
req_poll_stuck(struct req_poll *p, int err)
{
	int64_t now = clock_mono_ms();

	if (!err)
		p->stuck = 0;
	else if (p->stuck == 0)
		p->stuck = now;
	return err && now - p->stuck >= POLL_STUCK * 1000;
}

/* Sleep until clock_mono_ms() reaches at. */
static void
req_poll_sleep(int64_t at)
{
	struct timespec ts;
	int64_t left;

	while ((left = at - clock_mono_ms()) > 0) {
		ts.tv_sec = (time_t)(left / 1000);
		ts.tv_nsec = (long)(left % 1000) * 1000000;
		nanosleep(&ts, NULL);
	}
}

/* An ARI suggested window (RFC 9773 4.2), with its Retry-After. */
struct ari_window {
	int64_t	start;
	int64_t	end;
	long	retry_after;		/* seconds; -1 when absent */
};

/*
 * RFC 9773 4.1/4.2: GET renewalInfo/CERTID (no JWS) and parse
 * {"suggestedWindow": {"start": RFC 3339, "end": RFC 3339}}; end must
 * be after start.
 */
static ACME_MUST_CHECK int
req_renewal_info(struct acme *a, const char *certid, struct ari_window *w)
{
	struct http_resp r = { 0 };
	struct json *j = NULL;
	char url[URL_MAX], t1[40], t2[40];
	int rc, win;

	if ((size_t)snprintf(url, sizeof(url), "%s/%s", a->dir.renewal_info,
	    certid) >= sizeof(url))
		return err_set(ACME_ERR_LIMIT, "renewalInfo URL too long");
	if ((j = malloc(sizeof(*j))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = req_get(a, url, &r)) < 0 || (rc = req_json(url, &r, j)) < 0)
		goto out;
	if ((win = json_get(j, 0, "suggestedWindow")) < 0 ||
	    json_get_str(j, win, "start", t1, sizeof(t1)) < 0 ||
	    json_get_str(j, win, "end", t2, sizeof(t2)) < 0 ||
	    clock_parse_rfc3339(t1, &w->start) < 0 ||
	    clock_parse_rfc3339(t2, &w->end) < 0 || w->end <= w->start) {
		rc = err_set(ACME_ERR_PROTO, "%s: bad suggestedWindow", url);
		goto out;
	}
	rc = 0;
	w->retry_after = r.retry_after;
out:
	http_resp_free(&r);
	free(j);
	return rc;
}

/* ==== 16. ACME flows ==== */

/*
 * What takes several requests: accounts (new, load, rollover, deactivate),
 * revocation, resuming an order from its record (conf/NAME.order,
 * section 12) after a run died, the order state machine (order,
 * authorize, challenge, finalize, download), the batch that drives many
 * orders side by side, and the certificate set it leaves for the store.
 *
 * Prefixes: acct_, ari_, authz_, batch_, chain_, finalize_, flow_,
 * order_, st_.
 * May call: 2-15.
 */

/* How an order failed: what renew keeps of a rate limit (RFC 8555 6.6). */
struct issue_fail {
	long		 status;		/* HTTP status of the answer */
	long		 retry_after;		/* its Retry-After, -1 none */
	int64_t		 retry_at;		/* as an HTTP-date; 0 none */
	char		 problem[128];		/* its problem type */
};

/*
 * Everything one order needs; issue_prepare() fills it, batch_add()
 * puts it beside the other orders of the run, batch_run() drives it.
 */
struct issue {
	struct acme	*a;			/* borrowed */
	struct batch	*b;			/* borrowed: its batch */
	const char	*name;			/* borrowed */
	const struct ident *ids;		/* borrowed */
	size_t		 nids;
	enum key_type	 key_type;
	int		 storefd;		/* borrowed: DIR (the order
						   record), or -1 */
	int		 state;			/* enum issue_state */
	struct req_poll	 poll;			/* in ST_POLL_* */
	int64_t		 deadline;		/* clock_mono_ms(): polls end */
	int		 rc;			/* 0, or how it failed */
	char		 err[ERR_MSG_MAX];	/* then its error line */
	struct issue_fail fail;
	char		 order_url[URL_MAX];
	char		 finalize[URL_MAX];
	char		 cert_url[URL_MAX];
	char		 cert_date[64];		/* Date of the download */
	char		*authz[IDENT_MAX];	/* owned URLs */
	char		*chal_url[IDENT_MAX];	/* owned; NULL when valid */
	size_t		 nauthz;
	int		 rounds;		/* challenge rounds begun */
	int		 restarts;		/* new orders after a resume */
	int		 finalizing;		/* finalize requests sent */
	int		 lost;			/* a finalize answer was lost */
	int		 resumed;		/* from conf/NAME.order */
	int		 recorded;		/* conf/NAME.order written */
	int		 key_given;		/* cert_key set before the order */
	struct key	 cert_key;		/* owned */
	struct buf	 chain_pem;		/* owned: the download */
	struct http_resp *r;			/* borrowed: b's last answer */
	struct json	*j;			/* borrowed: b's parsed answer */
	/* challenge rounds (st_authorize) */
	unsigned char	 authz_done[IDENT_MAX];	/* valid, nothing to do */
	size_t		 ans_of[IDENT_MAX];	/* chal.answers index of k
						   while chal_url[k] is set */
	unsigned char	 wild[IDENT_MAX];	/* k is for "*.id" */
	unsigned char	 told[IDENT_MAX];	/* the CA's error on k's
						   answer was printed */
	/* renew */
	char		 replaces[2 * (X509_AKI_MAX + X509_SERIAL_MAX) + 4];
						/* RFC 9773 5 certID; "" none */
	int		 renew;			/* "renewed", not "issued";
						   conf/NAME.conf is the
						   input, not rewritten */
	const struct acme_options *o;		/* borrowed; NULL: defaults */
	struct buf	 csr;			/* owned: --csr DER, or empty */
	struct chal_ctx	 chal;			/* last: its answers[] stay
						   untouched until used */
};

/* The states of an order, in their usual sequence; ST_SETUP waits for
 * the batch to put every order's answers in place at once. */
enum issue_state {
	ST_NEW_ORDER, ST_RESUME, ST_AUTHORIZE, ST_SETUP, ST_CHALLENGE,
	ST_POLL_AUTHZ, ST_FINALIZE, ST_POLL_ORDER, ST_DOWNLOAD, ST_DONE,
	ST_FAILED, ST_STATE_MAX
};

/*
 * The orders of one run, driven side by side over the one connection
 * of a (at most ORDERS_MAX orders and ORDERS_IDENTS_MAX identifiers):
 * all orders opened, all challenges placed and answered at once by one
 * responder, polled together, finalized and downloaded. A failure ends
 * its own order only.
 */
struct batch {
	struct acme	*a;			/* borrowed */
	struct issue	*is[ORDERS_MAX];	/* borrowed */
	size_t		 n;
	size_t		 nids;			/* their identifiers */
	struct chal_resp resp;			/* the standalone responder */
	int		 rate_limited;		/* a rateLimited answer: no
						   new order */
	struct http_resp r;			/* owned: the last answer */
	struct json	 j;			/* the last parsed answer */
};

/* ---- account ---- */

/* DIR/accounts/HOST: HOST[:PORT] of the server URL, checked as a name. */
static ACME_MUST_CHECK int
acct_host(const char *url, char *host, size_t cap)
{
	const char *p = url + strlen("https://");
	size_t n = strcspn(p, "/?#"), i;

	if (n == 0 || n >= cap || p[0] == '.')
		return err_set(ACME_ERR_USAGE, "bad server URL %.200s", url);
	for (i = 0; i < n; i++)	/* no '@', '/', '..' tricks: plain host */
		if (!isalnum((unsigned char)p[i]) &&
		    strchr(".-:[]", p[i]) == NULL)
			return err_set(ACME_ERR_USAGE, "bad server URL %.200s",
			    url);
	memcpy(host, p, n);
	host[n] = '\0';
	return 0;
}

/*
 * The EAB MAC key of --eab-hmac, or of --eab-hmac-file (whitespace
 * around it dropped), decoded into mac; its length, or an error. The
 * caller wipes mac; buf_free wipes the file's copy.
 */
static ACME_MUST_CHECK int
acct_eab_key(const struct acme_options *o, unsigned char *mac, size_t cap)
{
	struct buf file = { 0 };
	const char *v = o->eab_hmac;
	size_t len;
	int n, fd;

	if (o->eab_hmac != NULL && o->eab_hmac_file != NULL)
		return err_set(ACME_ERR_USAGE, "use --eab-hmac or "
		    "--eab-hmac-file, not both");
	if (v == NULL) {
		if ((fd = open(o->eab_hmac_file, O_RDONLY | O_CLOEXEC)) < 0)
			return err_set(ACME_ERR_USAGE, "--eab-hmac-file "
			    "%.200s: %s", o->eab_hmac_file, strerror(errno));
		err_hush();	/* said below, naming the flag */
		n = store_read_fd(fd, &file, EAB_FILE_MAX);
		err_unhush();
		close(fd);
		if (n < 0) {
			buf_free(&file);
			return err_set(ACME_ERR_USAGE, "--eab-hmac-file %.200s: "
			    "unreadable or over %d bytes", o->eab_hmac_file,
			    EAB_FILE_MAX);
		}
		v = file.data != NULL ? (const char *)file.data : "";
		v += strspn(v, " \t");
	}
	len = strcspn(v, " \t\r\n");
	err_hush();
	n = b64u_decode(mac, cap, v, len);
	err_unhush();
	if (n <= 0 || (v[len] != '\0' &&
	    strspn(v + len, " \t\r\n") != strlen(v + len))) {
		n = err_set(ACME_ERR_USAGE, "EAB MAC key (--eab-hmac, "
		    "--eab-hmac-file or ACME_EAB_HMAC): not a base64url key of "
		    "1 to %d bytes", EAB_KEY_MAX);
	}
	buf_free(&file);
	return n;
}

/*
 * RFC 8555 7.3.4: the externalAccountBinding JWS for a new account into
 * out when --eab-kid is given (out stays empty otherwise); an error when
 * the directory requires one and none is given. The MAC key is wiped.
 */
static ACME_MUST_CHECK int
acct_eab(struct acme *a, const struct acme_options *o, struct buf *out)
{
	unsigned char mac[EAB_KEY_MAX];
	int n, rc;

	if (o->eab_kid == NULL && a->dir.eab_required)
		return err_set(ACME_ERR_USAGE, "this CA requires external "
		    "account binding for a new account: pass --eab-kid and "
		    "--eab-hmac (or --eab-hmac-file) from the CA's account "
		    "page");
	if (o->eab_kid == NULL)
		return 0;
	if (o->eab_hmac == NULL && o->eab_hmac_file == NULL)
		return err_set(ACME_ERR_USAGE, "--eab-kid needs its MAC key: "
		    "--eab-hmac, --eab-hmac-file or ACME_EAB_HMAC");
	if (a->key.set == 0 && (rc = key_generate(&a->key, KEY_EC256)) < 0)
		return rc;
	if ((n = acct_eab_key(o, mac, sizeof(mac))) < 0)
		rc = n;
	else
		rc = jws_eab_alg(out, &a->key, o->eab_alg, o->eab_kid, mac,
		    (size_t)n, a->dir.new_account);
	wipe(mac, sizeof(mac));
	return rc;
}

/*
 * RFC 8555 7.3: newAccount. existing: only look up the account of this
 * key (onlyReturnExisting, 7.3.1); else create it, agreeing to the terms.
 */
static ACME_MUST_CHECK int
acct_new(struct acme *a, const struct acme_options *o, int existing)
{
	struct buf payload = { .max = 4096 }, eab = { .max = 4096 };
	struct http_resp r = { 0 };
	char mailto[512];
	struct jw w;
	int rc;

	if (!existing && (rc = acct_eab(a, o, &eab)) < 0)
		goto out;
	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	if (existing)
		jw_bool(&w, "onlyReturnExisting", 1);
	else {
		jw_bool(&w, "termsOfServiceAgreed", 1);
		if (o->email != NULL) {
			snprintf(mailto, sizeof(mailto), "mailto:%s", o->email);
			jw_arr_open(&w, "contact");
			jw_str(&w, NULL, mailto);
			jw_arr_close(&w);
		}
		if (eab.len > 0)
			jw_raw(&w, "externalAccountBinding",
			    (const char *)eab.data);
	}
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) < 0)
		goto out;
	a->kid[0] = '\0';
	if ((rc = req_post(a, a->dir.new_account, (const char *)payload.data,
	    NULL, &r)) < 0)
		goto out;
	if (!req_url_ok(r.location)) {
		rc = err_set(ACME_ERR_PROTO, "%s: no account URL in Location",
		    a->dir.new_account);
		goto out;
	}
	memcpy(a->kid, r.location, sizeof(a->kid));
out:
	http_resp_free(&r);
	buf_free(&payload);
	buf_free(&eab);
	return rc;
}

/* The terms of service the CA lists now, as account.txt's agreed. */
static const char *
acct_terms(const struct acme *a)
{
	return a->dir.terms[0] != '\0' ? a->dir.terms : "none";
}

/* Save a new account: its key, then its record (with the consent to the
 * CA's terms when agreed). */
static ACME_MUST_CHECK int
acct_save(struct acme *a, int storefd, const char *host, int agreed)
{
	/* the terms URL is one line: req_url_member checked it */
	struct file_acct r = { .url = a->kid, .server = a->server,
	    .agreed = agreed ? acct_terms(a) : NULL };

	return file_acct_write(storefd, host, &a->key, &r);
}

/*
 * RFC 8555 7.3.1: the account URL of key k, by onlyReturnExisting, into
 * kid. Returns 1 when the CA knows k, 0 when it says accountDoesNotExist,
 * negative when it did not tell.
 */
static ACME_MUST_CHECK int
acct_lookup(struct acme *a, const struct key *k, char *kid)
{
	struct http_resp r = { 0 };
	int rc;

	kid[0] = '\0';
	rc = req_post_as(a, k, NULL, a->dir.new_account,
	    "{\"onlyReturnExisting\":true}", NULL, &r);
	if (rc == 0 && req_url_ok(r.location))
		memcpy(kid, r.location, URL_MAX);
	else if (rc == 0)
		rc = err_set(ACME_ERR_PROTO, "%s: no account URL in Location",
		    a->dir.new_account);
	else if (strcmp(a->problem, ACME_ERR_NS "accountDoesNotExist") == 0)
		rc = 0;
	http_resp_free(&r);
	return rc < 0 ? rc : kid[0] != '\0';
}

/*
 * A keyChange to nk whose outcome is unknown (no answer, a server error,
 * or key-rollover.pem left by a crash): ask the CA which key account
 * a->kid has now. 1: nk; 0: still a->key; negative: it did not say.
 */
static ACME_MUST_CHECK int
acct_which_key(struct acme *a, const struct key *nk)
{
	char kid[URL_MAX];
	int rc;

	if (acct_lookup(a, nk, kid) == 1 && strcmp(kid, a->kid) == 0)
		return 1;
	err_clear();	/* a new question: the other key */
	if ((rc = acct_lookup(a, &a->key, kid)) == 1 &&
	    strcmp(kid, a->kid) == 0)
		return 0;
	err_clear();
	return err_set(ACME_ERR_NET, "the CA did not say which key account "
	    "%s has", a->kid);
}

/*
 * key-rollover.pem left by an interrupted rollover (the CA may or may
 * not have switched): settle it the way acct_rollover would have, and
 * keep using whichever key the CA has. Nothing to do without the file.
 */
static ACME_MUST_CHECK int
acct_rollover_resume(struct acme *a, int hostfd)
{
	struct key nk;
	int rc, applied;

	memset(&nk, 0, sizeof(nk));
	if (a->kid[0] == '\0' ||
	    (rc = file_acct_rollover_read(hostfd, &nk)) == STORE_ABSENT)
		return 0;
	if (rc < 0) {
		err_wrap(rc, "%s", FILE_ACCT_ROLLOVER);
		goto out;
	}
	if ((rc = applied = acct_which_key(a, &nk)) < 0) {
		err_wrap(rc, "%s of an interrupted key rollover, kept",
		    FILE_ACCT_ROLLOVER);
		goto out;
	}
	if ((rc = file_acct_rollover_settle(hostfd, applied)) < 0)
		goto out;
	if (applied) {
		key_free(&a->key);
		rc = file_acct_key(hostfd, &a->key);
	}
	log_msg(LOG_LEVEL_ERROR, "account %s: finished an interrupted key "
	    "rollover: the CA has the %s key", a->kid, applied ? "new" :
	    "old");
out:
	key_free(&nk);
	return rc;
}

/* Read DIR/accounts/HOST/{key.pem,account.txt}; 1 found, 0 absent. */
static ACME_MUST_CHECK int
acct_load(struct acme *a, int storefd, const char *host)
{
	struct buf txt = { 0 };
	int hostfd, rc;

	if ((hostfd = rc = file_acct_dir(storefd, host, 0)) < 0 ||
	    (rc = file_acct_key(hostfd, &a->key)) < 0) {
		rc = rc == STORE_ABSENT ? 0 : rc;
		goto out;
	}
	if (file_acct_read(hostfd, &txt) < 0 ||
	    !file_get(&txt, "url", a->kid, URL_MAX) || !req_url_ok(a->kid))
		a->kid[0] = '\0';
	if ((rc = acct_rollover_resume(a, hostfd)) == 0)
		rc = 1;
out:
	if (rc < 0)
		err_wrap(rc, "account for %s", host);
	if (hostfd >= 0)
		close(hostfd);
	buf_free(&txt);
	return rc;
}

/*
 * Have an account: the stored one (looked up by key when its URL is not
 * recorded), else a new one, which needs --agree-tos.
 */
static ACME_MUST_CHECK int
acct_ensure(struct acme *a, int storefd, const struct acme_options *o)
{
	char host[256];
	int rc;

	if ((rc = acct_host(a->server, host, sizeof(host))) < 0)
		return rc;
	if ((rc = acct_load(a, storefd, host)) < 0)
		return rc;
	if (rc == 1 && a->kid[0] != '\0')
		return 0;
	if (rc == 1) {
		/* A key without its URL (a crash between the two writes). */
		if ((rc = acct_new(a, o, 1)) == 0)
			return acct_save(a, storefd, host, o->agree_tos);
		if (strcmp(a->problem, ACME_ERR_NS "accountDoesNotExist") != 0)
			return rc;
		err_clear();	/* the CA's answer: a new account follows */
	}
	if (!o->agree_tos)
		return err_set(ACME_ERR_USAGE, "no account at %s yet: read its "
		    "terms of service%s%s and pass --agree-tos", host,
		    a->dir.terms[0] ? " at " : "", a->dir.terms);
	log_msg(LOG_LEVEL_INFO, "creating an account at %s", host);
	if ((a->key.set == 0 && (rc = key_generate(&a->key, KEY_EC256)) < 0) ||
	    (rc = acct_new(a, o, 0)) < 0)
		return rc;
	return acct_save(a, storefd, host, 1);
}

/*
 * accountDoesNotExist for the stored account: the CA lost it (a reset or
 * a migration). The same key and the run's contact are registered again
 * when the user agreed to the terms the CA lists now: --agree-tos on this
 * command, or that consent saved with the account. The old record goes
 * to accounts/HOST/backup/account.txt, one line says so. Without consent,
 * an error naming fix, the command that gives it.
 */
static ACME_MUST_CHECK int
acct_again(struct acme *a, int storefd, const struct acme_options *o,
    const char *fix)
{
	struct buf txt = { 0 };
	char host[256], agreed[URL_MAX] = "", old[URL_MAX];
	int hostfd = -1, rc;

	if ((rc = acct_host(a->server, host, sizeof(host))) < 0)
		return rc;
	if ((rc = hostfd = file_acct_dir(storefd, host, 0)) >= 0)
		rc = file_acct_read(hostfd, &txt);
	if (rc < 0 || (!o->agree_tos && (!file_get(&txt, "agreed", agreed,
	    sizeof(agreed)) || strcmp(agreed, acct_terms(a)) != 0))) {
		rc = rc < 0 ? store_need(rc) : err_set(ACME_ERR_USAGE, "the CA "
		    "forgot account %s, and no consent to its terms (%s) is "
		    "saved: run '%s'", a->kid, acct_terms(a), fix);
		goto out;
	}
	memcpy(old, a->kid, sizeof(old));
	if ((rc = acct_new(a, o, 0)) < 0 ||
	    (rc = file_acct_backup(hostfd, &txt)) < 0 ||
	    (rc = acct_save(a, storefd, host, 1)) < 0)
		goto out;
	log_msg(LOG_LEVEL_ERROR, "the CA forgot account %s: registered its "
	    "key again as %s (old record in accounts/%s/backup)", old, a->kid,
	    host);
out:
	if (hostfd >= 0)
		close(hostfd);
	buf_free(&txt);
	return rc;
}

/* ---- account operations (RFC 8555 7.3.2, 7.3.5, 7.3.6) ---- */

/*
 * The stored account of DIR for this server, which must exist; its URL
 * is looked up by key when account.txt lost it. *hostfd gets the open
 * DIR/accounts/HOST.
 */
static ACME_MUST_CHECK int
acct_open(struct acme *a, int storefd, const struct acme_options *o,
    char *host, size_t cap, int *hostfd)
{
	int rc;

	*hostfd = -1;
	if ((rc = acct_host(a->server, host, cap)) < 0 ||
	    (rc = acct_load(a, storefd, host)) < 0)
		return rc;
	if (rc == 0)
		return err_set(ACME_ERR_USAGE, "no account for %s in %s: "
		    "issue a certificate first (with --agree-tos)", host,
		    o->dir != NULL ? o->dir : "/etc/acme");
	if (a->kid[0] == '\0' && ((rc = acct_new(a, o, 1)) < 0 ||
	    (rc = acct_save(a, storefd, host, o->agree_tos)) < 0))
		return rc;
	*hostfd = file_acct_dir(storefd, host, 0);
	return *hostfd < 0 ? *hostfd : 0;
}

/* POST payload (NULL: POST-as-GET) to the account URL; j: the account. */
static ACME_MUST_CHECK int
acct_post(struct acme *a, const char *payload, struct http_resp *r,
    struct json *j)
{
	int rc;

	if ((rc = req_post_json(a, a->kid, payload, r, j)) < 0)
		return rc;
	if (req_status(j, 0, (const char *const[]){ "valid", "deactivated",
	    "revoked" }, 3, "account") < 0)
		return ACME_ERR_PROTO;
	return 0;
}

/* RFC 8555 7.3.2: show the account as "key: value" lines on stdout. */
static ACME_MUST_CHECK int
acct_show(struct acme *a, const char *host)
{
	struct http_resp r = { 0 };
	struct json *j = malloc(sizeof(*j));
	char tp[THUMBPRINT_LEN + 1], v[512], safe[512];
	int rc, arr, i, n;

	if (j == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = acct_post(a, NULL, &r, j)) < 0 ||
	    (rc = jwk_thumbprint(&a->key, tp, sizeof(tp))) < 0)
		goto out;
	if (json_get_str(j, 0, "status", v, sizeof(v)) < 0)
		v[0] = '\0';
	str_sanitize(safe, sizeof(safe), v, strlen(v));
	printf("account: %s\nserver: %s\nhost: %s\nstatus: %s\n", a->kid,
	    a->server, host, safe);
	arr = json_get(j, 0, "contact");
	n = json_array_len(j, arr);
	for (i = 0; i < n; i++)
		if (json_str(j, json_array_at(j, arr, i), v, sizeof(v)) >= 0) {
			str_sanitize(safe, sizeof(safe), v, strlen(v));
			printf("contact: %s\n", safe);
		}
	printf("key-type: %s\nkey-thumbprint: %s\n",
	    key_types[a->key.type].name, tp);
out:
	http_resp_free(&r);
	free(j);
	return rc;
}

/* RFC 8555 7.3.2: replace the contact list with mailto:EMAIL. */
static ACME_MUST_CHECK int
acct_update(struct acme *a, const struct acme_options *o)
{
	struct buf payload = { .max = 4096 };
	struct http_resp r = { 0 };
	struct json *j = malloc(sizeof(*j));
	char mailto[512];
	struct jw w;
	int rc;

	if (j == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	snprintf(mailto, sizeof(mailto), "mailto:%s", o->email);
	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "contact");
	jw_str(&w, NULL, mailto);
	jw_arr_close(&w);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) == 0)
		rc = acct_post(a, (const char *)payload.data, &r, j);
	http_resp_free(&r);
	buf_free(&payload);
	free(j);
	return rc;
}

/*
 * RFC 8555 7.3.5 keyChange: the inner JWS, signed by the new key with
 * its jwk and no nonce, carries {"account":KID,"oldKey":JWK(old)}; the
 * outer request is signed by the old key.
 */
static ACME_MUST_CHECK int
acct_keychange_body(struct acme *a, const struct key *nk, struct buf *out)
{
	struct buf payload = { .max = 4096 };
	struct jw w;
	int rc;

	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	jw_str(&w, "account", a->kid);
	jwk_write(&w, "oldKey", &a->key);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) == 0)
		rc = jws_build(out, nk, NULL, NULL, a->dir.key_change,
		    (const char *)payload.data, payload.len);
	buf_free(&payload);
	return rc;
}

/*
 * Roll the account key over. The new key is staged as key-rollover.pem
 * (0600, fsynced) before the request, and kept until the outcome is
 * known: a problem answer (4xx) means the CA did not switch, and so does
 * HTTP 501 or 405, a CA without keyChange, whatever its problem type
 * (step-ca 0.19 says rejectedIdentifier); without an answer, or after a
 * server error, the CA is asked which key it has
 * (acct_which_key). Then one rename makes it key.pem, or it is removed;
 * when even that is unknown it stays, and the next run asks again.
 */
static ACME_MUST_CHECK int
acct_rollover(struct acme *a, int hostfd, enum key_type kt)
{
	struct buf inner = { .max = BODY_MAX };
	struct http_resp r = { 0 };
	char why[ERR_MSG_MAX];
	struct key nk;
	int rc, rc2, applied = 1;

	memset(&nk, 0, sizeof(nk));
	if (a->dir.key_change[0] == '\0') {
		rc = err_set(ACME_ERR_PROTO, "%s: no keyChange in the "
		    "directory", a->server);
		goto out;
	}
	if ((rc = key_generate(&nk, kt)) < 0 ||
	    (rc = acct_keychange_body(a, &nk, &inner)) < 0 ||
	    (rc = file_acct_rollover_write(hostfd, &nk)) < 0)
		goto out;
	if ((rc = req_post(a, a->dir.key_change, (const char *)inner.data,
	    NULL, &r)) < 0) {
		snprintf(why, sizeof(why), "%s", err_msg);
		err_clear();
		if ((applied = r.status == 501 || r.status == 405) != 0)
			snprintf(why, sizeof(why), "%s: this CA does not "
			    "support account key rollover (HTTP %ld); the key is "
			    "unchanged", a->server, r.status);
		applied = applied || (r.status >= 400 && r.status < 500 &&
		    a->problem[0] != '\0') ? 0 : acct_which_key(a, &nk);
		if (applied < 0) {
			err_clear();
			rc = err_set(rc, "%s; the outcome is unknown: the new "
			    "key stays in %s and the next run asks the CA "
			    "again", why, FILE_ACCT_ROLLOVER);
			goto out;
		}
		log_msg(LOG_LEVEL_INFO, "keyChange: %s; the CA has the %s "
		    "key", why, applied ? "new" : "old");
	}
	if ((rc2 = file_acct_rollover_settle(hostfd, applied)) < 0)
		rc = rc2;
	else
		rc = applied ? 0 : err_set(rc, "%s", why);
out:
	key_free(&nk);
	http_resp_free(&r);
	buf_free(&inner);
	return rc;
}

/*
 * RFC 8555 7.3.6: deactivate the account, then move DIR/accounts/HOST
 * aside (HOST@deactivated-UNIXTIME: '@' is never in a HOST) so the next
 * issue starts a new account instead of failing with this one. The CA
 * answers a deactivated account's key with unauthorized (7.3.6): a run
 * killed between the two steps is finished by running it again.
 */
static ACME_MUST_CHECK int
acct_deactivate(struct acme *a, int storefd, const char *host)
{
	struct http_resp r = { 0 };
	struct json *j = malloc(sizeof(*j));
	char aside[300];
	int accfd = -1, rc;

	if (j == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = acct_post(a, "{\"status\":\"deactivated\"}", &r, j)) < 0 &&
	    strcmp(a->problem, ACME_ERR_NS "unauthorized") != 0)
		goto out;
	if (rc < 0) {
		log_msg(LOG_LEVEL_ERROR, "%s; it was deactivated already",
		    err_msg);
		err_clear();
	}
	snprintf(aside, sizeof(aside), "%s@deactivated-%lld", host,
	    (long long)clock_now());
	if ((accfd = rc = store_subdir(storefd, "accounts", 0)) < 0 ||
	    (rc = store_rename(accfd, host, accfd, aside)) < 0)
		err_wrap(rc, "the account is deactivated but accounts/%s was "
		    "not moved aside (remove it by hand)", host);
out:
	if (accfd >= 0)
		close(accfd);
	http_resp_free(&r);
	free(j);
	return rc;
}

/* ---- revocation (RFC 8555 7.6) ---- */

/* RFC 5280 5.3.1 CRLReason, by name; 7 is not used. */
static const char *const revoke_reasons[] = {
	"unspecified", "keyCompromise", "cACompromise", "affiliationChanged",
	"superseded", "cessationOfOperation", "certificateHold", NULL,
	"removeFromCRL", "privilegeWithdrawn", "aACompromise",
};

#define REVOKE_REASON_MAX \
	((int)(sizeof(revoke_reasons) / sizeof(revoke_reasons[0])))

/* A reason name (any case) or number: its code, or NONE. */
static ACME_MUST_CHECK int
flow_revoke_reason(const char *s)
{
	char *end;
	long v;
	int i;

	for (i = 0; i < REVOKE_REASON_MAX; i++)
		if (revoke_reasons[i] != NULL &&
		    strcasecmp(s, revoke_reasons[i]) == 0)
			return i;
	v = strtol(s, &end, 10);
	if (end == s || *end != '\0' || v < 0 || v >= REVOKE_REASON_MAX ||
	    revoke_reasons[v] == NULL)
		return NONE;
	return (int)v;
}

/*
 * POST revokeCert {"certificate":base64url(DER),"reason":N} signed by
 * a->key: the account's (a->kid set) or the certificate's (a->kid "",
 * so the JWS carries its jwk). reason < 0 sends none.
 */
static ACME_MUST_CHECK int
flow_revoke_cert(struct acme *a, const unsigned char *der, size_t len,
    int reason)
{
	struct buf payload = { .max = BODY_MAX };
	struct http_resp r = { 0 };
	struct jw w;
	char *b64;
	int rc;

	if (a->dir.revoke_cert[0] == '\0')
		return err_set(ACME_ERR_PROTO, "%s: no revokeCert in the "
		    "directory", a->server);
	if ((b64 = b64u_encode_alloc(der, len)) == NULL)
		return ACME_ERR_NOMEM;
	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	jw_str(&w, "certificate", b64);
	if (reason >= 0)
		jw_int(&w, "reason", reason);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) == 0)
		rc = req_post(a, a->dir.revoke_cert, (const char *)payload.data,
		    NULL, &r);
	free(b64);
	buf_free(&payload);
	http_resp_free(&r);
	return rc;
}

/* ---- resuming an order: conf/NAME.order ---- */

/*
 * The order record (section 12, conf/NAME.order) is written before
 * finalize, so that a run that dies or loses the answer after that
 * leaves the certificate the CA may already have issued to the next run
 * for NAME, which goes on with the order (ST_RESUME) instead of starting
 * over. Removed once the set is installed, or when unusable.
 */

/* What a record of is must say (its server, identifiers, key type). */
static void
order_rec(const struct issue *is, struct file_order *r)
{
	memset(r, 0, sizeof(*r));
	r->server = is->a->server;
	r->ids = is->ids;
	r->nids = is->nids;
	r->key_type = key_types[is->key_type].name;
}

/* Write conf/NAME.order for is (once per order). */
static ACME_MUST_CHECK int
order_record(struct issue *is)
{
	struct file_order r;
	int rc;

	if (is->storefd < 0 || is->recorded)
		return 0;
	order_rec(is, &r);
	r.order = is->order_url;
	r.key = &is->cert_key;
	rc = file_order_write(is->storefd, is->name, &r);
	is->recorded = rc == 0;
	return rc;
}

/* Remove conf/NAME.order when there is one (a failure is logged); the
 * recorded error stays. */
static void
order_forget(struct issue *is)
{
	char saved[ERR_MSG_MAX];
	int rc;

	is->recorded = 0;
	if (is->storefd < 0)
		return;
	memcpy(saved, err_msg, sizeof(saved));
	err_clear();
	/* a record left behind is only tried again, and dropped, next run */
	if ((rc = file_order_remove(is->storefd, is->name)) < 0)
		log_msg(LOG_LEVEL_ERROR, "conf/%s.order: %s", is->name,
		    err_msg);
	memcpy(err_msg, saved, sizeof(err_msg));
}

/* The order URL of record text t when it is for is, else "". */
static void
order_match(const struct issue *is, const char *t, char *url)
{
	struct file_order want;

	order_rec(is, &want);
	file_order_match(t, &want, url);
	if (url[0] != '\0' && !req_url_ok(url))
		url[0] = '\0';
}

/* 1 when keys a and b are the same key. */
static ACME_MUST_CHECK int
order_same_key(const struct key *a, const struct key *b)
{
	struct buf pa = { .max = PEM_MAX }, pb = { .max = PEM_MAX };
	int same;

	same = key_to_pem(a, &pa) == 0 && key_to_pem(b, &pb) == 0 &&
	    pa.len == pb.len && memcmp(pa.data, pb.data, pa.len) == 0;
	buf_free(&pa);
	buf_free(&pb);
	return same;
}

/*
 * The key of record text t, for is: into is->cert_key, or, when a key
 * was given (--reuse-key, --csr-key), only checked to be that key.
 * 0 when it fits.
 */
static ACME_MUST_CHECK int
order_key(struct issue *is, const char *t, size_t len)
{
	struct key k;
	int rc;

	if (!is->key_given) {
		if ((rc = file_order_key(t, len, &is->cert_key)) == 0 &&
		    is->cert_key.type != is->key_type)
			rc = ACME_ERR_CRYPTO;
		if (rc < 0)
			key_free(&is->cert_key);
		return rc;
	}
	memset(&k, 0, sizeof(k));
	rc = file_order_key(t, len, &k) == 0 && order_same_key(&k,
	    &is->cert_key) ? 0 : ACME_ERR_CRYPTO;
	key_free(&k);
	return rc;
}

/*
 * Go on with the order an earlier run recorded for NAME when it matches
 * (same server, identifiers and key): is starts at ST_RESUME. Any other
 * record is removed.
 */
static ACME_MUST_CHECK int
order_load(struct issue *is)
{
	struct buf b = { 0 };
	char url[URL_MAX] = "";
	int rc;

	if ((rc = file_order_read(is->storefd, is->name, &b)) < 0 &&
	    rc != STORE_ABSENT) {
		log_msg(LOG_LEVEL_INFO, "%s: not used", err_msg);
		err_clear();	/* logged: the order starts anew */
	}
	if (rc == 0) {
		order_match(is, (char *)b.data, url);
		err_hush();
		if (url[0] != '\0' && order_key(is, (char *)b.data, b.len) < 0)
			url[0] = '\0';
		err_unhush();
		if (url[0] == '\0')
			order_forget(is);
	}
	buf_free(&b);
	if (url[0] == '\0')
		return 0;
	log_msg(LOG_LEVEL_INFO, "%s: going on with the order an earlier run "
	    "left (conf/%s.order)", is->name, is->name);
	memcpy(is->order_url, url, sizeof(is->order_url));
	is->resumed = is->recorded = 1;
	return 0;
}

/* 1 when the first certificate of the download is live/NAME/cert.pem
 * (the run that recorded the order installed it, then died). */
static ACME_MUST_CHECK int
order_cert_live(const struct issue *is)
{
	struct pem_obj got[CHAIN_MAX], live[1];
	struct buf b = { 0 };
	size_t ng = 0, nl = 0;
	int livefd, setfd = -1, same = 0;

	err_hush();
	if ((livefd = store_subdir(is->storefd, "live", 0)) >= 0) {
		setfd = store_subdir(livefd, is->name, 0);
		close(livefd);
	}
	if (setfd >= 0 && store_read(setfd, "cert.pem", &b, PEM_MAX) == 0 &&
	    pem_decode((char *)b.data, b.len, live, 1, &nl) == 0 &&
	    pem_decode((char *)is->chain_pem.data, is->chain_pem.len, got,
	    CHAIN_MAX, &ng) == 0 && nl == 1 && ng > 0)
		same = got[0].len == live[0].len && memcmp(got[0].der,
		    live[0].der, got[0].len) == 0;
	if (setfd >= 0)
		close(setfd);
	err_unhush();
	pem_objs_free(got, ng);
	pem_objs_free(live, nl);
	buf_free(&b);
	return same;
}

/* ---- order state machine (RFC 8555 7.4) ---- */

static ACME_MUST_CHECK int
order_parse(struct issue *is, const char *what)
{
	int st, arr, i, n;

	if ((st = req_status(is->j, 0, order_status_names, ORDER_STATUS_MAX,
	    what)) < 0)
		return st;
	if (st == ORDER_INVALID && json_get(is->j, 0, "error") >= 0)
		return req_problem_json("order is invalid", 0, is->j,
		    json_get(is->j, 0, "error"), NULL, 0);
	if (st == ORDER_INVALID)
		return err_set(ACME_ERR_SERVER, "%s: order is invalid", what);
	if (req_get_url(is->j, 0, "finalize", is->finalize, what, 1) < 0 ||
	    req_get_url(is->j, 0, "certificate", is->cert_url, what,
	    st == ORDER_VALID) < 0)
		return ACME_ERR_PROTO;
	if (is->nauthz > 0)
		return st;
	arr = json_get(is->j, 0, "authorizations");
	if ((n = json_array_len(is->j, arr)) < 0 || (size_t)n > IDENT_MAX)
		return err_set(ACME_ERR_PROTO, "%s: bad authorizations", what);
	for (i = 0; i < n; i++) {
		if ((is->authz[i] = json_strdup(is->j,
		    json_array_at(is->j, arr, i))) == NULL ||
		    !req_url_ok(is->authz[i]))
			return err_set(ACME_ERR_PROTO, "%s: bad authorization "
			    "URL", what);
		is->nauthz++;
	}
	return st;
}

/* The state that follows order status st (of the answer in is->r); a
 * wait begins its poll schedule there. */
static ACME_MUST_CHECK int
order_next(struct issue *is, int st)
{
	static const int next[ORDER_STATUS_MAX] = {
		[ORDER_PENDING] = ST_AUTHORIZE, [ORDER_READY] = ST_FINALIZE,
		[ORDER_PROCESSING] = ST_POLL_ORDER,
		[ORDER_VALID] = ST_DOWNLOAD, [ORDER_INVALID] = -1,
	};

	if (st < 0)
		return st;
	if (next[st] == ST_POLL_ORDER)
		req_poll_begin(&is->poll, is->r, is->deadline);
	return next[st];
}

/*
 * RFC 9773 5: a newOrder carrying "replaces" was refused. Any refusal but
 * badNonce and rateLimited gets one more order without it, so that
 * "replaces" never blocks a renewal: alreadyReplaced (an older set
 * restored), and a CA that refuses the certID (Pebble 2.10's HTTP 500
 * for some serials, Let's Encrypt's 404 malformed for another CA's
 * certificate). 1 when that is the way on.
 */
static ACME_MUST_CHECK int
order_unreplace(struct issue *is)
{
	const char *p = is->a->problem;

	if (is->replaces[0] == '\0' || is->r->status < 400 ||
	    is->r->status == 429 || strcmp(p, ACME_ERR_NS "badNonce") == 0 ||
	    strcmp(p, ACME_ERR_NS "rateLimited") == 0)
		return 0;
	log_msg(LOG_LEVEL_ERROR, "%s: the CA refused \"replaces\": %s; "
	    "ordering again without it", is->name, err_msg);
	err_clear();
	is->replaces[0] = '\0';
	return 1;
}

/*
 * newOrder answered accountDoesNotExist (rc): register the account
 * again (acct_again), once per run, naming the command that gives the
 * consent for this one. ST_NEW_ORDER, or the error.
 */
static ACME_MUST_CHECK int
order_account_again(struct issue *is, int rc)
{
	const struct acme_options *o = is->o;
	char fix[PATH_LEN_MAX + NAME_LEN_MAX + 64] = "this issue with "
	    "--agree-tos";

	if (o == NULL || is->storefd < 0 || is->a->again++ > 0)
		return rc;
	err_clear();
	if (is->renew)
		snprintf(fix, sizeof(fix), "acme%s%s --agree-tos renew%s %s",
		    o->dir ? " --dir " : "", o->dir ? o->dir : "", o->force ?
		    " --force" : "", is->name);
	if ((rc = acct_again(is->a, is->storefd, o, fix)) < 0)
		return rc;
	return ST_NEW_ORDER;
}

static ACME_MUST_CHECK int
st_new_order(struct issue *is)
{
	struct buf payload = { .max = 64 * 1024 };
	struct jw w;
	size_t i;
	int rc;

	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "identifiers");
	for (i = 0; i < is->nids; i++) {
		jw_obj_open(&w, NULL);
		jw_str(&w, "type", ident_type_names[is->ids[i].type]);
		jw_str(&w, "value", is->ids[i].value);
		jw_obj_close(&w);
	}
	jw_arr_close(&w);
	/* RFC 9773 5: only to a server that offers renewalInfo. */
	if (is->replaces[0] != '\0' && is->a->dir.renewal_info[0] != '\0')
		jw_str(&w, "replaces", is->replaces);
	if (is->o != NULL && is->o->profile != NULL)
		jw_str(&w, "profile", is->o->profile);	/* acme-profiles */
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) == 0)
		rc = req_post_json(is->a, is->a->dir.new_order,
		    (const char *)payload.data, is->r, is->j);
	buf_free(&payload);
	if (rc < 0 && strcmp(is->a->problem, ACME_ERR_NS
	    "accountDoesNotExist") == 0)
		return order_account_again(is, rc);
	if (rc < 0 && order_unreplace(is))
		return ST_NEW_ORDER;
	if (rc < 0)
		return rc;
	if (is->r->status != 201 || !req_url_ok(is->r->location))
		return err_set(ACME_ERR_PROTO, "newOrder: HTTP %ld without an "
		    "order URL", is->r->status);
	memcpy(is->order_url, is->r->location, URL_MAX);
	if ((rc = order_parse(is, "newOrder")) < 0)
		return rc;
	if ((size_t)is->nauthz != is->nids && rc == ORDER_PENDING)
		return err_set(ACME_ERR_PROTO, "newOrder: %zu authorizations "
		    "for %zu identifiers", is->nauthz, is->nids);
	return order_next(is, rc);
}

/* Drop the order (its record too) and start a new one, once. */
static ACME_MUST_CHECK int
flow_restart(struct issue *is)
{
	size_t k;

	order_forget(is);
	for (k = 0; k < is->nauthz; k++) {
		free(is->authz[k]);
		free(is->chal_url[k]);
		is->authz[k] = is->chal_url[k] = NULL;
		is->authz_done[k] = 0;
	}
	is->nauthz = 0;
	is->order_url[0] = is->finalize[0] = is->cert_url[0] = '\0';
	buf_free(&is->chain_pem);
	if (!is->key_given)
		key_free(&is->cert_key);
	is->resumed = is->finalizing = is->lost = 0;
	if (is->restarts++ > 0)
		return err_set(ACME_ERR_PROTO, "%s: order does not progress",
		    is->name);
	return ST_NEW_ORDER;
}

/* RFC 8555 7.1.3: the order an earlier run recorded, from its status on;
 * one that is gone or failed gives way to a new order. */
static ACME_MUST_CHECK int
st_resume(struct issue *is)
{
	int rc;

	if ((rc = req_fetch_json(is->a, is->order_url, is->deadline, is->r,
	    is->j)) < 0 || (rc = order_parse(is, "order")) < 0) {
		if (is->a->http.transient)
			return rc;	/* the record waits for a later run */
		log_msg(LOG_LEVEL_INFO, "%s: %s; starting a new order",
		    is->name, err_msg);
		err_clear();
		return flow_restart(is);
	}
	return order_next(is, rc);
}

/*
 * The authorization's identifier (RFC 8555 7.1.4) among those we asked
 * for; a wildcard comes back as the base name with "wildcard": true. out
 * gets our identifier without "*."; 0, or NONE when we did not ask for
 * it (value, IDENT_LEN_MAX + 1 bytes, then holds the CA's).
 */
static ACME_MUST_CHECK int
authz_match(struct issue *is, struct ident *out, int *wild, char *value)
{
	char type[8];
	int id = json_get(is->j, 0, "identifier");
	const struct ident *m;
	size_t i;

	/* a member missing or bad is "", which matches no identifier */
	ACME_IGNORE(json_get_str(is->j, id, "type", type, sizeof(type)));
	ACME_IGNORE(json_get_str(is->j, id, "value", value, IDENT_LEN_MAX +
	    1));
	*wild = json_bool(is->j, json_get(is->j, 0, "wildcard")) == 1;
	for (i = 0; i < is->nids; i++) {
		m = &is->ids[i];
		if (strcmp(ident_type_names[m->type], type) != 0 ||
		    ident_is_wildcard(m) != *wild ||
		    strcmp(m->value + (*wild ? 2 : 0), value) != 0)
			continue;
		*out = *m;
		if (*wild)
			memmove(out->value, out->value + 2, strlen(value) + 1);
		return 0;
	}
	return NONE;
}

/* authz_match(), an identifier we did not ask for an error. */
static ACME_MUST_CHECK int
authz_ident(struct issue *is, struct ident *out, int *wild)
{
	char value[IDENT_LEN_MAX + 1], safe[IDENT_LEN_MAX + 1];

	if (authz_match(is, out, wild, value) == 0)
		return 0;
	str_sanitize(safe, sizeof(safe), value, strlen(value));
	return err_set(ACME_ERR_PROTO, "an authorization for '%s', which we "
	    "did not ask for", safe);
}

/* The challenge object of type t in authorization j, or NONE. */
static ACME_MUST_CHECK int
authz_offer(const struct json *j, enum chal_type t)
{
	int arr = json_get(j, 0, "challenges"), i, n, c;

	n = json_array_len(j, arr);
	for (i = 0; i < n; i++) {
		c = json_array_at(j, arr, i);
		if (json_eq(j, json_get(j, c, "type"), chal_type_names[t]))
			return c;
	}
	return NONE;
}

/*
 * The issuer domain names of the dns-persist-01 challenge the CA offers
 * for the DNS name name (draft 3.1), from the first authorization of a
 * new order for it alone; the order is left pending, to expire. Returns
 * how many, or an error.
 */
static ACME_MUST_CHECK int
order_persist_issuers(struct acme *a, const char *name,
    char (*out)[IDENT_LEN_MAX + 1])
{
	struct buf payload = { .max = 4096 };
	struct http_resp r = { 0 };
	struct json *j = malloc(sizeof(*j));
	char url[URL_MAX];
	struct jw w;
	int rc, c;

	if (j == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	jw_init(&w, &payload);
	jw_obj_open(&w, NULL);
	jw_arr_open(&w, "identifiers");
	jw_obj_open(&w, NULL);
	jw_str(&w, "type", "dns");
	jw_str(&w, "value", name);
	jw_obj_close(&w);
	jw_arr_close(&w);
	jw_obj_close(&w);
	if ((rc = jw_finish(&w)) < 0 || (rc = req_post_json(a,
	    a->dir.new_order, (const char *)payload.data, &r, j)) < 0)
		goto out;
	if (json_str(j, json_array_at(j, json_get(j, 0, "authorizations"), 0),
	    url, sizeof(url)) < 0 || !req_url_ok(url)) {
		rc = err_set(ACME_ERR_PROTO, "newOrder: no authorization URL");
		goto out;
	}
	if ((rc = req_post_json(a, url, NULL, &r, j)) < 0)
		goto out;
	if ((c = authz_offer(j, CHAL_DNSPERSIST01)) < 0)
		rc = err_set(ACME_ERR_CHALLENGE, "%s: the CA does not offer "
		    "dns-persist-01 (and its directory names no caaIdentities)",
		    name);
	else
		rc = chal_persist_issuers(j, c, out);
out:
	http_resp_free(&r);
	buf_free(&payload);
	free(j);
	return rc;
}

/*
 * Another answer for the same name is still open, in this order's round
 * or in an order of the batch still answering challenges: a hook may
 * keep one TXT record per name (uacme answers one at a time), so wait.
 */
static ACME_MUST_CHECK int
authz_busy(const struct issue *is, const struct ident *id)
{
	const struct chal_ctx *c;
	size_t i, k;

	for (k = 0; k < is->b->n; k++) {
		if (is->b->is[k]->state > ST_POLL_AUTHZ && is->b->is[k] != is)
			continue;
		c = &is->b->is[k]->chal;
		for (i = c->round; i < c->nanswers; i++)
			if (!c->answers[i].valid &&
			    strcmp(c->answers[i].id.value, id->value) == 0)
				return 1;
	}
	return 0;
}

/* Try way w for authorization k with challenge object c: 0 taken,
 * 1 the hook declined, < 0 error. */
static ACME_MUST_CHECK int
authz_take(struct issue *is, size_t k, const struct ident *id, int c,
    const struct chal_cand *w)
{
	struct chal_answer *a = &is->chal.answers[is->chal.nanswers];
	int rc;

	if (is->chal.nanswers == IDENT_MAX)
		return err_set(ACME_ERR_LIMIT, "%s: more than %d challenge "
		    "answers", is->name, IDENT_MAX);
	memset(a, 0, sizeof(*a));
	a->type = w->type;
	a->how = w->how;
	a->id = *id;
	if (w->type != CHAL_DNSPERSIST01 && (json_get_str(is->j, c, "token",
	    a->token, sizeof(a->token)) < 0 || !b64u_is_token(a->token)))
		return err_set(ACME_ERR_PROTO, "%s: bad challenge token",
		    id->value);
	free(is->chal_url[k]);
	if ((is->chal_url[k] = json_strdup(is->j, json_get(is->j, c,
	    "url"))) == NULL || !req_url_ok(is->chal_url[k]))
		return err_set(ACME_ERR_PROTO, "%s: bad challenge URL",
		    id->value);
	/* dns-persist-01 has no token: the record names the account */
	if ((rc = w->type == CHAL_DNSPERSIST01 ? chal_persist_check(is->j,
	    c) : chal_answer_keys(a, &is->a->key)) < 0)
		return rc;
	if (w->how == CHAL_BY_HOOK && (rc = chal_hook_begin(&is->chal, a))
	    != 0) {
		if (a->begun)		/* 'failed' is owed */
			is->chal.nanswers++;
		free(is->chal_url[k]);
		is->chal_url[k] = NULL;
		return rc;
	}
	is->ans_of[k] = is->chal.nanswers++;
	log_msg(LOG_LEVEL_INFO, "%s: answering %s %s", id->value,
	    chal_type_names[w->type], chal_how_names[w->how]);
	return 0;
}

/* The first way that fits authorization k and its offers. */
static ACME_MUST_CHECK int
authz_choose(struct issue *is, size_t k, const struct ident *id, int wild)
{
	struct chal_cand w[CHAL_CANDS_MAX];
	size_t n = chal_candidates(&is->chal, w), i;
	char offers[64] = "";
	int c, rc;

	for (i = 0; i < n; i++) {
		if (!chal_fits(w[i].type, id, wild) ||
		    (c = authz_offer(is->j, w[i].type)) < 0)
			continue;
		if ((rc = authz_take(is, k, id, c, &w[i])) == 0) {
			is->wild[k] = wild;
			is->told[k] = 0;
		}
		if (rc <= 0)
			return rc;
	}
	for (i = 0; i < CHAL_TYPE_MAX; i++)
		if (authz_offer(is->j, (enum chal_type)i) >= 0)
			snprintf(offers + strlen(offers), sizeof(offers) -
			    strlen(offers), " %s", chal_type_names[i]);
	if (is->chal.want == CHAL_DNSPERSIST01)
		return err_set(ACME_ERR_CHALLENGE, "%s%s: the CA does not offer "
		    "dns-persist-01 (it offers%s)", wild ? "*." : "", id->value,
		    offers[0] ? offers : " none");
	return err_set(ACME_ERR_CHALLENGE, "%s%s: no challenge we can answer "
	    "(the server offers%s%s)", wild ? "*." : "", id->value,
	    offers[0] ? offers : " none", is->chal.hook[0] ? "; the hook "
	    "declined" : "");
}

/* Fetch authorization k; choose its challenge when it is pending. */
static ACME_MUST_CHECK int
authz_fetch(struct issue *is, size_t k)
{
	struct ident id;
	int rc, wild;

	if ((rc = req_fetch_json(is->a, is->authz[k], is->deadline, is->r,
	    is->j)) < 0 ||
	    (rc = authz_ident(is, &id, &wild)) < 0 ||
	    (rc = req_status(is->j, 0, authz_status_names, AUTHZ_STATUS_MAX,
	    id.value)) < 0)
		return rc;
	if (rc == AUTHZ_VALID) {
		is->authz_done[k] = 1;
		return 0;
	}
	if (rc != AUTHZ_PENDING)
		return err_set(ACME_ERR_SERVER, "authorization for %s%s is %s",
		    wild ? "*." : "", id.value, authz_status_names[rc]);
	if (authz_busy(is, &id))
		return 0;		/* the next round */
	return authz_choose(is, k, &id, wild);
}

/* Authorization k is valid: its answer is done (the hook hears so). */
static void
authz_settle(struct issue *is, size_t k)
{
	struct chal_answer *a = &is->chal.answers[is->ans_of[k]];

	a->valid = 1;
	chal_hook_end(&is->chal, a);
	is->authz_done[k] = 1;
	free(is->chal_url[k]);
	is->chal_url[k] = NULL;
}

/* The first authorization whose challenge is still being validated, or
 * nauthz. */
static size_t
authz_pending(const struct issue *is)
{
	size_t k;

	for (k = 0; k < is->nauthz; k++)
		if (is->chal_url[k] != NULL && !is->authz_done[k])
			break;
	return k;
}

/* After a round's answers: poll the pending, else finalize when every
 * authorization is valid (the challenges end), else the next round. */
static ACME_MUST_CHECK int
authz_next(struct issue *is)
{
	size_t k;

	if (authz_pending(is) < is->nauthz)
		return ST_POLL_AUTHZ;
	for (k = 0; k < is->nauthz; k++)
		if (!is->authz_done[k])
			return ST_AUTHORIZE;
	chal_cleanup(&is->chal);
	return ST_FINALIZE;
}

/*
 * One round: choose a challenge for every pending authorization (at
 * most one per name, see authz_busy) and begin the hook's; the batch
 * then places them (ST_SETUP). An order whose authorizations are all
 * valid goes on to finalize.
 */
static ACME_MUST_CHECK int
st_authorize(struct issue *is)
{
	size_t k;
	int rc;

	if (++is->rounds > ORDERS_IDENTS_MAX + 1)
		return err_set(ACME_ERR_PROTO, "%s: order does not progress",
		    is->name);
	is->chal.round = is->chal.nanswers;
	for (k = 0; k < is->nauthz; k++)
		if (!is->authz_done[k] && (rc = authz_fetch(is, k)) < 0)
			return rc;
	for (k = 0; k < is->nauthz && is->authz_done[k]; k++)
		;
	return k < is->nauthz ? ST_SETUP : authz_next(is);
}

/* RFC 8555 7.1.6 challenge status values. */
enum chal_status {
	CHST_PENDING, CHST_PROCESSING, CHST_VALID, CHST_INVALID, CHST_MAX
};
static const char *const chal_status_names[CHST_MAX] = {
	[CHST_PENDING] = "pending", [CHST_PROCESSING] = "processing",
	[CHST_VALID] = "valid", [CHST_INVALID] = "invalid",
};

/*
 * Append " (the CA tried URL)" to what: the url of the challenge's first
 * validationRecord (RFC 8555 8.3 via Boulder), else, for http-01, the URL
 * RFC 8555 8.3 makes of the identifier and token.
 */
static void
authz_tried(const struct json *j, int c, const char *ident, char *what,
    size_t cap)
{
	char url[URL_MAX] = "", token[TOKEN_MAX + 1], safe[URL_MAX];
	int rec = json_array_at(j, json_get(j, c, "validationRecord"), 0);
	size_t n = strlen(what);

	if (rec < 0 || json_get_str(j, rec, "url", url, sizeof(url)) < 0)
		url[0] = '\0';
	if (url[0] == '\0' && json_eq(j, json_get(j, c, "type"), "http-01") &&
	    json_get_str(j, c, "token", token, sizeof(token)) >= 0 &&
	    b64u_is_token(token))
		snprintf(url, sizeof(url), "http://%s/.well-known/"
		    "acme-challenge/%s", ident, token);
	if (url[0] == '\0')
		return;
	str_sanitize(safe, sizeof(safe), url, strlen(url));
	snprintf(what + n, cap - n, " (the CA tried %s)", safe);
}

/*
 * A failed dns-persist-01 challenge c: the error line ends with the
 * record the CA expected (its first issuer domain name, our account),
 * ready to paste, in place of the generic hint; a wildcard says it needs
 * policy=wildcard. Nothing changes when the record cannot be made.
 */
static void
authz_persist_hint(struct issue *is, int c, const struct ident *id, int wild)
{
	char names[PERSIST_ISSUERS_MAX][IDENT_LEN_MAX + 1], t[128];
	char saved[ERR_MSG_MAX], tail[IDENT_LEN_MAX + 64], *cut;
	struct buf rec = { .max = ERR_MSG_MAX };
	const char *hint;
	int room;

	/* on failure err_msg stays as it is: the first error wins */
	if (chal_persist_issuers(is->j, c, names) < 0 ||
	    chal_persist_record(&rec, id->value, names[0], is->a->kid, wild,
	    0) < 0)
		goto out;
	memcpy(saved, err_msg, sizeof(saved));
	if (json_get_str(is->j, json_get(is->j, c, "error"), "type", t,
	    sizeof(t)) >= 0 && (hint = req_hint(t)) != NULL &&
	    (cut = strstr(saved, hint)) != NULL && cut - saved >= 4 &&
	    memcmp(cut - 4, " -- ", 4) == 0)
		cut[-4] = '\0';
	snprintf(tail, sizeof(tail), " -- %s%s%s: ", wild ? "*." : "",
	    wild ? id->value : "", wild ? " needs policy=wildcard; publish "
	    "once" : "publish once");
	room = ERR_MSG_MAX - 1 - (int)(strlen(tail) + rec.len);
	snprintf(err_msg, sizeof(err_msg), "%.*s%s%s", room > 0 ? room : 0,
	    saved, tail, (const char *)rec.data);
out:
	buf_free(&rec);
}

/*
 * The error of failed challenge object c of is->j (-1: none says why),
 * for identifier id (wild: its wildcard): "ID: how (the CA tried URL):
 * the CA's words -- hint"; a dns-persist-01 one ends with the record the
 * CA expected (authz_persist_hint).
 */
static ACME_MUST_CHECK int
flow_chal_failure(struct issue *is, int c, const struct ident *id, int wild,
    const char *how)
{
	char what[IDENT_LEN_MAX + URL_MAX];
	int e = json_get(is->j, c, "error");
	size_t n;

	str_sanitize(what, sizeof(what), id->value, strlen(id->value));
	n = strlen(what);
	snprintf(what + n, sizeof(what) - n, ": %s", how);
	if (e < 0)
		return err_set(ACME_ERR_CHALLENGE, "%s", what);
	authz_tried(is->j, c, id->value, what, sizeof(what));
	/* it records the CA's words; the code of the failure is ours */
	ACME_IGNORE(req_problem_json(what, 0, is->j, e, NULL, 0));
	if (json_eq(is->j, json_get(is->j, c, "type"),
	    chal_type_names[CHAL_DNSPERSIST01]))
		authz_persist_hint(is, c, id, wild);
	return ACME_ERR_CHALLENGE;
}

/* The error of the failed challenge in authorization object is->j. */
static ACME_MUST_CHECK int
authz_failure(struct issue *is)
{
	char value[IDENT_LEN_MAX + 1];
	struct ident id;
	int arr = json_get(is->j, 0, "challenges"), i, n, c, wild;

	memset(&id, 0, sizeof(id));
	if (authz_match(is, &id, &wild, value) < 0) {
		snprintf(id.value, sizeof(id.value), "?");
		wild = 0;
	}
	n = json_array_len(is->j, arr);
	for (i = 0; i < n; i++) {
		c = json_array_at(is->j, arr, i);
		if (json_get(is->j, c, "error") >= 0)
			return flow_chal_failure(is, c, &id, wild,
			    "challenge failed");
	}
	return flow_chal_failure(is, -1, &id, wild, "challenge failed");
}

/*
 * Challenge object c of is->j, the answer of authorization k, carries
 * an error the CA has not failed it for: its words are printed once, at
 * normal verbosity. 1 when the challenge is still pending with it (a CA
 * that tries again says processing, RFC 8555 8.2; step-ca never does).
 */
static ACME_MUST_CHECK int
authz_told(struct issue *is, size_t k, int c)
{
	struct chal_answer *an = &is->chal.answers[is->ans_of[k]];
	int pending;

	if (json_get(is->j, c, "error") < 0)
		return 0;
	pending = json_eq(is->j, json_get(is->j, c, "status"), "pending");
	if (!is->told[k]) {
		ACME_IGNORE(flow_chal_failure(is, c, &an->id, is->wild[k],
		    "the CA's error, challenge still open"));
		log_msg(LOG_LEVEL_ERROR, "%s", err_msg);
		err_clear();
		is->told[k] = 1;
	}
	return pending;
}

/*
 * Pending authorization k of is->j: its challenge's error is told
 * (authz_told); *stuck is set when the CA leaves it pending with one.
 * POLL_STUCK seconds after such an error, with no progress since, the
 * order fails with the CA's words.
 */
static ACME_MUST_CHECK int
authz_stuck(struct issue *is, size_t k, int *stuck)
{
	struct chal_answer *an = &is->chal.answers[is->ans_of[k]];
	int c = authz_offer(is->j, an->type);

	if (c < 0 || !authz_told(is, k, c))
		return 0;
	*stuck = 1;
	if (!req_poll_stuck(&is->poll, 1))
		return 0;
	return flow_chal_failure(is, c, &an->id, is->wild[k],
	    "challenge failed: no progress " ACME_STR(POLL_STUCK) " s after "
	    "the CA's error");
}

/*
 * RFC 8555 7.5.1: tell the server each challenge is ready. An answer
 * that already says valid settles its authorization (never polled), one
 * that says invalid fails the order.
 */
static ACME_MUST_CHECK int
st_challenge(struct issue *is)
{
	size_t k;
	int rc, stuck = 0;

	is->deadline = clock_mono_ms() + POLL_DEADLINE * 1000;
	for (k = 0; k < is->nauthz; k++) {
		if (is->chal_url[k] == NULL || is->authz_done[k])
			continue;
		if ((rc = req_post_json(is->a, is->chal_url[k], "{}", is->r,
		    is->j)) < 0 || (rc = req_status(is->j, 0,
		    chal_status_names, CHST_MAX, "challenge")) < 0)
			return rc;
		if (rc == CHST_INVALID)
			return flow_chal_failure(is, 0,
			    &is->chal.answers[is->ans_of[k]].id,
			    is->wild[k], "challenge failed");
		if (rc == CHST_VALID)
			authz_settle(is, k);
		else
			stuck |= authz_told(is, k, 0);
	}
	req_poll_begin(&is->poll, is->r, is->deadline);
	ACME_IGNORE(req_poll_stuck(&is->poll, stuck));	/* the clock starts */
	return authz_next(is);
}

/*
 * Poll every authorization still being validated, all in one go. One
 * whose challenge the CA leaves pending with an error fails the order
 * POLL_STUCK seconds after that error, unless another made progress.
 */
static ACME_MUST_CHECK int
st_poll_authz(struct issue *is)
{
	size_t k;
	int rc, stuck = 0;

	for (k = 0; k < is->nauthz; k++) {
		if (is->chal_url[k] == NULL || is->authz_done[k])
			continue;
		if ((rc = req_poll_fetch(is->a, is->authz[k], &is->poll,
		    is->r, is->j)) < 0 || (rc = req_status(is->j, 0,
		    authz_status_names, AUTHZ_STATUS_MAX,
		    "authorization")) < 0)
			return rc;
		if (rc == AUTHZ_VALID) {
			authz_settle(is, k);
			ACME_IGNORE(req_poll_stuck(&is->poll, 0));
		} else if (rc != AUTHZ_PENDING)
			return authz_failure(is);
		else if ((rc = authz_stuck(is, k, &stuck)) < 0)
			return rc;
	}
	if (!stuck)
		ACME_IGNORE(req_poll_stuck(&is->poll, 0));
	if ((k = authz_pending(is)) < is->nauthz &&
	    (rc = req_poll_again(&is->poll, is->r, is->authz[k])) < 0)
		return rc;
	return authz_next(is);
}

/* The finalize payload {"csr": base64url(DER)}: a CSR for the key (a
 * fresh one unless given), or --csr's. */
static ACME_MUST_CHECK int
finalize_payload(struct issue *is, struct buf *payload)
{
	struct buf der = { .max = 64 * 1024 };
	struct jw w;
	char *csr = NULL;
	int rc;

	if (!is->cert_key.set)	/* else --reuse-key, --csr-key, a record */
		log_msg(LOG_LEVEL_INFO, "generating a %s key",
		    key_types[is->key_type].name);
	if ((!is->cert_key.set && (rc = key_generate(&is->cert_key,
	    is->key_type)) < 0) || (is->csr.len == 0 &&
	    (rc = csr_build(&der, &is->cert_key, is->ids, is->nids)) < 0) ||
	    (is->csr.len > 0 && (rc = buf_append(&der, is->csr.data,
	    is->csr.len)) < 0))
		goto out;
	if ((csr = b64u_encode_alloc(der.data, der.len)) == NULL) {
		rc = ACME_ERR_NOMEM;
		goto out;
	}
	jw_init(&w, payload);
	jw_obj_open(&w, NULL);
	jw_str(&w, "csr", csr);
	jw_obj_close(&w);
	rc = jw_finish(&w);
out:
	free(csr);
	buf_free(&der);
	return rc;
}

/*
 * RFC 8555 7.4: finalize, the order recorded first (conf/NAME.order).
 * An answer lost on the way (a network failure) is asked of the order
 * instead: still ready means the request never arrived, so once more.
 */
static ACME_MUST_CHECK int
st_finalize(struct issue *is)
{
	struct buf payload = { .max = 128 * 1024 };
	int rc;

	if ((rc = finalize_payload(is, &payload)) < 0 ||
	    (rc = order_record(is)) < 0)
		goto out;
	is->finalizing++;
	if ((rc = req_post_json(is->a, is->finalize,
	    (const char *)payload.data, is->r, is->j)) < 0) {
		if (is->a->http.transient && is->finalizing == 1) {
			log_msg(LOG_LEVEL_INFO, "%s; asking the order", err_msg);
			err_clear();
			is->lost = 1;
			rc = order_next(is, ORDER_PROCESSING);
		}
		goto out;
	}
	if ((rc = order_parse(is, "finalize")) >= 0)
		rc = order_next(is, rc == ORDER_READY ? ORDER_PROCESSING : rc);
out:
	buf_free(&payload);
	return rc;
}

static ACME_MUST_CHECK int
st_poll_order(struct issue *is)
{
	int rc;

	if ((rc = req_poll_fetch(is->a, is->order_url, &is->poll, is->r,
	    is->j)) < 0 || (rc = order_parse(is, "order")) < 0)
		return rc;
	if (rc == ORDER_VALID)
		return ST_DOWNLOAD;
	if (rc == ORDER_READY && is->lost) {
		is->lost = 0;
		return ST_FINALIZE;
	}
	if (rc != ORDER_PROCESSING && rc != ORDER_READY)
		return err_set(ACME_ERR_PROTO, "order: %s after finalize",
		    order_status_names[rc]);
	if ((rc = req_poll_again(&is->poll, is->r, is->order_url)) < 0)
		return rc;
	return ST_POLL_ORDER;
}

/*
 * --preferred-chain: 1 when the topmost certificate of the PEM chain
 * (the last one) was issued by a CA whose CN is cn, else 0.
 */
static ACME_MUST_CHECK int
chain_top_issuer_is(const struct buf *pem, const char *cn)
{
	struct pem_obj objs[CHAIN_MAX];
	struct x509_info *xi = malloc(sizeof(*xi));
	size_t n = 0;
	int hit = 0;

	memset(objs, 0, sizeof(objs));
	err_hush();
	if (xi != NULL && pem_decode((const char *)pem->data, pem->len, objs,
	    CHAIN_MAX, &n) == 0 && n > 0 && x509_parse(objs[n - 1].der,
	    objs[n - 1].len, xi) == 0)
		hit = strcmp(xi->issuer_cn, cn) == 0;
	err_unhush();
	pem_objs_free(objs, n);
	free(xi);
	return hit;
}

/* One chain download (idempotent) into is->r; 0 or an error. */
static ACME_MUST_CHECK int
chain_fetch(struct issue *is, const char *url)
{
	int rc;

	if ((rc = req_fetch(is->a, url, "application/pem-certificate-chain",
	    is->deadline, is->r)) < 0)
		return rc;
	if (is->r->body.len == 0)
		return err_set(ACME_ERR_PROTO, "%s: empty certificate", url);
	return 0;
}

/* Keep the chain downloaded in is->r. */
static void
chain_keep(struct issue *is)
{
	buf_free(&is->chain_pem);
	is->chain_pem = is->r->body;
	memset(&is->r->body, 0, sizeof(is->r->body));
}

/*
 * RFC 8555 7.4.2: download the certificate chain as PEM. With
 * --preferred-chain, the default chain is kept when it matches, else the
 * first Link rel="alternate" chain that matches, else the default. An
 * order picked up from a record whose certificate is already live was
 * finished by the run that recorded it: a new order it is.
 */
static ACME_MUST_CHECK int
st_download(struct issue *is)
{
	char alt[LINK_ALT_MAX][URL_MAX];
	const char *want = is->o != NULL ? is->o->preferred_chain : NULL;
	size_t nalt, i;
	int rc;

	if ((rc = chain_fetch(is, is->cert_url)) < 0)
		return rc;
	snprintf(is->cert_date, sizeof(is->cert_date), "%s", is->r->date);
	chain_keep(is);
	if (is->resumed && order_cert_live(is))
		return flow_restart(is);
	if (want == NULL || chain_top_issuer_is(&is->chain_pem, want))
		return ST_DONE;
	nalt = is->r->nlink_alt;
	memcpy(alt, is->r->link_alt, sizeof(alt));
	for (i = 0; i < nalt; i++) {
		if (!req_url_ok(alt[i]) || (rc = chain_fetch(is, alt[i])) < 0)
			return rc < 0 ? rc : err_set(ACME_ERR_PROTO,
			    "bad alternate chain URL");
		if (!chain_top_issuer_is(&is->r->body, want))
			continue;
		log_msg(LOG_LEVEL_INFO, "using the alternate chain to %s", want);
		chain_keep(is);
		return ST_DONE;
	}
	log_msg(LOG_LEVEL_INFO, "no chain to \"%s\" among %zu; keeping the "
	    "default chain", want, nalt + 1);
	return ST_DONE;
}

/* One step function per state; ST_SETUP is the batch's (batch_setup). */
static int (*const issue_steps[ST_STATE_MAX])(struct issue *) = {
	[ST_NEW_ORDER] = st_new_order,
	[ST_RESUME] = st_resume,
	[ST_AUTHORIZE] = st_authorize,
	[ST_CHALLENGE] = st_challenge,
	[ST_POLL_AUTHZ] = st_poll_authz,
	[ST_FINALIZE] = st_finalize,
	[ST_POLL_ORDER] = st_poll_order,
	[ST_DOWNLOAD] = st_download,
};

/* ---- the batch: orders side by side ---- */

static void
batch_init(struct batch *b, struct acme *a)
{
	b->a = a;
	b->n = b->nids = 0;
	b->rate_limited = 0;
	chal_resp_init(&b->resp);
}

static void
batch_free(struct batch *b)
{
	chal_resp_stop(&b->resp);
	http_resp_free(&b->r);
	b->n = b->nids = 0;
}

/* 1 when strings a and b (either may be NULL) are equal. */
static ACME_MUST_CHECK int
batch_same(const char *a, const char *b)
{
	return a == NULL || b == NULL ? a == b : strcmp(a, b) == 0;
}

/* Room for is in b: the bounds, and one standalone setting (address
 * and ports) for the one responder. */
static ACME_MUST_CHECK int
batch_fits(const struct batch *b, const struct issue *is)
{
	const struct chal_ctx *c;
	size_t i;

	if (b->n == ORDERS_MAX || (b->n > 0 && b->nids + is->nids >
	    ORDERS_IDENTS_MAX))
		return 0;
	for (i = 0; i < b->n && is->chal.standalone; i++) {
		c = &b->is[i]->chal;
		if (c->standalone && (c->http_port != is->chal.http_port ||
		    c->tls_port != is->chal.tls_port ||
		    !batch_same(c->bind, is->chal.bind)))
			return 0;
	}
	return 1;
}

/* Add prepared order is (issue_prepare) to b; see batch_fits. */
static void
batch_add(struct batch *b, struct issue *is)
{
	b->a = is->a;
	is->b = b;
	is->r = &b->r;
	is->j = &b->j;
	is->state = is->resumed ? ST_RESUME : ST_NEW_ORDER;
	is->deadline = clock_mono_ms() + POLL_DEADLINE * 1000;
	b->is[b->n++] = is;
	b->nids += is->nids;
}

/* Order is failed with rc: keep its error line and the answer's rate
 * limit; its challenges end now (the hook's 'failed', webroot files).
 * rateLimited stops new orders. */
static void
batch_fail(struct batch *b, struct issue *is, int rc)
{
	snprintf(is->err, sizeof(is->err), "%s", err_msg);
	is->rc = rc;
	is->state = ST_FAILED;
	is->fail.status = b->r.status;
	is->fail.retry_after = b->r.retry_after;
	is->fail.retry_at = b->r.retry_at;
	memcpy(is->fail.problem, b->a->problem, sizeof(is->fail.problem));
	if (strcmp(b->a->problem, ACME_ERR_NS "rateLimited") == 0 ||
	    b->r.status == 429)
		b->rate_limited = 1;
	chal_cleanup(&is->chal);
	err_clear();
}

/* After a rateLimited answer in the batch, is is not ordered at all
 * (no rate limit of its own is kept). */
static void
batch_skip(struct batch *b, struct issue *is)
{
	batch_fail(b, is, err_set(ACME_ERR_SERVER, "not ordered: the CA "
	    "answered rateLimited in this run"));
	memset(&is->fail, 0, sizeof(is->fail));
	is->fail.retry_after = -1;
}

/* 1 when is may make its next request now. */
static ACME_MUST_CHECK int
batch_due(const struct issue *is, int64_t now)
{
	if (issue_steps[is->state] == NULL)
		return 0;
	return (is->state != ST_POLL_AUTHZ && is->state != ST_POLL_ORDER) ||
	    now >= is->poll.next;
}

/* One step of every order that is due; how many ran. */
static ACME_MUST_CHECK int
batch_pass(struct batch *b)
{
	int64_t now = clock_mono_ms();
	struct issue *is;
	size_t i;
	int ran = 0, st;

	for (i = 0; i < b->n; i++) {
		if (!batch_due(is = b->is[i], now))
			continue;
		err_clear();
		ran++;
		if (is->state == ST_NEW_ORDER && b->rate_limited) {
			batch_skip(b, is);
			continue;
		}
		if ((st = issue_steps[is->state](is)) < 0)
			batch_fail(b, is, st);
		else
			is->state = st;
	}
	return ran;
}

/* An order before ST_FINALIZE may still need the responder. */
static ACME_MUST_CHECK int
batch_in_chal(const struct issue *is)
{
	return is->state < ST_FINALIZE;
}

/* Every order that needs challenges placed waits at ST_SETUP, the
 * others are past them: time to place them all. */
static ACME_MUST_CHECK int
batch_setup_due(const struct batch *b)
{
	size_t i;
	int waiting = 0;

	for (i = 0; i < b->n; i++) {
		if (b->is[i]->state == ST_SETUP)
			waiting = 1;
		else if (batch_in_chal(b->is[i]))
			return 0;
	}
	return waiting;
}

/* (Re)start the one responder for the standalone answers of every
 * order; its child forgets the account and certificate keys. */
static ACME_MUST_CHECK int
batch_responder(struct batch *b)
{
	struct chal_ctx *cs[ORDERS_MAX];
	struct key *keys[ORDERS_MAX + 1];
	size_t i, n = 0, nk = 0;

	chal_resp_stop(&b->resp);
	keys[nk++] = &b->a->key;
	for (i = 0; i < b->n; i++) {
		keys[nk++] = &b->is[i]->cert_key;
		if (b->is[i]->state != ST_FAILED)
			cs[n++] = &b->is[i]->chal;
	}
	return chal_resp_start(&b->resp, cs, n, keys, nk);
}

/* Fail every order at ST_SETUP with standalone answers with rc. */
static void
batch_fail_standalone(struct batch *b, int rc)
{
	char msg[ERR_MSG_MAX];
	size_t i;

	memcpy(msg, err_msg, sizeof(msg));
	for (i = 0; i < b->n; i++)
		if (b->is[i]->state == ST_SETUP && chal_round_has(
		    &b->is[i]->chal, -1, CHAL_BY_STANDALONE)) {
			err_set(rc, "%s", msg);
			batch_fail(b, b->is[i], rc);
		}
}

/*
 * Place the answers of every order at ST_SETUP at once: webroot files,
 * the responder (restarted when the round brings standalone answers),
 * one --dns-wait (the longest asked); then they all tell the server.
 */
static void
batch_setup(struct batch *b)
{
	struct issue *is;
	size_t i;
	int wait = 0, restart = 0, rc, d;

	for (i = 0; i < b->n; i++) {
		if ((is = b->is[i])->state != ST_SETUP)
			continue;
		if ((rc = chal_setup(&is->chal)) < 0) {
			batch_fail(b, is, rc);
			continue;
		}
		restart |= chal_round_has(&is->chal, -1, CHAL_BY_STANDALONE);
		if ((d = chal_dns_need(&is->chal)) > wait)
			wait = d;
	}
	if (restart && (rc = batch_responder(b)) < 0)
		batch_fail_standalone(b, rc);
	chal_dns_sleep(wait);
	for (i = 0; i < b->n; i++)
		if (b->is[i]->state == ST_SETUP)
			b->is[i]->state = ST_CHALLENGE;
}

/* Stop the responder once no order needs it. */
static void
batch_chal_end(struct batch *b)
{
	size_t i;

	for (i = 0; i < b->n && b->resp.pid > 0; i++)
		if (batch_in_chal(b->is[i]))
			return;
	chal_resp_stop(&b->resp);
}

/* The poller's wait: sleep until the first poll of any order is due;
 * 0 when no order is waiting for one. */
static ACME_MUST_CHECK int
batch_wait(const struct batch *b)
{
	int64_t next = 0;
	size_t i;

	for (i = 0; i < b->n; i++)
		if ((b->is[i]->state == ST_POLL_AUTHZ ||
		    b->is[i]->state == ST_POLL_ORDER) && (next == 0 ||
		    b->is[i]->poll.next < next))
			next = b->is[i]->poll.next;
	if (next > 0)
		req_poll_sleep(next);
	return next > 0;
}

/*
 * Drive every order of b to ST_DONE or ST_FAILED: a pass steps each
 * order that is due (so all orders are opened before any challenge is
 * placed); when none is, the batch places the waiting orders' answers,
 * else sleeps until the next poll.
 */
static void
batch_run(struct batch *b)
{
	size_t i;

	for (;;) {
		if (batch_pass(b) > 0) {
			batch_chal_end(b);
			continue;
		}
		if (batch_setup_due(b))
			batch_setup(b);
		else if (!batch_wait(b))
			break;
	}
	chal_resp_stop(&b->resp);
	for (i = 0; i < b->n; i++)
		chal_cleanup(&b->is[i]->chal);
}

static void
flow_free(struct issue *is)
{
	size_t i;

	chal_cleanup(&is->chal);
	for (i = 0; i < IDENT_MAX; i++) {
		free(is->authz[i]);
		free(is->chal_url[i]);
	}
	key_free(&is->cert_key);
	buf_free(&is->chain_pem);
	buf_free(&is->csr);
}

/* The certificate names exactly the identifiers we asked for. */
static ACME_MUST_CHECK int
flow_check_sans(const struct issue *is, const struct x509_info *xi)
{
	size_t i, k;

	for (i = 0; i < is->nids; i++) {
		for (k = 0; k < xi->nsan; k++)
			if (xi->san[k].type == is->ids[i].type &&
			    strcmp(xi->san[k].value, is->ids[i].value) == 0)
				break;
		if (k == xi->nsan)
			return err_set(ACME_ERR_PROTO, "the certificate does "
			    "not name %s", is->ids[i].value);
	}
	if (xi->nsan != is->nids)
		return err_set(ACME_ERR_PROTO, "the certificate names %zu "
		    "identifiers, not %zu", xi->nsan, is->nids);
	return 0;
}

/*
 * Check the download (leaf for our key and our identifiers, only
 * certificates) and re-encode it as cert, chain and fullchain.
 */
static ACME_MUST_CHECK int
flow_make_set(struct issue *is, struct x509_info *xi, struct cert_set *cs)
{
	struct pem_obj objs[CHAIN_MAX];
	size_t n = 0, i;
	int rc;

	memset(objs, 0, sizeof(objs));
	if ((rc = pem_decode((const char *)is->chain_pem.data,
	    is->chain_pem.len, objs, CHAIN_MAX, &n)) < 0)
		goto out;
	rc = ACME_ERR_PROTO;
	if (n == 0) {
		err_set(rc, "%s: no certificate in the download", is->cert_url);
		goto out;
	}
	for (i = 0; i < n; i++)
		if (strcmp(objs[i].label, "CERTIFICATE") != 0) {
			err_set(rc, "%s: unexpected PEM %.40s", is->cert_url,
			    objs[i].label);
			goto out;
		}
	if ((rc = x509_parse(objs[0].der, objs[0].len, xi)) < 0 ||
	    (rc = flow_check_sans(is, xi)) < 0)
		goto out;
	if ((rc = x509_key_matches(objs[0].der, objs[0].len,
	    &is->cert_key)) != 1) {
		rc = err_set(ACME_ERR_PROTO, "the certificate is not for the "
		    "key we sent");
		goto out;
	}
	cs->cert.max = cs->chain.max = cs->fullchain.max = BODY_MAX;
	cs->privkey.max = PEM_MAX;
	if ((rc = pem_encode(&cs->cert, "CERTIFICATE", objs[0].der,
	    objs[0].len)) < 0 ||
	    (rc = key_to_pem(&is->cert_key, &cs->privkey)) < 0)
		goto out;
	for (i = 0; i < n; i++) {
		if ((rc = pem_encode(&cs->fullchain, "CERTIFICATE",
		    objs[i].der, objs[i].len)) < 0 ||
		    (i > 0 && (rc = pem_encode(&cs->chain, "CERTIFICATE",
		    objs[i].der, objs[i].len)) < 0))
			goto out;
	}
	if (cs->chain.data == NULL)
		rc = buf_append(&cs->chain, "", 0);
out:
	pem_objs_free(objs, n);
	return rc;
}

/* A path made absolute (abs: PATH_MAX bytes), for a renewal from
 * another directory; as it is when that fails. */
static const char *
flow_conf_abs(const char *path, char *abs)
{
	if (path != NULL && realpath(path, abs) != NULL && str_one_line(abs))
		return abs;
	return path;
}

/* conf/NAME.conf of an issue: the options it ran with, resolved. */
static ACME_MUST_CHECK int
flow_write_conf(const struct issue *is, int storefd,
    const struct acme_options *o)
{
	char why[NAME_LEN_MAX + 32], csr[PATH_MAX], key[PATH_MAX];
	char api[PATH_MAX];
	struct conf_file f = { .why = why, .name = is->name, .ids = is->ids,
	    .nids = is->nids, .o = *o };

	snprintf(why, sizeof(why), "how %s is issued and renewed", is->name);
	if (o->server != NULL && !req_url_ok(o->server))
		f.alias = o->server;
	f.o.server = is->a->server;
	f.o.key_type = key_types[is->key_type].name;
	f.o.hook = is->chal.hook[0] != '\0' && !is->chal.api ? is->chal.hook :
	    NULL;
	f.o.hook_timeout = is->chal.hook_timeout;
	f.o.dns_api_dir = flow_conf_abs(o->dns_api_dir, api);
	f.o.csr_file = flow_conf_abs(o->csr_file, csr);
	f.o.csr_key = flow_conf_abs(o->csr_key, key);
	return file_conf_write(storefd, &f);
}

/*
 * RFC 9773 4.1: the certificate's ARI identifier,
 * base64url(authorityKeyIdentifier keyIdentifier) "." base64url(serial
 * INTEGER contents). cap >= sizeof(struct issue.replaces). 0, or NONE
 * when the certificate has none: no authorityKeyIdentifier (then no
 * ARI), or one too long for cap.
 */
static ACME_MUST_CHECK int
ari_certid(const struct x509_info *xi, char *out, size_t cap)
{
	size_t n;

	if (xi->aki_len == 0 || b64u_encode(NULL, xi->aki, xi->aki_len) +
	    b64u_encode(NULL, xi->serial, xi->serial_len) + 2 > cap)
		return NONE;
	n = b64u_encode(out, xi->aki, xi->aki_len);
	out[n++] = '.';
	b64u_encode(out + n, xi->serial, xi->serial_len);
	return 0;
}

/* ==== 17. Command sessions ==== */

/*
 * What every public command of acme.h does first and last: CA aliases for
 * --server, checks of the options and names, DIR opened and locked, the
 * bounds on the CA's time, and the one entry path api_enter() / api_leave():
 * errors reset, logging set, the HTTP session opened with its TLS time, rng
 * and directory, and closed again.
 *
 * Prefixes: api_.
 * May call: 2-3, 6, 10-15.
 */

/* CA aliases for --server. */
static const struct {
	const char	*alias;
	const char	*url;
	long		 backdate;	/* seconds the CA backdates notBefore;
					   0 unless known (a lower bound) */
} api_servers[] = {
	{ "letsencrypt", "https://acme-v02.api.letsencrypt.org/directory",
	    3600 },
	{ "letsencrypt-staging",
	    "https://acme-staging-v02.api.letsencrypt.org/directory", 3600 },
	/* backdate unknown: 0 keeps the issuance time a lower bound */
	{ "zerossl", "https://acme.zerossl.com/v2/DV90", 0 },
	{ "buypass", "https://api.buypass.com/acme/directory", 0 },
	{ "google", "https://dv.acme-v02.api.pki.goog/directory", 0 },
};

#define API_DEFAULT_DIR	"/etc/acme"

const char *
acme_last_error(void)
{
	return err_msg;
}

/* The directory URL for --server (alias or https URL). */
static ACME_MUST_CHECK const char *
api_server_url(const char *server)
{
	size_t i;

	if (server == NULL)
		server = api_servers[0].alias;
	for (i = 0; i < sizeof(api_servers) / sizeof(api_servers[0]); i++)
		if (strcmp(server, api_servers[i].alias) == 0)
			return api_servers[i].url;
	if (!req_url_ok(server)) {
		err_set(ACME_ERR_USAGE, "--server %.200s: not an https URL or "
		    "a known alias", server);
		return NULL;
	}
	return server;
}

/*
 * --backdate, else the value of the server alias (or its URL), else 0:
 * an unknown CA counts as not backdating, so notBefore + backdate stays a
 * lower bound of the issuance time.
 */
static ACME_MUST_CHECK int
api_backdate(const struct acme_options *o, int64_t *out)
{
	const char *server = o->server ? o->server : api_servers[0].alias;
	char *end;
	size_t i;
	long v;

	*out = 0;
	if (o->backdate == NULL) {
		for (i = 0; i < sizeof(api_servers) / sizeof(api_servers[0]);
		    i++)
			if (strcmp(server, api_servers[i].alias) == 0 ||
			    strcmp(server, api_servers[i].url) == 0)
				*out = api_servers[i].backdate;
		return 0;
	}
	errno = 0;
	v = strtol(o->backdate, &end, 10);
	if (errno != 0 || end == o->backdate || *end != '\0' || v < 0 ||
	    v > BACKDATE_MAX)
		return err_set(ACME_ERR_USAGE, "--backdate '%.20s': seconds "
		    "from 0 to %d", o->backdate, BACKDATE_MAX);
	*out = v;
	return 0;
}

/*
 * Every number and string of o within its limits (OPTIONS: lo, hi; a
 * number 0 is "not set"), and every string that conf/NAME.conf keeps
 * (conf not NO) one line without control characters, for every command
 * alike. dashes: "--" names options, "" conf keys.
 */
static ACME_MUST_CHECK int
api_limits(const struct acme_options *o, const char *dashes)
{
	const struct opt *r;
	const char *s;
	int v;

	for (r = opt_table; r < opt_table + OPT_N; r++) {
		if (r->kind == OPT_STR && (s = opt_str_get(o, r)) != NULL &&
		    strlen(s) > (size_t)r->hi)
			return err_set(ACME_ERR_USAGE, "%s%s: longer than %d "
			    "bytes", dashes, r->name, r->hi);
		if (r->kind == OPT_STR && r->conf != OPT_CONF_NO && s != NULL &&
		    !str_one_line(s))
			return err_set(ACME_ERR_USAGE, "%s%s: control "
			    "character", dashes, r->name);
		if (!OPT_IS_NUMBER(r->kind) || (v = opt_int_get(o, r)) == 0 ||
		    (v >= r->lo && v <= r->hi))
			continue;
		if (r->kind == OPT_PORT)
			return err_set(ACME_ERR_USAGE, "bad %s%s", dashes,
			    r->name);
		return err_set(ACME_ERR_USAGE, "%s%s: %d to %d%s", dashes,
		    r->name, r->lo, r->hi, r->kind == OPT_SECS ? " seconds" :
		    "");
	}
	return 0;
}

/* Text that goes into conf lines must be one printable line: api_limits
 * checks the options; this, what is made of them (the hook's path). */
static ACME_MUST_CHECK int
api_text_ok(const char *what, const char *s)
{
	if (s != NULL && !str_one_line(s))
		return err_set(ACME_ERR_USAGE, "%s: control character", what);
	return 0;
}

/* Parse and de-duplicate the identifiers; NAME leads when it is one. */
static ACME_MUST_CHECK int
api_idents(const char *name, const char *const *idents, size_t n,
    struct ident *ids, size_t *nids)
{
	struct ident id;
	size_t i, k;
	int rc;

	*nids = 0;
	if (ident_read(name, &id) == 0)
		ids[(*nids)++] = id;
	for (i = 0; i < n; i++) {
		if ((rc = ident_parse(idents[i], &id)) < 0)
			return rc;
		for (k = 0; k < *nids; k++)
			if (strcmp(ids[k].value, id.value) == 0)
				break;
		if (k < *nids)
			continue;
		if (*nids == IDENT_MAX)
			return err_set(ACME_ERR_USAGE, "more than %d "
			    "identifiers", IDENT_MAX);
		ids[(*nids)++] = id;
	}
	if (*nids == 0)
		return err_set(ACME_ERR_USAGE, "'%.80s' is not a DNS name or "
		    "IP address: name at least one identifier", name);
	return 0;
}

/* Everything checkable before touching the disk or the network, beyond
 * api_limits: what values mean and rules between options (OPTIONS). */
static ACME_MUST_CHECK int
api_check(const struct acme_options *o, const char *name, int *key_type)
{
	if (!store_name_ok(name))
		return err_set(ACME_ERR_USAGE, "bad certificate name '%.80s': "
		    "use letters, digits and . _ : * - only, not starting "
		    "with . or -", name);
	if ((*key_type = key_type_parse(o->key_type ? o->key_type :
	    "ec256")) < 0)
		return err_set(ACME_ERR_USAGE, "unknown key type '%.40s'",
		    o->key_type);
	if (o->webroot != NULL && o->standalone)
		return err_set(ACME_ERR_USAGE, "use --webroot or --standalone, "
		    "not both");
	if (o->deploy_hook != NULL && (o->deploy_hook[0] != '/' ||
	    access(o->deploy_hook, X_OK) < 0))
		return err_set(ACME_ERR_USAGE, "--deploy-hook %.200s: not an "
		    "executable file given by its absolute path",
		    o->deploy_hook);
	return api_backdate(o, &(int64_t){ 0 });
}

/* Who can answer each challenge type (see chal_candidates). */
static ACME_MUST_CHECK int
api_can_answer(const struct acme_options *o, int t)
{
	static const char *const needs[CHAL_TYPE_MAX] = {
		[CHAL_HTTP01] = "--webroot DIR, --standalone or --hook PROG",
		[CHAL_DNS01] = "--hook PROG or --dns-api NAME",
		[CHAL_TLSALPN01] = "--standalone or --hook PROG",
		[CHAL_DNSPERSIST01] = "nothing but the published record",
	};

	if (o->hook != NULL || (t == CHAL_HTTP01 && (o->webroot != NULL ||
	    o->standalone)) || (t == CHAL_TLSALPN01 && o->standalone) ||
	    (t == CHAL_DNS01 && o->dns_api != NULL))
		return 0;
	return err_set(ACME_ERR_USAGE, "--challenge %s needs %s",
	    chal_type_names[t], needs[t]);
}

/*
 * --challenge dns-persist-01: the CA reads the record the user published
 * once, so there is nothing to run, place or wait for; DNS names only.
 */
static ACME_MUST_CHECK int
api_check_persist(const struct acme_options *o, const struct ident *ids,
    size_t n)
{
	size_t i;

	if (o->webroot != NULL || o->standalone || o->hook != NULL ||
	    o->dns_wait > 0 || o->dns_api != NULL)
		return err_set(ACME_ERR_USAGE, "--challenge dns-persist-01 "
		    "answers with the record published once (acme account "
		    "persist-record): leave out --webroot, --standalone, "
		    "--hook, --dns-api and --dns-wait");
	for (i = 0; i < n; i++)
		if (ids[i].type == IDENT_IP)
			return err_set(ACME_ERR_USAGE, "%s: dns-persist-01 "
			    "validates DNS names, not IP addresses",
			    ids[i].value);
	return 0;
}

/* --dns-api and its aliases (acme(1), DNS API): its script is there. */
static ACME_MUST_CHECK int
api_check_api(const struct acme_options *o)
{
	char path[PATH_LEN_MAX];
	struct ident id;

	if (o->dns_api == NULL && (o->challenge_alias != NULL ||
	    o->domain_alias != NULL || o->dns_api_dir != NULL))
		return err_set(ACME_ERR_USAGE, "--challenge-alias, "
		    "--domain-alias, --dns-api-dir: only with --dns-api");
	if (o->dns_api == NULL)
		return 0;
	if (o->hook != NULL)
		return err_set(ACME_ERR_USAGE, "use --hook or --dns-api, not "
		    "both");
	if (o->challenge_alias != NULL && o->domain_alias != NULL)
		return err_set(ACME_ERR_USAGE, "use --challenge-alias or "
		    "--domain-alias, not both");
	if ((o->challenge_alias != NULL && (ident_read(o->challenge_alias,
	    &id) < 0 || id.type != IDENT_DNS || ident_is_wildcard(&id))) ||
	    (o->domain_alias != NULL && (ident_read(o->domain_alias, &id) <
	    0 || id.type != IDENT_DNS || ident_is_wildcard(&id))))
		return err_set(ACME_ERR_USAGE, "--challenge-alias and "
		    "--domain-alias take a DNS name");
	return hook_api_find(o->dns_api, o->dns_api_dir, path);
}

/* Some way to answer every identifier's challenge, before any request. */
static ACME_MUST_CHECK int
api_check_chal(const struct acme_options *o, const struct ident *ids,
    size_t n)
{
	int want = -1, rc;
	size_t i;

	if (o->challenge != NULL && (want = chal_type_parse(o->challenge)) < 0)
		return err_set(ACME_ERR_USAGE, "--challenge %.40s: use "
		    "http-01, dns-01, tls-alpn-01 or dns-persist-01",
		    o->challenge);
	if (want == CHAL_DNSPERSIST01)
		return api_check_persist(o, ids, n);
	if (o->webroot == NULL && !o->standalone && o->hook == NULL &&
	    o->dns_api == NULL)
		return err_set(ACME_ERR_USAGE, "no way to answer challenges: "
		    "use --webroot DIR, --standalone, --hook PROG or --dns-api "
		    "NAME");
	if ((rc = api_check_api(o)) < 0 ||
	    (want >= 0 && (rc = api_can_answer(o, want)) < 0))
		return rc;
	for (i = 0; i < n; i++) {
		if (ident_is_wildcard(&ids[i]) && ((o->hook == NULL &&
		    o->dns_api == NULL) || (want >= 0 && want != CHAL_DNS01)))
			return err_set(ACME_ERR_USAGE, "%s: a wildcard needs "
			    "dns-01, answered by --hook PROG or --dns-api NAME",
			    ids[i].value);
		if (ids[i].type == IDENT_IP && want == CHAL_DNS01)
			return err_set(ACME_ERR_USAGE, "%s: dns-01 cannot "
			    "validate an IP address (RFC 8738)", ids[i].value);
	}
	if (o->hook != NULL && access(o->hook, X_OK) < 0)
		return err_set(ACME_ERR_USAGE, "--hook %.200s: %s", o->hook,
		    strerror(errno));
	return 0;
}

/* The challenge settings of the order for NAME in DIR; the hook as an
 * absolute path, so that conf/NAME.conf works from any directory. */
static ACME_MUST_CHECK int
api_chal_init(struct chal_ctx *c, const struct acme_options *o,
    const char *dir, const char *name)
{
	char cwd[PATH_LEN_MAX];
	int n = 0;

	chal_init(c);
	c->webroot = o->webroot;
	c->webroot_symlinks = o->webroot_symlinks;
	c->standalone = o->standalone;
	c->bind = o->bind;
	c->http_port = o->http_port > 0 ? o->http_port : 80;
	c->tls_port = o->tls_port > 0 ? o->tls_port : 443;
	c->want = o->challenge != NULL ? chal_type_parse(o->challenge) : -1;
	c->hook_timeout = o->hook_timeout > 0 ? o->hook_timeout : HOOK_TIMEOUT;
	c->dns_wait = o->dns_wait;
	if (o->dns_api != NULL) {
		c->api = 1;
		c->api_dir = dir;
		c->api_name = name;
		c->api_ca = o->ca_file;
		c->alias = o->challenge_alias;
		c->dalias = o->domain_alias;
		if (o->dns_wait == 0)
			c->dns_wait = API_WAIT_DEFAULT;
		return hook_api_find(o->dns_api, o->dns_api_dir, c->hook);
	}
	if (o->hook == NULL)
		return 0;
	if (o->hook[0] == '/')
		n = snprintf(c->hook, sizeof(c->hook), "%s", o->hook);
	else if (getcwd(cwd, sizeof(cwd)) != NULL)
		n = snprintf(c->hook, sizeof(c->hook), "%s/%s", cwd, o->hook);
	else
		return err_set(ACME_ERR_IO, "getcwd: %s", strerror(errno));
	if (n < 0 || (size_t)n >= sizeof(c->hook))
		return err_set(ACME_ERR_USAGE, "--hook: path too long");
	return api_text_ok("--hook", c->hook);
}

/* What marks a DIR as another client's, and the import that takes it. */
static const struct api_mark {
	const char	*path;
	const char	*client;
	const char	*import;
} api_marks[] = {
	{ "renewal", "certbot", "import-certbot" },
	{ "archive", "certbot", "import-certbot" },
	{ "account.conf", "acme.sh", "import-acmesh" },
	{ "ca", "acme.sh", "import-acmesh" },
	{ "private/key.pem", "uacme", "import-uacme" },
	{ "certificates", "lego", "import-lego" },
};

/*
 * One DIR, one owner: acme writes nothing beside another client's files
 * (acme.sh keeps its state in /etc/acme on OpenWrt, acme's default DIR);
 * it offers the import instead.
 */
static ACME_MUST_CHECK int
api_foreign(int fd, const char *dir)
{
	struct stat st;
	size_t i;

	for (i = 0; i < sizeof(api_marks) / sizeof(api_marks[0]); i++)
		if (fstatat(fd, api_marks[i].path, &st, AT_SYMLINK_NOFOLLOW) ==
		    0)
			return err_set(ACME_ERR_USAGE, "%.200s holds %s's "
			    "files (%s), not acme's: use another --dir, and "
			    "take them over with 'acme %s %.200s'", dir,
			    api_marks[i].client, api_marks[i].path,
			    api_marks[i].import, dir);
	return 0;
}

/*
 * Open DIR (creating it 0700 when missing and create is set) and take the
 * state lock (file_lock); with o->wait, wait for it. Then finish or
 * roll back whatever a crash left (store_recover_all), before anything
 * else.
 */
static ACME_MUST_CHECK int
api_open(const struct acme_options *o, int create)
{
	const char *dir = o->dir ? o->dir : API_DEFAULT_DIR;
	int fd, rc;

	if (create && mkdir(dir, STORE_DIR_MODE) < 0 && errno != EEXIST)
		return err_set(ACME_ERR_IO, "%s: %s", dir, strerror(errno));
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
		return err_set(ACME_ERR_IO, "%s: %s", dir, strerror(errno));
	if ((rc = store_private_ok(fd, dir)) < 0 ||
	    (rc = api_foreign(fd, dir)) < 0) {
		close(fd);
		return rc;
	}
	if ((rc = file_lock(fd, dir, o->wait)) < 0 ||
	    (rc = store_recover_all(fd)) < 0) {
		close(fd);
		return rc;
	}
	return fd;
}

/*
 * ---- the entry path ----
 * Every public command runs as: api_enter() (errors reset, logging set,
 * its own checks, then what it needs: a session with the CA, DIR locked),
 * its work, api_leave() (DIR/time raised to what the CA vouched for in
 * operations that succeeded, everything closed). A session is only ever
 * opened by api_session(): TLS time, rng, directory, the CA's time.
 */
enum api_need {
	API_CA = 1,		/* a session with o->server */
	API_LOCK = 2,		/* DIR opened, locked and recovered */
	API_CREATE = 4,		/* with API_LOCK: make DIR when missing */
	API_NEED_MAX
};

/* One run of a public command. */
struct api_run {
	const struct acme_options *o;	/* borrowed: the command's options */
	const char	*dir;		/* borrowed: o->dir or the default */
	int		 storefd;	/* DIR, locked; -1 before */
	int64_t		 floor;		/* DIR/time when the run began */
	int64_t		 vouched;	/* CA time of the operations that
					   succeeded; 0 none */
	struct acme	*a;		/* owned: the session, NULL before */
	char		 ca_file[PATH_LEN_MAX];	/* --ca-file of session a */
	int64_t		 ca_time;	/* the CA's Date when a began; 0 none */
	int64_t		 ca_mono;	/* clock_mono() then */
};

/* The CA time now: its Date plus the monotonic time since. */
static int64_t
api_ca_now(const struct api_run *run)
{
	return run->ca_time + (clock_mono() - run->ca_mono);
}

/*
 * A time the CA gave (a Date), bounded by the notAfter of its verified
 * TLS certificates: an honest CA's clock never passes it.
 */
static int64_t
api_ca_bound(const struct api_run *run, int64_t t)
{
	int64_t na = run->a != NULL ? run->a->http.tls_not_after : 0;
	char s[32];

	if (na <= 0 || t <= na)
		return t;
	clock_format_rfc3339(t, s, sizeof(s));
	log_msg(LOG_LEVEL_INFO, "the CA's time %s is past its own TLS "
	    "certificate's notAfter: using that instead", s);
	return na;
}

/* An operation succeeded at CA time t: api_leave raises DIR/time to it
 * (bounded by the CA's TLS certificate). */
static void
api_vouch(struct api_run *run, int64_t t)
{
	t = api_ca_bound(run, t);
	if (t > run->vouched)
		run->vouched = t;
}

/* ---- the session: one entry path for every command ---- */

/* --profile: the CA must list it in meta.profiles (before newOrder). */
static ACME_MUST_CHECK int
api_check_profile(const struct acme *a, const char *profile)
{
	char list[PROFILE_MAX * (PROFILE_NAME_MAX + 2)] = "";
	size_t i;

	if (profile == NULL || req_has_profile(&a->dir, profile))
		return 0;
	for (i = 0; i < a->dir.nprofiles; i++)
		snprintf(list + strlen(list), sizeof(list) - strlen(list),
		    "%s%s", i ? ", " : "", a->dir.profiles[i]);
	if (a->dir.nprofiles == 0)
		return err_set(ACME_ERR_USAGE, "--profile %.64s: %s offers no "
		    "profiles", profile, a->server);
	return err_set(ACME_ERR_USAGE, "--profile %.64s: %s offers only %s",
	    profile, a->server, list);
}

/* Close the session of run, if any; -v prints its request summary. */
static void
api_disconnect(struct api_run *run)
{
	if (run->a == NULL)
		return;
	if (run->a->requests > 0)
		log_msg(LOG_LEVEL_INFO, "%u requests (%u polls)",
		    run->a->requests, run->a->polls);
	key_free(&run->a->key);
	http_cleanup(&run->a->http);
	free(run->a);
	run->a = NULL;
}

/* 1 when the session of run is the one url and o's CA file need. */
static ACME_MUST_CHECK int
api_same_session(const struct api_run *run, const struct acme_options *o,
    const char *url)
{
	return run->a != NULL && strcmp(run->a->server, url) == 0 &&
	    strcmp(run->ca_file, o->ca_file ? o->ca_file : "") == 0;
}

/*
 * The one way a session with the CA at url begins: TLS dates checked at
 * clock_tls_time(DIR/time), the rng seeded, then GET the directory, whose
 * Date is the CA's time (run->ca_time). The open session is kept when
 * url and o->ca_file are those of the last one (renew: NAMEs that share
 * a server share one session).
 */
static ACME_MUST_CHECK int
api_session(struct api_run *run, const struct acme_options *o,
    const char *url)
{
	const char *ca = o->ca_file ? o->ca_file : "";
	struct acme *a;
	int rc;

	if (api_same_session(run, o, url))
		return 0;
	api_disconnect(run);
	if ((run->a = a = calloc(1, sizeof(*a))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	snprintf(a->server, sizeof(a->server), "%s", url);
	snprintf(run->ca_file, sizeof(run->ca_file), "%s", ca);
	/* the session outlives a NAME's conf, which o->ca_file may point
	 * into (renew): it keeps run's copy */
	if ((rc = http_init(&a->http, o->ca_file ? run->ca_file : NULL)) < 0 ||
	    (rc = http_set_tls_time(&a->http, clock_tls_time(run->floor))) <
	    0 || (rc = rng_init()) < 0)
		goto fail;
	if (a->http.tls_time == run->floor && run->floor > clock_now())
		a->http.floor_dir = run->dir;	/* for the error line */
	if ((rc = req_directory(a)) < 0)
		goto fail;
	run->ca_time = a->http.date > 0 ? api_ca_bound(run, a->http.date) : 0;
	run->ca_mono = clock_mono();
	return 0;
fail:
	api_disconnect(run);
	return rc;
}

/*
 * A command on a saved NAME given no --server (issue, revoke) talks to
 * the server conf/NAME.conf names, and trusts its CA file unless
 * --ca-file is given (acme(1), --server): run's options become *o, a
 * copy with those set, whose strings point into *text (the caller frees
 * it after the run). 1 when conf/NAME.conf names a server; 0 when it
 * does not, or --server is given, or NAME has no conf; < 0 when the conf
 * cannot be read.
 */
static ACME_MUST_CHECK int
api_saved_server(struct api_run *run, const char *name,
    struct acme_options *o, struct buf *text)
{
	const char *server, *ca_file;
	int rc;

	*o = *run->o;
	if (o->server != NULL)
		return 0;
	if ((rc = file_conf_server(run->dir, name, text, &server,
	    &ca_file)) < 0)
		return rc == STORE_ABSENT ? 0 : rc;
	if (*ca_file != '\0' && run->o->ca_file == NULL)
		o->ca_file = ca_file;
	if (*server == '\0')
		return 0;
	o->server = server;
	run->o = o;
	return api_limits(o, "") < 0 ? err_wrap(ACME_ERR_USAGE, "conf/%s.conf",
	    name) : 1;
}

/* Take DIR (api_open) for the run. */
static ACME_MUST_CHECK int
api_lock(struct api_run *run, int create)
{
	int fd;

	if ((fd = api_open(run->o, create)) < 0)
		return fd;
	run->storefd = fd;
	return 0;
}

/*
 * The entry of every public command: errors reset, logging and defaults
 * set from o, every option within its limits (api_limits), then
 * check(run, arg) (the command's own checks, before any request or
 * write; NULL: none; it may replace run->o, see api_saved_server), then
 * what need asks for: a session with
 * o->server (whose --profile must be on offer) and DIR locked. Returns 0,
 * a negative enum acme_error, or check's positive "nothing more to do".
 * api_leave() closes the run whatever this returned.
 */
static ACME_MUST_CHECK int
api_enter(struct api_run *run, const struct acme_options *o, int need,
    int (*check)(struct api_run *, void *), void *arg)
{
	const char *url;
	int rc;

	memset(run, 0, sizeof(*run));
	run->o = o;
	run->dir = o->dir ? o->dir : API_DEFAULT_DIR;
	run->storefd = -1;
	err_clear();
	log_verbosity = o->verbosity + LOG_LEVEL_ERROR;
	log_syslog = o->syslog;
	if ((rc = api_limits(o, "--")) < 0 ||
	    (check != NULL && (rc = check(run, arg)) != 0))
		return rc;
	o = run->o;		/* check may take NAME's (api_saved_server) */
	run->floor = file_time_read(run->dir);
	if (need & API_CA) {
		if ((url = api_server_url(o->server)) == NULL)
			return ACME_ERR_USAGE;
		if ((rc = api_session(run, o, url)) < 0 ||
		    (rc = api_check_profile(run->a, o->profile)) < 0)
			return rc;
	}
	if (need & API_LOCK)
		return api_lock(run, (need & API_CREATE) != 0);
	return 0;
}

/*
 * The end of every public command: DIR/time raised to the CA time the
 * run's successful operations vouched for, then the session and DIR
 * closed. Returns rc, or the error of writing DIR/time when rc is 0.
 */
static ACME_MUST_CHECK int
api_leave(struct api_run *run, int rc)
{
	int rc2;

	if (rc == STORE_ABSENT)	/* internal: never returned as such */
		rc = err_set(ACME_ERR_IO, "a file or directory is missing");

	if (run->storefd >= 0 && run->vouched > 0 &&
	    (rc2 = file_time_raise(run->storefd, run->floor,
	    run->vouched)) < 0 && rc == 0)
		rc = rc2;
	api_disconnect(run);
	if (run->storefd >= 0)
		close(run->storefd);
	run->storefd = -1;
#ifdef ACME_TEST
	/* a tolerated failure left recorded (section 3's convention) would
	 * be the message of the next one: a test build fails on it */
	if (rc >= 0 && err_msg[0] != '\0') {
		fprintf(stderr, "acme: test build: left recorded: %s\n",
		    err_msg);
		rc = ACME_ERR_USAGE;
	}
#endif
	return rc;
}

/* ==== 18. Issue ==== */

/*
 * acme_issue(): what to issue (names, or a CSR, a new or a reused key, a
 * profile), the order run by section 16, then the new set installed in live/
 * while the backup ring turns, and the deploy hook.
 *
 * Prefixes: issue_.
 * May call: 2-4, 6, 8-12, 14-17.
 */

/* ---- what to issue: names, CSR, key, profile ---- */

/* Read a file of at most max bytes (path relative to the cwd). */
static ACME_MUST_CHECK int
issue_read_file(const char *what, const char *path, struct buf *out,
    size_t max)
{
	int rc;

	if ((rc = store_read(AT_FDCWD, path, out, max)) == STORE_ABSENT)
		return err_set(ACME_ERR_USAGE, "%s %.200s: %s", what, path,
		    strerror(ENOENT));
	if (rc < 0)	/* a file too large is a usage error too */
		return err_wrap(rc == ACME_ERR_LIMIT ? ACME_ERR_USAGE : rc,
		    "%s", what);
	return 0;
}

/*
 * The DER of PEM or DER bytes raw (from what path): the first PEM block
 * labelled label1 or label2 (label2 may be NULL), else raw itself.
 */
static ACME_MUST_CHECK int
issue_der_parse(const char *what, const char *path, const struct buf *raw,
    const char *label1, const char *label2, struct buf *der)
{
	struct pem_obj objs[CHAIN_MAX];
	size_t n = 0, i;
	int rc;

	memset(objs, 0, sizeof(objs));
	der->max = PEM_MAX;
	if (raw->len > 0 && raw->data[0] == 0x30)	/* SEQUENCE: DER */
		return buf_append(der, raw->data, raw->len);
	if ((rc = pem_decode((const char *)raw->data, raw->len, objs,
	    CHAIN_MAX, &n)) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (strcmp(objs[i].label, label1) == 0 || (label2 != NULL &&
		    strcmp(objs[i].label, label2) == 0))
			break;
	rc = i < n ? buf_append(der, objs[i].der, objs[i].len) :
	    err_set(ACME_ERR_USAGE, "%s %.200s: no %s in it", what, path,
	    label1);
out:
	pem_objs_free(objs, n);
	return rc;
}

/* issue_der_parse() of the file at path. */
static ACME_MUST_CHECK int
issue_der_file(const char *what, const char *path, const char *label1,
    const char *label2, struct buf *der)
{
	struct buf raw = { 0 };
	int rc;

	if ((rc = issue_read_file(what, path, &raw, PEM_MAX)) == 0)
		rc = issue_der_parse(what, path, &raw, label1, label2, der);
	buf_free(&raw);
	return rc;
}

/*
 * --csr: read the request into der and take its names: the
 * subjectAltName entries, else the subject CN.
 */
static ACME_MUST_CHECK int
issue_csr_load(const struct acme_options *o, struct buf *der,
    struct ident *ids, size_t *nids)
{
	struct x509_info *xi = calloc(1, sizeof(*xi));
	const char *names[IDENT_MAX];
	struct der_cur spki;
	size_t i;
	int rc;

	if (xi == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = issue_der_file("--csr", o->csr_file, "CERTIFICATE REQUEST",
	    "NEW CERTIFICATE REQUEST", der)) < 0 ||
	    (rc = x509_csr_parse(der->data, der->len, xi, &spki)) < 0)
		goto out;
	for (i = 0; i < xi->nsan; i++)
		names[i] = xi->san[i].value;
	if (xi->nsan == 0 && xi->subject_cn[0] == '\0') {
		rc = err_set(ACME_ERR_USAGE, "--csr %.200s names no "
		    "identifier", o->csr_file);
		goto out;
	}
	rc = xi->nsan > 0 ? api_idents(names[0], names + 1, xi->nsan - 1,
	    ids, nids) : api_idents(xi->subject_cn, NULL, 0, ids, nids);
out:
	free(xi);
	return rc;
}

/* --csr-key: the CSR's private key, which must be the key in the CSR. */
static ACME_MUST_CHECK int
issue_csr_key(const struct acme_options *o, const struct buf *csr,
    struct key *k)
{
	struct x509_info *xi = calloc(1, sizeof(*xi));
	struct buf pem = { 0 };
	struct der_cur spki;
	unsigned char *mine = NULL;
	size_t n;
	int rc;

	if (xi == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if (o->csr_key == NULL) {
		rc = err_set(ACME_ERR_USAGE, "--csr needs --csr-key FILE, its "
		    "private key: live/NAME always holds the key of its "
		    "certificate");
		goto out;
	}
	if ((rc = issue_read_file("--csr-key", o->csr_key, &pem,
	    PEM_MAX)) < 0 ||
	    (rc = key_from_pem(k, (const char *)pem.data, pem.len)) < 0 ||
	    (rc = x509_csr_parse(csr->data, csr->len, xi, &spki)) < 0)
		goto out;
	n = der_spki(NULL, k);
	if ((mine = malloc(n)) == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	der_spki(mine, k);
	if (!asn1_eq(&spki, mine, n))
		rc = err_set(ACME_ERR_USAGE, "--csr-key %.200s is not the key "
		    "of the CSR", o->csr_key);
out:
	free(mine);
	buf_free(&pem);
	free(xi);
	return rc;
}

/*
 * --reuse-key: load DIR/live/NAME/privkey.pem into k when it exists (a
 * first issue generates one). Its type must agree with --key-type.
 */
static ACME_MUST_CHECK int
issue_reuse_key(int storefd, const char *name, const struct acme_options *o,
    struct key *k)
{
	struct buf pem = { 0 };
	int livefd, setfd = -1, rc = 0;

	if ((livefd = rc = store_subdir(storefd, "live", 0)) >= 0 &&
	    (setfd = rc = store_subdir(livefd, name, 0)) >= 0)
		rc = store_read(setfd, "privkey.pem", &pem, PEM_MAX);
	if (rc == STORE_ABSENT) {	/* a first issue: a new key */
		rc = 0;
		goto out;
	}
	if (rc < 0 ||
	    (rc = key_from_pem(k, (const char *)pem.data, pem.len)) < 0)
		err_wrap(rc, "--reuse-key: live/%s/privkey.pem", name);
	else if (o->key_type != NULL && strcmp(o->key_type,
	    key_types[k->type].name) != 0)
		rc = err_set(ACME_ERR_USAGE, "--reuse-key: live/%s/privkey.pem "
		    "is %s, not --key-type %.20s", name,
		    key_types[k->type].name, o->key_type);
	else
		log_msg(LOG_LEVEL_INFO, "reusing the %s key of live/%s",
		    key_types[k->type].name, name);
out:
	if (setfd >= 0)
		close(setfd);
	if (livefd >= 0)
		close(livefd);
	buf_free(&pem);
	return rc;
}

/*
 * The names of an issue: NAME and the identifiers, or with --csr those
 * of the CSR (read into csr; NAME then defaults to its first name).
 */
static ACME_MUST_CHECK int
issue_names(const struct acme_options *o, const char **name,
    size_t n, struct ident *ids, size_t *nids, struct buf *csr)
{
	int rc;

	if (o->csr_file == NULL)
		return *name == NULL ? err_set(ACME_ERR_USAGE, "issue needs a "
		    "NAME") : 0;
	if (n > 0)
		return err_set(ACME_ERR_USAGE, "with --csr the identifiers "
		    "come from the CSR: give at most a NAME");
	if (o->reuse_key)
		return err_set(ACME_ERR_USAGE, "--csr brings its own key: "
		    "leave out --reuse-key");
	if (o->csr_key == NULL)
		return err_set(ACME_ERR_USAGE, "--csr needs --csr-key FILE, "
		    "its private key: live/NAME always holds the key of its "
		    "certificate");
	if ((rc = issue_csr_load(o, csr, ids, nids)) < 0)
		return rc;
	if (*name == NULL)
		*name = ids[0].value;
	return 0;
}

/* The certificate key chosen before the order: --csr-key, --reuse-key. */
static ACME_MUST_CHECK int
issue_key(struct issue *is, int storefd, const char *name,
    const struct acme_options *o)
{
	if (is->csr.len > 0)
		return issue_csr_key(o, &is->csr, &is->cert_key);
	if (o->reuse_key)
		return issue_reuse_key(storefd, name, o, &is->cert_key);
	return 0;
}

/*
 * The new certificate must be valid by the CA's own clock (its time at
 * the start of the session, bounded by its TLS certificate, plus the
 * time since): one already expired, or not yet valid by more than
 * CA_SKEW_MAX, is refused before anything is installed or purged.
 */
static ACME_MUST_CHECK int
issue_in_time(const struct api_run *run, const struct x509_info *xi,
    int64_t backdate)
{
	char now[32], edge[32];
	int64_t t;

	if (run->ca_time <= 0)
		return 0;
	t = api_ca_now(run);
	clock_format_rfc3339(t, now, sizeof(now));
	if (t > xi->not_after) {
		clock_format_rfc3339(xi->not_after, edge, sizeof(edge));
		return err_set(ACME_ERR_PROTO, "%s: the new certificate "
		    "expired at %s, before the CA's own time %s: refused, "
		    "nothing changed (a CA clock or certificate is wrong)",
		    run->a->server, edge, now);
	}
	if (t + CA_SKEW_MAX < xi->not_before - backdate) {
		clock_format_rfc3339(xi->not_before, edge, sizeof(edge));
		return err_set(ACME_ERR_PROTO, "%s: the new certificate is "
		    "valid only from %s, after the CA's own time %s: refused, "
		    "nothing changed (a CA clock or certificate is wrong)",
		    run->a->server, edge, now);
	}
	return 0;
}

/*
 * meta.txt of the new set: issued_at from the download's Date header and
 * notBefore + backdate (clock_issued_at), never the system clock; the
 * certificate must be valid by the CA's clock (issue_in_time).
 */
static ACME_MUST_CHECK int
issue_meta(const struct issue *is, const struct x509_info *xi,
    const struct api_run *run, struct cert_set *cs, int64_t *at)
{
	const char *source;
	int64_t backdate;
	int rc;

	if ((rc = api_backdate(is->o, &backdate)) < 0 ||
	    (rc = issue_in_time(run, xi, backdate)) < 0)
		return rc;
	*at = clock_issued_at(is->cert_date, xi->not_before, xi->not_after,
	    backdate, &source);
	*at = api_ca_bound(run, *at);
	return file_meta_build(&cs->meta, is->name, xi,
	    key_types[is->key_type].name, is->a->server, *at, source);
}

/* What installing one order's set came to (issue_install). */
struct api_done {
	int	 rc;
	int64_t	 at;			/* its issuance time, which the
					   CA vouched for (api_vouch) */
	char	 line[ERR_MSG_MAX];	/* the result line, or the error */
};

/*
 * Install the set of a finished order (the ring rotates, expired backups
 * are purged by the issuance time) and conf/NAME.conf; its order record
 * is done with then. d gets the result line and the issuance time.
 */
static ACME_MUST_CHECK int
issue_order(struct issue *is, const struct api_run *run,
    struct api_done *d)
{
	const struct acme_options *o = is->o;
	struct cert_set cs;
	struct x509_info *xi;
	char until[32], fp[2 * 32 + 1];
	int64_t at;
	int rc;

	memset(&cs, 0, sizeof(cs));
	if ((xi = calloc(1, sizeof(*xi))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = flow_make_set(is, xi, &cs)) < 0 ||
	    (rc = issue_meta(is, xi, run, &cs, &at)) < 0) {
		order_forget(is);	/* a refused certificate: order anew */
		goto out;
	}
	if ((rc = store_install(run->storefd, is->name, &cs, at)) < 0 ||
	    (!is->renew && (rc = flow_write_conf(is, run->storefd,
	    o)) < 0))
		goto out;
	order_forget(is);
	d->at = at;
	hex_encode(fp, xi->sha256, sizeof(xi->sha256));
	log_msg(LOG_LEVEL_INFO, "%s: SHA-256 fingerprint %s", is->name, fp);
	clock_format_rfc3339(xi->not_after, until, sizeof(until));
	snprintf(d->line, sizeof(d->line), "%s: %s, valid until %s, in "
	    "%s/live/%s", is->name, is->renew ? "renewed" : "issued", until,
	    o->dir ? o->dir : API_DEFAULT_DIR, is->name);
out:
	store_cert_set_free(&cs);
	free(xi);
	return rc;
}

/* ---- install and deploy ---- */

/*
 * --copy-cert, --copy-chain, --copy-fullchain, --copy-key: live/NAME's
 * files written where another program reads them (acme.sh's
 * --install-cert), each by store_copy; all are staged before any is
 * renamed, so a server reloaded after a failure finds the old files. A
 * chain named like the certificate goes after it (acme.sh's way).
 */
static ACME_MUST_CHECK int
issue_copies(const struct acme_options *o, int storefd, const char *name)
{
	static const char *const files[] = { "cert.pem", "chain.pem",
	    "fullchain.pem", "privkey.pem" };
	const char *to[] = { o->copy_cert, o->copy_chain, o->copy_fullchain,
	    o->copy_key }, *file;
	struct store_copy cp[4];
	struct buf b = { 0 };
	int livefd, setfd = -1, i, rc = 0;

	for (i = 0; i < 4; i++) {
		cp[i].dirfd = -1;
		cp[i].staged = 0;
	}
	if (to[0] != NULL && to[1] != NULL && strcmp(to[0], to[1]) == 0)
		to[1] = NULL;
	if ((livefd = store_subdir(storefd, "live", 0)) >= 0) {
		setfd = store_subdir(livefd, name, 0);
		close(livefd);
	}
	for (i = 0; i < 4 && rc == 0; i++) {
		file = i == 0 && o->copy_chain != NULL && to[1] == NULL ?
		    files[2] : files[i];
		if (to[i] != NULL && (rc = setfd < 0 ? setfd :
		    store_read(setfd, file, &b, PEM_MAX)) == 0)
			rc = store_copy_stage(&cp[i], to[i], &b, i == 3);
		buf_free(&b);
	}
	for (i = 0; i < 4; i++)
		if (rc == 0 && cp[i].staged)
			rc = store_copy_commit(&cp[i]);
		else
			store_copy_close(&cp[i]);
	if (setfd >= 0)
		close(setfd);
	return rc < 0 ? err_wrap(ACME_ERR_HOOK, "%s: copy", name) : 0;
}

/* Run the deploy hook for live/NAME (DIR made absolute when possible). */
static ACME_MUST_CHECK int
issue_deploy(const struct acme_options *o, const char *name,
    const struct ident *ids, size_t nids)
{
	char live[PATH_LEN_MAX], *abs;
	const char *dir = o->dir ? o->dir : API_DEFAULT_DIR;
	int rc;

	abs = realpath(dir, NULL);
	snprintf(live, sizeof(live), "%s/live/%s", abs ? abs : dir, name);
	free(abs);
	if ((rc = hook_deploy(o->deploy_hook, name, live, ids, nids)) < 0)
		return rc;
	log_msg(LOG_LEVEL_INFO, "%s: deploy hook %s done", name,
	    o->deploy_hook);
	return 0;
}

/*
 * The one issuance path of issue and renew, first half, in the session
 * and DIR of run: the account, the key chosen before the order, the
 * challenge settings, an order an earlier run left for NAME. is is zeroed
 * by the caller, who may set replaces and renew, and frees it;
 * then batch_add, batch_run, issue_install, issue_finish.
 */
static ACME_MUST_CHECK int
issue_prepare(struct issue *is, const struct api_run *run,
    const struct acme_options *o, const char *name, const struct ident *ids,
    size_t nids, int key_type)
{
	struct acme *a = run->a;
	int rc;

	if ((a->kid[0] == '\0' && (rc = acct_ensure(a, run->storefd, o)) < 0) ||
	    (rc = issue_key(is, run->storefd, name, o)) < 0)
		return rc;
	is->a = a;
	is->name = name;
	is->ids = ids;
	is->nids = nids;
	is->key_given = is->cert_key.set;
	is->key_type = is->cert_key.set ? is->cert_key.type :
	    (enum key_type)key_type;
	is->o = o;
	is->storefd = run->storefd;
	if ((rc = api_chal_init(&is->chal, o, run->dir, name)) < 0)
		return rc;
	return order_load(is);
}

/* Install the set of finished order is into d (or keep its error). */
static void
issue_install(struct issue *is, const struct api_run *run, struct api_done *d)
{
	err_clear();
	d->at = 0;
	if ((d->rc = is->rc) < 0)
		snprintf(d->line, sizeof(d->line), "%s", is->err);
	else if ((d->rc = issue_order(is, run, d)) < 0)
		snprintf(d->line, sizeof(d->line), "%s", err_msg);
}

/* In a child: install, report d through fd, exit. */
static void
issue_install_child(struct issue *is, const struct api_run *run, int fd)
{
	struct api_done d;

	memset(&d, 0, sizeof(d));
	issue_install(is, run, &d);
	if (write(fd, &d, sizeof(d)) != (ssize_t)sizeof(d))
		_exit(1);
	_exit(0);
}

/* Start installing is in a child *pid; its pipe, or NONE (then done
 * holds the outcome of installing it here). */
static ACME_MUST_CHECK int
issue_install_start(struct issue *is, const struct api_run *run,
    struct api_done *done, pid_t *pid)
{
	int p[2];

	if (is->rc < 0 || pipe2(p, O_CLOEXEC) < 0) {
		issue_install(is, run, done);
		return NONE;
	}
	fflush(NULL);
	if ((*pid = fork()) == 0) {
		close(p[0]);
		issue_install_child(is, run, p[1]);
	}
	close(p[1]);
	if (*pid < 0) {
		close(p[0]);
		issue_install(is, run, done);
		return NONE;
	}
	return p[0];
}

/*
 * Install the sets of the orders is[0..n) at once, each in a child
 * process of its own: a set's own steps keep their order
 * (store_install), while the sets' fsyncs share the file system's
 * journal commits, so ten sets take about the time of one. done[i] gets
 * each outcome (its issuance time too, for issue_finish to vouch
 * for in this process); a lone set is installed here.
 */
static void
issue_install_all(struct issue *const *is, size_t n, const struct api_run *run,
    struct api_done *done)
{
	pid_t pid[ORDERS_MAX];
	int fd[ORDERS_MAX];
	size_t i;

	for (i = 0; i < n; i++)
		fd[i] = n == 1 ? (issue_install(is[i], run, &done[i]), -1) :
		    issue_install_start(is[i], run, &done[i], &pid[i]);
	for (i = 0; i < n; i++) {
		if (fd[i] < 0)
			continue;
		if (read(fd[i], &done[i], sizeof(done[i])) !=
		    (ssize_t)sizeof(done[i])) {
			done[i].rc = ACME_ERR_IO;
			done[i].at = 0;
			snprintf(done[i].line, sizeof(done[i].line), "%s: the "
			    "process installing it died", is[i]->name);
		}
		close(fd[i]);
		while (waitpid(pid[i], NULL, 0) < 0 && errno == EINTR)
			;
	}
}

/*
 * Second half, after issue_install: the set is in, so the CA vouched for
 * its issuance time (api_vouch: DIR/time at api_leave), the result line,
 * then the deploy hook; or the error of the order or of its
 * installation.
 */
static ACME_MUST_CHECK int
issue_finish(struct api_run *run, struct issue *is,
    const struct api_done *d)
{
	int rc;

	if (d->rc < 0)
		return err_set(d->rc, "%s", d->line);
	api_vouch(run, d->at);
	log_result("%s", d->line);
	if ((rc = issue_copies(is->o, run->storefd, is->name)) < 0 ||
	    is->o->deploy_hook == NULL)
		return rc;
	return issue_deploy(is->o, is->name, is->ids, is->nids);
}

/* prepare, one order alone, install, finish. */
static ACME_MUST_CHECK int
issue_run_one(struct issue *is, struct api_run *run,
    const struct acme_options *o, const char *name, const struct ident *ids,
    size_t nids, int key_type)
{
	struct api_done d;
	struct batch *b;
	int rc;

	if ((rc = issue_prepare(is, run, o, name, ids, nids,
	    key_type)) < 0)
		return rc;
	if ((b = calloc(1, sizeof(*b))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	batch_init(b, run->a);
	batch_add(b, is);
	batch_run(b);
	batch_free(b);
	free(b);
	issue_install(is, run, &d);
	return issue_finish(run, is, &d);
}

/* What issue checks before any request; filled by issue_check. */
struct api_issue_req {
	const char	*name;		/* borrowed; the CSR's with --csr */
	const char *const *idents;	/* borrowed */
	size_t		 nidents;
	struct ident	*ids;		/* borrowed array of IDENT_MAX */
	size_t		 nids;
	int		 key_type;
	struct buf	 csr;		/* owned: --csr DER, or empty */
	struct acme_options saved;	/* with NAME's server, if saved */
	struct buf	 conf;		/* owned: the text saved points into */
};

static ACME_MUST_CHECK int
issue_check(struct api_run *run, void *arg)
{
	struct api_issue_req *q = arg;
	const struct acme_options *o = run->o;
	int rc;

	if ((rc = issue_names(o, &q->name, q->nidents, q->ids, &q->nids,
	    &q->csr)) < 0 || (rc = api_check(o, q->name, &q->key_type)) < 0 ||
	    (o->csr_file == NULL && (rc = api_idents(q->name, q->idents,
	    q->nidents, q->ids, &q->nids)) < 0) ||
	    (rc = api_saved_server(run, q->name, &q->saved, &q->conf)) < 0)
		return rc;
	return api_check_chal(run->o, q->ids, q->nids);
}

int
acme_issue(const struct acme_options *o, const char *name,
    const char *const *idents, size_t nidents)
{
	static struct ident ids[IDENT_MAX];
	struct api_issue_req q = { .name = name, .idents = idents,
	    .nidents = nidents, .ids = ids, .key_type = KEY_EC256 };
	struct api_run run;
	struct issue *is = NULL;
	int rc;

	/* Nothing in DIR changes before the server has answered; DIR/time
	 * only once the certificate is in (a failed run changes nothing). */
	if ((rc = api_enter(&run, o, API_CA | API_LOCK | API_CREATE,
	    issue_check, &q)) == 0 &&
	    (is = calloc(1, sizeof(*is))) == NULL)
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
	if (rc == 0) {
		is->csr = q.csr;
		memset(&q.csr, 0, sizeof(q.csr));
		rc = issue_run_one(is, &run, run.o, q.name, ids, q.nids,
		    q.key_type);
	}
	if (is != NULL)
		flow_free(is);
	free(is);
	buf_free(&q.csr);
	rc = api_leave(&run, rc);
	buf_free(&q.conf);
	return rc;
}

/* ==== 19. List, restore and imports ==== */

/*
 * The commands that change nothing at the CA: acme_list() (what is live and
 * in the backup ring, judged by trusted time), acme_restore() (a backup back
 * to live), and the imports of certbot, uacme, acme.sh and lego trees: the
 * source is only read, safely, keys stay 0600, accounts and hooks come
 * along, and a report says what did not.
 *
 * Prefixes: imp_, list_.
 * May call: 2-7, 9-12, 14-17.
 */

/* ---- list, restore ---- */

/* What list shows of one set directory. */
struct api_set {
	int64_t		 not_after;
	int64_t		 issued_at;	/* -1 when meta.txt has none */
	char		 key_type[16];	/* "?" when unknown */
	char		 serial[2 * X509_SERIAL_MAX + 1]; /* as meta.txt */
	struct x509_info xi;
};

/* Read set directory name below dirfd: cert.pem, then meta.txt. */
static ACME_MUST_CHECK int
list_set_read(int dirfd, const char *name, struct api_set *s)
{
	struct buf meta = { 0 };
	char t[64];
	int fd, rc;

	memset(s, 0, sizeof(*s));
	s->issued_at = -1;
	snprintf(s->key_type, sizeof(s->key_type), "?");
	if ((rc = store_set_not_after(dirfd, name, &s->not_after,
	    s->serial)) < 0)
		return rc;
	if ((fd = store_subdir(dirfd, name, 0)) < 0)
		return fd;
	err_hush();
	rc = file_meta_read(fd, &meta);
	err_unhush();
	if (rc == 0) {
		/* without one, key_type stays "?" */
		ACME_IGNORE(file_get(&meta, "key_type", s->key_type,
		    sizeof(s->key_type)));
		if (file_get(&meta, "issued_at", t, sizeof(t)) &&
		    clock_parse_rfc3339(t, &s->issued_at) < 0)
			s->issued_at = -1;
	}
	buf_free(&meta);
	close(fd);
	return 0;
}

/* The identifiers of live/NAME's certificate (list's first line). */
static void
list_idents(int livefd, const char *name, struct x509_info *xi)
{
	struct buf b = { 0 };
	struct pem_obj obj[1];
	size_t n = 0, i;
	int fd;

	memset(obj, 0, sizeof(obj));
	printf("%s:", name);
	err_hush();
	if ((fd = store_subdir(livefd, name, 0)) >= 0 &&
	    store_read(fd, "cert.pem", &b, PEM_MAX) == 0 &&
	    pem_decode((const char *)b.data, b.len, obj, 1, &n) == 0 &&
	    n == 1 && x509_parse(obj[0].der, obj[0].len, xi) == 0)
		for (i = 0; i < xi->nsan; i++)
			printf(" %s", xi->san[i].value);
	err_unhush();
	printf("\n");
	if (fd >= 0)
		close(fd);
	pem_objs_free(obj, n);
	buf_free(&b);
}

/* One line of list: label, not after, days left by trusted, key type. */
static void
list_set(int dirfd, const char *dir, const char *label, int64_t trusted,
    struct api_set *s)
{
	char t[32], left[48];

	if (list_set_read(dirfd, dir, s) < 0) {
		printf("  %-9s unreadable: %s\n", label, acme_last_error());
		err_clear();
		return;
	}
	clock_format_rfc3339(s->not_after, t, sizeof(t));
	if (trusted < 0)
		snprintf(left, sizeof(left), "days left unknown");
	else if (s->not_after < trusted)
		snprintf(left, sizeof(left), "expired");
	else
		snprintf(left, sizeof(left), "%lld days left",
		    (long long)((s->not_after - trusted) / 86400));
	printf("  %-9s not after %s  %-15s %-7s serial %s\n", label, t, left,
	    s->key_type, s->serial);
}

/* Print NAME's live set and backups. */
static void
list_name(int livefd, int storefd, const char *name, int64_t trusted,
    struct api_set *s)
{
	char slot[16], label[16];
	int ringfd, k;

	list_idents(livefd, name, &s->xi);
	list_set(livefd, name, "live", trusted, s);
	store_open_name(storefd, name, &k, &ringfd);
	if (k >= 0)
		close(k);
	for (k = 1; ringfd >= 0 && k <= BACKUP_DEPTH; k++) {
		store_slot(slot, sizeof(slot), k);
		snprintf(label, sizeof(label), "backup %d", k);
		if (store_exists(ringfd, slot))
			list_set(ringfd, slot, label, trusted, s);
	}
	if (ringfd >= 0)
		close(ringfd);
}

/*
 * The last trusted time: the latest of DIR/time (the floor kept by
 * renew) and the issued_at of every set. -1 when there is none.
 */
static int64_t
list_trusted_time(int storefd, char *const *names, size_t n,
    struct api_set *s)
{
	int64_t best = file_time_get(storefd);
	char slot[16];
	int livefd, ringfd, k;
	size_t i;

	if (best <= 0)
		best = -1;
	err_hush();	/* an unreadable set has no time to give */
	for (i = 0; i < n; i++) {
		store_open_name(storefd, names[i], &livefd, &ringfd);
		if (livefd >= 0 && list_set_read(livefd, names[i], s) == 0 &&
		    s->issued_at > best)
			best = s->issued_at;
		for (k = 1; ringfd >= 0 && k <= BACKUP_DEPTH; k++) {
			store_slot(slot, sizeof(slot), k);
			if (store_exists(ringfd, slot) &&
			    list_set_read(ringfd, slot, s) == 0 &&
			    s->issued_at > best)
				best = s->issued_at;
		}
		if (livefd >= 0)
			close(livefd);
		if (ringfd >= 0)
			close(ringfd);
	}
	err_unhush();
	return best;
}

/* The NAMEs in live/, sorted; *names owned by the caller. */
static ACME_MUST_CHECK int
list_live_names(int storefd, char ***names, size_t *n)
{
	int fd, rc;

	*names = NULL;
	*n = 0;
	if ((fd = store_subdir(storefd, "live", 0)) < 0)
		return fd == STORE_ABSENT ? 0 : fd;
	rc = store_names(fd, "live", "", SIZE_MAX, names, n);
	close(fd);
	return rc;
}

/* list without DIR: nothing to show, and nothing is created. */
static ACME_MUST_CHECK int
list_check(struct api_run *run, void *arg)
{
	(void)arg;
	if (access(run->dir, F_OK) < 0 && errno == ENOENT) {
		printf("no certificates: %s does not exist\n", run->dir);
		return 1;
	}
	return 0;
}

int
acme_list(const struct acme_options *o)
{
	struct api_run run;
	struct api_set *s = NULL;
	char **names = NULL, t[32];
	size_t n = 0, i;
	int64_t trusted;
	int livefd = -1, rc;

	if ((rc = api_enter(&run, o, API_LOCK, list_check, NULL)) != 0 ||
	    (rc = list_live_names(run.storefd, &names, &n)) < 0)
		goto out;
	if (n == 0) {
		printf("no certificates in %s\n", run.dir);
		goto out;
	}
	if ((s = malloc(sizeof(*s))) == NULL) {
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
		goto out;
	}
	trusted = list_trusted_time(run.storefd, names, n, s);
	livefd = store_subdir(run.storefd, "live", 0);
	for (i = 0; livefd >= 0 && i < n; i++)
		list_name(livefd, run.storefd, names[i], trusted, s);
	if (trusted >= 0) {
		clock_format_rfc3339(trusted, t, sizeof(t));
		printf("days left by %s, the last time the CA vouched for\n",
		    t);
	}
out:
	if (livefd >= 0)
		close(livefd);
	store_names_free(names, n);
	free(s);
	return api_leave(&run, rc > 0 ? 0 : rc);
}

static ACME_MUST_CHECK int
list_restore_check(struct api_run *run, void *arg)
{
	const char *name = arg;

	(void)run;
	if (!store_name_ok(name))
		return err_set(ACME_ERR_USAGE, "bad certificate name '%.80s'",
		    name);
	return 0;
}

int
acme_restore(const struct acme_options *o, const char *name, int n)
{
	struct api_run run;
	int rc;

	if ((rc = api_enter(&run, o, API_LOCK, list_restore_check,
	    (void *)(uintptr_t)name)) == 0 &&
	    (rc = store_restore(run.storefd, name, n)) == 0 &&
	    o->verbosity >= 0)
		printf("%s: backup %d is live now; the previous live set is "
		    "backup 1\n", name, n);
	return api_leave(&run, rc);
}

/* ---- imports: the core ---- */

/*
 * import-certbot, import-uacme, import-acmesh and import-lego are one
 * family: a source (struct imp_src, one subsection per client below)
 * knows where its client keeps certificates, settings and accounts; this
 * core reads the tree, checks it, writes DIR and reports. A new client
 * is one subsection, one public function and one row of the CLI.
 *
 * The client's tree is only read, and nothing outside it: every path
 * below it is opened one component at a time from a directory
 * descriptor with O_NOFOLLOW (a symbolic link is refused, by name), and
 * the tree, every directory on the way and every file read must belong
 * to root or to the user running acme and be writable by no one else,
 * the rule of conf/NAME.conf (store_private_ok): what renew will run,
 * often as root, came from no other user. A program a hook names is
 * copied into DIR/hooks at the import, and the copy is what runs.
 *
 * A run reads the tree twice: first silently, so that one path breaking
 * those rules refuses the whole tree (ACME_ERR_USAGE, nothing written,
 * DIR not even created); then for real, creating DIR at its first
 * write. Each certificate (its sets, conf and hook copies) and each
 * account is written whole or not at all; each one that is not is named
 * on stderr, and the run then returns ACME_ERR_IO. Every line printed
 * is escaped (log_result, log_format).
 */

#define IMP_HOOKS	"hooks"		/* DIR/hooks/NAME.deploy, -1, -2 .. */
#define IMP_NOHOOK	"acme runs no hook before or after a renewal (stop " \
			"or start a server in the job that runs acme renew)"

struct imp_run;
struct imp_conf;
struct imp_acct;
struct imp_set;

/* A client: what its tree holds, read by the functions of its subsection. */
struct imp_src {
	const char	*from;		/* "certbot" */
	const char	*cmd;		/* "import-certbot" */
	const char	*mark;		/* a folder every such tree has */
	/* the NAMEs of the tree, odd ones too (owned by the caller) */
	int	(*names)(struct imp_run *, char ***, size_t *);
	/* NAME's settings and hooks, and where its account is */
	int	(*conf)(struct imp_run *, const char *, struct imp_conf *);
	/* that account; STORE_ABSENT when there is none to take */
	int	(*acct)(struct imp_run *, const struct imp_conf *,
		    struct imp_acct *);
	/* NAME's current set and the older ones */
	int	(*set)(struct imp_run *, const char *, struct imp_conf *,
		    struct imp_set *);
	/* after the writing reading, or NULL */
	int	(*end)(struct imp_run *);
	int	 given_server;	/* the tree keeps none: --server's */
};

/* One import run. */
struct imp_run {
	const struct imp_src *src;		/* borrowed: the client */
	const char	*server;		/* borrowed: --server's URL
						   for a src that keeps none
						   (given_server), else NULL */
	const char	*tree;			/* borrowed: as given */
	char		 srcabs[PATH_LEN_MAX];	/* the same, absolute */
	int		 srcfd;
	struct api_run	 run;			/* api_enter's: run.o the
						   options, run.storefd DIR
						   (locked; -1 until it
						   exists) */
	char		 dir[PATH_LEN_MAX];	/* DIR, absolute, once locked
						   (imp_store); "" before */
	int64_t		 floor;			/* last trusted time or -1 */
	int		 dry;			/* the silent first reading */
	int		 refused;		/* a path broke the rules */
	int		 failed;		/* items not imported */
	char		 err[ERR_MSG_MAX];	/* the last of them */
	struct buf	 seen;			/* accounts looked at */
	int		 api;			/* a NAME went to --dns-api */
};

/* DIR for writing: made and locked at the run's first write, so that a
 * run that imports nothing makes no DIR. */
static ACME_MUST_CHECK int
imp_store(struct imp_run *r)
{
	int rc;

	if (r->dir[0] != '\0')
		return 0;
	if (r->run.storefd < 0 && (rc = api_lock(&r->run, 1)) < 0)
		return rc;
	if (realpath(r->run.dir, r->dir) == NULL) {
		r->dir[0] = '\0';
		return err_set(ACME_ERR_IO, "%.200s: %s", r->run.dir,
		    strerror(errno));
	}
	return 0;
}

/* The tree's path (its first n bytes) for a message: "TREE/path". */
static void
imp_path(const struct imp_run *r, const char *path, size_t n, char *out,
    size_t cap)
{
	snprintf(out, cap, "%s%s%.*s", r->srcabs, n ? "/" : "", (int)n, path);
}

/*
 * What an import reads (fd, named path) must belong to root or to the
 * user running acme and be writable by no one else. Else ACME_ERR_USAGE
 * naming path and the fix, and the whole tree is refused (r->refused):
 * recorded through a hush (err_insist), since it ends the import.
 */
static ACME_MUST_CHECK int
imp_owner_ok(struct imp_run *r, int fd, const char *path)
{
	struct stat st;
	unsigned me = (unsigned)geteuid();

	if (fstat(fd, &st) < 0)
		return err_set(ACME_ERR_IO, "%s: %s", path, strerror(errno));
	r->refused = st.st_uid != 0 && (unsigned)st.st_uid != me;
	if (r->refused)
		return err_insist(ACME_ERR_USAGE, "%s belongs to uid %u, "
		    "neither root nor the user running acme: chown %u %s (or "
		    "import a copy)", path, (unsigned)st.st_uid, me, path);
	r->refused = (st.st_mode & (S_IWGRP | S_IWOTH)) != 0;
	if (r->refused)
		return err_insist(ACME_ERR_USAGE, "%s is writable by group or "
		    "others: chmod go-w %s", path, path);
	return 0;
}

/* Why component name below dirfd did not open (errno e): a link is
 * refused, by name; absence is STORE_ABSENT. */
static ACME_MUST_CHECK int
imp_open_fail(struct imp_run *r, int dirfd, const char *name,
    const char *path, int e)
{
	struct stat st;

	if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) == 0 &&
	    S_ISLNK(st.st_mode)) {
		r->refused = 1;
		return err_insist(ACME_ERR_USAGE, "%s is a symbolic link: acme "
		    "follows none in a tree it imports", path);
	}
	if (e == ENOENT || e == ENOTDIR)
		return STORE_ABSENT;
	return err_set(ACME_ERR_IO, "%s: %s", path, strerror(e));
}

/*
 * Open path below the tree ('/'-separated; no "." or ".." component)
 * one component at a time with O_NOFOLLOW, each checked by imp_owner_ok:
 * nothing outside the tree is ever reached. dir: a directory, else a
 * regular file (or, IMP_ANY, either). Its fd, STORE_ABSENT, or an error.
 */
#define IMP_ANY	2

static ACME_MUST_CHECK int
imp_open(struct imp_run *r, const char *path, int dir)
{
	char what[2 * PATH_LEN_MAX], comp[NAME_LEN_MAX + 1];
	const char *p = path;
	struct stat st;
	int fd = r->srcfd, next, rc;
	size_t n;

	/* the tree itself, checked by imp_src_check */
	if (strcmp(path, ".") == 0 && dir != 0 && (next = fcntl(fd,
	    F_DUPFD_CLOEXEC, 0)) >= 0)
		return next;
	for (;;) {
		n = strcspn(p, "/");
		imp_path(r, path, (size_t)(p + n - path), what, sizeof(what));
		if (n == 0 || n > NAME_LEN_MAX || (n <= 2 &&
		    strncmp(p, "..", n) == 0)) {
			next = -1;
			rc = err_set(ACME_ERR_USAGE, "%s: no file of the tree",
			    what);
		} else {
			snprintf(comp, sizeof(comp), "%.*s", (int)n, p);
			next = openat(fd, comp, O_RDONLY | O_NOFOLLOW |
			    O_NONBLOCK | O_CLOEXEC | (p[n] != '\0' || dir == 1 ?
			    O_DIRECTORY : 0));
			rc = next < 0 ? imp_open_fail(r, fd, comp, what,
			    errno) : imp_owner_ok(r, next, what);
		}
		if (fd != r->srcfd)
			close(fd);
		fd = next;
		if (rc < 0 || p[n] == '\0')
			break;
		p += n + 1;
	}
	if (rc == 0 && (dir != 0 || (fstat(fd, &st) == 0 &&
	    S_ISREG(st.st_mode))))
		return fd;
	if (rc == 0)
		rc = err_set(ACME_ERR_IO, "%s: not a regular file", what);
	if (fd >= 0)
		close(fd);
	return rc;
}

/* Read file path below the tree into out (at most max bytes). */
static ACME_MUST_CHECK int
imp_read(struct imp_run *r, const char *path, struct buf *out, size_t max)
{
	int fd, rc;

	if ((fd = imp_open(r, path, 0)) < 0)
		return fd;
	if ((rc = store_read_fd(fd, out, max)) < 0)
		err_wrap(rc, "%.200s", path);
	close(fd);
	return rc;
}

/* The same for a file a client may lack or keep badly: only a refusal
 * is an error; otherwise out is left empty. */
static ACME_MUST_CHECK int
imp_read_opt(struct imp_run *r, const char *path, struct buf *out,
    size_t max)
{
	int rc;

	err_hush();
	rc = imp_read(r, path, out, max);
	err_unhush();
	if (rc < 0 && r->refused)
		return rc;
	if (rc < 0)
		buf_free(out);
	return 0;
}

/* 1 when path below the tree is there (dir: a directory), 0 when not. */
static ACME_MUST_CHECK int
imp_has(struct imp_run *r, const char *path, int dir)
{
	int fd = imp_open(r, path, dir);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 1 : fd == STORE_ABSENT ? 0 : fd;
}

/*
 * The entries of directory path below the tree whose names end in
 * suffix, without it, sorted, at most max: every one, odd names too (the
 * core names what it cannot take). *names owned by the caller.
 */
static ACME_MUST_CHECK int
imp_list(struct imp_run *r, const char *path, const char *suffix,
    size_t max, char ***names, size_t *n)
{
	size_t len, sl = strlen(suffix);
	char **v = NULL, **nv;
	struct dirent *de;
	DIR *d;
	int fd, rc = 0;

	*names = NULL;
	*n = 0;
	if ((fd = imp_open(r, path, 1)) < 0)
		return fd;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return err_set(ACME_ERR_IO, "%.200s: %s", path,
		    strerror(errno));
	}
	rewinddir(d);	/* "." shares its offset with the tree's fd */
	while (rc == 0 && *n < max && (de = readdir(d)) != NULL) {
		len = strlen(de->d_name);
		if (strcmp(de->d_name, ".") == 0 || strcmp(de->d_name,
		    "..") == 0 || len <= sl || strcmp(de->d_name + len - sl,
		    suffix) != 0)
			continue;
		if ((nv = realloc(v, (*n + 1) * sizeof(*v))) != NULL)
			v = nv;
		if (nv == NULL || (v[*n] = strndup(de->d_name,
		    len - sl)) == NULL)
			rc = err_set(ACME_ERR_NOMEM, "out of memory");
		else
			(*n)++;
	}
	closedir(d);
	if (*n > 1)
		qsort(v, *n, sizeof(*v), store_name_cmp);
	*names = v;
	return rc;
}

/*
 * A program a setting names by its absolute path, outside the tree:
 * opened (its directories as the system has them), then held to the
 * same rule. Its fd; STORE_ABSENT when it is no executable file (then
 * the setting is a command line).
 */
static ACME_MUST_CHECK int
imp_prog_open(struct imp_run *r, const char *path)
{
	struct stat st;
	int fd, rc;

	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0)
		return STORE_ABSENT;
	if (fstat(fd, &st) < 0 || !S_ISREG(st.st_mode) ||
	    (st.st_mode & 0111) == 0)
		rc = STORE_ABSENT;
	else if ((rc = imp_owner_ok(r, fd, path)) == 0)
		return fd;
	close(fd);
	return rc;
}

/* ---- imports: what is carried over ---- */

/* What acme carries over of one NAME, from any client, and the report. */
struct imp_conf {
	const char	*name;			/* borrowed: NAME */
	char		 server[URL_MAX];
	char		 authenticator[64];	/* webroot, standalone, or the
						   client's word for it */
	char		 webroot[PATH_LEN_MAX];
	char		 http_port[16];
	char		 tls_port[16];
	char		 bind[64];
	char		 challenge[16];		/* "" or a challenge type */
	const char	*chal_why;		/* static: why the client's
						   method is not carried over */
	char		 key_type[16];		/* "" for the key's own */
	char		 preferred_chain[256];
	char		 ca_file[PATH_LEN_MAX];
	char		 copy[4][PATH_LEN_MAX];	/* --copy-cert, -chain,
						   -fullchain, -key */
	char		 deploy_hook[PATH_LEN_MAX]; /* given, or the wrapper */
	char		 hook[PATH_LEN_MAX];	/* challenge hook, or "" */
	char		 account[64];		/* certbot's account ID */
	char		 cb_hook[PATH_LEN_MAX];	/* certbot's renew_hook */
	char		 cb_key[16];		/* certbot's key_type, */
	char		 cb_curve[32];		/* elliptic_curve and */
	char		 cb_bits[16];		/* rsa_key_size */
	int		 cb_dirhooks;		/* certbot's directory_hooks */
	int		 sh_days;		/* acme.sh's Le_RenewalDays */
	int		 reuse_key;
	int		 days;
	int		 nprogs;
	struct buf	 prog[IMP_HOOKS_MAX];	/* programs copied, as
						   hooks/NAME.deploy-K */
	struct buf	 wrap;			/* the wrapper's commands */
	struct buf	 said;			/* report lines for them */
	char		 dns_api[API_NAME_MAX + 1];	/* --dns-api, or "" */
	char		 api_dir[PATH_LEN_MAX];	/* --dns-api-dir, or "" */
	struct buf	 api_script;		/* the tree's script, copied
						   into api_dir */
	char		 alias[IDENT_LEN_MAX + 2];	/* --challenge-alias, */
	int		 dalias;		/* or --domain-alias */
	int		 dns_wait;		/* acme.sh's Le_DNSSleep */
	struct buf	 dns_saved;		/* the dnsapi script's own
						   keys: KEY NUL VALUE NUL */
	struct buf	 report;		/* "NAME: " lines, without it */
};

/* A field of struct imp_conf, for the tables of the sources' keys
 * (which keep offsets in 16 bits). */
#define IMP_F(f)	offsetof(struct imp_conf, f), \
			sizeof(((struct imp_conf *)0)->f)
_Static_assert(sizeof(struct imp_conf) <= 65535, "IMP_F: 16 bits");

static void
imp_conf_init(struct imp_conf *c, const char *name)
{
	memset(c, 0, sizeof(*c));
	c->name = name;
	c->wrap.max = c->said.max = c->report.max = CONF_MAX;
	/* too long: a command skipped (imp_wrap_done), a line lost */
	c->wrap.quiet = c->said.quiet = c->report.quiet = 1;
	c->dns_saved.max = CONF_MAX;
	c->cb_dirhooks = 1;
}

static void
imp_conf_free(struct imp_conf *c)
{
	int i;

	for (i = 0; i < c->nprogs; i++)
		buf_free(&c->prog[i]);
	buf_free(&c->wrap);
	buf_free(&c->said);
	buf_free(&c->report);
	buf_free(&c->dns_saved);
	buf_free(&c->api_script);
}

/* Append one line to b, escaped (a newline from the tree stays in it);
 * a report that outgrew b loses lines, not the run. */
static void
imp_vline(struct buf *b, const char *fmt, va_list ap)
{
	char raw[IMP_LINE_MAX], line[IMP_LINE_MAX];

	vsnprintf(raw, sizeof(raw), fmt, ap);
	str_sanitize(line, sizeof(line), raw, strlen(raw));
	/* b is quiet: only out of memory can fail when it fits, and then
	 * the line is lost */
	if (b->len + strlen(line) + 2 < b->max)
		ACME_IGNORE(buf_printf(b, "%s\n", line));
}

static void
imp_line_add(struct buf *b, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imp_vline(b, fmt, ap);
	va_end(ap);
}

static void
imp_say(struct imp_conf *c, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	imp_vline(&c->report, fmt, ap);
	va_end(ap);
}

/* "not carried over: KEY 'VALUE': WHY", the value cut to a line. */
static void
imp_skip(struct imp_conf *c, const char *key, const char *val,
    const char *why)
{
	imp_say(c, "not carried over: %.60s%s%.150s%s: %s", key, val[0] ?
	    " '" : "", val, val[0] ? "'" : "", why);
}

/* Copy v into dst (cap bytes); a value that does not fit is reported. */
static void
imp_set(struct imp_conf *c, char *dst, size_t cap, const char *key,
    const char *v)
{
	if (strlen(v) >= cap || !str_one_line(v))
		imp_skip(c, key, v, "too long or not one line of text");
	else
		memcpy(dst, v, strlen(v) + 1);
}

/* The server the client named: an https URL, else NAME is not imported. */
static ACME_MUST_CHECK int
imp_server_ok(const struct imp_conf *c)
{
	return req_url_ok(c->server) ? 0 : err_set(ACME_ERR_USAGE, "server "
	    "'%.200s' is not an https URL", c->server);
}

/* A setting carried over, or NULL when the client had none. */
static const char *
imp_opt(const char *v)
{
	return v[0] != '\0' ? v : NULL;
}

/* Is the challenge method a webroot (a path given)? */
static ACME_MUST_CHECK int
imp_webroot(const struct imp_conf *c)
{
	return strcmp(c->authenticator, "webroot") == 0 && c->webroot[0];
}

/* A port setting that is no port number is reported and dropped. */
static void
imp_port(struct imp_conf *c, const char *key, char *port)
{
	char *end;
	long n;

	errno = 0;
	n = strtol(port, &end, 10);
	if (port[0] != '\0' && (errno != 0 || *end != '\0' || n < 1 ||
	    n > 65535)) {
		imp_skip(c, key, port, "not a port number");
		port[0] = '\0';
	}
}

/* The challenge settings: ports checked, a method there or reported. */
static void
imp_check_chal(struct imp_conf *c)
{
	char why[320];

	if (strcmp(c->authenticator, "webroot") == 0 && c->webroot[0] == '\0')
		imp_skip(c, "authenticator", "webroot", "no webroot path");
	imp_port(c, "http port", c->http_port);
	imp_port(c, "tls port", c->tls_port);
	if (imp_webroot(c) || strcmp(c->authenticator, "standalone") == 0 ||
	    c->hook[0] != '\0' || c->dns_api[0] != '\0')
		return;
	snprintf(why, sizeof(why), "%s%sacme answers with a webroot, its own "
	    "responder or a --hook: set one in conf/%s.conf",
	    c->chal_why ? c->chal_why : "", c->chal_why ? "; " : "", c->name);
	imp_skip(c, "challenge method", c->authenticator, why);
}

/* ---- imports: the set ---- */

/*
 * cs->cert holds a whole chain (uacme's cert.pem, lego's NAME.crt):
 * split it into cert, chain and fullchain, each re-encoded as strict PEM.
 */
static ACME_MUST_CHECK int
imp_split(struct cert_set *cs)
{
	struct pem_obj objs[CHAIN_MAX];
	size_t n = 0, i;
	int rc;

	if ((rc = pem_decode((const char *)cs->cert.data, cs->cert.len, objs,
	    CHAIN_MAX, &n)) < 0)
		return rc;
	buf_free(&cs->cert);
	buf_free(&cs->fullchain);
	cs->cert.max = cs->chain.max = cs->fullchain.max = PEM_MAX;
	for (i = 0; i < n && rc == 0; i++) {
		if (strcmp(objs[i].label, "CERTIFICATE") != 0)
			continue;
		if ((rc = pem_encode(cs->cert.len ? &cs->chain : &cs->cert,
		    "CERTIFICATE", objs[i].der, objs[i].len)) == 0)
			rc = pem_encode(&cs->fullchain, "CERTIFICATE",
			    objs[i].der, objs[i].len);
	}
	pem_objs_free(objs, n);
	if (rc == 0 && cs->chain.len == 0)
		rc = err_set(ACME_ERR_PROTO, "no chain after the certificate");
	return rc;
}

/*
 * Make cs (cert, chain, fullchain and privkey as read; chain empty when
 * cert holds the whole chain) a set: the certificate parsed into xi, its
 * key matching and re-encoded as PKCS#8, meta.txt with issued_at its
 * notBefore (the only time the CA vouched for; no backdate assumed).
 * *key_type: the key's type name.
 */
static ACME_MUST_CHECK int
imp_load_set(struct cert_set *cs, const char *name, const char *server,
    struct x509_info *xi, const char **key_type)
{
	struct pem_obj obj[1];
	struct key key;
	struct buf pem = { .max = PEM_MAX };
	size_t n = 0;
	int rc;

	memset(obj, 0, sizeof(obj));
	memset(&key, 0, sizeof(key));
	if ((cs->chain.len == 0 && (rc = imp_split(cs)) < 0) ||
	    (rc = pem_decode((const char *)cs->cert.data, cs->cert.len, obj,
	    1, &n)) < 0 || (rc = n == 1 ? x509_parse(obj[0].der, obj[0].len,
	    xi) : err_set(ACME_ERR_PROTO, "no certificate")) < 0 ||
	    (rc = key_from_pem(&key, (const char *)cs->privkey.data,
	    cs->privkey.len)) < 0)
		goto out;
	if (x509_key_matches(obj[0].der, obj[0].len, &key) != 1) {
		rc = err_set(ACME_ERR_CRYPTO, "the key does not match the "
		    "certificate");
		goto out;
	}
	if ((rc = key_to_pem(&key, &pem)) < 0)
		goto out;
	buf_free(&cs->privkey);
	cs->privkey = pem;
	memset(&pem, 0, sizeof(pem));
	*key_type = key_types[key.type].name;
	rc = file_meta_build(&cs->meta, name, xi, *key_type, server,
	    xi->not_before, "notbefore");
out:
	key_free(&key);
	buf_free(&pem);
	pem_objs_free(obj, n);
	return rc;
}

/* The older sets kept as backups, newest first. */
struct imp_old {
	struct cert_set	 cs[BACKUP_DEPTH];
	char		 label[BACKUP_DEPTH][64];	/* "version 2" */
	int		 n;
	struct buf	 report;	/* ", version 1 (expired)" ... */
};

/*
 * The older sets of a NAME, as a loader: candidate i (0 newest) gets its
 * label ("version 2") and, when cs is not NULL, its files as read into
 * cs; 0, or < 0 with the error recorded.
 */
struct imp_older {
	int	(*load)(struct imp_run *, const void *, int, struct cert_set *,
		    char *, size_t);
	const void *ctx;		/* borrowed, the loader's */
	int	 n;			/* candidates 0..n-1, newest first */
};

/* What an import takes of one NAME's certificates. */
struct imp_set {
	struct cert_set	 cur;
	char		 label[2 * NAME_LEN_MAX + 32];	/* "version 3" */
	struct imp_old	 old;
	struct x509_info xi[2];		/* cur's, then the older ones' */
	const char	*kt;		/* cur's key type */
};

static void
imp_set_free(struct imp_set *s)
{
	int i;

	for (i = 0; i < BACKUP_DEPTH; i++)
		store_cert_set_free(&s->old.cs[i]);
	store_cert_set_free(&s->cur);
	buf_free(&s->old.report);
}

/* Keep up to BACKUP_DEPTH unexpired older sets, newest first. */
static ACME_MUST_CHECK int
imp_pick_old(struct imp_run *r, const struct imp_older *src,
    const char *name, const char *server, int64_t trusted,
    struct imp_old *old, struct x509_info *xi)
{
	struct cert_set *cs;
	const char *kt, *why;
	char label[64];
	int i;

	old->report.max = 8192;
	old->report.quiet = 1;	/* outgrown, it loses entries, not the run */
	for (i = 0; i < src->n && !r->refused; i++) {
		cs = old->n < BACKUP_DEPTH ? &old->cs[old->n] : NULL;
		why = NULL;
		if (src->load(r, src->ctx, i, cs, label, sizeof(label)) < 0 ||
		    (cs != NULL && imp_load_set(cs, name, server, xi,
		    &kt) < 0))
			why = acme_last_error();
		else if (cs == NULL)
			why = "beyond three backups";
		else if (xi->not_after < trusted)
			why = "expired";
		if (why == NULL) {
			memcpy(old->label[old->n++], label, sizeof(label));
			continue;
		}
		if (old->n < BACKUP_DEPTH)
			store_cert_set_free(cs);
		ACME_IGNORE(buf_printf(&old->report, ", %s (%.200s)", label,
		    why));
		if (!r->refused)
			err_clear();	/* why is in the report: the next set */
	}
	return r->refused ? ACME_ERR_USAGE : 0;
}

/*
 * The set: cur (as read by the source, label set) made a set, then the
 * older candidates (src; NULL for none) sorted out by the later of its
 * notBefore and DIR's last trusted time.
 */
static ACME_MUST_CHECK int
imp_set_load(struct imp_run *r, const char *name, const struct imp_conf *c,
    struct imp_set *s, const struct imp_older *src)
{
	int rc;

	if ((rc = imp_load_set(&s->cur, name, c->server, s->xi, &s->kt)) < 0 ||
	    src == NULL)
		return rc;
	return imp_pick_old(r, src, name, c->server, r->floor >
	    s->xi->not_before ? r->floor : s->xi->not_before, &s->old,
	    s->xi + 1);
}

/* Is NAME already in DIR (live set, backups or conf)? */
static ACME_MUST_CHECK int
imp_exists(int storefd, const char *name)
{
	int livefd, ringfd, r = 0, slots[BACKUP_DEPTH];

	if (storefd < 0)
		return 0;
	store_open_name(storefd, name, &livefd, &ringfd);
	if (livefd >= 0) {
		r = store_exists(livefd, name);
		close(livefd);
	}
	if (ringfd >= 0) {
		r |= store_ring_slots(ringfd, slots) > 0;
		close(ringfd);
	}
	r |= file_conf_exists(storefd, name);
	return r;
}

/* Install the current set as live and the older ones as backups. */
static ACME_MUST_CHECK int
imp_install(int storefd, const char *name, struct imp_set *s)
{
	int i, rc;

	if ((rc = store_install(storefd, name, &s->cur, -1)) < 0)
		return rc;
	for (i = 0; i < s->old.n; i++)
		if ((rc = store_ring_put(storefd, name, i + 1,
		    &s->old.cs[i])) < 0)
			return err_wrap(rc, "backup %d of %s", i + 1, name);
	return 0;
}

/* Remove what a failed import of NAME wrote (nothing was there before,
 * imp_exists): its sets, conf and hook copies. The first error stays. */
static void
imp_undo(int storefd, const char *name, int nprogs)
{
	char file[NAME_LEN_MAX + 16];
	int fd, ringfd, k;

	store_open_name(storefd, name, &fd, &ringfd);
	if (fd >= 0) {
		ACME_IGNORE(store_rmset(fd, name));
		close(fd);
	}
	for (k = 1; ringfd >= 0 && k <= BACKUP_DEPTH; k++) {
		store_slot(file, sizeof(file), k);
		ACME_IGNORE(store_rmset(ringfd, file));
	}
	if (ringfd >= 0)
		close(ringfd);
	if ((fd = store_subdir(storefd, "backup", 0)) >= 0) {
		unlinkat(fd, name, AT_REMOVEDIR);
		close(fd);
	}
	ACME_IGNORE(file_conf_remove(storefd, name));
	if ((fd = store_subdir(storefd, IMP_HOOKS, 0)) < 0)
		return;
	for (k = 0; k <= nprogs; k++) {
		if (k == 0)
			snprintf(file, sizeof(file), "%s.deploy", name);
		else
			snprintf(file, sizeof(file), "%s.deploy-%d", name, k);
		ACME_IGNORE(store_remove(fd, file));
	}
	close(fd);
}

/* ---- imports: hooks ---- */

/* Append s to b in single quotes for /bin/sh ('\'' for a quote). */
static void
imp_sh_quote(struct buf *b, const char *s)
{
	buf_puts(b, "'");
	for (; *s != '\0'; s++)
		if (*s == '\'')
			buf_puts(b, "'\\''");
		else
			buf_append(b, s, 1);
	buf_puts(b, "'");
}

/*
 * Keep what was appended to c->wrap since start, or, when it did not
 * fit, undo it and say that command key is not carried over: the
 * wrapper never holds half a command. 0 when it went in, NONE when not.
 */
static ACME_MUST_CHECK int
imp_wrap_done(struct imp_conf *c, size_t start, const char *key,
    const char *cmd)
{
	if (buf_err(&c->wrap) == 0)
		return 0;
	buf_rewind(&c->wrap, start);
	imp_skip(c, key, cmd, "too long for a deploy hook");
	return NONE;
}

/*
 * A command line of the client's (certbot's renew_hook, acme.sh's
 * Le_ReloadCmd), named key in the report: text, copied as it is into
 * the wrapper, which runs it with /bin/sh -c as the client did.
 */
static void
imp_hook_cmd(struct imp_conf *c, const char *key, const char *cmd)
{
	size_t start = c->wrap.len;

	buf_puts(&c->wrap, "/bin/sh -c ");
	imp_sh_quote(&c->wrap, cmd);
	buf_puts(&c->wrap, " || rc=$?\n");
	if (imp_wrap_done(c, start, key, cmd) == 0)
		imp_line_add(&c->said, "%s '%s' with /bin/sh", key, cmd);
}

/*
 * A program of the client's (fd, checked by imp_owner_ok), named key in
 * the report: copied now, written as DIR/hooks/NAME.deploy-K (0700), and
 * the wrapper runs that copy ("$0-K"): what runs is what was imported,
 * whoever may change the original later.
 */
static ACME_MUST_CHECK int
imp_hook_prog(struct imp_conf *c, const char *key, const char *path, int fd)
{
	int rc;

	if (c->nprogs == IMP_HOOKS_MAX)
		return err_set(ACME_ERR_LIMIT, "more than %d hook programs",
		    IMP_HOOKS_MAX);
	if ((rc = store_read_fd(fd, &c->prog[c->nprogs], IMP_PROG_MAX)) < 0) {
		buf_free(&c->prog[c->nprogs]);
		return err_wrap(rc, "%.200s", path);
	}
	c->nprogs++;
	if (buf_printf(&c->wrap, "\"$0-%d\" || rc=$?\n", c->nprogs) < 0)
		return err_set(ACME_ERR_LIMIT, "%.200s: the deploy hook would "
		    "exceed %d bytes", path, CONF_MAX);
	imp_line_add(&c->said, "%s '%s' (its copy %s.deploy-%d beside it)",
	    key, path, c->name, c->nprogs);
	return 0;
}

/*
 * Write the hook copies and, when there is anything to run, the wrapper
 * DIR/hooks/NAME.deploy (0700), which becomes the deploy hook; say what
 * it runs.
 */
static ACME_MUST_CHECK int
imp_hook_write(struct imp_run *r, const char *name, struct imp_conf *c)
{
	struct buf b = { .max = CONF_MAX + 4096 };
	char file[NAME_LEN_MAX + 16], *p, *nl;
	int fd, k, rc;

	if (c->wrap.len == 0)
		return 0;
	buf_printf(&b, "#!/bin/sh\n# acme: the deploy hook of %s, made by "
	    "%s from %s:\n# the client's commands as it ran them, \"$0-K\" "
	    "copies of its programs.\nrc=0\n", name, r->src->cmd, r->srcabs);
	buf_append(&b, c->wrap.data, c->wrap.len);
	if ((rc = buf_puts(&b, "exit $rc\n")) < 0 ||
	    (rc = fd = store_subdir(r->run.storefd, IMP_HOOKS, 1)) < 0)
		goto out;
	for (k = rc = 0; k < c->nprogs && rc == 0; k++) {
		snprintf(file, sizeof(file), "%s.deploy-%d", name, k + 1);
		rc = store_write_buf(fd, file, &c->prog[k], 0700);
	}
	snprintf(file, sizeof(file), "%s.deploy", name);
	if (rc == 0)
		rc = store_write_buf(fd, file, &b, 0700);
	close(fd);
	if (rc == 0 && (size_t)snprintf(c->deploy_hook,
	    sizeof(c->deploy_hook), "%s/%s/%s", r->dir, IMP_HOOKS, file) >=
	    sizeof(c->deploy_hook))
		rc = err_set(ACME_ERR_LIMIT, "DIR's path is too long");
	for (p = (char *)c->said.data; rc == 0 && p != NULL && *p != '\0';
	    p = nl + 1) {
		nl = strchr(p, '\n');
		imp_say(c, "deploy hook: %s runs %.*s", c->deploy_hook,
		    (int)(nl - p), p);
	}
out:
	buf_free(&b);
	return rc;
}

/* ---- imports: conf, report ---- */

/* conf/NAME.conf from what was carried over (imp_check_chal checked the
 * ports), through the writer of issue; imported names the import. */
static ACME_MUST_CHECK int
imp_write_conf(struct imp_run *r, const char *name, const struct imp_set *s,
    const struct imp_conf *c)
{
	char why[64], from[PATH_LEN_MAX + 32];
	struct conf_file f = { .why = why, .name = name, .ids = s->xi->san,
	    .nids = s->xi->nsan, .imported = from };
	int wr = imp_webroot(c), sa = strcmp(c->authenticator,
	    "standalone") == 0;

	snprintf(why, sizeof(why), "imported from %s", r->src->from);
	snprintf(from, sizeof(from), "%s %s", r->src->cmd, r->srcabs);
	f.o.server = imp_opt(c->server);
	f.o.ca_file = imp_opt(c->ca_file);
	f.o.key_type = c->key_type[0] ? c->key_type : s->kt;
	f.o.challenge = c->challenge[0] ? c->challenge : wr || sa ?
	    "http-01" : NULL;
	f.o.hook = imp_opt(c->hook);
	f.o.dns_api = imp_opt(c->dns_api);
	f.o.dns_api_dir = imp_opt(c->api_dir);
	f.o.challenge_alias = c->dalias ? NULL : imp_opt(c->alias);
	f.o.domain_alias = c->dalias ? imp_opt(c->alias) : NULL;
	f.o.dns_wait = c->dns_wait;
	f.o.webroot = wr ? c->webroot : NULL;
	f.o.standalone = sa;
	f.o.http_port = (int)strtol(c->http_port, NULL, 10);
	f.o.tls_port = (int)strtol(c->tls_port, NULL, 10);
	f.o.bind = imp_opt(c->bind);
	f.o.days = c->days;
	f.o.copy_cert = imp_opt(c->copy[0]);
	f.o.copy_chain = imp_opt(c->copy[1]);
	f.o.copy_fullchain = imp_opt(c->copy[2]);
	f.o.copy_key = imp_opt(c->copy[3]);
	f.o.deploy_hook = imp_opt(c->deploy_hook);
	f.o.preferred_chain = imp_opt(c->preferred_chain);
	f.o.reuse_key = c->reuse_key;
	return file_conf_write(r->run.storefd, &f);
}

/* Print NAME's report: what is live and backed up, then c's lines. */
static void
imp_report(const char *name, const struct imp_set *s,
    const struct imp_conf *c)
{
	const char *p, *nl;
	char line[IMP_LINE_MAX];
	int i, n;

	n = snprintf(line, sizeof(line), "%s: %s is live", name, s->label);
	for (i = 0; i < s->old.n && n < (int)sizeof(line); i++)
		n += snprintf(line + n, sizeof(line) - (size_t)n, "%s%s",
		    i == 0 ? ", backups: " : ", ", s->old.label[i]);
	if (s->old.report.len > 0 && n < (int)sizeof(line))
		snprintf(line + n, sizeof(line) - (size_t)n, "; skipped%s",
		    (const char *)s->old.report.data + 1);
	log_result("%s", line);
	for (p = (const char *)c->report.data; p != NULL && *p != '\0';
	    p = nl + 1) {
		nl = strchr(p, '\n');
		log_result("%s: %.*s", name, (int)(nl - p), p);
	}
}

/*
 * The DNS API settings kept (KEY NUL VALUE NUL, name NULL: the account's)
 * into DIR/conf/NAME.dns-api, 0600, as --dns-api saves them. How many.
 */
static ACME_MUST_CHECK int
imp_api_write(struct imp_run *r, const char *name, const struct buf *kv)
{
	const char *k, *v, *end = (const char *)kv->data + kv->len;
	struct buf val = { 0 };
	int rc = 0, n = 0;

	for (k = (const char *)kv->data; rc == 0 && k != NULL && k < end;
	    k = v + strlen(v) + 1) {
		v = k + strlen(k) + 1;
		if (!hook_api_key_ok(k))
			continue;
		buf_rewind(&val, 0);
		if ((rc = buf_append(&val, v, strlen(v))) == 0 &&
		    (rc = hook_api_change(r->dir, name, k, &val, 0, "")) == 0)
			n++;
	}
	buf_free(&val);
	return rc < 0 ? rc : n;
}

/* The copy of the tree's DNS API script, in DIR/hooks/NAME.dns-api/,
 * which becomes NAME's --dns-api-dir. */
static ACME_MUST_CHECK int
imp_api_script(struct imp_run *r, const char *name, struct imp_conf *c)
{
	char sub[NAME_LEN_MAX + 16], file[API_NAME_MAX + 8];
	int fd, dfd, rc;

	if (c->api_script.len == 0)
		return 0;
	snprintf(sub, sizeof(sub), "%s.dns-api", name);
	snprintf(file, sizeof(file), "%s.sh", c->dns_api);
	if ((rc = fd = store_subdir(r->run.storefd, IMP_HOOKS, 1)) < 0)
		return rc;
	if ((rc = dfd = store_subdir(fd, sub, 1)) >= 0) {
		rc = store_write_buf(dfd, file, &c->api_script, 0700);
		close(dfd);
	}
	close(fd);
	if (rc == 0 && (size_t)snprintf(c->api_dir, sizeof(c->api_dir),
	    "%s/%s/%s", r->dir, IMP_HOOKS, sub) >= sizeof(c->api_dir))
		rc = err_set(ACME_ERR_LIMIT, "DIR's path is too long");
	if (rc == 0)
		imp_say(c, "dns-api %s: its script copied to %s/%s", c->dns_api,
		    c->api_dir, file);
	return rc;
}

/* imp_api_script undone. */
static void
imp_api_unscript(struct imp_run *r, const char *name, struct imp_conf *c)
{
	char path[NAME_LEN_MAX + API_NAME_MAX + 32];
	int fd;

	if (c->api_script.len == 0 ||
	    (fd = store_subdir(r->run.storefd, IMP_HOOKS, 0)) < 0)
		return;
	snprintf(path, sizeof(path), "%s.dns-api/%s.sh", name, c->dns_api);
	unlinkat(fd, path, 0);
	*strrchr(path, '/') = '\0';
	unlinkat(fd, path, AT_REMOVEDIR);
	close(fd);
}

/*
 * Write NAME whole (hook copies, live set and backups, conf, DNS API
 * settings) or, when a step fails, remove what was written. The first
 * reading writes nothing.
 */
static ACME_MUST_CHECK int
imp_write(struct imp_run *r, const char *name, struct imp_conf *c,
    struct imp_set *s)
{
	int rc;

	if (r->dry)
		return 0;
	if ((rc = imp_store(r)) < 0)
		return rc;
	if ((rc = imp_hook_write(r, name, c)) < 0 ||
	    (rc = imp_install(r->run.storefd, name, s)) < 0 ||
	    (rc = imp_api_script(r, name, c)) < 0 ||
	    (rc = imp_write_conf(r, name, s, c)) < 0 ||
	    (c->dns_api[0] != '\0' &&
	    (rc = imp_api_write(r, name, &c->dns_saved)) < 0)) {
		imp_undo(r->run.storefd, name, c->nprogs);
		imp_api_unscript(r, name, c);
	} else if (c->dns_api[0] != '\0')
		r->api = 1;
	return rc < 0 ? rc : 0;
}

/* ---- imports: accounts ---- */

/* An account found in a client's tree. */
struct imp_acct {
	struct key	 key;
	char		 url[URL_MAX];		/* "" when not kept (uacme) */
	char		 created[64];		/* RFC 3339, or "" */
	char		 what[160];		/* "certbot account ID" */
};

/* 1: DIR's account for host has key k; -1: another; 0: DIR has none. */
static ACME_MUST_CHECK int
imp_acct_same(int storefd, const char *host, const struct key *k)
{
	char a[THUMBPRINT_LEN + 1], b[THUMBPRINT_LEN + 1];
	struct key have;
	int hostfd = -1, same = 0, rc = STORE_ABSENT;

	memset(&have, 0, sizeof(have));
	err_hush();
	if (storefd >= 0)
		hostfd = file_acct_dir(storefd, host, 0);
	if (hostfd >= 0)
		rc = file_acct_key(hostfd, &have);
	err_unhush();
	if (rc == 0)
		same = jwk_thumbprint(&have, a, sizeof(a)) == 0 &&
		    jwk_thumbprint(k, b, sizeof(b)) == 0 &&
		    strcmp(a, b) == 0 ? 1 : -1;
	else if (rc != STORE_ABSENT)
		same = -1;	/* unreadable: kept, never written over */
	if (hostfd >= 0)
		close(hostfd);
	key_free(&have);
	return same;
}

/* An imported account: account.txt says where it came from. */
static ACME_MUST_CHECK int
imp_acct_write(int storefd, const char *host, const char *server,
    const struct imp_acct *ac)
{
	struct file_acct rec = { .server = server, .imported = ac->what,
	    .url = ac->url[0] != '\0' ? ac->url : NULL,
	    .created = ac->created[0] != '\0' ? ac->created : NULL };

	return file_acct_write(storefd, host, &ac->key, &rec);
}

/* host[:port] of an https URL, ":443" left out, into h (256 bytes): 0,
 * NONE when url is no https URL, or acct_host()'s error. */
static ACME_MUST_CHECK int
imp_authority(const char *url, char *h)
{
	size_t n;
	int rc;

	if (!req_url_ok(url))
		return NONE;
	if ((rc = acct_host(url, h, 256)) < 0)
		return rc;
	n = strlen(h);
	if (n > 4 && strcmp(h + n - 4, ":443") == 0)
		h[n - 4] = '\0';
	return 0;
}

/*
 * An account is the server's (RFC 8555 7.3): a URL kept with it must
 * have the server's scheme, host and port, or the account is refused
 * (its requests would fail, or go to another host).
 */
static ACME_MUST_CHECK int
imp_acct_url_ok(const char *server, const char *url)
{
	char a[256], b[256];

	if (url[0] == '\0')
		return 0;
	if (imp_authority(server, a) < 0 || imp_authority(url, b) < 0 ||
	    strcasecmp(a, b) != 0)
		return err_set(ACME_ERR_USAGE, "its URL %.200s is not on the "
		    "server %.200s: an account belongs to one server", url,
		    server);
	return 0;
}

/*
 * Make ac DIR's account for server (host) unless DIR has one: the same
 * key is nothing to do, another is reported (DIR keeps one account per
 * server).
 */
static ACME_MUST_CHECK int
imp_acct_put(struct imp_run *r, const char *server, const char *host,
    const struct imp_acct *ac)
{
	int rc, same = imp_acct_same(r->run.storefd, host, &ac->key);

	if (same == 0 && !r->dry && ((rc = imp_store(r)) < 0 ||
	    (rc = imp_acct_write(r->run.storefd, host, server, ac)) < 0))
		return err_wrap(rc, "account %s", host);
	if (same < 0)
		log_result("account %s: not carried over: %s: DIR already has "
		    "another account for this server, and keeps one", host,
		    ac->what);
	else if (same == 0)
		log_result("account %s: %s imported (%s%s%s)", host, ac->what,
		    ac->url[0] ? ac->url : "its URL is looked up at the next "
		    "renewal", ac->created[0] ? ", created " : "", ac->created);
	return 0;
}

/* created: only RFC 3339 characters are kept. */
static void
imp_acct_created(struct imp_acct *ac, const char *t)
{
	size_t n = strspn(t, "0123456789-:.TZtz+");

	if (n > 0 && n < sizeof(ac->created) && t[n] == '\0')
		memcpy(ac->created, t, n + 1);
}

/* ---- imports: the run ---- */

/* One NAME's import: what the source found, written whole. */
struct imp_item {
	struct imp_conf	 c;
	struct imp_set	 s;
};

/*
 * Item what (names come from the tree: escaped) is not imported, for the
 * recorded reason: one line on stderr, and the run fails (the last such
 * line is its error, printed by the caller). The first reading prints
 * nothing.
 */
static void
imp_fail(struct imp_run *r, const char *what)
{
	char line[ERR_MSG_MAX + 300];

	if (r->failed++ > 0 && !r->dry) {
		fprintf(stderr, "acme: %s\n", r->err);
		if (log_syslog)
			syslog(LOG_ERR, "%s", r->err);
	}
	snprintf(line, sizeof(line), "%.250s: not imported: %s", what,
	    err_msg[0] ? err_msg : "failed");
	str_sanitize(r->err, sizeof(r->err), line, strlen(line));
	err_clear();
}

/* 1 when key was seen before in this reading, else it is noted. */
static ACME_MUST_CHECK int
imp_seen(struct imp_run *r, const char *key)
{
	const char *p = r->seen.data ? (const char *)r->seen.data : "";
	size_t n = strlen(key);

	for (; *p != '\0'; p += strcspn(p, "\n") + 1)
		if (strncmp(p, key, n) == 0 && p[n] == '\n')
			return 1;
	r->seen.max = 64 * 1024;
	r->seen.quiet = 1;	/* past 64 KB, a key may be seen twice */
	ACME_IGNORE(buf_printf(&r->seen, "%s\n", key));
	return 0;
}

/*
 * The account NAME's settings name, once a reading: loaded by the
 * source, held to its server, then DIR's unless DIR has one for it.
 */
static void
imp_account(struct imp_run *r, const struct imp_conf *c)
{
	struct imp_acct *ac = calloc(1, sizeof(*ac));
	char host[256] = "", what[ERR_MSG_MAX];
	int rc = ACME_ERR_NOMEM;

	if (ac != NULL)
		rc = r->src->acct(r, c, ac);
	else
		err_set(rc, "out of memory");
	/* the server passed imp_server_ok */
	ACME_IGNORE(acct_host(c->server, host, sizeof(host)));
	snprintf(what, sizeof(what), "account %s: %s", host, ac ? ac->what :
	    "");
	if (rc != STORE_ABSENT && !r->refused && !imp_seen(r, what)) {
		if (rc == 0 && (rc = imp_acct_url_ok(c->server, ac->url)) == 0)
			rc = imp_acct_put(r, c->server, host, ac);
		if (rc < 0)
			imp_fail(r, what);
	} else if (rc < 0 && !r->refused)
		err_clear();	/* said once, when it was first seen */
	if (ac != NULL)
		key_free(&ac->key);
	free(ac);
}

/*
 * NAME's settings and account, then, unless DIR has NAME (1), its sets,
 * written whole (imp_write). A NAME in DIR is only looked at for its
 * account, so that a second run brings one the first could not.
 */
static ACME_MUST_CHECK int
imp_take(struct imp_run *r, const char *name, struct imp_item *it)
{
	struct imp_conf *c = &it->c;
	char abs[PATH_MAX], why[ERR_MSG_MAX];
	int rc, have = imp_exists(r->run.storefd, name);

	/* the account is an item of its own: NAME's settings need only
	 * have named its server */
	if ((rc = r->src->conf(r, name, c)) <= 0 && !r->refused &&
	    req_url_ok(c->server)) {
		snprintf(why, sizeof(why), "%s", err_msg);
		err_clear();
		imp_account(r, c);
		if (rc < 0 && !r->refused)
			err_set(rc, "%s", why);
	}
	if (r->refused)
		return ACME_ERR_USAGE;
	if (have) {
		err_clear();
		return 1;
	}
	if (rc < 0)
		return rc;
	if (r->run.o->ca_file != NULL)
		imp_set(c, c->ca_file, sizeof(c->ca_file), "--ca-file",
		    flow_conf_abs(r->run.o->ca_file, abs));
	imp_check_chal(c);
	if ((rc = r->src->set(r, name, c, &it->s)) < 0)
		return rc;
	return imp_write(r, name, c, &it->s);
}

/* One NAME of the tree; an odd one is named (escaped) and not taken. */
static void
imp_one(struct imp_run *r, const char *name)
{
	struct imp_item *it = NULL;
	int rc;

	err_clear();		/* a new unit of work: the next NAME */
	if (!store_name_ok(name))
		rc = err_set(ACME_ERR_USAGE, "acme keeps no certificate of "
		    "that name (1 to %d of a-z A-Z 0-9 . _ : * -, not "
		    "starting with . or -)", NAME_LEN_MAX);
	else if ((it = calloc(1, sizeof(*it))) == NULL)
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
	else {
		imp_conf_init(&it->c, name);
		rc = imp_take(r, name, it);
	}
	if (r->refused)
		;	/* the run stops: nothing more is imported */
	else if (rc == 1)
		log_result("%s: skipped, already in DIR", name);
	else if (rc == 0)
		imp_report(name, &it->s, &it->c);
	else
		imp_fail(r, name);
	if (it != NULL) {
		imp_set_free(&it->s);
		imp_conf_free(&it->c);
	}
	free(it);
}

/* One reading of the tree: every NAME; stops at a refusal. */
static ACME_MUST_CHECK int
imp_pass(struct imp_run *r)
{
	char **names = NULL;
	size_t n = 0, i;
	int rc;

	r->failed = 0;
	buf_free(&r->seen);
	if ((rc = r->src->names(r, &names, &n)) == 0) {
		for (i = 0; i < n && !r->refused; i++)
			imp_one(r, names[i]);
		if (r->refused)
			rc = ACME_ERR_USAGE;
		else if (n == 0)
			log_result("no certificate found in %s", r->srcabs);
	}
	store_names_free(names, n);
	return rc;
}

/* Is dir (which may not exist yet) srcabs or below it? */
static ACME_MUST_CHECK int
imp_inside(const char *dir, const char *srcabs)
{
	char path[PATH_LEN_MAX], abs[PATH_MAX], *slash;
	size_t n = strlen(srcabs);

	snprintf(path, sizeof(path), "%s", dir);
	while (realpath(path, abs) == NULL) {
		if ((slash = strrchr(path, '/')) == NULL) {
			if (getcwd(abs, sizeof(abs)) == NULL)
				return 0;
			break;
		}
		slash[slash == path] = '\0';	/* "/x" becomes "/" */
	}
	return strncmp(abs, srcabs, n) == 0 && (abs[n] == '/' ||
	    abs[n] == '\0' || n == 1);
}

/*
 * What api_enter checks before it takes DIR for an import: the client's
 * tree opens, is held to the rule (imp_owner_ok), looks like one, and
 * DIR is not inside it (it is only read).
 */
static ACME_MUST_CHECK int
imp_src_check(struct api_run *run, void *arg)
{
	struct imp_run *r = arg;
	int rc;

	if ((r->srcfd = open(r->tree, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) <
	    0 || realpath(r->tree, r->srcabs) == NULL)
		return err_set(ACME_ERR_USAGE, "%.200s: %s", r->tree,
		    strerror(errno));
	if ((rc = imp_owner_ok(r, r->srcfd, r->srcabs)) < 0 ||
	    (rc = imp_has(r, r->src->mark, 1)) < 0)
		return rc;
	if (rc == 0)
		return err_set(ACME_ERR_USAGE, "%.200s has no %s/: not a %s "
		    "tree", r->srcabs, r->src->mark, r->src->from);
	if (imp_inside(run->dir, r->srcabs))
		return err_set(ACME_ERR_USAGE, "%.200s is inside %.200s, "
		    "which %s only reads: choose another --dir", run->dir,
		    r->srcabs, r->src->cmd);
	return 0;
}

/*
 * Open the client's tree (imp_src_check) and, when it exists, DIR
 * (api_enter: locked, checked to hold no other client's files); a DIR
 * that does not exist is made at the first write (imp_store). imp_end
 * ends the run.
 */
static ACME_MUST_CHECK int
imp_begin(struct imp_run *r, const struct acme_options *o,
    const char *tree)
{
	const char *dir = o->dir ? o->dir : API_DEFAULT_DIR;
	struct api_set *s;
	int rc;

	r->tree = tree;
	r->srcfd = -1;
	r->floor = -1;
	if ((rc = api_enter(&r->run, o, access(dir, F_OK) == 0 ? API_LOCK : 0,
	    imp_src_check, r)) < 0 || r->run.storefd < 0 ||
	    (rc = imp_store(r)) < 0)
		return rc;
	if ((s = malloc(sizeof(*s))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	r->floor = list_trusted_time(r->run.storefd, NULL, 0, s);
	free(s);
	return 0;
}

/* The end of an import run (api_leave); returns rc. */
static ACME_MUST_CHECK int
imp_end(struct imp_run *r, int rc)
{
	if (r->srcfd >= 0)
		close(r->srcfd);
	buf_free(&r->seen);
	return api_leave(&r->run, rc);
}

/*
 * An import from src's tree (for a client that keeps no server,
 * --server's is r->server): read once silently (nothing printed,
 * nothing written), so that one path breaking the rules refuses the
 * whole tree before anything is written; then again, writing and
 * reporting. ACME_ERR_IO when some item
 * was not imported.
 */
static ACME_MUST_CHECK int
imp_run(const struct imp_src *src, const struct acme_options *o,
    const char *tree)
{
	const char *server = src->given_server ? api_server_url(o->server) :
	    NULL;
	struct imp_run *r;
	int rc, verbosity, sl;

	if (src->given_server && server == NULL)
		return ACME_ERR_USAGE;
	if ((r = calloc(1, sizeof(*r))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	r->src = src;
	r->server = server;
	if ((rc = imp_begin(r, o, tree)) == 0) {
		verbosity = log_verbosity;
		sl = log_syslog;
		log_verbosity = LOG_LEVEL_ERROR - 1;
		log_syslog = 0;
		r->dry = 1;
		rc = imp_pass(r);
		log_verbosity = verbosity;
		log_syslog = sl;
		r->dry = 0;
		if (rc == 0)
			rc = imp_pass(r);
		if (rc == 0 && src->end != NULL)
			rc = src->end(r);
		if (rc == 0 && r->failed)
			rc = err_set(ACME_ERR_IO, "%s", r->err);
	}
	rc = imp_end(r, rc);
	free(r);
	return rc;
}

/* ---- imports: JWK private keys (certbot's accounts) ---- */

/* RFC 7518 6.3: the RSA members certbot writes, n and e first. */
static const char *const imp_jwk_rsa[] = {
	"n", "e", "d", "p", "q", "dp", "dq", "qi",
};

#define IMP_JWK_RSA_N	(sizeof(imp_jwk_rsa) / sizeof(imp_jwk_rsa[0]))

/* Base64url member key of the JWK into dst (cap): its length, or < 0. */
static ACME_MUST_CHECK int
imp_jwk_b64(const struct json *j, const char *key, unsigned char *dst,
    size_t cap)
{
	char s[RSA_BITS_MAX / 6 + 8];
	int n = NONE;

	err_hush();	/* said below, in the words of a JWK */
	if (json_get_str(j, 0, key, s, sizeof(s)) >= 0)
		n = b64u_decode(dst, cap, s, strlen(s));
	err_unhush();
	wipe(s, sizeof(s));
	if (n > 0)
		return n;
	return err_set(ACME_ERR_CRYPTO, "member \"%s\" missing or malformed",
	    key);
}

/* Bits of a big-endian number without leading zeros. */
static uint32_t
imp_bits(const unsigned char *x, size_t len)
{
	uint32_t b = 0;
	unsigned c;

	if (len == 0)
		return 0;
	for (c = x[0]; c != 0; c >>= 1)
		b++;
	return b + 8 * (uint32_t)(len - 1);
}

/* An RSA JWK: the CRT private key, n checked against p * q. */
static ACME_MUST_CHECK int
imp_jwk_rsa_key(const struct json *j, struct key *k)
{
	unsigned char v[IMP_JWK_RSA_N][RSA_BITS_MAX / 8];
	const unsigned char *n = v[0], *m;
	size_t nlen, mlen, i;
	br_rsa_private_key sk;
	struct der_cur e, d;
	int len[IMP_JWK_RSA_N], rc = 0;

	for (i = 0; i < IMP_JWK_RSA_N && rc >= 0; i++)
		rc = len[i] = imp_jwk_b64(j, imp_jwk_rsa[i], v[i], sizeof(v[i]));
	if (rc < 0)
		goto out;
	nlen = (size_t)len[0];
	bn_strip(&n, &nlen);
	sk = (br_rsa_private_key){ .n_bitlen = imp_bits(n, nlen),
	    .p = v[3], .plen = (size_t)len[3], .q = v[4],
	    .qlen = (size_t)len[4], .dp = v[5], .dplen = (size_t)len[5],
	    .dq = v[6], .dqlen = (size_t)len[6], .iq = v[7],
	    .iqlen = (size_t)len[7] };
	e = (struct der_cur){ v[1], v[1] + len[1] };
	d = (struct der_cur){ v[2], v[2] + len[2] };
	if ((rc = key_set_rsa(k, &sk, &e, &d)) < 0)
		goto out;
	m = k->u.rsa.pk.n;
	mlen = k->u.rsa.pk.nlen;
	bn_strip(&m, &mlen);
	if (mlen != nlen || memcmp(m, n, nlen) != 0)
		rc = err_set(ACME_ERR_CRYPTO, "n is not p * q");
out:
	wipe(v, sizeof(v));
	return rc;
}

/* An EC JWK (RFC 7518 6.2): d, with x and y checked against it. */
static ACME_MUST_CHECK int
imp_jwk_ec_key(const struct json *j, struct key *k)
{
	static const struct {
		const char	*crv;
		int		 curve;
		int		 len;	/* field bytes */
	} crvs[] = {
		{ "P-256", BR_EC_secp256r1, 32 },
		{ "P-384", BR_EC_secp384r1, 48 },
	};
	unsigned char d[66], xy[2][66];
	const unsigned char *q;
	char crv[16] = "";
	size_t i;
	int dl, rc, f;

	/* missing or bad: "", which the table below refuses */
	ACME_IGNORE(json_get_str(j, 0, "crv", crv, sizeof(crv)));
	for (i = 0; i < 2 && strcmp(crv, crvs[i].crv) != 0; i++)
		continue;
	if (i == 2)
		return err_set(ACME_ERR_CRYPTO, "EC curve '%.15s' is not "
		    "supported (P-256 and P-384 are)", crv);
	f = crvs[i].len;
	if ((rc = dl = imp_jwk_b64(j, "d", d, sizeof(d))) < 0 ||
	    (rc = imp_jwk_b64(j, "x", xy[0], sizeof(xy[0]))) < 0 ||
	    (rc = rc != f ? err_set(ACME_ERR_CRYPTO, "x: not %d bytes", f) :
	    imp_jwk_b64(j, "y", xy[1], sizeof(xy[1]))) < 0 ||
	    (rc = rc != f ? err_set(ACME_ERR_CRYPTO, "y: not %d bytes", f) :
	    key_set_ec(k, crvs[i].curve, d, (size_t)dl)) < 0)
		goto out;
	q = k->u.ec.pk.q;
	if (k->u.ec.pk.qlen != (size_t)(2 * f + 1) ||
	    memcmp(q + 1, xy[0], (size_t)f) != 0 ||
	    memcmp(q + 1 + f, xy[1], (size_t)f) != 0)
		rc = err_set(ACME_ERR_CRYPTO, "x and y are not the public "
		    "key of d");
out:
	wipe(d, sizeof(d));
	return rc;
}

/* A private JWK (RFC 7517), RSA or EC, as certbot keeps account keys. */
static ACME_MUST_CHECK int
imp_jwk_key(const struct buf *b, struct key *k)
{
	struct json *j = malloc(sizeof(*j));
	char kty[8] = "";
	int rc;

	if (j == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = json_parse(j, (const char *)b->data, b->len)) == 0) {
		/* missing or bad: "", refused below */
		ACME_IGNORE(json_get_str(j, 0, "kty", kty, sizeof(kty)));
		if (strcmp(kty, "RSA") == 0)
			rc = imp_jwk_rsa_key(j, k);
		else if (strcmp(kty, "EC") == 0)
			rc = imp_jwk_ec_key(j, k);
		else
			rc = err_set(ACME_ERR_CRYPTO, "key type \"%.7s\" is "
			    "not supported (RSA and EC are)", kty);
	}
	free(j);
	if (rc < 0)
		key_free(k);
	return rc;
}


/* ---- imports: settings given on the command line ---- */

/*
 * uacme and lego record no server, challenge method or hook (they are
 * given at each run): their imports take them from their own command
 * line (the server is r->server), and so they are given once, to the
 * import. NAME's settings for those sources.
 */
static ACME_MUST_CHECK int
imp_cli(struct imp_run *r, const char *name, struct imp_conf *c)
{
	const struct acme_options *o = r->run.o;
	char abs[PATH_MAX];

	(void)name;
	snprintf(c->server, sizeof(c->server), "%s", r->server);
	if (o->webroot != NULL && realpath(o->webroot, abs) != NULL) {
		imp_set(c, c->webroot, sizeof(c->webroot), "--webroot", abs);
		snprintf(c->authenticator, sizeof(c->authenticator), "webroot");
	}
	if (o->standalone)
		snprintf(c->authenticator, sizeof(c->authenticator),
		    "standalone");
	if (o->hook != NULL && realpath(o->hook, abs) != NULL)
		imp_set(c, c->hook, sizeof(c->hook), "--hook", abs);
	if (o->deploy_hook != NULL && realpath(o->deploy_hook, abs) != NULL)
		imp_set(c, c->deploy_hook, sizeof(c->deploy_hook),
		    "--deploy-hook", abs);
	if (o->http_port > 0)
		snprintf(c->http_port, sizeof(c->http_port), "%d", o->http_port);
	if (o->tls_port > 0)
		snprintf(c->tls_port, sizeof(c->tls_port), "%d", o->tls_port);
	if (o->bind != NULL)
		imp_set(c, c->bind, sizeof(c->bind), "--bind", o->bind);
	if (o->challenge != NULL)
		imp_set(c, c->challenge, sizeof(c->challenge), "--challenge",
		    o->challenge);
	if (o->key_type != NULL && key_type_parse(o->key_type) >= 0)
		imp_set(c, c->key_type, sizeof(c->key_type), "--key-type",
		    o->key_type);
	if (o->preferred_chain != NULL)
		imp_set(c, c->preferred_chain, sizeof(c->preferred_chain),
		    "--preferred-chain", o->preferred_chain);
	c->days = o->days;
	c->reuse_key = o->reuse_key;
	return 0;
}

/* uacme and acme.sh keep a certificate's key from one renewal to the
 * next; acme makes a new one each time unless told. */
static void
imp_key_reuse(struct imp_run *r, struct imp_conf *c)
{
	char why[200];

	if (c->reuse_key)
		return;
	snprintf(why, sizeof(why), "%s keeps the key from one renewal to the "
	    "next, acme makes a new one (reuse-key = yes in conf/%.60s.conf "
	    "keeps it)", r->src->from, c->name);
	imp_skip(c, "key reuse", "", why);
}


/* ---- import-certbot ---- */

/*
 * certbot's tree: renewal/NAME.conf (settings, the account ID),
 * archive/NAME/{cert,chain,fullchain,privkey}K.pem (every version; the
 * current one is where live/NAME/cert.pem links, read as text, never
 * followed), accounts/SERVER/ID/ (private_key.json, regr.json,
 * meta.json), renewal-hooks/deploy/ (programs run after a renewal).
 */

#define IMP_CERTBOT_DIR	"/etc/letsencrypt"
#define IMP_VERSION_MAX	1000000		/* K of archive/NAME/certK.pem */

/* K of "certK.pem", 1 to IMP_VERSION_MAX (never overflowing), else 0. */
static ACME_MUST_CHECK int
imp_version(const char *base)
{
	const char *p;
	long k = 0;

	if (strncmp(base, "cert", 4) != 0)
		return 0;
	for (p = base + 4; isdigit((unsigned char)*p); p++)
		if ((k = k * 10 + (*p - '0')) > IMP_VERSION_MAX)
			return 0;
	return p > base + 4 && strcmp(p, ".pem") == 0 ? (int)k : 0;
}

/*
 * configobj's value syntax, in which certbot writes its files: '''...'''
 * or """...""", else a comma-separated list of items, each '...', "..."
 * or bare (up to ',' or '#'); a trailing ',' makes a list of one. v
 * becomes its first item; returns the number of items, NONE if malformed.
 */
static ACME_MUST_CHECK int
imp_cb_value(char *v)
{
	char *p = v, *item = v, *e;
	size_t len = 0;
	int n = 0;

	if (strncmp(p, "'''", 3) == 0 || strncmp(p, "\"\"\"", 3) == 0) {
		if ((e = strstr(p + 3, p[0] == '\'' ? "'''" : "\"\"\"")) == NULL)
			return NONE;
		*e = '\0';
		memmove(v, p + 3, strlen(p + 3) + 1);
		return 1;
	}
	for (;;) {
		p += strspn(p, " \t");
		if (*p == '\0' || *p == '#')
			break;
		if (*p == '\'' || *p == '"') {
			if ((e = strchr(p + 1, *p)) == NULL)
				return NONE;
			if (n == 0) {
				item = p + 1;
				len = (size_t)(e - item);
			}
			p = e + 1;
		} else {
			e = p + strcspn(p, ",#");
			if (n == 0) {
				item = p;
				for (len = (size_t)(e - p); len > 0 &&
				    strchr(" \t", p[len - 1]); len--)
					continue;
			}
			p = e;
		}
		n++;
		p += strspn(p, " \t");
		if (*p != ',')
			break;
		p++;
	}
	memmove(v, item, len);
	v[len] = '\0';
	return n;
}

/* What certbot's renewalparams keys become. */
enum imp_cb_kind {
	IMP_CB_STR,		/* copied into the field at off */
	IMP_CB_FLAG,		/* True or False into the int at off */
	IMP_CB_HOOK,		/* a deploy hook (shell command line) */
	IMP_CB_QUIET,		/* certbot's bookkeeping: nothing to do */
	IMP_CB_NO,		/* reported, unless its value is quiet */
	IMP_CB_KIND_MAX
};

#define IMP_F(f)	offsetof(struct imp_conf, f), \
			sizeof(((struct imp_conf *)0)->f)

static const struct imp_cb_key {
	const char	*key;
	unsigned char	 kind;		/* enum imp_cb_kind */
	unsigned short	 off, cap;	/* IMP_CB_STR, IMP_CB_FLAG */
	const char	*quiet;		/* IMP_CB_NO: the value meaning none */
	const char	*why;		/* IMP_CB_NO: the reason reported */
} imp_cb_keys[] = {
	{ "server", IMP_CB_STR, IMP_F(server), NULL, NULL },
	{ "authenticator", IMP_CB_STR, IMP_F(authenticator), NULL, NULL },
	{ "webroot_path", IMP_CB_STR, IMP_F(webroot), NULL, NULL },
	{ "http01_port", IMP_CB_STR, IMP_F(http_port), NULL, NULL },
	{ "http01_address", IMP_CB_STR, IMP_F(bind), NULL, NULL },
	{ "preferred_chain", IMP_CB_STR, IMP_F(preferred_chain), NULL, NULL },
	{ "account", IMP_CB_STR, IMP_F(account), NULL, NULL },
	{ "key_type", IMP_CB_STR, IMP_F(cb_key), NULL, NULL },
	{ "elliptic_curve", IMP_CB_STR, IMP_F(cb_curve), NULL, NULL },
	{ "rsa_key_size", IMP_CB_STR, IMP_F(cb_bits), NULL, NULL },
	{ "reuse_key", IMP_CB_FLAG, IMP_F(reuse_key), NULL, NULL },
	{ "directory_hooks", IMP_CB_FLAG, IMP_F(cb_dirhooks), NULL, NULL },
	{ "renew_hook", IMP_CB_HOOK, 0, 0, NULL, NULL },
	{ "deploy_hook", IMP_CB_HOOK, 0, 0, NULL, NULL },
	{ "pre_hook", IMP_CB_NO, 0, 0, NULL, IMP_NOHOOK },
	{ "post_hook", IMP_CB_NO, 0, 0, NULL, IMP_NOHOOK },
	{ "installer", IMP_CB_NO, 0, 0, "None", "acme changes no server "
	    "configuration: point the server at DIR/live/NAME and reload it "
	    "from a deploy hook" },
	{ "must_staple", IMP_CB_NO, 0, 0, "False", "acme does not ask for "
	    "OCSP Must-Staple" },
	{ "no_verify_ssl", IMP_CB_NO, 0, 0, "False", "acme always checks "
	    "the CA's TLS certificate (give --ca-file)" },
	{ "allow_subset_of_names", IMP_CB_NO, 0, 0, "False", "acme gets "
	    "every name of a certificate or none" },
	{ "manual_auth_hook", IMP_CB_NO, 0, 0, NULL, "certbot's manual "
	    "hooks read CERTBOT_* variables; acme's --hook has uacme's "
	    "contract" },
	{ "manual_cleanup_hook", IMP_CB_NO, 0, 0, NULL, "certbot's manual "
	    "hooks read CERTBOT_* variables; acme's --hook has uacme's "
	    "contract" },
	{ "pref_challs", IMP_CB_NO, 0, 0, "http-01", "the challenge type "
	    "follows from the webroot or standalone setting" },
	{ "config_dir", IMP_CB_QUIET, 0, 0, NULL, NULL },
	{ "work_dir", IMP_CB_QUIET, 0, 0, NULL, NULL },
	{ "logs_dir", IMP_CB_QUIET, 0, 0, NULL, NULL },
	{ "strict_permissions", IMP_CB_QUIET, 0, 0, NULL, NULL },
	{ "manual_public_ip_logging_ok", IMP_CB_QUIET, 0, 0, NULL, NULL },
	{ "register_unsafely_without_email", IMP_CB_QUIET, 0, 0, NULL, NULL },
};

#define IMP_CB_NKEYS	(sizeof(imp_cb_keys) / sizeof(imp_cb_keys[0]))

/* A [[webroot_map]] line: acme takes one webroot per certificate. */
static void
imp_cb_map(struct imp_conf *c, const char *name, const char *path)
{
	char why[160], w[100];

	if (c->webroot[0] == '\0') {
		imp_set(c, c->webroot, sizeof(c->webroot), "webroot_map", path);
		return;
	}
	if (strcmp(c->webroot, path) == 0)
		return;
	str_sanitize(w, sizeof(w), c->webroot, strlen(c->webroot));
	snprintf(why, sizeof(why), "acme uses one webroot for all the names "
	    "of a certificate: %s", w);
	imp_skip(c, name, path, why);
}

/* A line outside any section: certbot's layout, renew_before_expiry. */
static void
imp_cb_top(struct imp_conf *c, const char *key, const char *val)
{
	static const char *const layout[] = {
		"version", "archive_dir", "cert", "privkey", "chain",
		"fullchain",
	};
	const char *unit;
	char *end;
	size_t i;
	long n;

	for (i = 0; i < sizeof(layout) / sizeof(layout[0]); i++)
		if (strcmp(key, layout[i]) == 0)
			return;
	errno = 0;
	n = strtol(val, &end, 10);	/* "N days" or "N weeks" */
	unit = end + strspn(end, " \t");
	if (strcmp(key, "renew_before_expiry") != 0)
		imp_skip(c, key, val, "unknown to acme");
	else if (errno == 0 && end != val && unit != end && n > 0 &&
	    n < 1000 && (strncmp(unit, "day", 3) == 0 ||
	    strncmp(unit, "week", 4) == 0))
		c->days = (int)(unit[0] == 'w' ? 7 * n : n);
	else
		imp_skip(c, key, val, "acme takes a number of days "
		    "(days = N in conf/NAME.conf)");
}

/* One renewalparams line, by imp_cb_keys. */
static void
imp_cb_param(struct imp_conf *c, const char *key, const char *val)
{
	const struct imp_cb_key *k;
	size_t i;
	int *flag;

	for (i = 0; i < IMP_CB_NKEYS && strcmp(key, imp_cb_keys[i].key); i++)
		continue;
	if (i == IMP_CB_NKEYS) {
		imp_skip(c, key, val, "unknown to acme");
		return;
	}
	k = &imp_cb_keys[i];
	flag = (int *)(void *)((char *)c + k->off);
	if (k->kind == IMP_CB_STR)
		imp_set(c, (char *)c + k->off, k->cap, key, val);
	else if (k->kind == IMP_CB_FLAG && (strcmp(val, "True") == 0 ||
	    strcmp(val, "False") == 0))
		*flag = strcmp(val, "True") == 0;
	else if (k->kind == IMP_CB_FLAG)
		imp_skip(c, key, val, "neither True nor False");
	else if (k->kind == IMP_CB_HOOK && c->cb_hook[0] == '\0')
		imp_set(c, c->cb_hook, sizeof(c->cb_hook), key, val);
	else if (k->kind == IMP_CB_HOOK)
		imp_skip(c, key, val, "certbot runs one of renew_hook and "
		    "deploy_hook");
	else if (k->kind == IMP_CB_NO && (k->quiet == NULL ||
	    strcmp(val, k->quiet) != 0))
		imp_skip(c, key, val, k->why);
}

/* One "key = value" line of section sec of renewal/NAME.conf. */
static void
imp_cb_line(struct imp_conf *c, const char *sec, const char *key, char *val)
{
	if (imp_cb_value(val) < 0)
		imp_skip(c, key, "", "a value certbot did not write");
	else if (strcmp(sec, "webroot_map") == 0)
		imp_cb_map(c, key, val);
	else if (sec[0] == '\0')
		imp_cb_top(c, key, val);
	else if (strcmp(sec, "renewalparams") == 0)
		imp_cb_param(c, key, val);
	else
		imp_skip(c, key, val, "unknown to acme");
}

/* Parse renewal/NAME.conf (configobj's INI dialect). */
static ACME_MUST_CHECK int
imp_cb_conf(struct imp_run *r, const char *name, struct imp_conf *c)
{
	struct buf b = { 0 };
	char file[NAME_LEN_MAX + 16], sec[32] = "", *p, *line, *eq, *e, *v;
	int rc;

	snprintf(file, sizeof(file), "renewal/%s.conf", name);
	if ((rc = imp_read(r, file, &b, CONF_MAX)) < 0 || b.len == 0) {
		rc = rc < 0 ? err_set(store_need(rc), "%s: cannot read",
		    file) : 0;
		goto out;
	}
	for (p = (char *)b.data; p != NULL && *p != '\0'; p = line) {
		if ((line = strchr(p, '\n')) != NULL)
			*line++ = '\0';
		p = file_trim(p);
		if (*p == '[') {
			p += strspn(p, "[");
			snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(p, "]"),
			    p);
			continue;
		}
		if (*p == '#' || *p == '\0' || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		for (e = eq; e > p && strchr(" \t", e[-1]);)
			*--e = '\0';
		v = eq + 1 + strspn(eq + 1, " \t");
		imp_cb_line(c, sec, p, v);
	}
	if (c->server[0] == '\0')	/* certbot's default */
		snprintf(c->server, sizeof(c->server), "%s",
		    api_servers[0].url);
out:
	buf_free(&b);
	return rc;
}

/* key_type, elliptic_curve and rsa_key_size as a --key-type; without
 * key_type, the key's own type (certbot 2 keeps a lineage's type). */
static void
imp_cb_key_type(struct imp_conf *c)
{
	char want[48], v[48];

	if (c->cb_key[0] == '\0')
		return;
	if (strcmp(c->cb_key, "ecdsa") == 0 && (c->cb_curve[0] == '\0' ||
	    strcmp(c->cb_curve, "secp256r1") == 0))
		snprintf(want, sizeof(want), "ec256");
	else if (strcmp(c->cb_key, "ecdsa") == 0)
		snprintf(want, sizeof(want), "%s",
		    strcmp(c->cb_curve, "secp384r1") == 0 ? "ec384" : "");
	else
		snprintf(want, sizeof(want), "%s%s", c->cb_key,
		    c->cb_bits[0] ? c->cb_bits : "2048");
	if (key_type_parse(want) >= 0) {
		memcpy(c->key_type, want, strlen(want) + 1);
		return;
	}
	snprintf(v, sizeof(v), "%s %s", c->cb_key, strcmp(c->cb_key,
	    "ecdsa") == 0 ? c->cb_curve : c->cb_bits);
	imp_skip(c, "key_type", v, "acme makes ec256, ec384, rsa2048, "
	    "rsa3072 and rsa4096 keys; the current key's type is kept");
}


/*
 * renew_hook: the path of an executable (outside the tree, checked by
 * imp_prog_open) is a program, copied; anything else a command line.
 */
static ACME_MUST_CHECK int
imp_cb_renew_hook(struct imp_run *r, struct imp_conf *c)
{
	const char *s = c->cb_hook;
	size_t i;
	int fd, rc;

	for (i = 0; isalnum((unsigned char)s[i]) || strchr("/._+-", s[i]);
	    i++)
		if (s[i] == '\0')
			break;
	if (s[0] != '/' || s[i] != '\0' ||
	    (fd = imp_prog_open(r, s)) == STORE_ABSENT) {
		imp_hook_cmd(c, "renew_hook", s);
		return 0;
	}
	if (fd < 0)
		return fd;
	rc = imp_hook_prog(c, "renew_hook", s, fd);
	close(fd);
	return rc;
}

/* The executable fd of renewal-hooks/deploy/ (rel) as a program. */
static ACME_MUST_CHECK int
imp_cb_dirhook(struct imp_run *r, struct imp_conf *c, const char *rel,
    int *dup)
{
	char abs[2 * PATH_LEN_MAX];
	struct stat st;
	int fd, rc = 0;

	if ((fd = imp_open(r, rel, IMP_ANY)) < 0)
		return fd;
	imp_path(r, rel, strlen(rel), abs, sizeof(abs));
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 0111)) {
		*dup |= strcmp(abs, c->cb_hook) == 0;
		rc = imp_hook_prog(c, rel, abs, fd);
	}
	close(fd);
	return rc;
}

/*
 * certbot's deploy hooks in certbot's order: the executables of
 * renewal-hooks/deploy/ (unless directory_hooks = False), then
 * renew_hook unless it is one of those. The entries of
 * renewal-hooks/pre/ and post/ are reported.
 */
static ACME_MUST_CHECK int
imp_cb_hooks(struct imp_run *r, struct imp_conf *c)
{
	static const char *const dirs[] = { "renewal-hooks/deploy",
	    "renewal-hooks/pre", "renewal-hooks/post" };
	char **names = NULL, rel[PATH_LEN_MAX];
	size_t n = 0, i, d;
	int dup = 0, rc = 0;

	for (d = 0; d < 3 && c->cb_dirhooks && rc == 0; d++) {
		if ((rc = imp_list(r, dirs[d], "", 256, &names, &n)) ==
		    STORE_ABSENT)
			rc = 0;
		for (i = 0; i < n && rc == 0; i++) {
			snprintf(rel, sizeof(rel), "%s/%s", dirs[d], names[i]);
			if (names[i][strlen(names[i]) - 1] == '~')
				continue;
			if (d == 0)
				rc = imp_cb_dirhook(r, c, rel, &dup);
			else
				imp_skip(c, rel, "", IMP_NOHOOK);
		}
		store_names_free(names, n);
	}
	if (rc == 0 && c->cb_hook[0] != '\0' && !dup)
		rc = imp_cb_renew_hook(r, c);
	return rc;
}

/* A JSON file's string member key into dst; "" when there is none. */
static ACME_MUST_CHECK int
imp_json_member(struct imp_run *r, const char *path, const char *key,
    char *dst, size_t cap)
{
	struct json *j = malloc(sizeof(*j));
	struct buf b = { 0 };
	int rc;

	dst[0] = '\0';
	rc = imp_read_opt(r, path, &b, IMP_JSON_MAX);
	err_hush();
	if (rc == 0 && j != NULL && b.len > 0 && (json_parse(j,
	    (const char *)b.data, b.len) < 0 ||
	    json_get_str(j, 0, key, dst, cap) < 0))
		dst[0] = '\0';
	err_unhush();
	free(j);
	buf_free(&b);
	return rc;
}

/*
 * certbot's accounts/SERVER/ID into dir: SERVER is the server URL's
 * host[:port] and path, as certbot names it; ID is hexadecimal.
 */
static ACME_MUST_CHECK int
imp_cb_acct_dir(const struct imp_conf *c, char *dir, size_t cap)
{
	const char *p = c->server + 8;
	size_t i;

	for (i = 0; c->account[i] != '\0'; i++)
		if (!isalnum((unsigned char)c->account[i]))
			return err_set(ACME_ERR_USAGE, "bad account ID");
	snprintf(dir, cap, "accounts/%.*s", (int)strcspn(p, "?#"), p);
	return 0;
}

/* Other certbot accounts for the server of dir (looked at once a run). */
static void
imp_cb_others(struct imp_run *r, const char *dir, const struct imp_conf *c)
{
	char **ids = NULL, host[256];
	size_t n = 0, i;

	err_hush();	/* only a report: a refusal alone is recorded */
	if (!imp_seen(r, dir) && acct_host(c->server, host, sizeof(host)) == 0)
		ACME_IGNORE(imp_list(r, dir, "", 64, &ids, &n));
	err_unhush();
	for (i = 0; i < n; i++)
		if (strcmp(ids[i], c->account) != 0)
			log_result("account %s: not carried over: certbot "
			    "account %s: renewal/%s.conf names %s, and DIR "
			    "keeps one account per server", host, ids[i],
			    c->name, c->account);
	store_names_free(ids, n);
}

/* The account renewal/NAME.conf names: key, URL, creation date. */
static ACME_MUST_CHECK int
imp_cb_acct(struct imp_run *r, const struct imp_conf *c, struct imp_acct *ac)
{
	struct buf b = { 0 };
	char dir[PATH_LEN_MAX], path[PATH_LEN_MAX + 128], t[64];
	int rc;

	if (c->account[0] == '\0')
		return STORE_ABSENT;
	snprintf(ac->what, sizeof(ac->what), "certbot account %s", c->account);
	if ((rc = imp_cb_acct_dir(c, dir, sizeof(dir))) < 0)
		return rc;
	snprintf(path, sizeof(path), "%s/%s/private_key.json", dir, c->account);
	if ((rc = imp_read(r, path, &b, IMP_JSON_MAX)) < 0 ||
	    (rc = imp_jwk_key(&b, &ac->key)) < 0) {
		err_wrap(rc = err_set(store_need(rc), "not found"), "%.200s",
		    path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/%s/regr.json", dir, c->account);
	if ((rc = imp_json_member(r, path, "uri", ac->url,
	    sizeof(ac->url))) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/%s/meta.json", dir, c->account);
	if ((rc = imp_json_member(r, path, "creation_dt", t, sizeof(t))) < 0)
		goto out;
	imp_acct_created(ac, t);
	imp_cb_others(r, dir, c);
out:
	buf_free(&b);
	return rc;
}

/* certbot's versions of NAME, as imp_older candidates: v[] newest first
 * (the current one left out). */
struct imp_cb_old {
	const char	*name;		/* borrowed */
	int		 v[IMP_VERSIONS_MAX];
};

/* Read archive/NAME/{cert,chain,fullchain,privkey}K.pem. */
static ACME_MUST_CHECK int
imp_cb_files(struct imp_run *r, const char *name, int k, struct cert_set *cs)
{
	static const char *const stems[] = {
		"cert", "chain", "fullchain", "privkey",
	};
	struct buf *bufs[] = { &cs->cert, &cs->chain, &cs->fullchain,
	    &cs->privkey };
	char file[NAME_LEN_MAX + 64];
	size_t i;
	int rc;

	for (i = 0; i < 4; i++) {
		snprintf(file, sizeof(file), "archive/%s/%s%d.pem", name,
		    stems[i], k);
		if ((rc = imp_read(r, file, bufs[i], PEM_MAX)) < 0)
			return err_set(store_need(rc), "%s: cannot read", file);
	}
	return 0;
}

static ACME_MUST_CHECK int
imp_cb_load(struct imp_run *r, const void *ctx, int i, struct cert_set *cs,
    char *label, size_t cap)
{
	const struct imp_cb_old *o = ctx;

	snprintf(label, cap, "version %d", o->v[i]);
	return cs == NULL ? 0 : imp_cb_files(r, o->name, o->v[i], cs);
}

/* The version live/NAME/cert.pem links to ("../../archive/NAME/certK.pem",
 * read, never followed), else the newest, v[0]. */
static ACME_MUST_CHECK int
imp_cb_current(struct imp_run *r, const char *name, const int *v)
{
	char path[PATH_LEN_MAX], target[PATH_LEN_MAX];
	const char *base;
	ssize_t len = -1;
	int fd, k;

	snprintf(path, sizeof(path), "live/%s", name);
	if ((fd = imp_open(r, path, 1)) >= 0) {
		len = readlinkat(fd, "cert.pem", target, sizeof(target) - 1);
		close(fd);
	} else if (fd != STORE_ABSENT)
		return fd;
	if (len > 0) {
		target[len] = '\0';
		base = strrchr(target, '/') ? strrchr(target, '/') + 1 : target;
		if ((k = imp_version(base)) > 0)
			return k;
	}
	return v[0];
}

/*
 * archive/NAME: its versions into o->v, newest first; the current one
 * read into s (and left out of o->v, which keeps *nold older ones).
 */
static ACME_MUST_CHECK int
imp_cb_versions(struct imp_run *r, const char *name, struct imp_cb_old *o,
    int *nold, struct imp_set *s)
{
	char **files = NULL, path[NAME_LEN_MAX + 16];
	size_t n = 0, i;
	int nv = 0, j, k, rc;

	snprintf(path, sizeof(path), "archive/%s", name);
	/* four files a version, and a few more */
	if ((rc = imp_list(r, path, "", 4 * IMP_VERSIONS_MAX + 16, &files,
	    &n)) < 0)
		return rc == STORE_ABSENT ? err_set(ACME_ERR_IO, "%s: not "
		    "found", path) : rc;
	for (i = 0; i < n && nv < IMP_VERSIONS_MAX; i++) {
		if ((k = imp_version(files[i])) == 0)
			continue;
		/* insertion sort, newest first */
		for (j = nv++; j > 0 && o->v[j - 1] < k; j--)
			o->v[j] = o->v[j - 1];
		o->v[j] = k;
	}
	store_names_free(files, n);
	if (nv == 0)
		return err_set(ACME_ERR_IO, "%s: no certificate", path);
	if ((rc = k = imp_cb_current(r, name, o->v)) < 0)
		return rc;
	for (*nold = 0, i = 0; i < (size_t)nv; i++)
		if (o->v[i] < k)
			o->v[(*nold)++] = o->v[i];
	snprintf(s->label, sizeof(s->label), "version %d", k);
	return imp_cb_files(r, name, k, &s->cur);
}

/* renewal/NAME.conf: the settings, the account ID, the hooks. */
static ACME_MUST_CHECK int
imp_cb_settings(struct imp_run *r, const char *name, struct imp_conf *c)
{
	int rc;

	if ((rc = imp_cb_conf(r, name, c)) < 0 || (rc = imp_server_ok(c)) < 0)
		return rc;
	imp_cb_key_type(c);
	if (c->account[0] == '\0')
		imp_say(c, "no certbot account named: the next renewal "
		    "makes a new one (--agree-tos)");
	return imp_cb_hooks(r, c);
}

/* The current version live, up to three unexpired older ones backups. */
static ACME_MUST_CHECK int
imp_cb_set(struct imp_run *r, const char *name, struct imp_conf *c,
    struct imp_set *s)
{
	struct imp_cb_old *o = malloc(sizeof(*o));
	struct imp_older older = { imp_cb_load, o, 0 };
	int rc;

	if (o == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	o->name = name;
	if ((rc = imp_cb_versions(r, name, o, &older.n, s)) == 0)
		rc = imp_set_load(r, name, c, s, &older);
	free(o);
	return rc;
}

/* The NAMEs of renewal/NAME.conf. */
static ACME_MUST_CHECK int
imp_cb_names(struct imp_run *r, char ***names, size_t *n)
{
	return imp_list(r, "renewal", ".conf", RENEW_NAMES_MAX, names, n);
}

static const struct imp_src imp_certbot = {
	"certbot", "import-certbot", "renewal", imp_cb_names, imp_cb_settings,
	imp_cb_acct, imp_cb_set, NULL, 0,
};

int
acme_import_certbot(const struct acme_options *o, const char *certbot_dir)
{
	return imp_run(&imp_certbot, o, certbot_dir ? certbot_dir :
	    IMP_CERTBOT_DIR);
}

/* ---- import-uacme ---- */

/*
 * uacme's tree: NAME/cert.pem (the whole chain) and older
 * NAME/cert-T.pem, private/NAME/key.pem, private/key.pem (the account,
 * for the server given to the import: uacme keeps no URL).
 */

#define IMP_UACME_DIR	"/etc/ssl/uacme"

/* uacme's older certificates of NAME: NAME/cert-T.pem, newest T first. */
struct imp_ua_old {
	const char	*name;		/* borrowed */
	char		**files;	/* borrowed */
	const struct buf *key;		/* private/NAME/key.pem */
};

static ACME_MUST_CHECK int
imp_ua_load(struct imp_run *r, const void *ctx, int i, struct cert_set *cs,
    char *label, size_t cap)
{
	const struct imp_ua_old *o = ctx;
	char path[PATH_LEN_MAX];
	int rc;

	snprintf(label, cap, "%.60s", o->files[i]);
	if (cs == NULL)
		return 0;
	snprintf(path, sizeof(path), "%s/%s", o->name, o->files[i]);
	if ((rc = imp_read(r, path, &cs->cert, PEM_MAX)) < 0)
		return err_set(store_need(rc), "cannot read");
	return buf_append(&cs->privkey, o->key->data, o->key->len);
}

/* The time T of "cert-T.pem", or NONE. */
static long long
imp_ua_time(const char *file)
{
	char again[64], *end;
	long long t;

	if (strncmp(file, "cert-", 5) != 0 || !isdigit((unsigned char)
	    file[5]))
		return NONE;
	errno = 0;
	t = strtoll(file + 5, &end, 10);
	if (errno != 0 || t < 0)
		return NONE;
	snprintf(again, sizeof(again), "cert-%lld.pem", t);
	return strcmp(again, file) == 0 ? t : NONE;
}

static ACME_MUST_CHECK int
imp_ua_cmp(const void *a, const void *b)
{
	long long x = imp_ua_time(*(char *const *)a);
	long long y = imp_ua_time(*(char *const *)b);

	return x < y ? 1 : x > y ? -1 : 0;
}

/* NAME/cert-T.pem, newest first, into *files (owned: store_names_free). */
static ACME_MUST_CHECK int
imp_ua_olds(struct imp_run *r, const char *name, char ***files, size_t *n)
{
	size_t i, k = 0;
	int rc;

	if ((rc = imp_list(r, name, "", IMP_VERSIONS_MAX, files, n)) < 0)
		return rc;
	for (i = 0; i < *n; i++) {
		if (imp_ua_time((*files)[i]) >= 0)
			(*files)[k++] = (*files)[i];
		else
			free((*files)[i]);
	}
	*n = k;
	qsort(*files, k, sizeof(**files), imp_ua_cmp);
	return 0;
}

/* NAME/cert.pem live, with private/NAME/key.pem; older ones backups
 * while their key is the same. */
static ACME_MUST_CHECK int
imp_ua_set(struct imp_run *r, const char *name, struct imp_conf *c,
    struct imp_set *s)
{
	struct imp_ua_old uo = { name, NULL, NULL };
	struct imp_older older = { imp_ua_load, &uo, 0 };
	char path[PATH_LEN_MAX];
	struct buf key = { 0 };
	size_t n = 0;
	int rc;

	snprintf(s->label, sizeof(s->label), "cert.pem");
	snprintf(path, sizeof(path), "%s/cert.pem", name);
	if ((rc = imp_read(r, path, &s->cur.cert, PEM_MAX)) < 0 ||
	    (snprintf(path, sizeof(path), "private/%s/key.pem", name),
	    rc = imp_read(r, path, &key, PEM_MAX)) < 0)
		rc = err_set(store_need(rc), "%s: cannot read", path);
	else if ((rc = buf_append(&s->cur.privkey, key.data, key.len)) == 0 &&
	    (rc = imp_ua_olds(r, name, &uo.files, &n)) == 0) {
		uo.key = &key;
		older.n = (int)n;
		rc = imp_set_load(r, name, c, s, &older);
	}
	store_names_free(uo.files, n);
	buf_free(&key);
	return rc;
}

/* The server and hooks given to the import; key reuse reported. */
static ACME_MUST_CHECK int
imp_ua_conf(struct imp_run *r, const char *name, struct imp_conf *c)
{
	int rc = imp_cli(r, name, c);

	imp_key_reuse(r, c);
	return rc;
}

/* uacme's account key, private/key.pem; it keeps no URL. */
static ACME_MUST_CHECK int
imp_ua_acct(struct imp_run *r, const struct imp_conf *c, struct imp_acct *ac)
{
	struct buf pem = { 0 };
	int rc;

	(void)c;
	snprintf(ac->what, sizeof(ac->what), "uacme's private/key.pem");
	if ((rc = imp_read(r, "private/key.pem", &pem, PEM_MAX)) < 0)
		rc = err_set(store_need(rc), "cannot read it");
	else
		rc = key_from_pem(&ac->key, (const char *)pem.data, pem.len);
	buf_free(&pem);
	return rc;
}

/* The certificates of a uacme tree: NAME/cert.pem beside private/. */
static ACME_MUST_CHECK int
imp_ua_names(struct imp_run *r, char ***names, size_t *n)
{
	char path[PATH_LEN_MAX];
	size_t i, k = 0;
	int rc = 0, has;

	if ((rc = imp_list(r, ".", "", RENEW_NAMES_MAX, names, n)) < 0)
		return rc;
	for (i = 0; i < *n; i++) {
		snprintf(path, sizeof(path), "%s/cert.pem", (*names)[i]);
		has = strcmp((*names)[i], "private") != 0 && rc == 0 ?
		    imp_has(r, path, 0) : 0;
		if (has < 0)
			rc = has;
		if (has > 0)
			(*names)[k++] = (*names)[i];
		else
			free((*names)[i]);
	}
	*n = k;
	return rc;
}

static const struct imp_src imp_uacme = {
	"uacme", "import-uacme", "private", imp_ua_names, imp_ua_conf,
	imp_ua_acct, imp_ua_set, NULL, 1,
};

int
acme_import_uacme(const struct acme_options *o, const char *uacme_dir)
{
	return imp_run(&imp_uacme, o, uacme_dir ? uacme_dir : IMP_UACME_DIR);
}

/* ---- import-acmesh ---- */

/*
 * acme.sh's home: DOMAIN_ecc/ (an ECDSA certificate) or DOMAIN/ (RSA)
 * with DOMAIN.cer, ca.cer, fullchain.cer, DOMAIN.key and the Le_*
 * settings of DOMAIN.conf; ca/HOST/PATH/ the account of each server
 * (account.key, ca.conf's ACCOUNT_URL); account.conf's CA_BUNDLE.
 */

#define IMP_ACMESH_HOME	".acme.sh"	/* below $HOME */

/*
 * A value of acme.sh's KEY=value lines, decoded as the DNS API's own
 * (hook_api_value: the shell's quoting, acme.sh's base64 wrapping of
 * hooks and the preferred chain). v becomes the value, which may hold no
 * NUL; 0, or NONE when malformed.
 */
static ACME_MUST_CHECK int
imp_sh_value(char *v)
{
	int len;

	err_hush();
	len = hook_api_value(v);
	err_unhush();
	if (len < 0 || memchr(v, '\0', (size_t)len) != NULL)
		return NONE;
	v[len] = '\0';
	return 0;
}

/* acme.sh's settings that acme takes or reports, besides imp_conf's. */
struct imp_sh {
	char	 reload[PATH_LEN_MAX];		/* Le_ReloadCmd */
	char	 renew[PATH_LEN_MAX];		/* Le_RenewHook */
	char	 new_key[8];			/* Le_ForceNewDomainKey */
};

/* What the Le_* keys of DOMAIN.conf become. */
enum imp_sh_kind {
	IMP_SH_STR,		/* into the imp_conf field at off */
	IMP_SH_OWN,		/* into the struct imp_sh field at off */
	IMP_SH_WEBROOT,		/* the challenge method */
	IMP_SH_KEY,		/* Le_Keylength */
	IMP_SH_INT,		/* into the imp_conf int at off */
	IMP_SH_ALIAS,		/* Le_ChallengeAlias: DNS alias mode */
	IMP_SH_QUIET,		/* acme.sh's bookkeeping */
	IMP_SH_NO,		/* reported */
	IMP_SH_KIND_MAX
};

#define IMP_SH_F(f)	offsetof(struct imp_sh, f), \
			sizeof(((struct imp_sh *)0)->f)

static const struct imp_sh_key {
	const char	*key;
	unsigned char	 kind;		/* enum imp_sh_kind */
	unsigned short	 off, cap;	/* IMP_F, IMP_SH_F */
	const char	*why;		/* IMP_SH_NO */
} imp_sh_keys[] = {
	{ "Le_API", IMP_SH_STR, IMP_F(server), NULL },
	{ "Le_Webroot", IMP_SH_WEBROOT, 0, 0, NULL },
	{ "Le_HTTPPort", IMP_SH_STR, IMP_F(http_port), NULL },
	{ "Le_TLSPort", IMP_SH_STR, IMP_F(tls_port), NULL },
	{ "Le_LocalAddress", IMP_SH_STR, IMP_F(bind), NULL },
	{ "Le_Preferred_Chain", IMP_SH_STR, IMP_F(preferred_chain), NULL },
	{ "Le_Keylength", IMP_SH_KEY, 0, 0, NULL },
	{ "Le_RealCertPath", IMP_SH_STR, IMP_F(copy[0]), NULL },
	{ "Le_RealCACertPath", IMP_SH_STR, IMP_F(copy[1]), NULL },
	{ "Le_RealFullChainPath", IMP_SH_STR, IMP_F(copy[2]), NULL },
	{ "Le_RealKeyPath", IMP_SH_STR, IMP_F(copy[3]), NULL },
	{ "Le_ReloadCmd", IMP_SH_OWN, IMP_SH_F(reload), NULL },
	{ "Le_RenewHook", IMP_SH_OWN, IMP_SH_F(renew), NULL },
	{ "Le_RenewalDays", IMP_SH_INT, IMP_F(sh_days), NULL },
	{ "Le_ForceNewDomainKey", IMP_SH_OWN, IMP_SH_F(new_key), NULL },
	{ "Le_PreHook", IMP_SH_NO, 0, 0, IMP_NOHOOK },
	{ "Le_PostHook", IMP_SH_NO, 0, 0, IMP_NOHOOK },
	{ "Le_DeployHook", IMP_SH_NO, 0, 0, "acme.sh's deploy plugins run "
	    "inside acme.sh; do the same from a deploy hook" },
	{ "Le_ChallengeAlias", IMP_SH_ALIAS, 0, 0, NULL },
	{ "Le_DNSSleep", IMP_SH_INT, IMP_F(dns_wait), NULL },
	{ "Le_OCSP_Staple", IMP_SH_NO, 0, 0, "acme does not ask for OCSP "
	    "Must-Staple" },
	{ "Le_Listen_V4", IMP_SH_NO, 0, 0, "acme's responder listens on "
	    "--bind, else on every address" },
	{ "Le_Listen_V6", IMP_SH_NO, 0, 0, "acme's responder listens on "
	    "--bind, else on every address" },
	{ "Le_Valid_From", IMP_SH_NO, 0, 0, "acme takes the CA's validity" },
	{ "Le_Valid_To", IMP_SH_NO, 0, 0, "acme takes the CA's validity" },
	{ "Le_Domain", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_Alt", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_OrderFinalize", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_LinkOrder", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_LinkCert", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_LinkIssuer", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_CertCreateTime", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_CertCreateTimeStr", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_NextRenewTime", IMP_SH_QUIET, 0, 0, NULL },
	{ "Le_NextRenewTimeStr", IMP_SH_QUIET, 0, 0, NULL },
};

#define IMP_SH_NKEYS	(sizeof(imp_sh_keys) / sizeof(imp_sh_keys[0]))

/* Le_Webroot: "no" standalone http-01, "alpn" standalone tls-alpn-01, a
 * path a webroot; DNS plugins and the apache/nginx modes are reported. */
static void
imp_sh_webroot(struct imp_conf *c, const char *v)
{
	char first[PATH_LEN_MAX];

	snprintf(first, sizeof(first), "%.*s", (int)strcspn(v, ","), v);
	if (strcmp(first, "no") == 0 || strcmp(first, "alpn") == 0) {
		snprintf(c->authenticator, sizeof(c->authenticator),
		    "standalone");
		if (first[0] == 'a')
			snprintf(c->challenge, sizeof(c->challenge),
			    "tls-alpn-01");
	} else if (first[0] == '/') {
		imp_set(c, c->webroot, sizeof(c->webroot), "Le_Webroot", first);
		snprintf(c->authenticator, sizeof(c->authenticator), "webroot");
		if (strcmp(first, v) != 0)
			imp_skip(c, "Le_Webroot", v, "acme uses one webroot "
			    "for all the names of a certificate: the first");
	} else {
		imp_set(c, c->authenticator, sizeof(c->authenticator),
		    "Le_Webroot", first);
		if (strncmp(first, "dns_", 4) == 0 && hook_api_name_ok(first))
			memcpy(c->dns_api, first, strlen(first) + 1);
		c->chal_why = "acme.sh's manual DNS, apache, nginx and "
		    "stateless modes have no counterpart";
	}
}

/*
 * Le_ChallengeAlias: one alias per name, comma-separated (acme.sh's
 * --challenge-alias A, or =D for --domain-alias D); acme takes one for
 * all the names.
 */
static void
imp_sh_alias(struct imp_conf *c, const char *v)
{
	size_t n = strcspn(v, ",");
	const char *p = v + n;

	while (*p == ',') {	/* the further fields: empty, or the same */
		if (*++p == ',' || *p == '\0')
			continue;
		if (strncmp(p, v, n) != 0 || (p[n] != ',' && p[n] != '\0'))
			break;
		p += n;
	}
	c->dalias = *v == '=';
	if (*p != '\0' || n - (size_t)c->dalias >= sizeof(c->alias))
		imp_skip(c, "Le_ChallengeAlias", v, "acme takes one alias for "
		    "all the names of a certificate");
	else
		snprintf(c->alias, sizeof(c->alias), "%.*s", (int)n - c->dalias,
		    v + c->dalias);
}

/* Le_Keylength: ec-256, ec-384, 2048, 3072, 4096. */
static void
imp_sh_keylen(struct imp_conf *c, const char *v)
{
	char want[32];

	snprintf(want, sizeof(want), "%s%.20s", strncmp(v, "ec-", 3) == 0 ?
	    "ec" : "rsa", strncmp(v, "ec-", 3) == 0 ? v + 3 : v);
	if (key_type_parse(want) >= 0)
		memcpy(c->key_type, want, strlen(want) + 1);
	else
		imp_skip(c, "Le_Keylength", v, "acme makes ec256, ec384, "
		    "rsa2048, rsa3072 and rsa4096 keys; the current key's "
		    "type is kept");
}

/* Is key a dnsapi script's setting (kept for --dns-api), not one of
 * acme.sh's own? (imp_api_write checks that it is a valid key.) */
static int
imp_sh_keep(const char *key)
{
	static const char *const own[] = { "ACCOUNT_", "ACME_", "APACHE_",
	    "AUTO_", "CA_", "CERT_", "DEFAULT_", "HTTPS_", "LOG_", "NOTIFY_",
	    "SYS_", "UPGRADE_", "USER_" };
	size_t i;

	for (i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		if (strncmp(key, own[i], strlen(own[i])) == 0)
			return 0;
	return 1;
}

/* One KEY=value line of DOMAIN.conf. */
static void
imp_sh_line(struct imp_conf *c, struct imp_sh *sh, const char *key, char *v)
{
	const struct imp_sh_key *k;
	size_t i;

	for (i = 0; i < IMP_SH_NKEYS && strcmp(key, imp_sh_keys[i].key); i++)
		continue;
	k = i < IMP_SH_NKEYS ? &imp_sh_keys[i] : NULL;
	if (imp_sh_value(v) < 0)
		imp_skip(c, key, "", "a value acme.sh did not write");
	else if (strncmp(key, "Le_", 3) != 0) {
		/* SAVED_* and the others: a dnsapi script's (or a deploy
		 * plugin's), kept for --dns-api (imp_api_write) */
		if (imp_sh_keep(key)) {
			buf_append(&c->dns_saved, key, strlen(key) + 1);
			buf_append(&c->dns_saved, v, strlen(v) + 1);
		}
	} else if (*v == '\0' || (k != NULL && k->kind == IMP_SH_QUIET))
		return;
	else if (k == NULL)
		imp_skip(c, key, v, "unknown to acme");
	else if (k->kind == IMP_SH_ALIAS)
		imp_sh_alias(c, v);
	else if (k->kind == IMP_SH_STR)
		imp_set(c, (char *)c + k->off, k->cap, key, v);
	else if (k->kind == IMP_SH_OWN)
		imp_set(c, (char *)sh + k->off, k->cap, key, v);
	else if (k->kind == IMP_SH_INT)
		*(int *)(void *)((char *)c + k->off) = atoi(v);
	else if (k->kind == IMP_SH_WEBROOT)
		imp_sh_webroot(c, v);
	else if (k->kind == IMP_SH_KEY)
		imp_sh_keylen(c, v);
	else
		imp_skip(c, key, v, k->why);
}

/* Read path (KEY=value lines) below the tree; each line to imp_sh_line. */
static ACME_MUST_CHECK int
imp_sh_read(struct imp_run *r, const char *path, struct imp_conf *c,
    struct imp_sh *sh)
{
	struct buf b = { 0 };
	char *p, *nl, *eq;
	int rc;

	if ((rc = imp_read(r, path, &b, CONF_MAX)) < 0) {
		rc = err_set(store_need(rc), "%s: cannot read", path);
		goto out;
	}
	for (p = (char *)b.data; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		p = file_trim(p);
		if (*p == '#' || (eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		imp_sh_line(c, sh, file_trim(p), eq + 1);
	}
out:
	buf_free(&b);
	return rc;
}

/*
 * Le_ReloadCmd and Le_RenewHook run by the deploy hook wrapper with
 * /bin/sh in the set's directory with CERT_PATH, CERT_KEY_PATH,
 * CA_CERT_PATH, CERT_FULLCHAIN_PATH and Le_Domain set, as acme.sh does.
 * The Le_Real*Path copies are acme's own (--copy-cert ...).
 */
static void
imp_sh_hooks(struct imp_conf *c, const struct imp_sh *sh)
{
	size_t start = c->wrap.len;

	if (sh->reload[0] == '\0' && sh->renew[0] == '\0')
		return;
	buf_puts(&c->wrap, "cd \"$ACME_LIVE_DIR\" || exit\nexport "
	    "CERT_PATH=\"$ACME_LIVE_DIR/cert.pem\" "
	    "CERT_KEY_PATH=\"$ACME_LIVE_DIR/privkey.pem\" "
	    "CA_CERT_PATH=\"$ACME_LIVE_DIR/chain.pem\" "
	    "CERT_FULLCHAIN_PATH=\"$ACME_LIVE_DIR/fullchain.pem\" Le_Domain=");
	imp_sh_quote(&c->wrap, c->name);
	buf_puts(&c->wrap, "\n");
	if (imp_wrap_done(c, start, sh->reload[0] ? "Le_ReloadCmd" :
	    "Le_RenewHook", sh->reload[0] ? sh->reload : sh->renew) < 0)
		return;
	if (sh->reload[0] != '\0')
		imp_hook_cmd(c, "Le_ReloadCmd", sh->reload);
	if (sh->renew[0] != '\0')
		imp_hook_cmd(c, "Le_RenewHook", sh->renew);
}

/* KEY of an acme.sh KEY=value file (ca.conf) into dst; "" if absent. */
static ACME_MUST_CHECK int
imp_sh_get(struct imp_run *r, const char *path, const char *key, char *dst,
    size_t cap)
{
	struct buf b = { 0 };
	char *p, *nl, *eq;
	int rc;

	dst[0] = '\0';
	rc = imp_read_opt(r, path, &b, CONF_MAX);
	for (p = (char *)b.data; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if ((eq = strchr(p, '=')) == NULL)
			continue;
		*eq = '\0';
		if (strcmp(file_trim(p), key) == 0 && imp_sh_value(eq + 1) == 0)
			snprintf(dst, cap, "%s", eq + 1);
	}
	buf_free(&b);
	return rc;
}

/*
 * acme.sh's account for the server: ca/HOST/PATH/ (HOST without its
 * port, PATH the URL's path, as acme.sh cuts them), else ca/HOST/
 * (before acme.sh 2.8): account.key, ca.conf's ACCOUNT_URL,
 * account.json's createdAt.
 */
static ACME_MUST_CHECK int
imp_sh_acct(struct imp_run *r, const struct imp_conf *c, struct imp_acct *ac)
{
	const char *h = c->server + 8, *p = h + strcspn(h, "/?#");
	char dir[PATH_LEN_MAX], path[PATH_LEN_MAX + 32], t[64];
	struct buf pem = { 0 };
	int rc, n;

	p += *p == '/';
	n = snprintf(dir, sizeof(dir), "ca/%.*s", (int)strcspn(h, ":/?#"), h);
	snprintf(path, sizeof(path), "%s/%.*s/account.key", dir,
	    (int)strcspn(p, "?#"), p);
	if ((rc = imp_has(r, path, 0)) > 0)
		snprintf(dir + n, sizeof(dir) - (size_t)n, "/%.*s",
		    (int)strcspn(p, "?#"), p);
	snprintf(ac->what, sizeof(ac->what), "acme.sh's %.100s/account.key",
	    dir);
	snprintf(path, sizeof(path), "%s/account.key", dir);
	if (rc < 0 || (rc = imp_read(r, path, &pem, PEM_MAX)) < 0 ||
	    (rc = key_from_pem(&ac->key, (const char *)pem.data,
	    pem.len)) < 0) {
		rc = err_set(store_need(rc), "%s: cannot read", path);
		goto out;
	}
	snprintf(path, sizeof(path), "%s/ca.conf", dir);
	if ((rc = imp_sh_get(r, path, "ACCOUNT_URL", ac->url,
	    sizeof(ac->url))) < 0)
		goto out;
	snprintf(path, sizeof(path), "%s/account.json", dir);
	if ((rc = imp_json_member(r, path, "createdAt", t, sizeof(t))) == 0)
		imp_acct_created(ac, t);
out:
	buf_free(&pem);
	return rc;
}

/* Is there acme.sh's dir/base.conf (1), or not (0)? */
static ACME_MUST_CHECK int
imp_sh_has(struct imp_run *r, const char *dir, const char *base)
{
	char path[2 * PATH_LEN_MAX];

	snprintf(path, sizeof(path), "%s/%s.conf", dir, base);
	return imp_has(r, path, 0);
}

/*
 * The acme.sh folder of NAME into dir and its domain into base:
 * NAME_ecc/ (an ECDSA certificate), else NAME/ (RSA); NAME-rsa is the
 * RSA one of a domain that has both.
 */
static ACME_MUST_CHECK int
imp_sh_dir(struct imp_run *r, const char *name, char *dir, char *base,
    size_t cap)
{
	size_t n = strlen(name);
	int rc;

	snprintf(base, cap, "%s", name);
	snprintf(dir, cap, "%s_ecc", name);
	if ((rc = imp_sh_has(r, dir, base)) != 0)
		return rc < 0 ? rc : 0;
	snprintf(dir, cap, "%s", name);
	if ((rc = imp_sh_has(r, dir, base)) != 0)
		return rc < 0 ? rc : 0;
	if (n > 4 && strcmp(name + n - 4, "-rsa") == 0) {
		snprintf(base, cap, "%.*s", (int)(n - 4), name);
		snprintf(dir, cap, "%s", base);
		if ((rc = imp_sh_has(r, dir, base)) != 0)
			return rc < 0 ? rc : 0;
	}
	return err_set(ACME_ERR_IO, "no acme.sh folder");
}

/* The NAME of acme.sh folder ent into name ("" when it is none). */
static ACME_MUST_CHECK int
imp_sh_entry(struct imp_run *r, const char *ent, char *name, size_t cap)
{
	char ecc[PATH_LEN_MAX];
	size_t n = strlen(ent);
	int rc;

	name[0] = '\0';
	if (n > 4 && strcmp(ent + n - 4, "_ecc") == 0) {
		snprintf(name, cap, "%.*s", (int)(n - 4), ent);
		if ((rc = imp_sh_has(r, ent, name)) <= 0)
			name[0] = '\0';
		return rc < 0 ? rc : 0;
	}
	if ((rc = imp_sh_has(r, ent, ent)) <= 0)
		return rc;
	snprintf(ecc, sizeof(ecc), "%s_ecc", ent);
	if ((rc = imp_sh_has(r, ecc, ent)) >= 0)
		snprintf(name, cap, "%s%s", ent, rc ? "-rsa" : "");
	return rc < 0 ? rc : 0;
}

/* The certificates of an acme.sh tree as NAMEs (owned), sorted. */
static ACME_MUST_CHECK int
imp_sh_names(struct imp_run *r, char ***names, size_t *n)
{
	char name[PATH_LEN_MAX];
	size_t i, k = 0;
	int rc;

	if ((rc = imp_list(r, ".", "", RENEW_NAMES_MAX, names, n)) < 0)
		return rc;
	for (i = 0; i < *n; i++) {
		if (rc == 0)
			rc = imp_sh_entry(r, (*names)[i], name, sizeof(name));
		free((*names)[i]);
		if (rc == 0 && name[0] != '\0' &&
		    ((*names)[k] = strdup(name)) != NULL)
			k++;
	}
	*n = k;
	if (k > 1)
		qsort(*names, k, sizeof(**names), store_name_cmp);
	return rc;
}

/* dir/base.cer, ca.cer, fullchain.cer and base.key, as acme.sh keeps them. */
static ACME_MUST_CHECK int
imp_sh_files(struct imp_run *r, const char *dir, const char *base,
    struct cert_set *cs)
{
	char path[3][2 * PATH_LEN_MAX], key[2 * PATH_LEN_MAX];
	int rc;

	snprintf(path[0], sizeof(path[0]), "%s/%s.cer", dir, base);
	snprintf(path[1], sizeof(path[1]), "%s/ca.cer", dir);
	snprintf(path[2], sizeof(path[2]), "%s/fullchain.cer", dir);
	snprintf(key, sizeof(key), "%s/%s.key", dir, base);
	if ((rc = imp_read(r, path[0], &cs->cert, PEM_MAX)) < 0 ||
	    (rc = imp_read(r, path[1], &cs->chain, PEM_MAX)) < 0 ||
	    (rc = imp_read(r, path[2], &cs->fullchain, PEM_MAX)) < 0)
		return err_set(store_need(rc), "%s, ca.cer or fullchain.cer: "
		    "cannot read", path[0]);
	if ((rc = imp_read(r, key, &cs->privkey, PEM_MAX)) < 0)
		return err_set(store_need(rc), "%s: cannot read", key);
	return 0;
}

/*
 * The trust acme.sh was told (account.conf's CA_BUNDLE), reported when
 * the file is gone; the Le_Real*Path copies, held to store_copy's rules
 * now rather than at the first renewal.
 */
static ACME_MUST_CHECK int
imp_sh_trust(struct imp_run *r, struct imp_conf *c)
{
	static const char *const keys[] = { "Le_RealCertPath",
	    "Le_RealCACertPath", "Le_RealFullChainPath", "Le_RealKeyPath" };
	char ca[PATH_LEN_MAX];
	struct stat st;
	int i, rc;

	if ((rc = imp_sh_get(r, "account.conf", "CA_BUNDLE", ca,
	    sizeof(ca))) < 0)
		return rc;
	if (ca[0] != '\0' && (stat(ca, &st) < 0 || !S_ISREG(st.st_mode)))
		imp_skip(c, "CA_BUNDLE", ca, "no such file: give --ca-file");
	else if (ca[0] != '\0')
		imp_set(c, c->ca_file, sizeof(c->ca_file), "CA_BUNDLE", ca);
	for (i = 0; i < 4; i++)
		if (c->copy[i][0] != '\0' && (rc = store_copy_check(
		    c->copy[i])) < 0)
			return err_wrap(rc, "%s", keys[i]);
	return 0;
}

/*
 * Le_Webroot dns_NAME: --dns-api NAME, with a copy of the tree's
 * dnsapi/NAME.sh (held to the tree's rules) when it is there, else
 * where --dns-api looks (reported when acme finds it nowhere).
 * Le_DNSSleep as --dns-wait.
 */
static ACME_MUST_CHECK int
imp_sh_dnsapi(struct imp_run *r, struct imp_conf *c)
{
	char path[PATH_LEN_MAX];
	int rc;

	snprintf(path, sizeof(path), "dnsapi/%s.sh", c->dns_api);
	err_hush();
	rc = imp_read(r, path, &c->api_script, IMP_PROG_MAX);
	err_unhush();
	if (rc < 0) {
		buf_free(&c->api_script);
		if (r->refused)
			return rc;
		if (hook_api_find(c->dns_api, NULL, path) < 0) {
			imp_say(c, "dns-api %s: %s", c->dns_api, err_msg);
			err_clear();	/* said in the report */
		}
	}
	if (c->dns_wait < 0 || c->dns_wait > DNS_WAIT_MAX)
		c->dns_wait = 0;
	c->chal_why = NULL;
	return 0;
}

/* DOMAIN.conf: the settings, the hooks, the trust. */
static ACME_MUST_CHECK int
imp_sh_settings(struct imp_run *r, const char *name, struct imp_conf *c)
{
	struct imp_sh *sh = calloc(1, sizeof(*sh));
	char dir[NAME_LEN_MAX + 8], base[NAME_LEN_MAX + 8];
	char path[2 * NAME_LEN_MAX + 32];
	int rc;

	if (sh == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = imp_sh_dir(r, name, dir, base, sizeof(dir))) == 0) {
		snprintf(path, sizeof(path), "%s/%s.conf", dir, base);
		rc = imp_sh_read(r, path, c, sh);
	}
	if (rc == 0 && c->server[0] == '\0') {
		imp_skip(c, "Le_API", "", "missing: Let's Encrypt assumed");
		snprintf(c->server, sizeof(c->server), "%s",
		    api_servers[0].url);
	}
	if (rc == 0 && (rc = imp_server_ok(c)) == 0 &&
	    (rc = imp_sh_trust(r, c)) == 0) {
		imp_sh_hooks(c, sh);
		if (strcmp(sh->new_key, "1") != 0)
			imp_key_reuse(r, c);
		if (c->dns_api[0] != '\0')
			rc = imp_sh_dnsapi(r, c);
	}
	free(sh);
	return rc;
}

/* The folder's files live; Le_RenewalDays (days after issuance) as
 * days before expiry. acme.sh keeps no older certificate. */
static ACME_MUST_CHECK int
imp_sh_set(struct imp_run *r, const char *name, struct imp_conf *c,
    struct imp_set *s)
{
	char dir[NAME_LEN_MAX + 8], base[NAME_LEN_MAX + 8], v[16];
	const struct x509_info *xi = s->xi;
	int rc, life;

	if ((rc = imp_sh_dir(r, name, dir, base, sizeof(dir))) < 0 ||
	    (rc = imp_sh_files(r, dir, base, &s->cur)) < 0 ||
	    (rc = imp_set_load(r, name, c, s, NULL)) < 0)
		return rc;
	snprintf(s->label, sizeof(s->label), "%s/%s.cer", dir, base);
	life = (int)((xi->not_after - xi->not_before) / 86400);
	if (c->sh_days > 0 && life - c->sh_days > 0)
		c->days = life - c->sh_days;
	else if (c->sh_days > 0) {
		snprintf(v, sizeof(v), "%d", c->sh_days);
		imp_skip(c, "Le_RenewalDays", v, "not within the certificate's "
		    "lifetime");
	}
	return 0;
}

/* After the writing reading, when a NAME went to --dns-api: the
 * credentials account.conf keeps into DIR/dns-api/account.conf. */
static ACME_MUST_CHECK int
imp_sh_end(struct imp_run *r)
{
	struct buf b = { 0 }, kv = { .max = CONF_MAX };
	char *p, *nl, *eq;
	int rc;

	if (!r->api)
		return 0;
	if ((rc = imp_read_opt(r, "account.conf", &b, CONF_MAX)) < 0 ||
	    b.data == NULL)
		return rc;
	for (p = (char *)b.data; p != NULL && *p != '\0'; p = nl) {
		if ((nl = strchr(p, '\n')) != NULL)
			*nl++ = '\0';
		if ((eq = strchr(p, '=')) == NULL || *p == '#')
			continue;
		*eq = '\0';
		if (imp_sh_keep(p) && imp_sh_value(eq + 1) == 0) {
			buf_append(&kv, p, strlen(p) + 1);
			buf_append(&kv, eq + 1, strlen(eq + 1) + 1);
		}
	}
	if ((rc = buf_err(&kv)) == 0 && (rc = imp_api_write(r, NULL,
	    &kv)) > 0)
		log_result("account.conf: %d DNS API settings into %s/"
		    HOOK_API_SUB "/account.conf", rc, r->dir);
	buf_free(&b);
	buf_free(&kv);
	return rc < 0 ? rc : 0;
}

static const struct imp_src imp_acmesh = {
	"acme.sh", "import-acmesh", "ca", imp_sh_names, imp_sh_settings,
	imp_sh_acct, imp_sh_set, imp_sh_end, 0,
};

int
acme_import_acmesh(const struct acme_options *o, const char *acmesh_dir)
{
	char home[PATH_LEN_MAX];
	const char *h = getenv("HOME");

	snprintf(home, sizeof(home), "%s/%s", h != NULL && h[0] == '/' ? h :
	    "/root", IMP_ACMESH_HOME);
	return imp_run(&imp_acmesh, o, acmesh_dir ? acmesh_dir : home);
}

/* ---- import-lego ---- */

/*
 * lego's tree (its --path, ./.lego by default): certificates/NAME.crt
 * (the certificate, and its chain unless lego ran with --no-bundle),
 * NAME.issuer.crt (the chain) and NAME.key; accounts/SERVER/EMAIL/
 * account.json (registration.uri: the account URL) with
 * keys/EMAIL.key, SERVER being the server's host[:port] with '_' for
 * ':'. lego records no server, challenge method or hook (they are given
 * at each run): as for uacme, they are given to the import (imp_cli),
 * and --email picks one of several accounts for the server.
 */

#define IMP_LEGO_DIR	"./.lego"	/* lego's --path default */

/* NAME.crt with its chain (NAME.issuer.crt when NAME.crt holds one
 * certificate) and NAME.key. lego keeps no older certificate. */
static ACME_MUST_CHECK int
imp_lego_set(struct imp_run *r, const char *name, struct imp_conf *c,
    struct imp_set *s)
{
	static const char *const ext[] = { "crt", "issuer.crt", "key" };
	struct buf *b[] = { &s->cur.cert, &s->cur.cert, &s->cur.privkey };
	const char *pem;
	char path[NAME_LEN_MAX + 32];
	int i, rc;

	snprintf(s->label, sizeof(s->label), "certificates/%s.crt", name);
	for (i = 0; i < 3; i++) {
		pem = s->cur.cert.data ? strstr((const char *)s->cur.cert.data,
		    "-----BEGIN") : NULL;
		if (i == 1 && pem != NULL && strstr(pem + 1, "-----BEGIN"))
			continue;	/* lego's bundle: the chain is there */
		snprintf(path, sizeof(path), "certificates/%s.%s", name,
		    ext[i]);
		if ((rc = imp_read(r, path, b[i], PEM_MAX)) < 0)
			return err_set(store_need(rc), "%s: cannot read", path);
	}
	return imp_set_load(r, name, c, s, NULL);
}

/* The names of certificates/NAME.crt (NAME.issuer.crt left out). */
static ACME_MUST_CHECK int
imp_lego_names(struct imp_run *r, char ***names, size_t *n)
{
	size_t i, k = 0, len;
	int rc;

	if ((rc = imp_list(r, "certificates", ".crt", RENEW_NAMES_MAX, names,
	    n)) < 0)
		return rc == STORE_ABSENT ? 0 : rc;
	for (i = 0; i < *n; i++) {
		len = strlen((*names)[i]);
		if (len > 7 && strcmp((*names)[i] + len - 7, ".issuer") == 0)
			free((*names)[i]);
		else
			(*names)[k++] = (*names)[i];
	}
	*n = k;
	return 0;
}

/* The e-mail folder of lego's account for the server in dir: --email's,
 * else the only one there. */
static ACME_MUST_CHECK int
imp_lego_email(struct imp_run *r, const char *dir, char *email, size_t cap)
{
	char **v = NULL;
	size_t n = 0;
	int rc;

	if (r->run.o->email != NULL) {
		snprintf(email, cap, "%s", r->run.o->email);
		return 0;
	}
	if ((rc = imp_list(r, dir, "", 16, &v, &n)) == STORE_ABSENT)
		rc = err_set(ACME_ERR_IO, "%s: no account", dir);
	else if (rc == 0 && n != 1)
		rc = err_set(ACME_ERR_USAGE, "%s: %zu accounts: choose one "
		    "with --email", dir, n);
	else if (rc == 0)
		snprintf(email, cap, "%s", v[0]);
	store_names_free(v, n);
	return rc;
}

/* lego's account.json: registration.uri, the account URL ("" when
 * there is none: looked up by the key at the next renewal). */
static ACME_MUST_CHECK int
imp_lego_url(struct imp_run *r, const char *path, struct imp_acct *ac)
{
	struct json *j = malloc(sizeof(*j));
	struct buf b = { 0 };
	int rc;

	if (j == NULL)
		rc = err_set(ACME_ERR_NOMEM, "out of memory");
	else if ((rc = imp_read(r, path, &b, IMP_JSON_MAX)) < 0 ||
	    (rc = json_parse(j, (const char *)b.data, b.len)) < 0)
		rc = err_set(store_need(rc), "%s: cannot read", path);
	else if (json_get_str(j, json_get(j, 0, "registration"), "uri",
	    ac->url, sizeof(ac->url)) < 0)
		ac->url[0] = '\0';
	free(j);
	buf_free(&b);
	return rc;
}

/* The account: accounts/SERVER/EMAIL/keys/EMAIL.key and account.json. */
static ACME_MUST_CHECK int
imp_lego_acct(struct imp_run *r, const struct imp_conf *c,
    struct imp_acct *ac)
{
	char host[256], dir[PATH_LEN_MAX], email[OPT_TEXT_MAX + 1];
	char path[3 * PATH_LEN_MAX], *colon;
	struct buf pem = { 0 };
	int rc;

	if ((rc = acct_host(c->server, host, sizeof(host))) < 0)
		return rc;
	for (colon = host; (colon = strchr(colon, ':')) != NULL;)
		*colon = '_';	/* lego's name for the folder */
	snprintf(dir, sizeof(dir), "accounts/%s", host);
	snprintf(ac->what, sizeof(ac->what), "lego's %.140s", dir);
	if ((rc = imp_lego_email(r, dir, email, sizeof(email))) < 0)
		return rc;
	snprintf(ac->what, sizeof(ac->what), "lego's %.80s/%.60s", dir, email);
	snprintf(path, sizeof(path), "%s/%s/keys/%s.key", dir, email, email);
	if ((rc = imp_read(r, path, &pem, PEM_MAX)) < 0 ||
	    (rc = key_from_pem(&ac->key, (const char *)pem.data,
	    pem.len)) < 0)
		rc = err_set(store_need(rc), "%s: cannot read", path);
	else {
		snprintf(path, sizeof(path), "%s/%s/account.json", dir, email);
		rc = imp_lego_url(r, path, ac);
	}
	buf_free(&pem);
	return rc;
}

static const struct imp_src imp_lego = {
	"lego", "import-lego", "accounts", imp_lego_names, imp_cli,
	imp_lego_acct, imp_lego_set, NULL, 1,
};

int
acme_import_lego(const struct acme_options *o, const char *lego_dir)
{
	return imp_run(&imp_lego, o, lego_dir ? lego_dir : IMP_LEGO_DIR);
}

/* ==== 20. Renew ==== */

/*
 * acme_renew(): for every NAME, conf/NAME.conf (what issue saved) and
 * conf/NAME.state (ARI windows and rate-limit retry times), both read and
 * written by section 12; the decision whether a certificate is due by the
 * CA's time and ARI; and one run that renews every due name with a
 * bounded number of orders in flight.
 *
 * Prefixes: renew_.
 * May call: 2-4, 6, 9-12, 15-18.
 */

/* ---- one run ---- */

/* One NAME of a renew run, from its conf to its result line. */
struct renew_item {
	const char	*name;			/* borrowed */
	struct conf	*c;			/* owned */
	struct renew_state st, old;
	struct issue	*is;			/* owned; set when due */
	struct ident	 ids[IDENT_MAX];
};

/* One renew run: api_enter's run and what renew adds to it. */
struct renew_run {
	struct api_run	 run;		/* api_enter's */
	int		 conffd;	/* DIR/conf; -1 before */
	int		 failed;	/* last failure code, 0 */
	/* the due orders, run together (renew_flush) */
	struct batch	*b;		/* owned */
	struct renew_item *items[ORDERS_MAX];	/* owned: theirs */
	size_t		 nitems;
	int		 rate_limited;	/* rateLimited: no new order */
	struct x509_info *xi;		/* owned: renew_decide's, one for all
					   NAMEs (peak RSS) */
};

/*
 * The session for a NAME's server (api_session: NAMEs that share one
 * share it), which must tell the CA's time: no Date, no decision.
 */
static ACME_MUST_CHECK int
renew_session(struct api_run *run, const struct acme_options *o,
    const char *url)
{
	int rc;

	if ((rc = api_session(run, o, url)) < 0)
		return rc;
	if (run->ca_time <= 0) {
		api_disconnect(run);
		return err_set(ACME_ERR_PROTO, "%s sent no Date header: no "
		    "trusted time, so no renewal decision", url);
	}
	return 0;
}

/* live/NAME/cert.pem parsed into xi; 1 when absent. */
static ACME_MUST_CHECK int
renew_live_cert(struct api_run *run, const char *name,
    struct x509_info *xi)
{
	struct pem_obj objs[1];
	struct buf b = { 0 };
	size_t n = 0;
	int livefd, setfd, rc;

	memset(objs, 0, sizeof(objs));
	if ((livefd = store_subdir(run->storefd, "live", 0)) < 0)
		return livefd == STORE_ABSENT ? 1 : livefd;
	setfd = store_subdir(livefd, name, 0);
	close(livefd);
	if (setfd < 0)
		return setfd == STORE_ABSENT ? 1 : setfd;
	rc = store_read(setfd, "cert.pem", &b, PEM_MAX);
	close(setfd);
	if (rc == STORE_ABSENT)
		rc = 1;
	else if (rc == 0 && (rc = pem_decode((const char *)b.data, b.len,
	    objs, 1, &n)) == 0)
		rc = n == 1 ? x509_parse(objs[0].der, objs[0].len, xi) :
		    err_set(ACME_ERR_PROTO, "live/%s/cert.pem: no "
		    "certificate", name);
	pem_objs_free(objs, n);
	buf_free(&b);
	return rc;
}

/* A point drawn uniformly in [w->start, w->end) (RFC 9773 4.2). */
static int64_t
renew_ari_draw(const struct ari_window *w)
{
	uint64_t r = 0;

	/* without randomness from the kernel, the window's start: the
	 * earliest renewal, never a late one */
	ACME_IGNORE(rng_bytes(&r, sizeof(r)));
	return w->start + (int64_t)(r % (uint64_t)(w->end - w->start));
}

/*
 * The ARI renewal point of xi: the one kept in st while its Retry-After
 * runs, else fetched; a new point is drawn only when the window changed.
 * Returns 0 and *point, or negative (the caller falls back).
 */
static ACME_MUST_CHECK int
renew_ari_point(struct api_run *run, const char *certid,
    const char *serial, struct renew_state *st, int64_t *point)
{
	struct ari_window w;
	long ra;
	int rc;

	if (strcmp(st->serial, serial) == 0 && st->ari_time != 0 &&
	    st->ari_next > run->ca_time) {
		*point = st->ari_time;
		return 0;
	}
	if ((rc = req_renewal_info(run->a, certid, &w)) < 0)
		return rc;
	if (strcmp(st->serial, serial) != 0 || st->ari_start != w.start ||
	    st->ari_end != w.end || st->ari_time == 0) {
		memcpy(st->serial, serial, strlen(serial) + 1);
		st->ari_start = w.start;
		st->ari_end = w.end;
		st->ari_time = renew_ari_draw(&w);
	}
	ra = w.retry_after < 0 ? ARI_RETRY_DEFAULT : w.retry_after;
	ra = ra < ARI_RETRY_MIN ? ARI_RETRY_MIN : ra > ARI_RETRY_MAX ?
	    ARI_RETRY_MAX : ra;
	st->ari_next = run->ca_time + ra;
	*point = st->ari_time;
	return 0;
}

/*
 * When xi is due without asking the CA: --days N before notAfter; else
 * the ARI point drawn for it and kept in st; else a third of its
 * lifetime before notAfter.
 */
static int64_t
renew_saved_point(const struct acme_options *o, const struct x509_info *xi,
    const struct renew_state *st)
{
	char serial[2 * X509_SERIAL_MAX + 1];

	if (o->days > 0)
		return xi->not_after - (int64_t)o->days * 86400;
	hex_encode(serial, xi->serial, xi->serial_len);
	if (strcmp(st->serial, serial) == 0 && st->ari_time != 0)
		return st->ari_time;
	return xi->not_after - (xi->not_after - xi->not_before) / 3;
}

/*
 * When xi is due: --days N before notAfter; else inside the ARI window
 * when the server offers renewalInfo (unless rate limited, when no
 * request is made); else a third of its lifetime before notAfter.
 */
static int64_t
renew_point(struct api_run *run, const struct acme_options *o,
    const struct x509_info *xi, const char *certid, struct renew_state *st)
{
	char serial[2 * X509_SERIAL_MAX + 1];
	int64_t p;

	if (o->days > 0)
		return renew_saved_point(o, xi, st);
	hex_encode(serial, xi->serial, xi->serial_len);
	if (run->a->dir.renewal_info[0] != '\0' && certid[0] != '\0') {
		if (st->retry_until > run->ca_time)
			return renew_saved_point(o, xi, st);
		if (renew_ari_point(run, certid, serial, st, &p) == 0)
			return p;
		log_msg(LOG_LEVEL_INFO, "renewalInfo: %s; using a third of "
		    "the lifetime", err_msg);
		err_clear();
	}
	return xi->not_after - (xi->not_after - xi->not_before) / 3;
}

/* After a failed order: a rate limit (RFC 8555 6.6) is kept in st. */
static void
renew_rate_limit(struct api_run *run, const struct issue *is,
    struct renew_state *st)
{
	const struct issue_fail *r = &is->fail;
	int64_t now = api_ca_now(run), until;
	char t[40];

	if (strcmp(r->problem, ACME_ERR_NS "rateLimited") != 0 &&
	    r->status != 429 && !(r->status == 503 && (r->retry_after >= 0 ||
	    r->retry_at != 0)))
		return;
	until = r->retry_at != 0 ? r->retry_at : now + (r->retry_after >= 0 ?
	    r->retry_after : RATE_WAIT_DEFAULT);
	if (until > now + RATE_WAIT_MAX)
		until = now + RATE_WAIT_MAX;
	if (until <= now)
		return;
	st->retry_until = until;
	clock_format_rfc3339(until, t, sizeof(t));
	err_wrap(ACME_ERR_SERVER, "rate limited until %s", t);
}

/* Free it and what it owns. */
static void
renew_item_free(struct renew_item *it)
{
	if (it->is != NULL)
		flow_free(it->is);
	free(it->is);
	if (it->c != NULL)
		buf_free(&it->c->text);
	free(it->c);
	free(it);
}

/* Record and print one NAME's failure; keep going with the next. */
static void
renew_failed(struct renew_run *r, const char *name, int rc)
{
	if (name != NULL)
		err_wrap(rc, "%s: failed", name);
	fprintf(stderr, "acme: %s\n", err_msg);
	if (log_syslog)
		syslog(LOG_ERR, "%s", err_msg);
	r->failed = rc;
}

/* NAME is decided (rc: 0, or its failure; for a queued NAME the outcome
 * of its order): keep a rate limit, write its state, report a failure. */
static void
renew_finish(struct renew_run *r, struct renew_item *it, int rc)
{
	int rc2;

	if (it->is != NULL && rc < 0 && rc != ACME_ERR_HOOK)
		renew_rate_limit(&r->run, it->is, &it->st);
	else if (it->is != NULL)
		memset(&it->st, 0, sizeof(it->st));	/* a new certificate */
	if ((rc2 = file_state_write(r->conffd, it->name, &it->old,
	    &it->st)) < 0 && rc == 0)
		rc = rc2;
	if (rc < 0)
		renew_failed(r, it->name, rc);
	renew_item_free(it);
}

/* Run the queued orders together, install their sets at once, then
 * finish each NAME in turn. */
static void
renew_flush(struct renew_run *r)
{
	static struct api_done done[ORDERS_MAX];
	struct issue *is[ORDERS_MAX];
	size_t i;

	if (r->nitems == 0)
		return;
	batch_run(r->b);
	r->rate_limited |= r->b->rate_limited;
	for (i = 0; i < r->nitems; i++)
		is[i] = r->items[i]->is;
	issue_install_all(is, r->nitems, &r->run, done);
	for (i = 0; i < r->nitems; i++) {
		err_clear();
		renew_finish(r, r->items[i], issue_finish(&r->run, is[i],
		    &done[i]));
	}
	r->nitems = 0;
	batch_free(r->b);
	batch_init(r->b, r->run.a);
}

/*
 * Queue NAME (due) for renewal in the run's batch; renew_flush runs it
 * and finishes the item. Returns 1 when queued; the live set is never
 * touched on failure.
 */
static ACME_MUST_CHECK int
renew_queue(struct renew_run *r, struct renew_item *it, const char *certid)
{
	struct api_run *run = &r->run;
	const char *name = it->name;
	struct conf *c = it->c;
	size_t nids;
	int key_type, rc;

	if (r->rate_limited)
		return err_set(ACME_ERR_SERVER, "due, but not ordered: the CA "
		    "answered rateLimited earlier in this run");
	if ((it->is = calloc(1, sizeof(*it->is))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	/* with a saved --csr, the names come from the CSR again */
	if ((rc = api_check(&c->o, name, &key_type)) < 0 ||
	    (c->o.csr_file != NULL && (rc = issue_names(&c->o, &name, 0,
	    it->ids, &nids, &it->is->csr)) < 0) ||
	    (c->o.csr_file == NULL && (rc = api_idents(name, c->idents,
	    c->nidents, it->ids, &nids)) < 0) ||
	    (rc = api_check_chal(&c->o, it->ids, nids)) < 0 ||
	    (rc = api_check_profile(run->a, c->o.profile)) < 0)
		return rc;
	snprintf(it->is->replaces, sizeof(it->is->replaces), "%s", certid);
	it->is->renew = 1;
	if ((rc = issue_prepare(it->is, run, &c->o, it->name, it->ids,
	    nids, key_type)) < 0 && rc == ACME_ERR_USAGE &&
	    run->a->kid[0] == '\0' && c->imported != NULL)
		return err_wrap(rc, "its account was not imported: fix what "
		    "'acme --server %s %s' reported and run it again",
		    run->a->server, c->imported);
	if (rc < 0)
		return rc;
	if (!batch_fits(r->b, it->is))
		renew_flush(r);
	batch_add(r->b, it->is);
	r->items[r->nitems++] = it;
	return 1;
}

/* Decide for NAME (its live certificate in r->xi unless absent) and
 * queue it when due (1). */
static ACME_MUST_CHECK int
renew_decide(struct renew_run *r, struct renew_item *it, int absent)
{
	struct api_run *run = &r->run;
	const char *name = it->name;
	struct conf *c = it->c;
	struct renew_state *st = &it->st;
	struct x509_info *xi = r->xi;
	char certid[sizeof(((struct issue *)0)->replaces)] = "", t[40];
	int64_t point = 0;

	if (!absent && run->a->dir.renewal_info[0] != '\0' &&
	    ari_certid(xi, certid, sizeof(certid)) < 0)
		certid[0] = '\0';
	if (!absent && !c->o.force)
		point = renew_point(run, &c->o, xi, certid, st);
	if (point > xi->not_after)	/* whatever a window says */
		point = xi->not_after;
	if (!absent && !c->o.force && run->ca_time < point) {
		clock_format_rfc3339(point, t, sizeof(t));
		log_result("%s: not due until %s", name, t);
		api_vouch(run, run->ca_time);
		return 0;
	}
	if (st->retry_until > run->ca_time) {
		clock_format_rfc3339(st->retry_until, t, sizeof(t));
		return err_set(ACME_ERR_SERVER, "due, but rate limited by the "
		    "CA until %s", t);
	}
	return renew_queue(r, it, certid);
}

/*
 * The CA could not be asked for NAME (rc: no connection, TLS, an error
 * or no Date for the directory): no decision by its time. NAME fails
 * only when it is due by the best time known, V (clock_tls_time, a lower
 * bound of the true time; renew_saved_point), or forced; else it is
 * reported not due by V and the run does not fail (acme(1), EXIT STATUS).
 */
static ACME_MUST_CHECK int
renew_unasked(struct renew_run *r, struct renew_item *it, int rc,
    int absent)
{
	char t[40];
	int64_t v = clock_tls_time(r->run.floor);

	if (absent || it->c->o.force || (rc != ACME_ERR_NET &&
	    rc != ACME_ERR_SERVER && rc != ACME_ERR_PROTO) ||
	    renew_saved_point(&it->c->o, r->xi, &it->st) <= v)
		return rc;
	clock_format_rfc3339(v, t, sizeof(t));
	log_result("%s: not due by %s; the CA could not be asked: %s",
	    it->name, t, err_msg);
	err_clear();
	return 0;
}

/* conf/NAME.conf merged with the command line, its limits checked
 * before any use (renew_point adds days): the command line's were
 * checked already, so what fails is the conf's. */
static ACME_MUST_CHECK int
renew_conf(int conffd, const char *dir, const char *name,
    const struct acme_options *cli, struct conf *c)
{
	int rc;

	if ((rc = file_conf_load(conffd, dir, name, cli, c)) < 0)
		return rc;
	if ((rc = api_limits(&c->o, "")) < 0)
		return err_wrap(rc, "conf/%s", c->file);
	return 0;
}

/* renew NAME: load its conf and state, talk to its server, decide; 1
 * when it was queued (renew_flush finishes it). */
static ACME_MUST_CHECK int
renew_one(struct renew_run *r, struct renew_item *it)
{
	struct api_run *run = &r->run;
	const char *url;
	int rc, absent;

	err_clear();
	if (!store_name_ok(it->name))
		return err_set(ACME_ERR_USAGE, "bad certificate name");
	if ((it->c = calloc(1, sizeof(*it->c))) == NULL || (r->xi == NULL &&
	    (r->xi = calloc(1, sizeof(*r->xi))) == NULL))
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = file_state_read(r->conffd, it->name, &it->st)) < 0)
		return rc;
	it->old = it->st;
	if ((rc = renew_conf(r->conffd, run->dir, it->name, run->o,
	    it->c)) < 0 ||
	    (rc = absent = renew_live_cert(run, it->name, r->xi)) < 0)
		return rc;
	if ((url = api_server_url(it->c->o.server)) == NULL)
		return ACME_ERR_USAGE;
	if (!api_same_session(run, &it->c->o, url))
		renew_flush(r);		/* its orders need their session */
	if ((rc = renew_session(run, &it->c->o, url)) < 0)
		return renew_unasked(r, it, rc, absent);
	return renew_decide(r, it, absent);
}

/* --random-delay: spread a fleet started by the same cron minute. */
static void
renew_sleep(int max)
{
	uint32_t r = 0;

	if (max <= 0 || rng_bytes(&r, sizeof(r)) < 0)
		return;
	r %= (uint32_t)max + 1;
	log_msg(LOG_LEVEL_INFO, "waiting %u s (--random-delay)", r);
	sleep(r);
}

/* Every NAME (all of conf/ when none is given), the due ones renewed
 * together in batches (renew_flush); the last failure, or 0. */
static ACME_MUST_CHECK int
renew_run_all(struct renew_run *r, const char *const *names,
    size_t nnames)
{
	struct renew_item *it;
	char **all = NULL;
	size_t i, n = 0;
	int rc = 0;

	if ((r->b = calloc(1, sizeof(*r->b))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	batch_init(r->b, NULL);
	if (nnames == 0 && (rc = file_conf_names(r->conffd,
	    RENEW_NAMES_MAX, &all, &n)) < 0)
		goto out;
	if (nnames == 0 && n == 0)
		log_msg(LOG_LEVEL_INFO, "nothing to renew in %s/conf",
		    r->run.dir);
	for (i = 0; i < (nnames ? nnames : n); i++) {
		if ((it = calloc(1, sizeof(*it))) == NULL) {
			renew_failed(r, NULL, err_set(ACME_ERR_NOMEM,
			    "out of memory"));
			break;
		}
		it->name = nnames ? names[i] : all[i];
		if ((rc = renew_one(r, it)) != 1)
			renew_finish(r, it, rc);
	}
	renew_flush(r);
	rc = r->failed;
out:
	batch_free(r->b);
	free(r->b);
	free(r->xi);
	r->b = NULL;
	r->xi = NULL;
	store_names_free(all, n);
	return rc;
}

/* Before the lock: DIR present, then --random-delay. */
static ACME_MUST_CHECK int
renew_check(struct api_run *run, void *arg)
{
	(void)arg;
	if (access(run->dir, F_OK) < 0)	/* renew never creates DIR */
		return err_set(ACME_ERR_USAGE, "%s: %s", run->dir,
		    strerror(errno));
	/* The delay comes before the lock: a manual run is not kept out. */
	renew_sleep(run->o->random_delay);
	return 0;
}

int
acme_renew(const struct acme_options *o, const char *const *names,
    size_t nnames)
{
	struct renew_run r;
	struct api_run *run = &r.run;
	char conf[PATH_LEN_MAX];
	int rc;

	memset(&r, 0, sizeof(r));
	r.conffd = -1;
	if ((rc = api_enter(run, o, API_LOCK, renew_check, NULL)) == 0 &&
	    (rc = r.conffd = store_subdir(run->storefd, "conf", 0)) ==
	    STORE_ABSENT)
		rc = err_set(ACME_ERR_USAGE, "%s/conf: no certificate was "
		    "issued here yet", run->dir);
	if (rc >= 0) {
		snprintf(conf, sizeof(conf), "%s/conf", run->dir);
		rc = store_private_ok(r.conffd, conf);
	}
	if (rc >= 0)
		rc = renew_run_all(&r, names, nnames);
	else
		renew_failed(&r, NULL, rc);
	if (r.conffd >= 0)
		close(r.conffd);
	return api_leave(run, rc);
}

/* ==== 21. Account and revocation ==== */

/*
 * acme_account() (show, update, rollover, deactivate), acme_persist_record()
 * (the dns-persist-01 TXT record to publish), and acme_revoke() of a live
 * certificate or a certificate file.
 *
 * Prefixes: account_, persist_, revoke_.
 * May call: 2-3, 6, 9-11, 14-18.
 */

/* ---- account show, update, rollover, deactivate ---- */

/* What each account operation checks before any request. */
static ACME_MUST_CHECK int
account_check(struct api_run *run, void *arg)
{
	const struct acme_options *o = run->o;
	enum acme_account_op op = *(enum acme_account_op *)arg;

	if (op < 0 || op >= ACME_ACCOUNT_OP_MAX)
		return err_set(ACME_ERR_USAGE, "unknown account operation");
	if (op == ACME_ACCOUNT_UPDATE && o->email == NULL)
		return err_set(ACME_ERR_USAGE, "account update needs --email");
	if (op == ACME_ACCOUNT_DEACTIVATE && !o->yes_deactivate)
		return err_set(ACME_ERR_USAGE, "account deactivate cannot be "
		    "undone: confirm with --yes-deactivate");
	if (key_type_parse(o->key_type ? o->key_type : "ec256") < 0)
		return err_set(ACME_ERR_USAGE, "unknown key type '%.40s'",
		    o->key_type);
	return 0;
}

/* The operation op on the stored account of run's session. */
static ACME_MUST_CHECK int
account_op(struct api_run *run, enum acme_account_op op)
{
	const struct acme_options *o = run->o;
	struct acme *a = run->a;
	char host[256];
	int hostfd = -1, rc;

	if ((rc = acct_open(a, run->storefd, o, host, sizeof(host),
	    &hostfd)) < 0)
		return rc;
	if (op == ACME_ACCOUNT_SHOW)
		rc = acct_show(a, host);
	else if (op == ACME_ACCOUNT_UPDATE)
		rc = acct_update(a, o);
	else if (op == ACME_ACCOUNT_ROLLOVER)
		rc = acct_rollover(a, hostfd, (enum key_type)key_type_parse(
		    o->key_type ? o->key_type : "ec256"));
	else
		rc = acct_deactivate(a, run->storefd, host);
	close(hostfd);
	return rc;
}

int
acme_account(const struct acme_options *o, enum acme_account_op op)
{
	static const char *const done[ACME_ACCOUNT_OP_MAX] = {
		[ACME_ACCOUNT_UPDATE] = "contact updated",
		[ACME_ACCOUNT_ROLLOVER] = "key rolled over",
		[ACME_ACCOUNT_DEACTIVATE] = "deactivated",
	};
	struct api_run run;
	int rc;

	if ((rc = api_enter(&run, o, API_CA | API_LOCK | API_CREATE,
	    account_check, &op)) == 0 &&
	    (rc = account_op(&run, op)) == 0 && done[op] != NULL &&
	    o->verbosity >= 0)
		printf("account %s: %s\n", run.a->kid, done[op]);
	return api_leave(&run, rc);
}

/* ---- account persist-record (dns-persist-01) ---- */

/*
 * The NAMEs of persist-record as DNS names ("*.NAME" stands for NAME
 * with policy=wildcard, the record of a wildcard being its base name's)
 * and --until as Unix seconds (RFC 3339 UTC, or digits); 0 when absent.
 */
static ACME_MUST_CHECK int
persist_args(const struct acme_options *o, const char *const *names,
    size_t n, struct ident *ids, int64_t *until)
{
	char *end;
	size_t i;

	*until = 0;
	if (n == 0 || n > IDENT_MAX)
		return err_set(ACME_ERR_USAGE, "account persist-record needs 1 "
		    "to %d NAMEs", IDENT_MAX);
	for (i = 0; i < n; i++) {
		if (ident_parse(names[i], &ids[i]) < 0)
			return ACME_ERR_USAGE;
		if (ids[i].type == IDENT_IP)
			return err_set(ACME_ERR_USAGE, "%s: dns-persist-01 "
			    "validates DNS names, not IP addresses",
			    ids[i].value);
	}
	if (o->persist_until == NULL)
		return 0;
	errno = 0;
	*until = strtoll(o->persist_until, &end, 10);
	if (o->persist_until[0] >= '0' && o->persist_until[0] <= '9' &&
	    errno == 0 && *end == '\0' && *until > 0)
		return 0;
	if (clock_parse_rfc3339(o->persist_until, until) < 0 || *until <= 0)
		return err_set(ACME_ERR_USAGE, "--until %.40s: give an RFC 3339 "
		    "UTC time (2030-01-01T00:00:00Z) or Unix seconds",
		    o->persist_until);
	return 0;
}

/* Every record, one line per NAME and issuer, into out. */
static ACME_MUST_CHECK int
persist_lines(struct buf *out, const struct acme *a,
    const struct ident *ids, size_t n, char (*issuers)[IDENT_LEN_MAX + 1],
    int nissuers, const struct acme_options *o, int64_t until)
{
	const char *name;
	size_t i;
	int k, wild, rc = 0;

	for (i = 0; i < n && rc == 0; i++) {
		wild = o->persist_wildcard || ident_is_wildcard(&ids[i]);
		name = ids[i].value + (ident_is_wildcard(&ids[i]) ? 2 : 0);
		for (k = 0; k < nissuers && rc == 0; k++)
			if ((rc = chal_persist_record(out, name, issuers[k],
			    a->kid, wild, until)) == 0)
				rc = buf_puts(out, "\n");
	}
	return rc;
}

/* What api_enter checks for persist-record, and what the check finds. */
struct api_persist {
	const char *const *names;	/* borrowed */
	size_t		 n;
	struct ident	*ids;		/* borrowed: n of them, filled */
	int64_t		 until;		/* --until, Unix seconds; 0 none */
};

static ACME_MUST_CHECK int
persist_check(struct api_run *run, void *arg)
{
	struct api_persist *p = arg;

	return persist_args(run->o, p->names, p->n, p->ids, &p->until);
}

int
acme_persist_record(const struct acme_options *o, const char *const *names,
    size_t n)
{
	static struct ident ids[IDENT_MAX];
	char issuers[PERSIST_ISSUERS_MAX][IDENT_LEN_MAX + 1], t[32];
	struct buf out = { .max = IDENT_MAX * PERSIST_ISSUERS_MAX * 1024 };
	struct api_persist p = { names, n, ids, 0 };
	struct api_run run;
	struct acme *a;
	int ni, rc;

	if ((rc = api_enter(&run, o, API_CA | API_LOCK | API_CREATE,
	    persist_check, &p)) < 0 ||
	    (rc = acct_ensure(run.a, run.storefd, o)) < 0)
		goto out;
	a = run.a;
	/* meta.caaIdentities, else what the CA puts in a challenge */
	ni = (int)a->dir.ncaa;
	memcpy(issuers, a->dir.caa, sizeof(issuers));
	if (ni == 0 && (rc = ni = order_persist_issuers(a, ids[0].value +
	    (ident_is_wildcard(&ids[0]) ? 2 : 0), issuers)) < 0)
		goto out;
	if ((rc = persist_lines(&out, a, ids, n, issuers, ni, o,
	    p.until)) < 0)
		goto out;
	/* draft 9.4: say so when the CA will refuse it already */
	if (p.until > 0 && a->http.date > 0 && p.until <= a->http.date) {
		clock_format_rfc3339(p.until, t, sizeof(t));
		log_msg(LOG_LEVEL_ERROR, "warning: --until %s is past by the "
		    "CA's clock: the CA will refuse these records", t);
	}
	fwrite(out.data, 1, out.len, stdout);
	fflush(stdout);
out:
	buf_free(&out);
	return api_leave(&run, rc);
}

/* ---- revoke ---- */

/* The certificate to revoke: DIR/live/NAME/cert.pem or a file. */
static ACME_MUST_CHECK int
revoke_target(int storefd, const char *target, struct buf *der)
{
	struct buf raw = { 0 };
	int livefd, setfd = -1, rc;

	if (strchr(target, '/') != NULL)
		return issue_der_file("certificate", target, "CERTIFICATE",
		    NULL, der);
	if (!store_name_ok(target))
		return err_set(ACME_ERR_USAGE, "'%.80s' is neither a NAME nor "
		    "a path to a certificate file (use ./FILE)", target);
	if ((livefd = rc = store_subdir(storefd, "live", 0)) >= 0 &&
	    (setfd = rc = store_subdir(livefd, target, 0)) >= 0)
		rc = store_read(setfd, "cert.pem", &raw, PEM_MAX);
	if (rc == STORE_ABSENT)
		rc = err_set(ACME_ERR_USAGE, "no certificate named %.80s in "
		    "live/ (a file name needs a '/': ./FILE)", target);
	else if (rc == 0)
		rc = issue_der_parse("certificate", target, &raw, "CERTIFICATE",
		    NULL, der);
	if (setfd >= 0)
		close(setfd);
	if (livefd >= 0)
		close(livefd);
	buf_free(&raw);
	return rc;
}

/* --cert-key: the certificate's own key, which must match it. */
static ACME_MUST_CHECK int
revoke_key(struct acme *a, const char *file, const struct buf *der)
{
	struct buf pem = { 0 };
	int rc;

	if ((rc = issue_read_file("--cert-key", file, &pem, PEM_MAX)) == 0 &&
	    (rc = key_from_pem(&a->key, (const char *)pem.data,
	    pem.len)) == 0 &&
	    x509_key_matches(der->data, der->len, &a->key) != 1)
		rc = err_set(ACME_ERR_USAGE, "--cert-key %.200s is not the key "
		    "of the certificate", file);
	buf_free(&pem);
	a->kid[0] = '\0';	/* RFC 8555 7.6: jwk, not kid */
	return rc;
}

/* What revoke checks before any request; filled by revoke_check. */
struct api_revoke_req {
	const char	*target;	/* borrowed: NAME or a file */
	int		 reason;	/* -1: none */
	struct acme_options saved;	/* with NAME's server, if saved */
	struct buf	 conf;		/* owned: the text saved points into */
};

/*
 * The reason, and the CA: --server, else the one that issued NAME
 * (api_saved_server); never the default CA, which may not be the one.
 */
static ACME_MUST_CHECK int
revoke_check(struct api_run *run, void *arg)
{
	struct api_revoke_req *q = arg;
	const char *r = run->o->reason;
	int rc = 0;

	if (r != NULL && (q->reason = flow_revoke_reason(r)) < 0)
		return err_set(ACME_ERR_USAGE, "--reason %.40s: use unspecified, "
		    "keyCompromise, affiliationChanged, superseded, "
		    "cessationOfOperation (or another RFC 5280 reason)", r);
	if (run->o->server == NULL && strchr(q->target, '/') == NULL &&
	    store_name_ok(q->target))
		rc = api_saved_server(run, q->target, &q->saved, &q->conf);
	if (rc == 0 && run->o->server == NULL)
		rc = err_set(ACME_ERR_USAGE, "revoke %.200s: no conf/NAME.conf "
		    "says which CA issued it: name it with --server",
		    q->target);
	return rc < 0 ? rc : 0;
}

/* Revoke target in run's session: by --cert-key or the account. */
static ACME_MUST_CHECK int
revoke_op(struct api_run *run, const char *target, int reason)
{
	const struct acme_options *o = run->o;
	struct buf der = { 0 };
	struct x509_info *xi;
	char host[256], serial[2 * X509_SERIAL_MAX + 1];
	int hostfd = -1, rc;

	if ((xi = calloc(1, sizeof(*xi))) == NULL)
		return err_set(ACME_ERR_NOMEM, "out of memory");
	if ((rc = revoke_target(run->storefd, target, &der)) < 0 ||
	    (rc = x509_parse(der.data, der.len, xi)) < 0)
		goto out;
	if (o->cert_key != NULL)
		rc = revoke_key(run->a, o->cert_key, &der);
	else
		rc = acct_open(run->a, run->storefd, o, host, sizeof(host),
		    &hostfd);
	if (rc < 0 || (rc = flow_revoke_cert(run->a, der.data, der.len,
	    reason)) < 0)
		goto out;
	x509_serial_hex(xi, serial);
	if (o->verbosity >= 0)
		printf("%s: revoked (serial %s%s%s)\n", target, serial,
		    reason >= 0 ? ", " : "", reason >= 0 ?
		    revoke_reasons[reason] : "");
out:
	if (hostfd >= 0)
		close(hostfd);
	buf_free(&der);
	free(xi);
	return rc;
}

int
acme_revoke(const struct acme_options *o, const char *target)
{
	struct api_revoke_req q = { .target = target, .reason = -1 };
	struct api_run run;
	int rc;

	if ((rc = api_enter(&run, o, API_CA | API_LOCK | API_CREATE,
	    revoke_check, &q)) == 0)
		rc = revoke_op(&run, target, q.reason);
	rc = api_leave(&run, rc);
	buf_free(&q.conf);
	return rc;
}

/* ==== 22. CLI ==== */

/*
 * main(): the command line into struct acme_options, one command, and its
 * result as an exit status (0 done, 1 an operation failed, 2 usage or
 * configuration). Not built when acme.c is embedded (ACME_NO_MAIN).
 *
 * Prefixes: cli_.
 * May call: 2-3, 14, 17-21.
 */

#ifndef ACME_NO_MAIN

#define CLI_EXIT_OK	0
#define CLI_EXIT_FAIL	1	/* a certificate operation failed */
#define CLI_EXIT_USAGE	2	/* usage or configuration error */
#define CLI_DONE	(-1)	/* --help or --version answered: exit 0 */

/* --help: these lines, each option of opt_table under its group, then
 * cli_usage_tail. */
static const char cli_usage_head[] =
"usage: acme [options] issue NAME [IDENTIFIER...]\n"
"       acme [options] issue --csr FILE --csr-key FILE [NAME]\n"
"       acme [options] renew [NAME...]\n"
"       acme [options] list\n"
"       acme [options] restore NAME [N]\n"
"       acme [options] revoke NAME|CERTFILE   (a CERTFILE path has a '/')\n"
"       acme [options] account [show|update|rollover|deactivate]\n"
"       acme [options] account persist-record [--wildcard] [--until TIME]\n"
"                      NAME...\n"
"       acme [options] import-certbot [CERTBOT-DIR]\n"
"       acme [options] import-uacme [UACME-DIR]\n"
"       acme [options] import-acmesh [ACMESH-DIR]\n"
"       acme [options] import-lego [LEGO-DIR]\n"
"\n"
"issue: get or replace certificate NAME in DIR/live/NAME; NAME is itself\n"
"  the first identifier when it is a DNS name or IP address.\n"
"renew: renew every NAME (or those given) that is due by the CA's time,\n"
"  with the settings saved in DIR/conf/NAME.conf; options override them.\n"
"list: each certificate with its expiry, key type and backups.\n"
"restore: backup N (1-3, default 1) of NAME becomes live again.\n"
"import-certbot, import-uacme, import-acmesh, import-lego: take over\n"
"  another client's certificates, accounts and hooks (from /etc/letsencrypt,\n"
"  /etc/ssl/uacme, ~/.acme.sh, ./.lego by default; its tree is only read).\n"
"account persist-record: the dns-persist-01 TXT record of each NAME for\n"
"  this account, to publish once (draft-ietf-acme-dns-persist-01).\n"
"\n";

static const char cli_usage_tail[] =
"\n"
"exit status: 0 success (renew: nothing due failed, also when the CA\n"
"could not be asked), 1 a certificate operation failed, 2 usage or\n"
"configuration error\n";

#define CLI_HELP_COL	22	/* the column of the options' help text */

/* One option's lines: "  -v, --verbose  help", continued in its column. */
static void
cli_help_opt(const struct opt *r)
{
	const char *p, *nl;
	char left[64];
	int n = 0;

	if (r->letter != 0)
		n = snprintf(left, sizeof(left), "-%c, ", r->letter);
	snprintf(left + n, sizeof(left) - (size_t)n, "--%s%s%s", r->name,
	    r->arg[0] != '\0' ? " " : "", r->arg);
	printf("  %-*s  ", CLI_HELP_COL - 4, left);
	for (p = r->help; (nl = strchr(p, '\n')) != NULL; p = nl + 1)
		printf("%.*s\n%*s", (int)(nl - p), p, CLI_HELP_COL, "");
	printf("%s\n", p);
}

/* --help */
static void
cli_help(void)
{
	size_t i;

	fputs(cli_usage_head, stdout);
	for (i = 0; i < OPT_N; i++) {
		if (i == 0 || opt_table[i].group != opt_table[i - 1].group)
			printf("%s:\n", opt_group_names[opt_table[i].group]);
		cli_help_opt(&opt_table[i]);
	}
	fputs(cli_usage_tail, stdout);
}

/* The option arg names ("--name", or "-l" for its letter), or NULL. */
static const struct opt *
cli_find(const char *arg)
{
	size_t i;

	for (i = 0; i < OPT_N; i++)
		if ((arg[1] == '-' && strcmp(arg + 2, opt_table[i].name) == 0) ||
		    (arg[1] != '-' && arg[1] == opt_table[i].letter &&
		    arg[2] == '\0'))
			return &opt_table[i];
	return NULL;
}

/*
 * A number: a port within the option's range, anything else 0..INT_MAX
 * (api_limits then checks its range, for the API's callers too).
 */
static ACME_MUST_CHECK int
cli_number(const struct opt *r, const char *s, int *out)
{
	long lo = r->kind == OPT_PORT ? r->lo : 0;
	long hi = r->kind == OPT_PORT ? r->hi : INT_MAX;
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno != 0 || end == s || *end != '\0' || v < lo || v > hi) {
		fprintf(stderr, "acme: --%s: bad %s '%.20s'\n", r->name,
		    r->kind == OPT_PORT ? "port" : "number", s);
		return CLI_EXIT_USAGE;
	}
	*out = (int)v;
	return 0;
}

/*
 * Apply one option; *i advances past its argument. Returns 0, or
 * CLI_EXIT_USAGE after printing why, or CLI_DONE for --help/--version
 * done.
 */
static ACME_MUST_CHECK int
cli_apply(const struct opt *r, char **argv, int argc, int *i,
    struct acme_options *o)
{
	const char *val = NULL;

	if (r->kind == OPT_STR || OPT_IS_NUMBER(r->kind)) {
		if (*i + 1 >= argc) {
			fprintf(stderr, "acme: --%s needs a value\n", r->name);
			return CLI_EXIT_USAGE;
		}
		val = argv[++*i];
	}
	switch (r->kind) {
	case OPT_STR:
		*opt_str(o, r) = val;
		return 0;
	case OPT_FLAG:
		*opt_int(o, r) = 1;
		return 0;
	case OPT_VERBOSE:
		o->verbosity++;
		return 0;
	case OPT_QUIET:
		o->verbosity = -1;
		return 0;
	case OPT_HELP:
		cli_help();
		return CLI_DONE;
	case OPT_VERSION:
		printf("acme %s\n", ACME_VERSION);
		return CLI_DONE;
	default:
		return cli_number(r, val, opt_int(o, r));
	}
}

/*
 * Options may stand before or after the command word; "--" ends them.
 * Positional words are collected in order into pos[]. Returns 0,
 * CLI_DONE when --help/--version was handled, or CLI_EXIT_USAGE.
 */
static int
cli_parse(int argc, char **argv, struct acme_options *o, char **pos,
    int *npos)
{
	const struct opt *op;
	int i, rc, dashdash = 0;
	char safe[64];

	*npos = 0;
	for (i = 1; i < argc; i++) {
		if (dashdash || argv[i][0] != '-' || argv[i][1] == '\0') {
			pos[(*npos)++] = argv[i];
			continue;
		}
		if (strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			continue;
		}
		/* -vv: -v -v */
		if (argv[i][1] == 'v' && argv[i][2] == 'v' &&
		    argv[i][strspn(argv[i] + 1, "v") + 1] == '\0') {
			o->verbosity += (int)strlen(argv[i] + 1);
			continue;
		}
		if ((op = cli_find(argv[i])) == NULL) {
			str_sanitize(safe, sizeof(safe), argv[i],
			    strlen(argv[i]));
			fprintf(stderr, "acme: unknown option '%s' (see acme "
			    "--help)\n", safe);
			return CLI_EXIT_USAGE;
		}
		if ((rc = cli_apply(op, argv, argc, &i, o)) != 0)
			return rc;
	}
	return 0;
}

/* The exit status for an API result, printing its error line. */
static int
cli_result(int rc)
{
	if (rc == 0)
		return CLI_EXIT_OK;
	fprintf(stderr, "acme: %s\n", acme_last_error());
	if (log_syslog)
		syslog(LOG_ERR, "%s", acme_last_error());
	return rc == ACME_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* renew [NAME...]: acme_renew prints each failure itself. */
static int
cli_renew(const struct acme_options *o, char **args, int nargs)
{
	int rc;

	if (o->syslog)
		openlog("acme", LOG_PID, LOG_DAEMON);
	rc = acme_renew(o, (const char *const *)args, (size_t)nargs);
	if (rc == 0)
		return CLI_EXIT_OK;
	return rc == ACME_ERR_USAGE ? CLI_EXIT_USAGE : CLI_EXIT_FAIL;
}

/* issue NAME [IDENTIFIER...] */
static int
cli_issue(const struct acme_options *o, char **args, int nargs)
{
	if (nargs < 1 && o->csr_file == NULL) {
		fprintf(stderr, "acme: issue needs a NAME (see acme --help)\n");
		return CLI_EXIT_USAGE;
	}
	if (o->syslog)
		openlog("acme", LOG_PID, LOG_DAEMON);
	if (nargs < 1)		/* --csr: NAME is the CSR's first name */
		return cli_result(acme_issue(o, NULL, NULL, 0));
	return cli_result(acme_issue(o, args[0], (const char *const *)args + 1,
	    (size_t)(nargs - 1)));
}

/* list */
static int
cli_list(const struct acme_options *o, char **args, int nargs)
{
	(void)args;
	if (nargs != 0) {
		fprintf(stderr, "acme: list takes no arguments\n");
		return CLI_EXIT_USAGE;
	}
	return cli_result(acme_list(o));
}

/* restore NAME [N] */
static int
cli_restore(const struct acme_options *o, char **args, int nargs)
{
	char *end;
	long n = 1;

	if (nargs >= 2) {
		errno = 0;
		n = strtol(args[1], &end, 10);
		if (errno != 0 || end == args[1] || *end != '\0' || n < 1 ||
		    n > BACKUP_DEPTH)
			n = 0;
	}
	if (nargs < 1 || nargs > 2 || n == 0) {
		fprintf(stderr, "acme: restore needs NAME and optionally a "
		    "backup number 1 to %d (see acme list)\n", BACKUP_DEPTH);
		return CLI_EXIT_USAGE;
	}
	return cli_result(acme_restore(o, args[0], (int)n));
}

/* account persist-record NAME... */
static int
cli_persist_record(const struct acme_options *o, char **args, int nargs)
{
	if (nargs < 1) {
		fprintf(stderr, "acme: account persist-record needs at least "
		    "one NAME (see acme --help)\n");
		return CLI_EXIT_USAGE;
	}
	return cli_result(acme_persist_record(o, (const char *const *)args,
	    (size_t)nargs));
}

/* account [show|update|rollover|deactivate|persist-record NAME...] */
static int
cli_account(const struct acme_options *o, char **args, int nargs)
{
	static const char *const ops[ACME_ACCOUNT_OP_MAX] = {
		[ACME_ACCOUNT_SHOW] = "show",
		[ACME_ACCOUNT_UPDATE] = "update",
		[ACME_ACCOUNT_ROLLOVER] = "rollover",
		[ACME_ACCOUNT_DEACTIVATE] = "deactivate",
	};
	int i;

	if (nargs >= 1 && strcmp(args[0], "persist-record") == 0)
		return cli_persist_record(o, args + 1, nargs - 1);
	if (nargs > 1) {
		fprintf(stderr, "acme: account takes one operation (see acme "
		    "--help)\n");
		return CLI_EXIT_USAGE;
	}
	for (i = 0; i < ACME_ACCOUNT_OP_MAX; i++)
		if (nargs == 0 || strcmp(args[0], ops[i]) == 0)
			return cli_result(acme_account(o,
			    (enum acme_account_op)i));
	fprintf(stderr, "acme: unknown account operation '%.40s': show, "
	    "update, rollover, deactivate or persist-record\n", args[0]);
	return CLI_EXIT_USAGE;
}

/* revoke NAME|CERTFILE */
static int
cli_revoke(const struct acme_options *o, char **args, int nargs)
{
	if (nargs != 1) {
		fprintf(stderr, "acme: revoke needs one NAME or CERTFILE (see "
		    "acme --help)\n");
		return CLI_EXIT_USAGE;
	}
	return cli_result(acme_revoke(o, args[0]));
}

/*
 * Commands: the words after the command are handed on as args. An
 * import is its acme.h function and takes at most one directory (NULL:
 * the client's default).
 */
static const struct cli_cmd {
	const char	*name;
	int		(*run)(const struct acme_options *, char **, int);
	int		(*import)(const struct acme_options *, const char *);
} cli_cmds[] = {
	{ "issue", cli_issue, NULL },
	/* storage */
	{ "list", cli_list, NULL },
	{ "restore", cli_restore, NULL },
	{ "import-certbot", NULL, acme_import_certbot },
	{ "import-uacme", NULL, acme_import_uacme },
	{ "import-acmesh", NULL, acme_import_acmesh },
	{ "import-lego", NULL, acme_import_lego },
	{ "renew", cli_renew, NULL },
	{ "account", cli_account, NULL },
	{ "revoke", cli_revoke, NULL },
};

static const struct cli_cmd *
cli_find_cmd(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(cli_cmds) / sizeof(cli_cmds[0]); i++)
		if (strcmp(name, cli_cmds[i].name) == 0)
			return &cli_cmds[i];
	return NULL;
}

/* import-certbot, import-uacme, import-acmesh, import-lego [DIR] */
static int
cli_import(const struct cli_cmd *cmd, const struct acme_options *o,
    char **args, int nargs)
{
	if (nargs > 1) {
		fprintf(stderr, "acme: %s takes at most one directory\n",
		    cmd->name);
		return CLI_EXIT_USAGE;
	}
	return cli_result(cmd->import(o, nargs ? args[0] : NULL));
}

int
main(int argc, char **argv)
{
	const struct cli_cmd *cmd = NULL;
	struct acme_options o;
	char **pos;
	int npos, rc;

	/* a callback of the dnsapi prelude (acme(1), DNS API) */
	if (argc > 1 && strcmp(argv[1], HOOK_API_CALL) == 0)
		return cli_result(hook_api_call(argc - 2, argv + 2));
	memset(&o, 0, sizeof(o));
	o.dir = getenv("ACME_DIR");
	if ((pos = calloc((size_t)argc + 1, sizeof(*pos))) == NULL)
		return CLI_EXIT_FAIL;
	if ((rc = cli_parse(argc, argv, &o, pos, &npos)) != 0) {
		free(pos);
		return rc == CLI_DONE ? CLI_EXIT_OK : rc;
	}
	/* the EAB MAC key from the environment keeps it out of argv */
	if (o.eab_hmac == NULL && o.eab_hmac_file == NULL)
		o.eab_hmac = getenv("ACME_EAB_HMAC");
	if (npos == 0)
		fprintf(stderr, "acme: no command given (see acme --help)\n");
	else if ((cmd = cli_find_cmd(pos[0])) == NULL)
		fprintf(stderr, "acme: unknown command '%.40s' (see acme "
		    "--help)\n", pos[0]);
	rc = cmd == NULL ? CLI_EXIT_USAGE : cmd->import == NULL ?
	    cmd->run(&o, pos + 1, npos - 1) : cli_import(cmd, &o, pos + 1,
	    npos - 1);
	free(pos);
	return rc;
}

#endif /* ACME_NO_MAIN */
