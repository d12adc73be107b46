"""mathparse 0.2.9 (MIT), held out (wave 23): mathematical expressions in strings evaluated
without eval() (mathparse/mathparse.py; mathparse/mathwords.py its words in each language, its
binary operators, constants and unary functions). parse(string, language, stopwords) replaces a
language's words by numbers and operators (replace_word_tokens: binary operators longest
first, then prefix and postfix unary operators, compound and single numbers, stopwords, scales;
simplified Chinese by its own function), tokenizes (lower case, trailing punctuation apart, a
binary operator spaced, a minus spaced only after a digit or a closing parenthesis, a
language's phrases kept whole), turns a minus token into 'neg' where it is unary (at the start
or after '(', a binary operator or a unary function), converts to postfix (precedence, '^'
right-associative, an unknown term refused with PostfixTokenEvaluationException) and evaluates
it: '+', '-', '*' and '^' on numbers to_number makes of tokens (int, float or a constant),
'/' on Decimals made of str() of both operands ('undefined' where the divisor is zero), '.'
joining an integer part and a fractional part of as many digits as its token has. is_int
accepts digits with one leading minus; extract_expression cuts a sentence down to its
expression, a leading binary operator kept only after words alone and before a number.

Its suite (tests/: 169 tests, one more skipped by its own marker) checks arithmetic on ints and
floats in symbols and in English words, precedence, right-associative powers, division by a
literal zero, decimals written with 'point', negatives and negative decimals, sqrt and log in
thirteen languages, simplified Chinese, stopwords, unsupported terms and languages, the word
replacement's output, tokenization and extract_expression on short sentences. A line tracer
over it found unrun: to_number's float branch and its fall-through, the unary minus after a
binary operator, '(' or a unary function (every negative number in the suite is one token,
'-4', or at the start), to_postfix's float token, the '.' operator's zero fractional part, the
unknown-token and empty-stack raises of evaluate_postfix, its float result, and
extract_expression's leading binary operator (its check of the tokens before and after it).
Its tests never divide by a zero computed from decimals, parse a minus after '^', give a token
of two minus signs, end a sentence on a lone operator, or use a Russian, Ukrainian, Chinese or
Vietnamese binary operator that is the start of a longer one ('умножить на')."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "mathparse"
PARSE = "mathparse/mathparse.py"
SETUP = "from mathparse import mathparse"

CONTROLS = {
    "prev_tokens_by_any": case(
        PARSE, "extract_expression", "loop to any() of a generator",
        "whether every token before a leading binary operator is a plain word told by "
        "not any() of a generator over tokens[:i] instead of a loop setting a flag and "
        "breaking at the first mathematical token: any() stops at the same first token, "
        "is_symbol tried before is_word for each as before (lines no test runs)",
        ('''                all_prev_non_math = True
                for j in range(i):
                    if is_symbol(tokens[j]) or is_word(tokens[j], language):
                        all_prev_non_math = False
                        break
''', '''                all_prev_non_math = not any(
                    is_symbol(token) or is_word(token, language)
                    for token in tokens[:i]
                )
''')),
    "parentheses_by_membership": case(
        PARSE, "is_symbol", "equality chain to membership",
        "an opening or closing parenthesis told by string in ('(', ')') instead of two == "
        "comparisons joined by or: membership in a tuple compares by ==, in the same order, "
        "after the same number, constant and operator tests",
        ("        (string == '(') or (string == ')')\n",
         "        string in ('(', ')')\n")),
    "escapes_by_comprehension": case(
        PARSE, "tokenize", "loop to list comprehension",
        "the escaped spaces of a language's phrases restored by a list comprehension over "
        "string.split() instead of a loop writing each token back into the list by its "
        "index: the same tokens, in the same order, each with escape replaced by a space",
        ('''    tokens = string.split()

    for index, token in enumerate(tokens):
        tokens[index] = token.replace(escape, ' ')
''', '''    tokens = [token.replace(escape, ' ') for token in string.split()]
''')),
    "operands_merged": case(
        PARSE, "to_postfix", "identical branches merged",
        "an int, a float or a constant token appended to the output by one branch whose "
        "condition joins the three tests with or, instead of three elif branches doing the "
        "same append: the tests are made in the same order and stop at the first true one, "
        "so the same tokens reach the output and the rest reach the same later branches",
        ('''        if is_int(token):
            postfix.append(token)
        elif is_float(token):
            postfix.append(token)
        elif token in mathwords.CONSTANTS:
            postfix.append(token)
''', '''        if is_int(token) or is_float(token) or token in mathwords.CONSTANTS:
            postfix.append(token)
''')),
}

CARELESS = {
    "operator_lookahead_unbounded": case(
        PARSE, "extract_expression", "off-by-one boundary",
        "a leading binary operator's next token read when i < len(tokens) instead of "
        "i + 1 < len(tokens), as if the bound were the operator's own index: the suite never "
        "reaches the check (its sentences start on a number or a word), but a sentence "
        "that ends on a lone operator now reads past the last token (IndexError) instead of "
        "being kept whole",
        ('''                if all_prev_non_math and i + 1 < len(tokens):
''', '''                if all_prev_non_math and i < len(tokens):
'''),
        probe=Probe(SETUP, "mathparse.extract_expression('what is +', language='ENG')",
                    "'what is +'", "raises IndexError")),
    "minus_signs_stripped": case(
        PARSE, "is_int", "sign stripped leniently",
        "a negative integer's digits told by string.lstrip('-').isdigit() instead of a "
        "string longer than its one minus and digits after it: the same for the suite's "
        "'42', '-4' and '-42.2', but a token of two or more minus signs ('--4') is now an "
        "integer, which int() then refuses",
        ('''        return len(string) > 1 and string[1:].isdigit()
''', '''        return string.lstrip('-').isdigit()
'''),
        probe=Probe(SETUP, "mathparse.is_int('--4')", "False", "True")),
    "zero_divisor_by_text": case(
        PARSE, "evaluate_postfix", "value compared as text",
        "a zero divisor told by its text, str(b) == '0', instead of Decimal(str(b)) == 0: "
        "the same for the suite's literal '0' and 'zero', but a zero computed from decimals "
        "(0.0) is now divided by, and Decimal raises DivisionByZero instead of answering "
        "'undefined'",
        ('''                if Decimal(str(b)) == 0:
''', '''                if str(b) == '0':
'''),
        probe=Probe(SETUP, "mathparse.parse('5 / (0.5 - 0.5)')", "'undefined'",
                    "raises DivisionByZero")),
    "unary_contexts_listed": case(
        PARSE, "preprocess_unary_operators", "set written out by hand",
        "the tokens after which a minus is unary written out as {'+', '-', '*', '/', '('} "
        "instead of mathwords.BINARY_OPERATORS | {'('}, the hand-written set missing '^' and "
        "'.': the suite never has a minus token after an operator (its negatives are one "
        "token, or first), but a minus after '^' is now binary and the expression fails",
        ('''    unary_contexts = mathwords.BINARY_OPERATORS | {'('}
''', '''    unary_contexts = {'+', '-', '*', '/', '('}
'''),
        probe=Probe(SETUP, "mathparse.parse('2 ^ - 1')", "0.5",
                    "raises PostfixTokenEvaluationException")),
    "binary_words_unsorted": case(
        PARSE, "replace_word_tokens", "sort lost",
        "a language's binary operator words replaced in the dict's order instead of longest "
        "first: the same for the suite's languages and words, but where a shorter word comes "
        "before a longer one it begins (Russian 'умножить' before 'умножить на'), the "
        "shorter is replaced inside the longer and its rest ('на') is an unsupported term",
        ('''    sorted_operators = sorted(binary_operators.keys(), key=len, reverse=True)
    for operator in sorted_operators:
''', '''    for operator in binary_operators:
'''),
        probe=Probe(SETUP, "mathparse.parse('два умножить на три', language='RUS')", "6",
                    "raises PostfixTokenEvaluationException")),
}
