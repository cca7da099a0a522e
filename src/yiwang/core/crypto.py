"""国密 primitives. SM3 comes from the platform's OpenSSL through hashlib (C code).

The SM2 and SM4 parts arrive with the identity and security issue; everything that hashes
content for addressing or chaining calls `sm3_hex` so there is one place to change.
"""

import hashlib


def sm3_hex(data: bytes) -> str:
    return hashlib.new("sm3", data).hexdigest()
