"""otpauth 2.2.2 (BSD-3-Clause), held out (wave 30): one-time passwords (otpauth/: core, OTP,
the base class; _rfc4226, HOTP and generate_hotp; _rfc6238, TOTP and generate_totp).
generate_hotp(secret, counter, digit, algorithm) packs the counter as 8 big-endian bytes,
takes the HMAC of the secret, reads 4 bytes at the offset the digest's last nibble names,
masks the sign bit and keeps the last digit digits (an int). generate_totp divides the
timestamp (now when None) by the period, flooring, and hands the counter on. OTP.__init__
asserts 0 < digit < 11 and a known algorithm; string_code(code) formats the code with
f"{code:0{digit}}" (an int padded with zeros on the left; a string padded on the right);
HOTP.verify and TOTP.verify refuse a code longer than digit characters, then compare the
string codes with hmac.compare_digest, answering False for a TypeError or ValueError on the
way. from_b32encode(secret) encodes a str secret as UTF-8, pads it to a multiple of 8 with
'=' and decodes it (binascii.Error for a wrong padding or a digit not in base 32), keeping
the text without its padding as b32_secret; b32_secret otherwise encodes the raw secret.
_get_base_uri quotes the label keeping '/', '@' and ':', and the issuer keeping nothing.

Its suite (tests/: 12 tests, unittest) generates HOTP's code at counter 0 and TOTP's at a
fixed time and at the RFC 6238 vectors (SHA1, SHA256, SHA512, 8 digits, times from 59 to
20000000000), verifies a code too long, a wrong one, a non-ASCII string and the right int,
builds both URIs (label 'Typlog:lepture.com', issuer 'Authlib'), decodes base32 secrets with
and without padding, as str and bytes, refuses digits 0 and 11 and an unknown algorithm,
and pads 123 to '000123'. A line tracer over it found every line of the package run. Its
tests never verify a code given as a number not an int, format a string code shorter than
its digits, generate a TOTP code at a negative time, quote an issuer with a '/' nor decode a
secret with more padding than it needs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "otpauth"
CORE = "otpauth/core.py"
HOTP_ = "otpauth/_rfc4226.py"
TOTP_ = "otpauth/_rfc6238.py"

CONTROLS = {
    "sign_bit_masked_by_modulo": case(
        HOTP_, "generate_hotp", "bit mask to modulo",
        "the 31-bit code taken as bin_code % 0x80000000 instead of bin_code & 0x7FFFFFFF: "
        "bin_code is an unsigned 32-bit int (struct's >I), for which keeping the low 31 bits "
        "and the remainder by 2**31 are the same number",
        ('''    total: int = bin_code & 0x7FFFFFFF
''', '''    total: int = bin_code % 0x80000000
''')),
    "b32_secret_decoded_then_stripped": case(
        CORE, "OTP.b32_secret", "operations reordered",
        "the base32 text decoded from ASCII before its '=' padding is stripped instead of "
        "after: b32encode writes ASCII alone, so stripping b'=' from the bytes and '=' from "
        "the text leave the same characters",
        ('''        self._b32_secret = secret.rstrip(b"=").decode("ascii")
''', '''        self._b32_secret = secret.decode("ascii").rstrip("=")
''')),
    "period_uri_by_fstring": case(
        TOTP_, "TOTP.to_uri", "concatenation to f-string",
        "the URI written f'{uri}&period={self.period}' instead of uri + f'&period="
        "{self.period}': uri is the str _get_base_uri built, and the f-string formats it as "
        "itself",
        ('''        return uri + f"&period={self.period}"
''', '''        return f"{uri}&period={self.period}"
''')),
    "type_inlined": case(
        CORE, "OTP._get_base_uri", "local variable inlined",
        "the local _type, self.TYPE.lower(), inlined into the f-string that builds the URI: "
        "it is read once, right there, and lower() has no side effect",
        ('''        _type = self.TYPE.lower()
        url = (
            f"otpauth://{_type}/{label}"
''', '''        url = (
            f"otpauth://{self.TYPE.lower()}/{label}"
''')),
}

CARELESS = {
    "code_padded_by_zfill": case(
        CORE, "OTP.string_code", "format specification to zfill",
        "the code padded by str(code).zfill(self.digit) instead of formatting it with "
        "f'{code:0{self.digit}}': the same for the ints generate answers (zfill, like the "
        "format, puts a minus sign before the zeros), but the format pads a string code "
        "with zeros on the right and zfill on the left, so a short string code now reads as "
        "the int's digits and verifies where it did not",
        ('''        return f"{code:0{self.digit}}"
''', '''        return str(code).zfill(self.digit)
'''),
        probe=Probe("from otpauth import HOTP", "HOTP(b'python').string_code('123')",
                    "'123000'", "'000123'")),
    "counter_by_true_division": case(
        TOTP_, "generate_totp", "floor division to truncated true division",
        "the counter computed as int(timestamp / period) instead of int(timestamp) // "
        "period: the same for every time since the epoch (both floor a positive quotient), "
        "but int() truncates toward zero, so a time before the epoch falls in step 0 instead "
        "of a negative step, which the 8-byte unsigned counter refused (struct.error)",
        ('''    counter = int(timestamp) // period
''', '''    counter = int(timestamp / period)
'''),
        probe=Probe("from otpauth import generate_totp", "generate_totp(b'python', 30, -1)",
                    "raises error", "170566")),
    "verify_lets_value_errors_through": case(
        HOTP_, "HOTP.verify", "exception narrowed",
        "the comparison's except clause narrowed to TypeError, the one hmac.compare_digest "
        "raises for a non-ASCII string code: but a code whose formatting raises ValueError, "
        "as a complex number (zero padding is not allowed in its format), was answered False "
        "and now raises",
        ('''        except (TypeError, ValueError):
            return False
''', '''        except TypeError:
            return False
'''),
        probe=Probe("from otpauth import HOTP", "HOTP(b'python').verify(1j, 0)", "False",
                    "raises ValueError")),
    "issuer_quoted_by_default": case(
        CORE, "OTP._get_base_uri", "argument dropped as the default",
        "the issuer quoted by quote(issuer) instead of quote(issuer, safe=''), taking safe='' "
        "for quote's default: but quote's default keeps '/', so an issuer with a slash is no "
        "longer escaped in the URI",
        ('''        issuer = quote(issuer, safe="")
''', '''        issuer = quote(issuer)
'''),
        probe=Probe("from otpauth import HOTP", "HOTP(b'python').to_uri('a', 'A/B', 0)",
                    "'otpauth://hotp/a?secret=OB4XI2DPNY&issuer=A%2FB&algorithm=SHA1&digits=6"
                    "&counter=0'",
                    "'otpauth://hotp/a?secret=OB4XI2DPNY&issuer=A/B&algorithm=SHA1&digits=6"
                    "&counter=0'")),
    "padding_from_stripped_secret": case(
        CORE, "OTP.from_b32encode", "padding recomputed",
        "the padding added to the stripped text, b32_secret + '=' * (-len(b32_secret) % 8), "
        "instead of to the secret as given: the same for a secret without padding or with "
        "the right padding, but a secret with too much padding, which b32decode refused "
        "(binascii.Error: Incorrect padding), now decodes",
        ('''        secret += b"=" * (-len(secret) % 8)
''', '''        secret = b32_secret + b"=" * (-len(b32_secret) % 8)
'''),
        probe=Probe("from otpauth import HOTP",
                    "HOTP.from_b32encode('OB4XI2DPNY=======').generate(0)", "raises Error",
                    "170566")),
}
