"""Key secrets: made random, shown once, kept only as a keyed hash.

A secret is `sck_` and 43 URL-safe characters (256 random bits); the prefix makes a leaked
key easy to recognise (secret scanners, logs). The database holds HMAC-SHA-256 of the
secret under the server's pepper, so neither a dump of the table nor a read replica lets
anyone call, or test guesses offline without the pepper too.
"""

import hashlib
import hmac
import secrets

from pydantic import SecretStr

SECRET_PREFIX = "sck_"
SHOWN_CHARACTERS = 12  # what lists show of a secret: the prefix and 8 random characters


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def secret_hash(secret: str, pepper: SecretStr) -> str:
    key = pepper.get_secret_value().encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def same_hash(a: str, b: str) -> bool:
    """Constant-time comparison (the lookup is by hash already; this keeps it so)."""
    return hmac.compare_digest(a.encode(), b.encode())
