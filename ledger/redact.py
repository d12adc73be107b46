"""Secret redaction: a table of patterns and a pure function that applies them.

Everything that leaves the daemon's hands as text goes through `redact` first: prompts
(file contents, tool results), log lines (daemon.logs) and ledger rows (ledger.store).
A secret-looking value is replaced by a marker `[REDACTED:<kind>]`; the text around it is
kept, so a prompt still reads as code.

The table aims at values that are secrets by their shape (provider key formats, private
key blocks, JWTs, credentials in URLs) and at assignments of long literal values to names
like `password`, `token`, `secret`. It leaves ordinary code alone: identifiers, calls
(`token = get_token()`), attribute chains (`settings.SECRET_KEY`), environment lookups,
placeholders (`${TOKEN}`, `<your-key>`), hex digests and lockfile integrity hashes.
What it does NOT promise: a secret with no recognisable shape in a place with no telling
name (a bare random string in a list) passes through.

It lives in ledger/, the lowest package, because the ledger redacts every row it stores
and imports nothing above itself; governance, tools and the daemon read it from here.
"""

from __future__ import annotations

import re
from typing import Any

MARKER = "[REDACTED"


def _marker(kind: str) -> str:
    return f"{MARKER}:{kind}]"


_NAMES = (r"(?:password|passwd|passphrase|pwd|secret|token|api[_-]?key|apikey|access[_-]?key"
          r"|private[_-]?key|auth[_-]?key|credential|client[_-]?secret|session[_-]?key)")
# A name that contains a telling word, optionally quoted (JSON, dict literals).
# It starts where a run of name characters starts, so a long run costs one attempt.
_KEY = (rf"(?<![A-Za-z0-9_.-])(?P<key>[\"']?[A-Za-z0-9_.-]{{0,40}}(?i:{_NAMES})"
        r"[A-Za-z0-9_.-]{0,40}[\"']?\s*(?::|=>|=|:=)\s*)")
# A value that is a placeholder or already redacted is left alone.
_NOT_PLACEHOLDER = r"(?![$<{%*]|\[REDACTED|[xX*]{8}|None\b|null\b|true\b|false\b)"
_QV = r"[^\"'`\s]"  # a character of a quoted value (runs bounded: no quadratic scans)
_UV = r"[^\s\"'`,;#&()\[\]{}]"  # a character of an unquoted value

# (kind, pattern, replacement): applied in order; the specific shapes before the generic
# assignment rule, so a GitHub token in `token = "ghp_..."` is named as such.
PATTERNS: tuple[tuple[str, re.Pattern[str], str | None], ...] = (
    ("private-key", re.compile(
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----[\s\S]{0,8000}?"
        r"-----END [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----"), None),
    # A block cut short (a capped tool result): the header and the key lines after it.
    ("private-key", re.compile(
        r"-----BEGIN [A-Z0-9 ]{0,40}PRIVATE KEY(?: BLOCK)?-----(?:[A-Za-z0-9+/=:,\s-]|\\n)*"),
     None),
    ("aws-access-key", re.compile(
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|AIPA|ANPA|ANVA|ABIA|ACCA)[0-9A-Z]{16}\b"), None),
    ("github-token", re.compile(r"\bgh[pousr]_[A-Za-z0-9]{36,255}\b"), None),
    ("github-token", re.compile(r"\bgithub_pat_[A-Za-z0-9_]{22,255}\b"), None),
    ("gitlab-token", re.compile(r"\bglpat-[A-Za-z0-9_-]{20,}"), None),
    ("slack-token", re.compile(r"\bxox[abposre]-[A-Za-z0-9-]{10,}"), None),
    ("slack-webhook", re.compile(
        r"https://hooks\.slack\.com/services/[A-Za-z0-9/_-]{20,}"), None),
    ("anthropic-key", re.compile(r"\bsk-ant-[A-Za-z0-9_-]{20,}"), None),
    ("openai-key", re.compile(r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_-]{20,}"), None),
    ("stripe-key", re.compile(r"\b[rs]k_(?:live|test)_[0-9A-Za-z]{16,}"), None),
    ("google-api-key", re.compile(r"\bAIza[0-9A-Za-z_-]{35}"), None),
    ("google-oauth-secret", re.compile(r"\bGOCSPX-[A-Za-z0-9_-]{20,}"), None),
    ("npm-token", re.compile(r"\bnpm_[A-Za-z0-9]{36}\b"), None),
    ("pypi-token", re.compile(r"\bpypi-AgE[A-Za-z0-9_-]{40,}"), None),
    ("huggingface-token", re.compile(r"\bhf_[A-Za-z0-9]{34,}\b"), None),
    # Not `\b`: that lets a match start at every `eyJ` after a `-` (quadratic on eyJ-eyJ-).
    ("jwt", re.compile(r"(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}"
                       r"\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}"), None),
    ("url-password", re.compile(
        r"(?P<pre>\b[a-zA-Z][a-zA-Z0-9+.-]{1,20}://[^\s:/@\"'<>]{0,128}:)"
        r"(?P<pw>[^\s/@\"'<>]{1,256})(?=@)"), r"\g<pre>" + _marker("url-password")),
    ("bearer-token", re.compile(
        r"(?P<pre>\b(?:[Bb]earer|[Bb]asic)\s+)(?=[A-Za-z0-9._~+/-]*[0-9])"
        r"(?P<tok>[A-Za-z0-9._~+/-]{20,}=*)"),
     r"\g<pre>" + _marker("bearer-token")),
    ("assignment", re.compile(
        _KEY + r"(?P<q>[\"'`])" + _NOT_PLACEHOLDER +
        rf"(?P<val>(?={_QV}{{0,512}}[0-9]){_QV}{{8,512}}"
        rf"|(?={_QV}{{0,512}}[A-Z])(?={_QV}{{0,512}}[a-z]){_QV}{{16,512}})(?P=q)"),
     r"\g<key>\g<q>" + _marker("assignment") + r"\g<q>"),
    ("assignment", re.compile(
        _KEY + _NOT_PLACEHOLDER +
        r"(?![A-Za-z_]\w{0,128}\.[A-Za-z_])"  # an attribute chain: settings.API_KEY_V2
        rf"(?P<val>(?={_UV}{{0,512}}[0-9])(?={_UV}{{0,512}}[A-Za-z])(?>{_UV}{{12,512}}))"
        r"(?![\w.(\[{])"),
     r"\g<key>" + _marker("assignment")),
)


def redact(text: str) -> str:
    """`text` with every secret-looking value replaced by `[REDACTED:<kind>]`."""
    if not text:
        return text
    for kind, pattern, template in PATTERNS:
        text = pattern.sub(template or _marker(kind), text)
    return text


def redact_data(data: Any) -> Any:
    """`redact` applied to every string inside nested dicts, lists and tuples."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {k: redact_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v) for v in data]
    return data
