/*
 * t_crypto.c - unit tests of sections 6 (crypto), 7 (JOSE), 8 (DER and
 * CSR) and 9 (X.509 reading). #included by test/unit.c after ../acme.c
 * (ACME_NO_MAIN); exports tests_crypto.
 *
 * Vectors: RFC 7515 A.1 (HS256) and A.3 (ES256), RFC 7638 3.1, keys and
 * a certificate made once with OpenSSL 3.0 (commands beside each), and a
 * golden CSR checked with `openssl req -verify`. Tests that also run the
 * openssl command skip that part when it is not installed.
 */
#include <sys/wait.h>
#include "unit.h"

/* ---- helpers ---- */

static char tc_dir[] = "/tmp/acme-crypto-XXXXXX";
static char tc_pathbuf[2][sizeof(tc_dir) + 64];

static int
tc_have_openssl(void)
{
	static int have = -1;

	if (have < 0)
		have = system("openssl version >/dev/null 2>&1") == 0;
	if (!have)
		fprintf(stderr, "    openssl not found: part skipped\n");
	return have;
}

/* A fresh temporary directory for one test; tc_rmdir() removes it. */
static int
tc_mkdir(void)
{
	memcpy(tc_dir + sizeof(tc_dir) - 7, "XXXXXX", 6);
	if (mkdtemp(tc_dir) == NULL) {
		perror("mkdtemp");
		return -1;
	}
	return 0;
}

static void
tc_rmdir(void)
{
	char cmd[sizeof(tc_dir) + 16];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tc_dir);
	if (system(cmd) != 0)
		fprintf(stderr, "    could not remove %s\n", tc_dir);
}

/* tc_dir/name in one of two static buffers (slot 0 or 1). */
static const char *
tc_path(int slot, const char *name)
{
	snprintf(tc_pathbuf[slot], sizeof(tc_pathbuf[slot]), "%s/%s", tc_dir,
	    name);
	return tc_pathbuf[slot];
}

static int
tc_write(const char *path, const void *data, size_t len)
{
	FILE *f = fopen(path, "wb");
	int rc = 0;

	if (f == NULL || fwrite(data, 1, len, f) != len)
		rc = -1;
	if (f != NULL && fclose(f) != 0)
		rc = -1;
	return rc;
}

/* Run cmd (through sh) with stdout and stderr into out; exit status. */
static int
tc_run(const char *cmd, char *out, size_t cap)
{
	char full[1024];
	FILE *p;
	size_t n = 0, r;
	int st;

	snprintf(full, sizeof(full), "%s 2>&1", cmd);
	if ((p = popen(full, "r")) == NULL)
		return -1;
	while (cap > 1 && (r = fread(out + n, 1, cap - 1 - n, p)) > 0)
		n += r;
	if (cap > 0)
		out[n] = '\0';
	st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* The contents of the line after the one holding marker, trimmed. */
static int
tc_line_after(const char *text, const char *marker, char *dst, size_t cap)
{
	const char *p = strstr(text, marker), *e;

	if (p == NULL || (p = strchr(p, '\n')) == NULL)
		return -1;
	for (p++; *p == ' '; p++)
		continue;
	for (e = p; *e != '\0' && *e != '\n'; e++)
		continue;
	while (e > p && e[-1] == ' ')
		e--;
	snprintf(dst, cap, "%.*s", (int)(e - p), p);
	return 0;
}

/* The rest of the line starting with marker (after spaces), trimmed. */
static int
tc_line_value(const char *text, const char *marker, char *dst, size_t cap)
{
	const char *p = strstr(text, marker), *e;

	if (p == NULL)
		return -1;
	for (p += strlen(marker); *p == ' '; p++)
		continue;
	for (e = p; *e != '\0' && *e != '\n'; e++)
		continue;
	while (e > p && e[-1] == ' ')
		e--;
	snprintf(dst, cap, "%.*s", (int)(e - p), p);
	return 0;
}

static size_t
tc_b64u(unsigned char *dst, size_t cap, const char *s)
{
	int n = b64u_decode(dst, cap, s, strlen(s));

	CHECK(n >= 0);
	return n < 0 ? 0 : (size_t)n;
}

/* An RSA public key only (n and e in base64url), as a struct key. */
static void
tc_rsa_pub(struct key *k, const char *n64, const char *e64)
{
	struct key_rsa *r = &k->u.rsa;
	size_t n, e;

	key_free(k);
	n = tc_b64u(r->pub, 512, n64);
	e = tc_b64u(r->pub + n, 4, e64);
	r->pk = (br_rsa_public_key){ .n = r->pub, .nlen = n,
	    .e = r->pub + n, .elen = e };
	r->sk.n_bitlen = (uint32_t)n * 8;
	k->type = KEY_RSA2048;
	k->set = 1;
}

static int
tc_key_pem(struct key *k, const char *pem)
{
	int rc = key_from_pem(k, pem, strlen(pem));

	if (rc < 0)
		fprintf(stderr, "    key_from_pem: %s\n", err_msg);
	return rc;
}

/* Verify a JWS signature made by key_sign_jws() with k's public key. */
static int
tc_verify_jws(const struct key *k, const void *msg, size_t len,
    const unsigned char *sig, size_t slen)
{
	unsigned char h[64], h2[64];
	size_t hlen = key_hash(k, msg, len, h);

	if (key_is_ec(k))
		return br_ecdsa_i31_vrfy_raw(br_ec_get_default(), h, hlen,
		    &k->u.ec.pk, sig, slen) == 1;
	return br_rsa_pkcs1_vrfy_get_default()(sig, slen, BR_HASH_OID_SHA256,
	    hlen, &k->u.rsa.pk, h2) == 1 && memcmp(h, h2, hlen) == 0;
}

static double
tc_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* ---- vectors ---- */

/* RFC 7515 A.3: the P-256 key, header, payload and signature. */
static const char tc_a3_d[] = "jpsQnnGQmL-YBIffH1136cspYG6-0iY7X1fCE9-E9LI";
static const char tc_a3_jwk[] = "{\"crv\":\"P-256\",\"kty\":\"EC\","
    "\"x\":\"f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU\","
    "\"y\":\"x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0\"}";
static const char tc_a3_header[] = "{\"alg\":\"ES256\"}";
static const char tc_a3_payload[] = "{\"iss\":\"joe\",\r\n"
    " \"exp\":1300819380,\r\n \"http://example.com/is_root\":true}";
/* The RFC gives the signing input as these ASCII octets. */
static const char tc_a3_input[] = "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char tc_a3_sig[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSA"
    "pmWQxfKTUJqPP3-Kg6NU1Q";

/* RFC 7515 A.1: the HS256 key, signing input and MAC. */
static const char tc_a1_key[] = "AyM1SysPpbyDfgZld3umj1qzKObwVMkoqQ-EstJQ"
    "Lr_T-1qS0gZH75aKtMN3Yj0iPS4hcgUuTwjAzZr1Z9CAow";
static const char tc_a1_input[] = "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFt"
    "cGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char tc_a1_mac[] = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/* RFC 7638 3.1: the RSA key and its thumbprint. */
static const char tc_7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7"
    "aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBX"
    "Arwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9"
    "c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM"
    "4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char tc_7638_tp[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/*
 * Keys made with OpenSSL 3.0.19; the thumbprints were computed outside
 * acme (openssl pkey -pubout, the RFC 7638 JSON by hand, openssl dgst).
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256
 *   openssl ec -in ec256.p8.pem                        (SEC1 form)
 *   openssl ecparam -name prime256v1 -genkey           (with parameters)
 *   openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-384
 *   openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048
 *   openssl rsa -in rsa2048.p8.pem -traditional        (PKCS#1 form)
 * The RSA key has p = q = 1 mod 4, so BearSSL cannot recompute e and d.
 */
static const char tc_ec256_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgsb3jNju5VWzHfktc\n"
    "gqDyB2w9/U6M8R1Pvsd+rYNnFSyhRANCAAS9Hk5PTqASPoGm5pEO1J5BEe15rwRB\n"
    "KvTsTgVhBpVOYR2tAPdj0RZStCeuZPql0dTrtK4CfEN2S+hUt/kxJ7Tn\n"
    "-----END PRIVATE KEY-----\n";
static const char tc_ec256_sec1[] =
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEILG94zY7uVVsx35LXIKg8gdsPf1OjPEdT77Hfq2DZxUsoAoGCCqGSM49\n"
    "AwEHoUQDQgAEvR5OT06gEj6BpuaRDtSeQRHtea8EQSr07E4FYQaVTmEdrQD3Y9EW\n"
    "UrQnrmT6pdHU67SuAnxDdkvoVLf5MSe05w==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char tc_ec256_tp[] = "tZa604qUxSykTnGgdFkUR2p39Qw_DXe9QXOLi-_D2GY";
static const char tc_ec256_params[] =
    "-----BEGIN EC PARAMETERS-----\n"
    "BggqhkjOPQMBBw==\n"
    "-----END EC PARAMETERS-----\n"
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIJmhm2v3ipRt8oIvZfWwOJVkSHT2E3Cqa3WEPC5p0qeooAoGCCqGSM49\n"
    "AwEHoUQDQgAEcc+n6RbTJX20RJ6NELxCPsGKruX/LE7Bh++BzEysVqG6mgstaMO4\n"
    "vxEYsHmBHWerwTIa6dgJA0XcZYudbwGIBQ==\n"
    "-----END EC PRIVATE KEY-----\n";
static const char tc_ec256_params_tp[] =
    "lhr_TKlJH-HovTQUfV_oIEe3KsPRuXvmE9um2zrX51U";
static const char tc_ec384_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDCM63NiYdRtfMziTIeP\n"
    "X9XaqVkhKnSedLd52Jjj8HlIKRASdniBtP0wmhj795oq/U6hZANiAARCKCbZS+j4\n"
    "zAYQCWDTGTyKRKwQKXmxH4Msz0sTFViN69td117H7yqrBonevArIz07u5p1+88Ii\n"
    "j/3MWXyn9i8R7KiNDhSiaKBDcGxmZA2ZNnxemjiytudLPILDMkXXC74=\n"
    "-----END PRIVATE KEY-----\n";
static const char tc_ec384_tp[] = "sQSjpIance4BcUOnZHSSA4wvXal1JqxgjhyyBWYHlYY";
static const char tc_rsa2048_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEuwIBADANBgkqhkiG9w0BAQEFAASCBKUwggShAgEAAoIBAQC2wF0Nc0L8Eyt+\n"
    "5E+x4bwDV3LyjZrFwDZtHv9eLAijHYva1buUY9KhwfRNqbpkPYw8OygrYMCDChD5\n"
    "/l3RdAT5Kv/yh1BzKFiyAtzIQKPM+Yxe8Fp1OGHem8z7gNTRuWUMyJyTi22FOeOw\n"
    "DUgG49mrM1I34V4XC1T482XUZb5y6H4HUuFOfiL4Q9l8wNOX2DQgOGO0Sc+I0UAT\n"
    "1BB9Pabizb69eV1fH46vVIqbsjg5Bzvg0TscDn+f4mvCAWido8bwSCfoyc8aI94G\n"
    "e5l3+s5QHZRF4qZQKq25r78J1fJDiXbv64LzhF4bhgtw24VjeXzcWY3b5QEWj6i7\n"
    "SyvV8TjFAgMBAAECggEACDnGAR4lhIlrr+/12Fiuk5XtkhZRQkJhu21QQDxffSa4\n"
    "zfZIgFLdPwj8W+czq7cLfLCK9nzfMrwSweCITNkEhPSXBaMVOhcK+vmJrNJ1V6YJ\n"
    "1+zInYsWo07u8zO8IIklj7roip7qzzrTppp1Gf5Kega61idk3/OoyksmU7Y//sBS\n"
    "+z7Iv2Q8rz1renD1Dz0PZlbCtPwpfsjdlQ3/4lwMH0XJM2dazrDJCUK6Y/gPXEb/\n"
    "JrO7W1ofdv63wtLVSFLvXvVzCnp2VZ2h28P0yW0m3nOdI8vn+61xZW5udqsWoDQL\n"
    "05y3Xd9iU8y1AJUapnEdnEc5qZRDLpEPwzEkP+jt0QKBgQDt50XRZZI13/Ew0JID\n"
    "MdI2S1tOUCK87lRmbzal0sQO9oJ3USi91hV+L2sOMpCCBVoeMVFAcXsxFU4wiiLT\n"
    "Gftj3JFWH2VCJJAxzhJDXnqEAFcL0pqoDgPDrX3it7BfFbiq7DnzQOhZQsHy0WDD\n"
    "i8ENbvBGNaIYbxRr5uFlnzsvOQKBgQDEpxuvm2ye/avEhyzClTHkfBVjZ1iZdPNz\n"
    "7Imp/MvLYy6zQ/DaQW8a+21McfHSSnDOkG0+OIcdcKEJ68e4uIFRKksxMrhUFGcY\n"
    "vSZrv4LICfzd3lrb6dOCBLA6Yv4xTdayGHIjWppEEVxrl8LMEJWsas64wt0Hrhlq\n"
    "1R2j7emJ7QKBgQCs4MsTh0PgcoPKfUYdnC6t1cTb+8/Ci045wcdsaOSgGvJj0k5Q\n"
    "5SlpMPwSrRvl4A3EswHgWpay7FCNZVQ5I0BTKQ1UECx9DCTcjGspGZbeJYEbzkck\n"
    "qEqD/6bjAajg79/qFQ9nfVtawfA+i3hNoVkAcgWYf5DzQIUOhBB20GcpwQKBgDWP\n"
    "tlC8Kneba/9ZOe29qRssWL78VPtnCTAXyt8LxY4d84hMBvvLOrHErV5W4qB+Of9p\n"
    "AvgheVuhY5tKJtm/Fym+NUCvKdlsvS/VxPMv9DT7022ytFiVdVBCaqVcdROEuedE\n"
    "FUJf2QiVGfEMIrhmA/40ER3tpToER1P7u9j8YdF5An965BTMwUs/xyoBW6Q1zeMB\n"
    "av3SsoHAds6GlCJV9d5Ym42j3+sNoisYhHzxhWbc7dzM7wLnvveQC6+LQNjNZmlM\n"
    "BdjAtgcwe0yA9TIrSw7L73jcqyRd3Kc2hTSWkAaavECBz2voP6mUy13dhsW0Tw9Y\n"
    "OmPl26BlXwvIKRtJnztS\n"
    "-----END PRIVATE KEY-----\n";
static const char tc_rsa2048_p1[] =
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEoQIBAAKCAQEAtsBdDXNC/BMrfuRPseG8A1dy8o2axcA2bR7/XiwIox2L2tW7\n"
    "lGPSocH0Tam6ZD2MPDsoK2DAgwoQ+f5d0XQE+Sr/8odQcyhYsgLcyECjzPmMXvBa\n"
    "dThh3pvM+4DU0bllDMick4tthTnjsA1IBuPZqzNSN+FeFwtU+PNl1GW+cuh+B1Lh\n"
    "Tn4i+EPZfMDTl9g0IDhjtEnPiNFAE9QQfT2m4s2+vXldXx+Or1SKm7I4OQc74NE7\n"
    "HA5/n+JrwgFonaPG8Egn6MnPGiPeBnuZd/rOUB2UReKmUCqtua+/CdXyQ4l27+uC\n"
    "84ReG4YLcNuFY3l83FmN2+UBFo+ou0sr1fE4xQIDAQABAoIBAAg5xgEeJYSJa6/v\n"
    "9dhYrpOV7ZIWUUJCYbttUEA8X30muM32SIBS3T8I/FvnM6u3C3ywivZ83zK8EsHg\n"
    "iEzZBIT0lwWjFToXCvr5iazSdVemCdfsyJ2LFqNO7vMzvCCJJY+66Iqe6s8606aa\n"
    "dRn+SnoGutYnZN/zqMpLJlO2P/7AUvs+yL9kPK89a3pw9Q89D2ZWwrT8KX7I3ZUN\n"
    "/+JcDB9FyTNnWs6wyQlCumP4D1xG/yazu1taH3b+t8LS1UhS7171cwp6dlWdodvD\n"
    "9MltJt5znSPL5/utcWVubnarFqA0C9Oct13fYlPMtQCVGqZxHZxHOamUQy6RD8Mx\n"
    "JD/o7dECgYEA7edF0WWSNd/xMNCSAzHSNktbTlAivO5UZm82pdLEDvaCd1EovdYV\n"
    "fi9rDjKQggVaHjFRQHF7MRVOMIoi0xn7Y9yRVh9lQiSQMc4SQ156hABXC9KaqA4D\n"
    "w6194rewXxW4quw580DoWULB8tFgw4vBDW7wRjWiGG8Ua+bhZZ87LzkCgYEAxKcb\n"
    "r5tsnv2rxIcswpUx5HwVY2dYmXTzc+yJqfzLy2Mus0Pw2kFvGvttTHHx0kpwzpBt\n"
    "PjiHHXChCevHuLiBUSpLMTK4VBRnGL0ma7+CyAn83d5a2+nTggSwOmL+MU3Wshhy\n"
    "I1qaRBFca5fCzBCVrGrOuMLdB64ZatUdo+3pie0CgYEArODLE4dD4HKDyn1GHZwu\n"
    "rdXE2/vPwotOOcHHbGjkoBryY9JOUOUpaTD8Eq0b5eANxLMB4FqWsuxQjWVUOSNA\n"
    "UykNVBAsfQwk3IxrKRmW3iWBG85HJKhKg/+m4wGo4O/f6hUPZ31bWsHwPot4TaFZ\n"
    "AHIFmH+Q80CFDoQQdtBnKcECgYA1j7ZQvCp3m2v/WTntvakbLFi+/FT7ZwkwF8rf\n"
    "C8WOHfOITAb7yzqxxK1eVuKgfjn/aQL4IXlboWObSibZvxcpvjVArynZbL0v1cTz\n"
    "L/Q0+9NtsrRYlXVQQmqlXHUThLnnRBVCX9kIlRnxDCK4ZgP+NBEd7aU6BEdT+7vY\n"
    "/GHReQJ/euQUzMFLP8cqAVukNc3jAWr90rKBwHbOhpQiVfXeWJuNo9/rDaIrGIR8\n"
    "8YVm3O3czO8C5773kAuvi0DYzWZpTAXYwLYHMHtMgPUyK0sOy+943KskXdynNoU0\n"
    "lpAGmrxAgc9r6D+plMtd3YbFtE8PWDpj5dugZV8LyCkbSZ87Ug==\n"
    "-----END RSA PRIVATE KEY-----\n";
static const char tc_rsa2048_tp[] =
    "IujIQ3X1KInfjvNzc4VWU2ZAuwYFIgiOjnNAv9HQRMM";

/* Keys BearSSL decodes but acme refuses: P-521, RSA-1024; and Ed25519,
 * which BearSSL does not decode. */
static const char tc_ec521_p8[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIHuAgEAMBAGByqGSM49AgEGBSuBBAAjBIHWMIHTAgEBBEIA+C+oUoj9N8VEm3yU\n"
    "N1NQBPXni8KC5GejSI4tc5pFOiKvDXVeB+lEfkxEKP2vScfCEqUJ6KUTIDXQ0/pb\n"
    "9YrUnv6hgYkDgYYABAFWt8WkHW1aVV3sTwp2jwR2IdA4qJrgP7NoMsNub8JUdOJo\n"
    "pifEl4XlRgIyNzbp8o33ErxrBzZjMh4y60ey8ywdcQATrYp4O6qEl9SMfHdBRzRP\n"
    "c0I6a/Dt6mVmEYgZuoYDNQPRzpXdUJzJx3PY5pjQoSeGgS9GRfLCxjt92eH6mFjM\n"
    "WQ==\n"
    "-----END PRIVATE KEY-----\n";
static const char tc_ed25519[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIL8xg9IWmxA9Jz3Gv6odgQxHyaiO+9KbsG/GNGQ0he61\n"
    "-----END PRIVATE KEY-----\n";
static const char tc_rsa1024[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIICdwIBADANBgkqhkiG9w0BAQEFAASCAmEwggJdAgEAAoGBAOMjPrdhDpSIz8v9\n"
    "yams3y3C1qZ7dHLPZbUXvZlX0Q6eL3HQKOtp5EKL8kSreT50EAEO+uN81gfUw4Rw\n"
    "o3dHk3IE5y36aQbUkOUFiBsp3q6kMwT2OE8LYI/gW5dyyp1Nu4OMP21Rg7X1NTYz\n"
    "ylOl9AjMPcXQlzGwFqxnejT8TBaXAgMBAAECgYAYw1nuEjXNudC107htuDwouApA\n"
    "4krCzZuwD6OLGUjgiBxyExiy+bt6Cdni5LL2PR8VjnWJ4a1P80FRqhoYQgRwAEY/\n"
    "zW0yq/ZiKLzoT7wbB/vl9BMkgm6xcKPYh1K0KjgHUWBlfRRs0AJZqUtluKNR8nNM\n"
    "Tihclemy0wslvgSIIQJBAPKMuRkAK2O7vzEKAfVsH4N4HgxscDwawdHhHgZKTsxW\n"
    "i61xHpo6aI/0+frcniS5l5NMFJzwIEa+VdRl6pl/kkcCQQDvu7rwNQI88ysXtLNR\n"
    "vapkBRtL7eMf2Gw7E1oIBxQtnmIgGNZQB4877xgDAOCI0paQktxlQJHZev6WTg4U\n"
    "UrExAkEAufkga4Tvv/bSr/0mZ1FSEHHnSEtU+yDg/9YGOXh8Vrz9OC2F82dZiRej\n"
    "HLBQKYSMLgqlu3d6qAOEt+i1KqDgPQJAR/eZZObk5xswwosSkeVYM3J9AUxGtJap\n"
    "1wo2KtbFLfSwDGaoX5oFW76o/K3Uuf5OCNStqQ+7OQh9SO3huCQi4QJBAJatm+T4\n"
    "zC29Qd2mfIEvWGkjcfedzxFR5nHCjbs5kpCiYlb9LL0SE+jWPmWXHVyn9azRF0PO\n"
    "I+AhDz7n3Ky7DPw=\n"
    "-----END PRIVATE KEY-----\n";

/*
 * A leaf signed by a P-384 CA, with the key tc_ec256_p8:
 *   openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-384 -nodes
 *       -keyout ca.key -out ca.pem -days 3650
 *       -subj "/O=Acme Test/CN=Acme Test Root X1"
 *   openssl req -config min.cnf -x509 -key ec256.p8.pem -CA ca.pem
 *       -CAkey ca.key -days 90 -subj "/CN=leaf.example.org"
 *       -set_serial 0xa1b2c3d4e5f60718293a4b5c6d7e8f90
 *       -addext "subjectAltName=DNS:leaf.example.org,
 *           DNS:*.leaf.example.org,IP:192.0.2.7,IP:2001:db8::7"
 *       -addext "basicConstraints=critical,CA:FALSE"
 *       -addext "authorityKeyIdentifier=keyid"
 * openssl x509 -startdate -enddate -fingerprint -sha256 printed
 * Nov 22 15:30:17 2026 GMT, Feb 20 15:30:17 2027 GMT and the digest.
 */
static const char tc_leaf_pem[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIICBjCCAYugAwIBAgIRAKGyw9Tl9gcYKTpLXG1+j5AwCgYIKoZIzj0EAwIwMDES\n"
    "MBAGA1UECgwJQWNtZSBUZXN0MRowGAYDVQQDDBFBY21lIFRlc3QgUm9vdCBYMTAe\n"
    "Fw0yNjExMjIxNTMwMTdaFw0yNzAyMjAxNTMwMTdaMBsxGTAXBgNVBAMMEGxlYWYu\n"
    "ZXhhbXBsZS5vcmcwWTATBgcqhkjOPQIBBggqhkjOPQMBBwNCAAS9Hk5PTqASPoGm\n"
    "5pEO1J5BEe15rwRBKvTsTgVhBpVOYR2tAPdj0RZStCeuZPql0dTrtK4CfEN2S+hU\n"
    "t/kxJ7Tno4GaMIGXMEcGA1UdEQRAMD6CEGxlYWYuZXhhbXBsZS5vcmeCEioubGVh\n"
    "Zi5leGFtcGxlLm9yZ4cEwAACB4cQIAENuAAAAAAAAAAAAAAABzAMBgNVHRMBAf8E\n"
    "AjAAMB8GA1UdIwQYMBaAFB6Qw4ZboBXbs12AFjOSEYhU5t0YMB0GA1UdDgQWBBRU\n"
    "C/UKlCddz8Bz66HvrdiK0JMQajAKBggqhkjOPQQDAgNpADBmAjEA+iSz2R+Zqqaj\n"
    "ZEM4+OPfmrDnY7S5Qq9UmM52BnILRlq+po4dMI+pSIyNykI8hvKRAjEAktcVVQcp\n"
    "2RkBLIhgqnuQp720FYUjNP5dINRibn2a6EMWXmqI3iimrNjxOBJuyv32\n"
    "-----END CERTIFICATE-----\n";
static const unsigned char tc_leaf_serial[] = { 0x00, 0xa1, 0xb2, 0xc3,
    0xd4, 0xe5, 0xf6, 0x07, 0x18, 0x29, 0x3a, 0x4b, 0x5c, 0x6d, 0x7e, 0x8f,
    0x90 };
static const unsigned char tc_leaf_aki[] = { 0x1e, 0x90, 0xc3, 0x86, 0x5b,
    0xa0, 0x15, 0xdb, 0xb3, 0x5d, 0x80, 0x16, 0x33, 0x92, 0x11, 0x88, 0x54,
    0xe6, 0xdd, 0x18 };
static const unsigned char tc_leaf_sha256[] = { 0xfe, 0x84, 0x98, 0x35,
    0xd2, 0x75, 0xb6, 0xa8, 0x4a, 0xab, 0x32, 0xb9, 0xb1, 0x26, 0xdd, 0xdc,
    0x6f, 0xee, 0xc2, 0x88, 0x83, 0x1c, 0x8b, 0x66, 0xe5, 0xe9, 0x59, 0xdb,
    0x5f, 0x28, 0x80, 0xdd };

/* The identifiers of the CSR tests. */
static const char *const tc_csr_names[] = { "example.com",
    "www.example.com", "192.0.2.1", "2001:db8::1" };
static const char tc_csr_san[] = "DNS:example.com, DNS:www.example.com, "
    "IP Address:192.0.2.1, IP Address:2001:DB8:0:0:0:0:0:1";

/*
 * The CSR for tc_csr_names signed by the RFC 7515 A.3 key: ECDSA in
 * BearSSL is deterministic (RFC 6979), so these bytes are exact.
 * `openssl req -inform DER -verify -noout -text` accepts it (Subject:
 * CN = example.com, the four SANs above), and its
 * CertificationRequestInfo is byte for byte the one `openssl req -new
 * -key A3.pem -subj /CN=example.com -addext subjectAltName=...` makes.
 */
static const char tc_golden_csr[] =
    "MIIBJDCBygIBADAWMRQwEgYDVQQDDAtleGFtcGxlLmNvbTBZMBMGByqGSM49AgEGCCqG"
    "SM49AwEHA0IABH_Nzidw9sRdQYPL7m_bS3tYBzM1e-nvE7rPbjx70VRFx_FEzRu9m36H"
    "LN_tue659LNpXW6pCyStikYjKIWI5a2gUjBQBgkqhkiG9w0BCQ4xQzBBMD8GA1UdEQQ4"
    "MDaCC2V4YW1wbGUuY29tgg93d3cuZXhhbXBsZS5jb22HBMAAAgGHECABDbgAAAAAAAAA"
    "AAAAAAEwCgYIKoZIzj0EAwIDSQAwRgIhALhlqOqYufk3fYECbCGOBeu9KmYTUfAN0RI2"
    "wyAYtoXrAiEAyoZ9ZvwWNCm-FxZau4ZrpyHF0Otsij9Z7OBakEcXic8";

/* ---- tests ---- */

/* HMAC-SHA-256 (RFC 2104) of data under key; out gets 32 bytes:
 * the test's own oracle for the EAB MAC that jws_eab_alg computes. */
static void
tc_hmac_sha256(const void *key, size_t klen, const void *data, size_t len,
    unsigned char out[32])
{
	br_hmac_key_context kc;
	br_hmac_context hc;

	br_hmac_key_init(&kc, &br_sha256_vtable, key, klen);
	br_hmac_init(&hc, &kc, 0);
	br_hmac_update(&hc, data, len);
	br_hmac_out(&hc, out);
	wipe(&kc, sizeof(kc));
	wipe(&hc, sizeof(hc));
}

static void
t_key_type_table(void)
{
	static const char *const names[KEY_TYPE_MAX] = { "ec256", "ec384",
	    "rsa2048", "rsa3072", "rsa4096" };
	int t;

	for (t = 0; t < KEY_TYPE_MAX; t++) {
		CHECK_STR(key_types[t].name, names[t]);
		CHECK_INT(key_type_parse(names[t]), t);
	}
	CHECK_INT(key_type_parse("EC256"), NONE);
	CHECK_INT(key_type_parse("rsa1024"), NONE);
	CHECK_INT(key_type_parse(""), NONE);
	CHECK_INT(key_types[KEY_EC256].curve, BR_EC_secp256r1);
	CHECK_INT(key_types[KEY_EC384].curve, BR_EC_secp384r1);
	CHECK_INT(key_types[KEY_RSA3072].curve, 0);
	CHECK_INT(key_types[KEY_RSA3072].bits, 3072);
}

static void
t_rng(void)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	CHECK_INT(rng_init(), 0);
	CHECK_INT(rng_bytes(a, sizeof(a)), 0);
	CHECK_INT(rng_init(), 0);	/* reseeding mixes in, never resets */
	CHECK_INT(rng_bytes(b, sizeof(b)), 0);
	CHECK(memcmp(a, zero, sizeof(a)) != 0);
	CHECK(memcmp(a, b, sizeof(a)) != 0);
	CHECK(*rng_ctx() == &br_hmac_drbg_vtable);
}

/* The RFC 7515 A.3 key from its "d"; its public half must be the RFC's. */
static int
tc_a3_key(struct key *k)
{
	unsigned char d[32];
	struct buf b = { 0 };
	int rc;

	CHECK_INT(tc_b64u(d, sizeof(d), tc_a3_d), 32);
	if ((rc = key_set_ec(k, BR_EC_secp256r1, d, sizeof(d))) < 0)
		return rc;
	CHECK_INT(jwk_json(&b, k), 0);
	CHECK_STR((const char *)b.data, tc_a3_jwk);
	buf_free(&b);
	return 0;
}

static void
t_jws_rfc7515_a3(void)
{
	struct key k = { 0 };
	struct buf hdr = { 0 }, sin = { 0 };
	unsigned char sig[KEY_SIG_MAX], sig2[KEY_SIG_MAX], rfc[64];
	struct jw w;
	size_t hlen = 0;
	int n, n2;

	if (tc_a3_key(&k) < 0) {
		CHECK(0);
		return;
	}
	CHECK_STR(key_jws_alg(&k), "ES256");
	/* The protected header, written by our JSON writer. */
	jw_init(&w, &hdr);
	jw_obj_open(&w, NULL);
	jw_str(&w, "alg", key_jws_alg(&k));
	jw_obj_close(&w);
	CHECK_INT(jw_finish(&w), 0);
	CHECK_STR((const char *)hdr.data, tc_a3_header);
	/* The signing input, octet for octet. */
	CHECK_INT(jws_signing_input(&sin, hdr.data, hdr.len, tc_a3_payload,
	    strlen(tc_a3_payload), &hlen), 0);
	CHECK_MEM(sin.data, sin.len, tc_a3_input, strlen(tc_a3_input));
	CHECK_INT(hlen, 20);
	/* Our signature verifies; it is deterministic (RFC 6979). */
	n = key_sign_jws(&k, sin.data, sin.len, sig, sizeof(sig));
	CHECK_INT(n, 64);
	CHECK(tc_verify_jws(&k, sin.data, sin.len, sig, 64));
	n2 = key_sign_jws(&k, sin.data, sin.len, sig2, sizeof(sig2));
	CHECK_MEM(sig, (size_t)n, sig2, (size_t)n2);
	/* The RFC's (randomized) signature verifies over the RFC's input. */
	CHECK_INT(tc_b64u(rfc, sizeof(rfc), tc_a3_sig), 64);
	CHECK(tc_verify_jws(&k, tc_a3_input, strlen(tc_a3_input), rfc, 64));
	rfc[10] ^= 1;
	CHECK(!tc_verify_jws(&k, tc_a3_input, strlen(tc_a3_input), rfc, 64));
	sig[5] ^= 1;
	CHECK(!tc_verify_jws(&k, sin.data, sin.len, sig, 64));
	CHECK(key_sign_jws(&k, "x", 1, sig, 63) < 0);
	buf_free(&hdr);
	buf_free(&sin);
	key_free(&k);
}

static void
t_jwk_rfc7638(void)
{
	static const char want_head[] =
	    "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"";
	struct key k = { 0 };
	struct buf b = { 0 };
	char tp[THUMBPRINT_LEN + 1];

	tc_rsa_pub(&k, tc_7638_n, "AQAB");
	CHECK_INT(jwk_json(&b, &k), 0);
	CHECK(b.len == strlen(want_head) + strlen(tc_7638_n) + 2);
	CHECK(b.data != NULL && strncmp((const char *)b.data, want_head,
	    strlen(want_head)) == 0);
	CHECK(b.data != NULL && strstr((const char *)b.data, tc_7638_n) !=
	    NULL);
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), 0);
	CHECK_STR(tp, tc_7638_tp);
	CHECK_INT(jwk_thumbprint(&k, tp, THUMBPRINT_LEN), ACME_ERR_USAGE);
	/* Leading zero octets of n and e are not part of the JWK. */
	memmove(k.u.rsa.pub + 1, k.u.rsa.pub, 259);
	k.u.rsa.pub[0] = 0;
	k.u.rsa.pk.nlen = 257;
	k.u.rsa.pk.e = k.u.rsa.pub + 257;
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), 0);
	CHECK_STR(tp, tc_7638_tp);
	buf_free(&b);
	key_free(&k);
	err_clear();
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), ACME_ERR_USAGE);
}

static void
t_key_authorization(void)
{
	static const char token[] =
	    "evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA";
	char ka[TOKEN_MAX + THUMBPRINT_LEN + 2], tp[THUMBPRINT_LEN + 1];
	char want[sizeof(ka)];
	struct key k = { 0 };

	if (tc_a3_key(&k) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), 0);
	snprintf(want, sizeof(want), "%s.%s", token, tp);
	CHECK_INT(jwk_key_authorization(&k, token, ka, sizeof(ka)), 0);
	CHECK_STR(ka, want);
	CHECK_INT(jwk_key_authorization(&k, token, ka, strlen(want)),
	    ACME_ERR_LIMIT);
	CHECK_INT(jwk_key_authorization(&k, token, ka, strlen(want) + 1), 0);
	CHECK_INT(jwk_key_authorization(&k, "", ka, sizeof(ka)),
	    ACME_ERR_PROTO);
	CHECK_INT(jwk_key_authorization(&k, "a/b", ka, sizeof(ka)),
	    ACME_ERR_PROTO);
	CHECK_INT(jwk_key_authorization(&k, "a.b", ka, sizeof(ka)),
	    ACME_ERR_PROTO);
	key_free(&k);
}

/* Split a flattened JWS into its three members, decoding protected and
 * payload; check the signature over protected.payload with k. */
static void
tc_jws_check(const struct buf *jws, const struct key *k, const char *hdr,
    const char *payload)
{
	static struct json j;
	char p64[4096], pl64[4096], s64[1024];
	unsigned char dec[4096], sig[KEY_SIG_MAX];
	struct buf sin = { 0 };
	int n;

	CHECK_INT(json_parse(&j, (const char *)jws->data, jws->len), 0);
	CHECK_INT(j.tok[0].size, 3);
	CHECK(json_get_str(&j, 0, "protected", p64, sizeof(p64)) >= 0);
	CHECK(json_get_str(&j, 0, "payload", pl64, sizeof(pl64)) >= 0);
	CHECK(json_get_str(&j, 0, "signature", s64, sizeof(s64)) >= 0);
	n = b64u_decode(dec, sizeof(dec) - 1, p64, strlen(p64));
	CHECK(n > 0);
	dec[n < 0 ? 0 : n] = '\0';
	CHECK_STR((const char *)dec, hdr);
	n = b64u_decode(dec, sizeof(dec) - 1, pl64, strlen(pl64));
	CHECK(n >= 0);
	dec[n < 0 ? 0 : n] = '\0';
	CHECK_STR((const char *)dec, payload);
	buf_printf(&sin, "%s.%s", p64, pl64);
	n = b64u_decode(sig, sizeof(sig), s64, strlen(s64));
	CHECK(n > 0 && tc_verify_jws(k, sin.data, sin.len, sig, (size_t)n));
	buf_free(&sin);
}

static void
t_jws_build(void)
{
	static const char payload[] = "{\"termsOfServiceAgreed\":true}";
	struct key k = { 0 }, r = { 0 };
	struct buf jws = { 0 }, want = { 0 };

	if (tc_a3_key(&k) < 0) {
		CHECK(0);
		return;
	}
	/* newAccount: jwk, nonce, url; the url is escaped. */
	CHECK_INT(jws_build(&jws, &k, NULL, "n0nce", "https://ca/new-\"acct",
	    payload, strlen(payload)), 0);
	buf_printf(&want, "{\"alg\":\"ES256\",\"jwk\":%s,\"nonce\":\"n0nce\","
	    "\"url\":\"https://ca/new-\\\"acct\"}", tc_a3_jwk);
	tc_jws_check(&jws, &k, (const char *)want.data, payload);
	/* POST-as-GET with a kid: "payload":"". */
	jws.len = 0;
	CHECK_INT(jws_build(&jws, &k, "https://ca/acct/1", "n1",
	    "https://ca/order/7", NULL, 0), 0);
	CHECK(strstr((const char *)jws.data, "\"payload\":\"\"") != NULL);
	tc_jws_check(&jws, &k, "{\"alg\":\"ES256\","
	    "\"kid\":\"https://ca/acct/1\",\"nonce\":\"n1\","
	    "\"url\":\"https://ca/order/7\"}", "");
	/* The inner JWS of a key change has no nonce. */
	jws.len = 0;
	CHECK_INT(jws_build(&jws, &k, "https://ca/acct/1", NULL,
	    "https://ca/kc", "{}", 2), 0);
	tc_jws_check(&jws, &k, "{\"alg\":\"ES256\","
	    "\"kid\":\"https://ca/acct/1\",\"url\":\"https://ca/kc\"}", "{}");
	/* RS256 with an RSA key. */
	CHECK_INT(tc_key_pem(&r, tc_rsa2048_p8), 0);
	jws.len = 0;
	CHECK_INT(jws_build(&jws, &r, "k", "n", "u", payload, strlen(payload)),
	    0);
	tc_jws_check(&jws, &r, "{\"alg\":\"RS256\",\"kid\":\"k\","
	    "\"nonce\":\"n\",\"url\":\"u\"}", payload);
	/* Misuse leaves out untouched. */
	jws.len = 0;
	key_free(&r);
	CHECK(jws_build(&jws, &r, NULL, "n", "u", NULL, 0) < 0);
	CHECK(jws_build(&jws, &k, NULL, "n", NULL, NULL, 0) < 0);
	CHECK_INT(jws.len, 0);
	buf_free(&jws);
	buf_free(&want);
	key_free(&k);
}

static void
t_jws_eab(void)
{
	static struct json j;
	struct key k = { 0 };
	struct buf out = { 0 }, want = { 0 }, sin = { 0 };
	unsigned char mac[64], tag[32], got[32];
	char p64[1024], pl64[1024], s64[128];
	size_t mlen, hlen;

	/* RFC 7515 A.1: HMAC-SHA-256 over the RFC's signing input. */
	mlen = tc_b64u(mac, sizeof(mac), tc_a1_key);
	CHECK_INT(mlen, 64);
	tc_hmac_sha256(mac, mlen, tc_a1_input, strlen(tc_a1_input), tag);
	CHECK_INT(tc_b64u(got, sizeof(got), tc_a1_mac), 32);
	CHECK_MEM(tag, sizeof(tag), got, sizeof(got));
	/* RFC 8555 7.3.4 binding for the A.3 account key. */
	if (tc_a3_key(&k) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(jws_eab_alg(&out, &k, "HS256", "kid-1", mac, mlen,
	    "https://ca/new-acct"), 0);
	CHECK_INT(json_parse(&j, (const char *)out.data, out.len), 0);
	CHECK(json_get_str(&j, 0, "protected", p64, sizeof(p64)) >= 0);
	CHECK(json_get_str(&j, 0, "payload", pl64, sizeof(pl64)) >= 0);
	CHECK(json_get_str(&j, 0, "signature", s64, sizeof(s64)) >= 0);
	buf_puts(&want, "{\"alg\":\"HS256\",\"kid\":\"kid-1\","
	    "\"url\":\"https://ca/new-acct\"}");
	sin.len = 0;
	CHECK_INT(jws_signing_input(&sin, want.data, want.len, tc_a3_jwk,
	    strlen(tc_a3_jwk), &hlen), 0);
	CHECK_INT(strlen(p64) + 1 + strlen(pl64), sin.len);
	CHECK(strncmp((const char *)sin.data, p64, hlen) == 0);
	CHECK_STR((const char *)sin.data + hlen + 1, pl64);
	tc_hmac_sha256(mac, mlen, sin.data, sin.len, tag);
	CHECK_INT(tc_b64u(got, sizeof(got), s64), 32);
	CHECK_MEM(tag, sizeof(tag), got, sizeof(got));
	buf_free(&out);
	buf_free(&want);
	buf_free(&sin);
	key_free(&k);
}

/* openssl pkey -check on a PEM key written to the temporary directory. */
static void
tc_openssl_check_key(const struct buf *pem, const char *name)
{
	char cmd[512], out[4096];
	int st;

	if (!tc_have_openssl())
		return;
	CHECK_INT(tc_write(tc_path(0, name), pem->data, pem->len), 0);
	snprintf(cmd, sizeof(cmd), "openssl pkey -in '%s' -noout -check",
	    tc_path(0, name));
	st = tc_run(cmd, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "    %s: %s\n", cmd, out);
	CHECK_INT(st, 0);
}

/* Generate, write, read back, compare, sign: one key type. */
static void
tc_keygen_one(enum key_type t)
{
	struct key k = { 0 }, k2 = { 0 };
	struct buf pem = { .max = PEM_MAX };
	char tp[THUMBPRINT_LEN + 1], tp2[THUMBPRINT_LEN + 1];
	unsigned char sig[KEY_SIG_MAX];
	double t0 = tc_now();
	int n;

	CHECK_INT(key_generate(&k, t), 0);
	fprintf(stderr, "    keygen %s: %.3f s\n", key_types[t].name,
	    tc_now() - t0);
	CHECK_INT(k.type, t);
	CHECK_INT(key_to_pem(&k, &pem), 0);
	CHECK(pem.data != NULL && strncmp((const char *)pem.data,
	    "-----BEGIN PRIVATE KEY-----\n", 28) == 0);
	CHECK_INT(key_from_pem(&k2, (const char *)pem.data, pem.len), 0);
	CHECK_INT(k2.type, t);
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), 0);
	CHECK_INT(jwk_thumbprint(&k2, tp2, sizeof(tp2)), 0);
	CHECK_STR(tp, tp2);
	n = key_sign_jws(&k2, "msg", 3, sig, sizeof(sig));
	CHECK(n > 0 && tc_verify_jws(&k, "msg", 3, sig, (size_t)n));
	/* d as integers: a generated one may start with a zero byte that
	 * the DER read back no longer has */
	if (!key_is_ec(&k))
		CHECK(bn_eq(k.u.rsa.d, k.u.rsa.dlen, k2.u.rsa.d,
		    k2.u.rsa.dlen));
	tc_openssl_check_key(&pem, key_types[t].name);
	buf_free(&pem);
	key_free(&k);
	key_free(&k2);
}

static void
t_key_generate(void)
{
	struct key k = { 0 };
	int t;

	if (tc_mkdir() < 0) {
		CHECK(0);
		return;
	}
	for (t = 0; t < KEY_TYPE_MAX; t++)
		tc_keygen_one((enum key_type)t);
	CHECK_INT(key_generate(&k, KEY_TYPE_MAX), ACME_ERR_USAGE);
	CHECK_INT(k.set, 0);
	tc_rmdir();
}

/* key_from_pem of a committed OpenSSL key: type and thumbprint. */
static void
tc_import(const char *pem, enum key_type t, const char *tp_want)
{
	struct key k = { 0 }, k2 = { 0 };
	struct buf out = { .max = PEM_MAX };
	char tp[THUMBPRINT_LEN + 1];

	if (tc_key_pem(&k, pem) < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(k.type, t);
	CHECK_INT(jwk_thumbprint(&k, tp, sizeof(tp)), 0);
	CHECK_STR(tp, tp_want);
	/* What we write back is the same key, and OpenSSL agrees. */
	CHECK_INT(key_to_pem(&k, &out), 0);
	CHECK_INT(key_from_pem(&k2, (const char *)out.data, out.len), 0);
	CHECK_INT(jwk_thumbprint(&k2, tp, sizeof(tp)), 0);
	CHECK_STR(tp, tp_want);
	tc_openssl_check_key(&out, "import.pem");
	buf_free(&out);
	key_free(&k);
	key_free(&k2);
}

static void
t_key_from_pem_openssl(void)
{
	if (tc_mkdir() < 0) {
		CHECK(0);
		return;
	}
	tc_import(tc_ec256_p8, KEY_EC256, tc_ec256_tp);
	tc_import(tc_ec256_sec1, KEY_EC256, tc_ec256_tp);
	tc_import(tc_ec256_params, KEY_EC256, tc_ec256_params_tp);
	tc_import(tc_ec384_p8, KEY_EC384, tc_ec384_tp);
	tc_import(tc_rsa2048_p8, KEY_RSA2048, tc_rsa2048_tp);
	tc_import(tc_rsa2048_p1, KEY_RSA2048, tc_rsa2048_tp);
	tc_rmdir();
}

/* key_from_pem() of pem with one octet of its first object XORed. */
static int
tc_key_tampered(const char *pem, size_t off, unsigned char xor)
{
	struct pem_obj o[2];
	struct buf b = { 0 };
	struct key k = { 0 };
	size_t n;
	int rc;

	if (pem_decode(pem, strlen(pem), o, 2, &n) < 0)
		return -100;
	if (off < o[0].len)
		o[0].der[off] ^= xor;
	rc = pem_encode(&b, o[0].label, o[0].der, o[0].len);
	pem_objs_free(o, n);
	if (rc == 0)
		rc = key_from_pem(&k, (const char *)b.data, b.len);
	CHECK_INT(k.set, rc == 0);
	key_free(&k);
	buf_free(&b);
	return rc;
}

static void
t_key_from_pem_reject(void)
{
	static const char enc[] = "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
	    "Zm9v\n-----END ENCRYPTED PRIVATE KEY-----\n";
	static const char cert_only[] = "-----BEGIN CERTIFICATE-----\n"
	    "MAA=\n-----END CERTIFICATE-----\n";
	static const char junk[] = "-----BEGIN PRIVATE KEY-----\n"
	    "MAA=\n-----END PRIVATE KEY-----\n";
	struct key k = { 0 };
	unsigned char order[48], one = 1;
	const unsigned char *o;
	size_t olen;

	CHECK_INT(key_from_pem(&k, tc_ec521_p8, strlen(tc_ec521_p8)),
	    ACME_ERR_CRYPTO);
	CHECK(strstr(err_msg, "curve") != NULL);
	CHECK_INT(key_from_pem(&k, tc_ed25519, strlen(tc_ed25519)),
	    ACME_ERR_CRYPTO);
	CHECK_INT(key_from_pem(&k, tc_rsa1024, strlen(tc_rsa1024)),
	    ACME_ERR_CRYPTO);
	CHECK_INT(key_from_pem(&k, enc, strlen(enc)), ACME_ERR_CRYPTO);
	CHECK_INT(key_from_pem(&k, cert_only, strlen(cert_only)),
	    ACME_ERR_CRYPTO);
	CHECK_INT(key_from_pem(&k, junk, strlen(junk)), ACME_ERR_CRYPTO);
	CHECK(key_from_pem(&k, "hello", 5) < 0);
	CHECK_INT(k.set, 0);
	/* The public exponent 65537 -> 65539: the pairwise check fails.
	 * (PKCS#1 DER: 30 82 04 a1, 02 01 00, 02 82 01 01 00 n[256], 02 03
	 * 01 00 01 -> e's last octet is at 4 + 3 + 5 + 256 + 4.) */
	CHECK_INT(tc_key_tampered(tc_rsa2048_p1, 272, 0x02), ACME_ERR_CRYPTO);
	CHECK_INT(tc_key_tampered(tc_rsa2048_p1, 100000, 0), 0);
	/* EC scalars out of range: 0 and the order itself. */
	o = br_ec_get_default()->order(BR_EC_secp384r1, &olen);
	memcpy(order, o, olen);
	CHECK_INT(key_set_ec(&k, BR_EC_secp384r1, order, olen),
	    ACME_ERR_CRYPTO);
	CHECK_INT(key_set_ec(&k, BR_EC_secp384r1, order, 0), ACME_ERR_CRYPTO);
	CHECK_INT(key_set_ec(&k, BR_EC_secp384r1, &one, 1), 0);
	CHECK_INT(k.type, KEY_EC384);
	key_free(&k);
	CHECK_INT(key_set_ec(&k, BR_EC_secp521r1, &one, 1), ACME_ERR_CRYPTO);
}

static void
t_der_encode(void)
{
	static const struct {
		size_t		len;
		size_t		size;
		unsigned char	hdr[6];
	} v[] = {
		{ 0, 2, { 0x30, 0x00 } },
		{ 127, 2, { 0x30, 0x7f } },
		{ 128, 3, { 0x30, 0x81, 0x80 } },
		{ 255, 3, { 0x30, 0x81, 0xff } },
		{ 256, 4, { 0x30, 0x82, 0x01, 0x00 } },
		{ 65535, 4, { 0x30, 0x82, 0xff, 0xff } },
		{ 65536, 5, { 0x30, 0x83, 0x01, 0x00, 0x00 } },
	};
	static const unsigned char zero[] = { 0, 0 }, i7f[] = { 0, 0x7f };
	static const unsigned char i80[] = { 0x80 };
	unsigned char out[8];
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		CHECK_INT(der_header(NULL, DER_SEQUENCE, v[i].len), v[i].size);
		CHECK_INT(der_header(out, DER_SEQUENCE, v[i].len), v[i].size);
		CHECK_MEM(out, v[i].size, v[i].hdr, v[i].size);
	}
	CHECK_INT(der_uint(out, zero, 2), 3);
	CHECK_MEM(out, 3, "\x02\x01\x00", 3);
	CHECK_INT(der_uint(out, i7f, 2), 3);
	CHECK_MEM(out, 3, "\x02\x01\x7f", 3);
	CHECK_INT(der_uint(NULL, i80, 1), 4);
	CHECK_INT(der_uint(out, i80, 1), 4);
	CHECK_MEM(out, 4, "\x02\x02\x00\x80", 4);
}

static void
t_der_read(void)
{
	static const struct {
		const char	*der;
		size_t		 len;
		int		 ok;
	} v[] = {
		{ "\x04\x00", 2, 1 },
		{ "\x04\x01\x41", 3, 1 },
		{ "\x04\x02\x41", 3, 0 },		/* short */
		{ "\x04\x80", 2, 0 },			/* indefinite */
		{ "\x04\x81\x01\x41", 4, 0 },		/* not minimal */
		{ "\x04\x82\x00\x01\x41", 5, 0 },	/* not minimal */
		{ "\x1f\x01\x00", 3, 0 },		/* high tag */
		{ "\x04\x85\x01\x00\x00\x00\x00", 7, 0 }, /* 5 length octets */
		{ "\x04", 1, 0 },
		{ "", 0, 0 },
	};
	struct der_cur c, val;
	unsigned tag;
	size_t i;

	for (i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		c.p = (const unsigned char *)v[i].der;
		c.end = c.p + v[i].len;
		if (asn1_next(&c, &tag, &val) != (v[i].ok ? 0 : NONE)) {
			fprintf(stderr, "    vector %zu\n", i);
			CHECK(0);
		}
	}
	c.p = (const unsigned char *)"\x02\x01\x05\x30\x00";
	c.end = c.p + 5;
	CHECK_INT(asn1_expect(&c, DER_SEQUENCE, &val), NONE);
	CHECK_INT(asn1_peek(&c), DER_INTEGER);
	CHECK_INT(asn1_expect(&c, DER_INTEGER, &val), 0);
	CHECK(asn1_eq(&val, (const unsigned char *)"\x05", 1));
	CHECK_INT(asn1_expect(&c, DER_SEQUENCE, &val), 0);
	CHECK_INT(asn1_size(&val), 0);
	CHECK_INT(asn1_peek(&c), NONE);
}

/* The identifiers of tc_csr_names, parsed. */
static void
tc_csr_ids(struct ident *ids)
{
	size_t i;

	for (i = 0; i < 4; i++)
		CHECK_INT(ident_parse(tc_csr_names[i], &ids[i]), 0);
}

/* openssl req -verify and -text on a DER CSR: subject and SAN line. */
static void
tc_csr_openssl(const struct buf *der, const char *subject, const char *san)
{
	char cmd[512], out[16384], line[1024];
	int st;

	if (!tc_have_openssl())
		return;
	CHECK_INT(tc_write(tc_path(0, "csr.der"), der->data, der->len), 0);
	snprintf(cmd, sizeof(cmd), "openssl req -in '%s' -inform DER -verify "
	    "-noout", tc_path(0, "csr.der"));
	st = tc_run(cmd, out, sizeof(out));
	if (st != 0)
		fprintf(stderr, "    %s: %s\n", cmd, out);
	CHECK_INT(st, 0);
	snprintf(cmd, sizeof(cmd), "openssl req -in '%s' -inform DER -noout "
	    "-text", tc_path(0, "csr.der"));
	CHECK_INT(tc_run(cmd, out, sizeof(out)), 0);
	CHECK_INT(tc_line_value(out, "Subject:", line, sizeof(line)), 0);
	CHECK_STR(line, subject);
	CHECK(strstr(out, "Subject Alternative Name: critical") == NULL);
	CHECK_INT(tc_line_after(out, "X509v3 Subject Alternative Name:", line,
	    sizeof(line)), 0);
	CHECK_STR(line, san);
	CHECK(strstr(out, "Version: 1 (0x0)") != NULL);
}

static void
t_csr_golden(void)
{
	struct ident ids[4];
	struct key k = { 0 };
	struct buf der = { 0 };
	unsigned char want[1024];
	int n;

	tc_csr_ids(ids);
	if (tc_a3_key(&k) < 0 || tc_mkdir() < 0) {
		CHECK(0);
		return;
	}
	CHECK_INT(csr_build(&der, &k, ids, 4), 0);
	n = b64u_decode(want, sizeof(want), tc_golden_csr,
	    strlen(tc_golden_csr));
	CHECK(n > 0);
	CHECK_MEM(der.data, der.len, want, (size_t)(n < 0 ? 0 : n));
	tc_csr_openssl(&der, "CN = example.com", tc_csr_san);
	buf_free(&der);
	key_free(&k);
	tc_rmdir();
}

static void
t_csr_openssl(void)
{
	static const enum key_type types[] = { KEY_EC256, KEY_EC384,
	    KEY_RSA2048 };
	struct ident ids[4], tmp;
	struct key k = { 0 };
	struct buf der = { 0 };
	char longname[80], san[160];
	size_t i;

	tc_csr_ids(ids);
	if (tc_mkdir() < 0) {
		CHECK(0);
		return;
	}
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		CHECK_INT(key_generate(&k, types[i]), 0);
		der.len = 0;
		CHECK_INT(csr_build(&der, &k, ids, 4), 0);
		tc_csr_openssl(&der, "CN = example.com", tc_csr_san);
	}
	/* An IP first: CN is the first DNS name in order. */
	tmp = ids[0], ids[0] = ids[2], ids[2] = tmp;
	der.len = 0;
	CHECK_INT(csr_build(&der, &k, ids, 4), 0);
	tc_csr_openssl(&der, "CN = www.example.com", "IP Address:192.0.2.1, "
	    "DNS:www.example.com, DNS:example.com, "
	    "IP Address:2001:DB8:0:0:0:0:0:1");
	/* Only IPs, or a first name longer than 64: an empty subject. */
	der.len = 0;
	CHECK_INT(csr_build(&der, &k, ids, 1), 0);
	tc_csr_openssl(&der, "", "IP Address:192.0.2.1");
	memset(longname, 'a', 60);
	strcpy(longname + 60, ".example");		/* 68 characters */
	CHECK_INT(ident_parse(longname, &ids[0]), 0);
	der.len = 0;
	CHECK_INT(csr_build(&der, &k, ids, 2), 0);
	snprintf(san, sizeof(san), "DNS:%s, DNS:www.example.com", longname);
	tc_csr_openssl(&der, "", san);
	longname[4] = '\0';
	strcat(longname, ".example");		/* 12 characters */
	CHECK_INT(ident_parse(longname, &ids[0]), 0);
	der.len = 0;
	CHECK_INT(csr_build(&der, &k, ids, 2), 0);
	tc_csr_openssl(&der, "CN = aaaa.example",
	    "DNS:aaaa.example, DNS:www.example.com");
	CHECK_INT(csr_build(&der, &k, ids, 0), ACME_ERR_USAGE);
	buf_free(&der);
	key_free(&k);
	tc_rmdir();
}

/* The DER of the first object of a PEM text, into *der (malloc'd). */
static size_t
tc_pem_der(const char *pem, unsigned char **der)
{
	struct pem_obj o[1];
	size_t n = 0, len = 0;

	*der = NULL;
	if (pem_decode(pem, strlen(pem), o, 1, &n) == 0) {
		if ((*der = malloc(o[0].len)) != NULL) {
			memcpy(*der, o[0].der, o[0].len);
			len = o[0].len;
		}
		pem_objs_free(o, n);
	}
	CHECK(*der != NULL);
	return len;
}

static void
t_x509_vector(void)
{
	static struct x509_info xi;
	static const char *const sans[] = { "leaf.example.org",
	    "*.leaf.example.org", "192.0.2.7", "2001:db8::7" };
	struct key k = { 0 };
	unsigned char *der;
	size_t len = tc_pem_der(tc_leaf_pem, &der), i;

	CHECK_INT(x509_parse(der, len, &xi), 0);
	CHECK_INT(xi.not_before, 1795361417);	/* 2026-11-22 15:30:17 UTC */
	CHECK_INT(xi.not_after, 1803137417);	/* 2027-02-20 15:30:17 UTC */
	CHECK_MEM(xi.serial, xi.serial_len, tc_leaf_serial,
	    sizeof(tc_leaf_serial));
	CHECK_MEM(xi.aki, xi.aki_len, tc_leaf_aki, sizeof(tc_leaf_aki));
	CHECK_STR(xi.issuer_cn, "Acme Test Root X1");
	CHECK_STR(xi.subject_cn, "leaf.example.org");
	CHECK_MEM(xi.sha256, 32, tc_leaf_sha256, 32);
	CHECK_INT(xi.nsan, 4);
	for (i = 0; i < 4 && i < xi.nsan; i++)
		CHECK_STR(xi.san[i].value, sans[i]);
	CHECK_INT(xi.san[0].type, IDENT_DNS);
	CHECK_INT(xi.san[2].type, IDENT_IP);
	CHECK_INT(xi.san[2].iplen, 4);
	CHECK_MEM(xi.san[2].ip, 4, "\xc0\x00\x02\x07", 4);
	CHECK_INT(xi.san[3].iplen, 16);
	/* The key of the certificate, and two others. */
	CHECK_INT(tc_key_pem(&k, tc_ec256_p8), 0);
	CHECK_INT(x509_key_matches(der, len, &k), 1);
	CHECK_INT(tc_key_pem(&k, tc_ec256_params), 0);
	CHECK_INT(x509_key_matches(der, len, &k), 0);
	CHECK_INT(tc_key_pem(&k, tc_ec384_p8), 0);
	CHECK_INT(x509_key_matches(der, len, &k), 0);
	CHECK_INT(tc_key_pem(&k, tc_rsa2048_p1), 0);
	CHECK_INT(x509_key_matches(der, len, &k), 0);
	CHECK_INT(x509_key_matches(der, len - 1, &k), ACME_ERR_PROTO);
	key_free(&k);
	CHECK_INT(x509_key_matches(der, len, &k), ACME_ERR_USAGE);
	free(der);
}

/* The serial as openssl prints it: no DER sign octet, uppercase. */
static void
t_x509_serial_hex(void)
{
	static struct x509_info xi;
	char out[2 * X509_SERIAL_MAX + 1];
	unsigned char *der;
	size_t len = tc_pem_der(tc_leaf_pem, &der);

	CHECK_INT(x509_parse(der, len, &xi), 0);
	CHECK_INT(xi.serial_len, 17);		/* with the sign octet */
	x509_serial_hex(&xi, out);
	CHECK_STR(out, "A1B2C3D4E5F60718293A4B5C6D7E8F90");
	memcpy(xi.serial, "\x00", 1);		/* zero: one octet */
	xi.serial_len = 1;
	x509_serial_hex(&xi, out);
	CHECK_STR(out, "00");
	memcpy(xi.serial, "\x7f\x00", 2);
	xi.serial_len = 2;
	x509_serial_hex(&xi, out);
	CHECK_STR(out, "7F00");
	free(der);
}

/*
 * A CA reached by IP address: the URL's host as libcurl parses it, and
 * the exact match against the iPAddress names of the vector certificate
 * (192.0.2.7, 2001:db8::7); a chain BearSSL checked no name of passes
 * only then.
 */
static void
t_http_ip_host(void)
{
	static const struct {
		const char	*url;
		size_t		 iplen;
		int		 ok;
	} cases[] = {
		{ "https://192.0.2.7:9000/acme/directory", 4, 1 },
		{ "https://[2001:db8::7]/dir", 16, 1 },
		{ "https://[2001:DB8:0::7]:443/dir", 16, 1 },
		{ "https://3221225991/dir", 4, 1 },	/* 192.0.2.7 */
		{ "https://192.0.2.8/dir", 4, 0 },
		{ "https://[::ffff:192.0.2.7]/dir", 16, 0 },
		{ "https://[2001:db8::8]/dir", 16, 0 },
		{ "https://leaf.example.org/dir", 0, 0 },
		{ "not a url", 0, 0 },
	};
	struct http h;
	unsigned char *der;
	size_t len = tc_pem_der(tc_leaf_pem, &der), i;

	memset(&h, 0, sizeof(h));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		http_url_ip(&h, cases[i].url);
		CHECK_INT(h.ipx.iplen, cases[i].iplen);
		h.ipx.named = 0;
		buf_free(&h.ipx.leaf);
		h.ipx.leaf.max = HTTP_LEAF_MAX;
		CHECK_INT(buf_append(&h.ipx.leaf, der, len), 0);
		CHECK_INT(http_ipx_match(&h.ipx), cases[i].ok);
		CHECK_INT(h.ipx.refused, cases[i].iplen > 0 && !cases[i].ok);
	}
	/* BearSSL checked a DNS name: passes for a name host only */
	h.ipx.named = 1;
	h.ipx.iplen = 0;
	CHECK_INT(http_ipx_match(&h.ipx), 1);
	h.ipx.iplen = 4;
	CHECK_INT(http_ipx_match(&h.ipx), 0);
	/* a certificate cut short matches nothing */
	h.ipx.named = 0;
	memcpy(h.ipx.ip, "\xc0\x00\x02\x07", 4);
	CHECK_INT(buf_append(&h.ipx.leaf, der, len / 2), 0);
	CHECK_INT(http_ipx_match(&h.ipx), 0);
	CHECK_STR(acme_last_error(), "");
	buf_free(&h.ipx.leaf);
	free(der);
}

/* "Nov 22 15:30:17 2026 GMT" (openssl x509 -startdate) to unix time. */
static int64_t
tc_openssl_date(const char *s)
{
	struct tm tm;

	memset(&tm, 0, sizeof(tm));
	if (strptime(s, "%b %d %H:%M:%S %Y GMT", &tm) == NULL)
		return -1;
	return (int64_t)timegm(&tm);
}

/* Hex with or without colons to bytes; returns the count. */
static size_t
tc_unhex(const char *s, unsigned char *dst, size_t cap)
{
	size_t n = 0;
	unsigned v;

	while (*s != '\0' && *s != '\n' && n < cap) {
		if (*s == ':') {
			s++;
			continue;
		}
		if (sscanf(s, "%2x", &v) != 1)
			break;
		dst[n++] = (unsigned char)v;
		s += 2;
	}
	return n;
}

/* A fresh RSA certificate from openssl, compared with openssl's view. */
static void
t_x509_openssl(void)
{
	static struct x509_info xi;
	char cmd[1024], out[4096], val[256];
	unsigned char fp[32], serial[32];
	struct buf pem = { .max = PEM_MAX };
	unsigned char *der = NULL;
	struct key k = { 0 }, other = { 0 };
	FILE *f;
	size_t len, n;

	if (!tc_have_openssl() || tc_mkdir() < 0)
		return;
	snprintf(cmd, sizeof(cmd), "cd '%s' && openssl req -x509 -newkey "
	    "rsa:2048 -nodes -keyout k.pem -out c.pem -days 45 -subj "
	    "'/O=Test/CN=rsa.example.net' -set_serial 0x0123456789abcdef "
	    "-addext 'subjectAltName=DNS:rsa.example.net,DNS:Www.Example.NET,"
	    "IP:10.0.0.1,IP:fe80::1:2'", tc_dir);
	CHECK_INT(tc_run(cmd, out, sizeof(out)), 0);
	f = fopen(tc_path(0, "c.pem"), "r");
	CHECK(f != NULL);
	if (f != NULL) {
		n = fread(val, 1, sizeof(val), f);
		while (n > 0) {
			buf_append(&pem, val, n);
			n = fread(val, 1, sizeof(val), f);
		}
		fclose(f);
	}
	len = tc_pem_der(pem.data ? (const char *)pem.data : "", &der);
	CHECK_INT(x509_parse(der, len, &xi), 0);
	snprintf(cmd, sizeof(cmd), "openssl x509 -in '%s' -noout -startdate "
	    "-enddate -serial -fingerprint -sha256", tc_path(0, "c.pem"));
	CHECK_INT(tc_run(cmd, out, sizeof(out)), 0);
	CHECK_INT(tc_line_value(out, "notBefore=", val, sizeof(val)), 0);
	CHECK_INT(xi.not_before, tc_openssl_date(val));
	CHECK_INT(tc_line_value(out, "notAfter=", val, sizeof(val)), 0);
	CHECK_INT(xi.not_after, tc_openssl_date(val));
	CHECK_INT(xi.not_after - xi.not_before, 45 * 86400);
	CHECK_INT(tc_line_value(out, "serial=", val, sizeof(val)), 0);
	n = tc_unhex(val, serial, sizeof(serial));
	CHECK_MEM(xi.serial, xi.serial_len, serial, n);
	CHECK_INT(tc_line_value(out, "Fingerprint=", val, sizeof(val)), 0);
	CHECK_INT(tc_unhex(val, fp, sizeof(fp)), 32);
	CHECK_MEM(xi.sha256, 32, fp, 32);
	CHECK_STR(xi.issuer_cn, "rsa.example.net");
	CHECK_STR(xi.subject_cn, "rsa.example.net");
	CHECK_INT(xi.nsan, 4);
	CHECK_STR(xi.san[0].value, "rsa.example.net");
	CHECK_STR(xi.san[1].value, "www.example.net");
	CHECK_STR(xi.san[2].value, "10.0.0.1");
	CHECK_STR(xi.san[3].value, "fe80::1:2");
	CHECK_INT(xi.aki_len, 20);	/* openssl's v3_ca: keyid of itself */
	/* x509_key_matches: its own key (PKCS#8 from openssl), another. */
	pem.len = 0;
	f = fopen(tc_path(0, "k.pem"), "r");
	if (f != NULL) {
		while ((n = fread(val, 1, sizeof(val), f)) > 0)
			buf_append(&pem, val, n);
		fclose(f);
	}
	CHECK_INT(key_from_pem(&k, pem.data ? (const char *)pem.data : "",
	    pem.len), 0);
	CHECK_INT(x509_key_matches(der, len, &k), 1);
	CHECK_INT(tc_key_pem(&other, tc_rsa2048_p8), 0);
	CHECK_INT(x509_key_matches(der, len, &other), 0);
	key_free(&k);
	key_free(&other);
	buf_free(&pem);
	free(der);
	tc_rmdir();
}

/* Every truncation, an extension, and single-bit flips of the vector:
 * errors (never crashes), and out is zeroed on failure. */
static void
t_x509_malformed(void)
{
	static struct x509_info xi;
	unsigned char *der, *copy;
	size_t len = tc_pem_der(tc_leaf_pem, &der), i;
	int rc, bad = 0;

	if (der == NULL || (copy = malloc(len + 1)) == NULL) {
		CHECK(0);
		free(der);
		return;
	}
	for (i = 0; i < len; i++) {
		memcpy(copy, der, i);
		rc = x509_parse(copy, i, &xi);
		if (rc != ACME_ERR_PROTO || xi.nsan != 0 || xi.serial_len != 0)
			bad++;
		err_clear();
	}
	CHECK_INT(bad, 0);
	memcpy(copy, der, len);
	copy[len] = 0;
	CHECK_INT(x509_parse(copy, len + 1, &xi), ACME_ERR_PROTO);
	for (i = 0; i < len * 8; i++) {
		memcpy(copy, der, len);
		copy[i / 8] ^= (unsigned char)(1u << (i % 8));
		rc = x509_parse(copy, len, &xi);
		CHECK(rc == 0 || rc == ACME_ERR_PROTO);
		err_clear();
	}
	CHECK_INT(x509_parse(der, 0, &xi), ACME_ERR_PROTO);
	free(copy);
	free(der);
}

static const struct unit_test tests_crypto[] = {
	{ "key_type_table", t_key_type_table },
	{ "rng", t_rng },
	{ "jws_rfc7515_a3", t_jws_rfc7515_a3 },
	{ "jwk_rfc7638", t_jwk_rfc7638 },
	{ "jwk_key_authorization", t_key_authorization },
	{ "jws_build", t_jws_build },
	{ "jws_eab", t_jws_eab },
	{ "key_generate", t_key_generate },
	{ "key_from_pem_openssl", t_key_from_pem_openssl },
	{ "key_from_pem_reject", t_key_from_pem_reject },
	{ "der_encode", t_der_encode },
	{ "der_read", t_der_read },
	{ "csr_golden", t_csr_golden },
	{ "csr_openssl", t_csr_openssl },
	{ "x509_vector", t_x509_vector },
	{ "x509_serial_hex", t_x509_serial_hex },
	{ "http_ip_host", t_http_ip_host },
	{ "x509_openssl", t_x509_openssl },
	{ "x509_malformed", t_x509_malformed },
	{ NULL, NULL }
};
