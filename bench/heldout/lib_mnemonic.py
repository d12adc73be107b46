"""mnemonic 0.21 (MIT), held out (wave 13): BIP-0039 mnemonic codes, the reference
implementation, one module (mnemonic/mnemonic.py) and a word list a language
(mnemonic/wordlist/*.txt, NFKD). Mnemonic(language) reads its 2048 words; to_mnemonic
refuses entropy of any length but 16, 20, 24, 28 and 32 bytes and writes the entropy and
its SHA-256 checksum bits as words, eleven bits a word; to_entropy reads words back (a str
split on single spaces, a list as given), refuses any count but 12, 15, 18, 21 and 24 and
checks every checksum bit; check answers False for a wrong count, an unknown word or a bad
checksum; detect_language normalizes the text (NFKD, bytes decoded) and narrows the
languages by prefix, then by exact words; expand_word completes a unique prefix; to_seed
stretches the normalized sentence and "mnemonic" + passphrase (PBKDF2-HMAC-SHA512, 2048
rounds); to_hd_master_key refuses a seed of any length but 64 and writes the BIP-32 xprv
in base58 (b58encode); generate draws entropy for a strength of 128, 160, 192, 224 or 256
bits. Its suite (tests/test_mnemonic.py, 7 tests) checks the test vectors of ten
languages (16, 24 and 32 bytes: sentence, seed and xprv), one bad checksum through check,
language detection of ASCII words, NFKD and NFC seeds alike, 1,025 entropies through
to_entropy(to_mnemonic(...).split()) (a list, every checksum good) and expand_word. A line
tracer over the suite found it never calls generate or main, never gives to_entropy a str
or a bad checksum, never gives check an unknown word or a wrong count, and never gives
to_mnemonic or to_hd_master_key a wrong length. One control (main's argument or standard
input as a conditional expression) and one careless refactor (generate's strength checked
by range) change only lines no test runs; every other case changes lines the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "mnemonic"
MOD = "mnemonic/mnemonic.py"
SETUP = "import mnemonic\nm = mnemonic.Mnemonic('english')"

CONTROLS = {
    "main_conditional_expression": case(
        MOD, "main", "if/else to a conditional expression (lines no test runs)",
        "the hex data taken from the first argument, else from a line of standard input, "
        "written as one conditional expression; no test runs main",
        ('''    if len(sys.argv) > 1:
        hex_data = sys.argv[1]
    else:
        hex_data = sys.stdin.readline().strip()
''', '''    hex_data = sys.argv[1] if len(sys.argv) > 1 else sys.stdin.readline().strip()
''')),
    "b58encode_join_reversed": case(
        MOD, "b58encode", "string prepending to a list joined in reverse",
        "the base58 digits appended to a list, least significant first, and joined "
        "reversed at the end instead of each prepended to the string (the one-character "
        "slice written as an index: idx is below 58)",
        ('''    string = ""
    while acc:
        acc, idx = divmod(acc, 58)
        string = alphabet[idx : idx + 1] + string
    return string
''', '''    digits = []
    while acc:
        acc, idx = divmod(acc, 58)
        digits.append(alphabet[idx])
    return "".join(reversed(digits))
''')),
    "to_mnemonic_comprehension": case(
        MOD, "Mnemonic.to_mnemonic", "loop to a comprehension",
        "the words looked up by a list comprehension over the eleven-bit groups instead "
        "of a loop appending each, then joined with the language's delimiter as before",
        ('''        result = []
        for i in range(len(b) // 11):
            idx = int(b[i * 11 : (i + 1) * 11], 2)
            result.append(self.wordlist[idx])
        return self.delimiter.join(result)
''', '''        result = [
            self.wordlist[int(b[i * 11 : (i + 1) * 11], 2)] for i in range(len(b) // 11)
        ]
        return self.delimiter.join(result)
''')),
    "expand_word_flattened": case(
        MOD, "Mnemonic.expand_word", "nested else flattened",
        "the else after the early return dropped and the inner if/else written as one "
        "conditional expression: the word itself, the one word the prefix begins, or the "
        "prefix unchanged",
        ('''        if prefix in self.wordlist:
            return prefix
        else:
            matches = [word for word in self.wordlist if word.startswith(prefix)]
            if len(matches) == 1:  # matched exactly one word in the wordlist
                return matches[0]
            else:
                # exact match not found.
                # this is not a validation routine, just return the input
                return prefix
''', '''        if prefix in self.wordlist:
            return prefix
        matches = [word for word in self.wordlist if word.startswith(prefix)]
        # one match expands; otherwise this is not a validation routine: the input back
        return matches[0] if len(matches) == 1 else prefix
''')),
}

CARELESS = {
    "generate_strength_range": case(
        MOD, "Mnemonic.generate", "condition widened (range for the list) (lines no test runs)",
        "the strength checked as a range, 128 to 256 bits, instead of against the five "
        "multiples of 32 BIP-39 allows: no test calls generate, but generate(129) now "
        "draws 16 bytes (129 // 8) and answers twelve words instead of raising ValueError",
        ('''        if strength not in [128, 160, 192, 224, 256]:
''', '''        if not 128 <= strength <= 256:
'''),
        probe=Probe(SETUP, "len(m.generate(129).split())", "raises ValueError", "12")),
    "check_split_whitespace": case(
        MOD, "Mnemonic.check", "split widened (any whitespace for one space)",
        "the normalized sentence split on any run of whitespace (split()) instead of on "
        "each single space, as to_entropy splits it: the suite's sentences have single "
        "spaces (or ideographic ones, which NFKD makes spaces), but a sentence with a "
        "doubled space, which check refused as thirteen words (one empty), now passes",
        ('''        mnemonic_list = self.normalize_string(mnemonic).split(" ")
''', '''        mnemonic_list = self.normalize_string(mnemonic).split()
'''),
        probe=Probe(SETUP, "m.check('abandon ' * 11 + ' about')", "False", "True")),
    "detect_language_unnormalized": case(
        MOD, "Mnemonic.detect_language", "coercion dropped (normalization)",
        "the text's normalization (NFKD, bytes decoded) dropped, the words compared as "
        "given: the suite detects ASCII words alone, but a French word written composed "
        "(NFC, as typed), 'élève', no longer matches the decomposed word list: "
        "ConfigurationError instead of 'french'",
        ('''        code = cls.normalize_string(code)
        possible = set(cls(lang) for lang in cls.list_languages())
''', '''        possible = set(cls(lang) for lang in cls.list_languages())
'''),
        probe=Probe(SETUP, "mnemonic.Mnemonic.detect_language('\\u00e9l\\u00e8ve')",
                    "'french'", "raises ConfigurationError")),
    "master_key_seed_length_narrowed": case(
        MOD, "Mnemonic.to_hd_master_key", "condition narrowed (< for !=)",
        "the seed refused only when shorter than 64 bytes, as if a longer one were merely "
        "more entropy: the suite's seeds are all 64 bytes, but a 65-byte seed, a "
        "ValueError before, now yields an xprv",
        ('''        if len(seed) != 64:
''', '''        if len(seed) < 64:
'''),
        probe=Probe(SETUP, "mnemonic.Mnemonic.to_hd_master_key(bytes(65))[:4]",
                    "raises ValueError", "'xprv'")),
    "to_entropy_checksum_off_by_one": case(
        MOD, "Mnemonic.to_entropy", "off by one (loop bound)",
        "the checksum bits compared up to checksumLengthBits - 1, the last bit skipped: "
        "the suite's round trips all have good checksums, but eleven 'abandon' and 'able' "
        "(the valid 'about' with the last bit flipped), a ValueError before, now give 16 "
        "zero bytes",
        ('''        for i in range(checksumLengthBits):
''', '''        for i in range(checksumLengthBits - 1):
'''),
        probe=Probe(SETUP, "m.to_entropy(['abandon'] * 11 + ['able'])", "raises ValueError",
                    "bytearray(b'\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00\\x00"
                    "\\x00\\x00\\x00\\x00\\x00')")),
}
