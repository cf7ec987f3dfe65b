# test/certbot-ec.py - Debian's certbot with an ECDSA P-256 account key.
#
#   /usr/bin/python3 test/certbot-ec.py CERTBOT-ARGS...
#
# certbot 2.1 makes RSA account keys only, but loads and signs with EC
# ones (its acme_from_config_key picks ES256 for a P-256 JWK). This runs
# certbot's own main() with the one key generation of its register()
# swapped for a P-256 key, so the account files (private_key.json as an
# EC JWK, regr.json, meta.json) are written by certbot itself.
import sys

import josepy as jose
from cryptography.hazmat.primitives.asymmetric import ec
from certbot._internal import client


class _Jose:
    """josepy, except that register()'s JWKRSA(ComparableRSAKey(k))
    wraps the EC key it is handed as a JWKEC."""

    def __getattr__(self, name):
        return getattr(jose, name)

    @staticmethod
    def ComparableRSAKey(key):
        return key

    @staticmethod
    def JWKRSA(key):
        return jose.JWKEC(key=key)


client.jose = _Jose()
client.generate_private_key = lambda **kw: ec.generate_private_key(
    ec.SECP256R1())

from certbot.main import main  # noqa: E402

sys.exit(main(sys.argv[1:]))
