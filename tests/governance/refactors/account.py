"""The account module of the refactor corpus: a class whose methods keep a balance in integer
cents, an overdraft limit, an entry log, monthly interest and transfers between accounts."""

from tests.governance.refactors.corpus import Module, edits

SOURCE = '''"""A bank account in integer cents."""


class InsufficientFunds(Exception):
    """A withdrawal past the overdraft limit."""


class Account:
    """A balance, an overdraft limit and the entries that made the balance."""

    def __init__(self, owner, balance=0, overdraft=0):
        self.owner = owner
        self.balance = balance
        self.overdraft = overdraft
        self.entries = []

    def deposit(self, cents, memo=""):
        """Add `cents` (positive); the new balance."""
        if cents <= 0:
            raise ValueError("a deposit must be positive")
        self.balance += cents
        self.entries.append(("deposit", cents, memo.strip()))
        return self.balance

    def withdraw(self, cents, memo=""):
        """Take `cents` out, down to minus the overdraft limit; a refused withdrawal is kept
        in the entries too."""
        if cents <= 0:
            raise ValueError("a withdrawal must be positive")
        if self.balance - cents < -self.overdraft:
            self.entries.append(("refused", cents, memo.strip()))
            raise InsufficientFunds(f"{self.owner}: {cents} is more than is available")
        self.balance -= cents
        self.entries.append(("withdraw", cents, memo.strip()))
        return self.balance

    def add_interest(self, annual_rate_bp):
        """A month's interest on a positive balance (the annual rate in basis points),
        rounded half up to a cent and deposited; the interest."""
        if self.balance <= 0:
            return 0
        interest = (self.balance * annual_rate_bp + 60000) // 120000
        if interest:
            self.deposit(interest, "interest")
        return interest

    def statement(self, last=None):
        """One line per entry, newest last; only the `last` few when given."""
        entries = self.entries if last is None else self.entries[-last:]
        return [f"{kind:<8}{cents:>8}  {memo}".rstrip() for kind, cents, memo in entries]

    def transfer(self, other, cents):
        """Move `cents` to `other`, taking it from here first: a refused transfer leaves
        `other` as it was. Both balances after."""
        self.withdraw(cents, f"to {other.owner}")
        other.deposit(cents, f"from {self.owner}")
        return self.balance, other.balance
'''

TESTS = '''import pytest

from bank.account import Account


def test_deposits_and_withdrawals():
    acct = Account("ann", 10_000, overdraft=5_000)
    assert acct.deposit(2_500, " rent ") > 0
    assert acct.withdraw(15_000, "car") < 0
    with pytest.raises(Exception):
        acct.withdraw(10_000)
    with pytest.raises(Exception):
        acct.deposit(0)
    with pytest.raises(Exception):
        acct.withdraw(-1)


def test_interest():
    acct = Account("bob", 100_000)
    assert acct.add_interest(450) > 0
    assert Account("cy", -5).add_interest(450) == 0
    assert Account("gil", 10).add_interest(450) == 0


def test_statement():
    acct = Account("dee", 500)
    acct.deposit(120)
    acct.withdraw(70, "lunch")
    assert len(acct.statement()) == 2
    assert acct.statement(last=1)


def test_transfer():
    a, b = Account("eve", 1_000), Account("fay")
    assert a.transfer(b, 400)
    with pytest.raises(Exception):
        a.transfer(b, 5_000)
'''

CARELESS = {
    "overdraft_boundary": ("Account.withdraw", "boundary", edits(
        ("if self.balance - cents < -self.overdraft:",
         "if self.balance - cents <= -self.overdraft:"))),
    "refusal_not_logged": ("Account.withdraw", "early return skips a side effect", edits(
        ('''        if cents <= 0:
            raise ValueError("a withdrawal must be positive")
        if self.balance - cents < -self.overdraft:
            self.entries.append(("refused", cents, memo.strip()))
            raise InsufficientFunds(f"{self.owner}: {cents} is more than is available")
''', '''        if cents > self.balance + self.overdraft:
            raise InsufficientFunds(f"{self.owner}: {cents} is more than is available")
        if cents <= 0:
            raise ValueError("a withdrawal must be positive")
'''))),
    "refusal_value_error": ("Account.withdraw", "exception type", edits(
        ('raise InsufficientFunds(f"{self.owner}: {cents} is more than is available")',
         'raise ValueError(f"{self.owner}: {cents} is more than is available")'))),
    "interest_round_half_even": ("Account.add_interest", "rounding", edits(
        ("interest = (self.balance * annual_rate_bp + 60000) // 120000",
         "interest = round(self.balance * annual_rate_bp / 120000)"))),
    "interest_on_debt": ("Account.add_interest", "guard dropped", edits(
        ('''        if self.balance <= 0:
            return 0
        interest''', '''        interest'''))),
    "memo_not_stripped": ("Account.deposit", "case/strip", edits(
        ('self.entries.append(("deposit", cents, memo.strip()))',
         'self.entries.append(("deposit", cents, memo))'))),
    "statement_slice": ("Account.statement", "off-by-one slice", edits(
        ("entries = self.entries if last is None else self.entries[-last:]",
         "entries = self.entries if last is None else self.entries[len(self.entries) - last:]"))),
    "statement_padded": ("Account.statement", "case/strip", edits(
        ('return [f"{kind:<8}{cents:>8}  {memo}".rstrip() for kind, cents, memo in entries]',
         'return [f"{kind:<8}{cents:>8}  {memo}" for kind, cents, memo in entries]'))),
    "transfer_deposit_first": ("Account.transfer", "evaluation order", edits(
        ('''        self.withdraw(cents, f"to {other.owner}")
        other.deposit(cents, f"from {self.owner}")
''', '''        other.deposit(cents, f"from {self.owner}")
        self.withdraw(cents, f"to {other.owner}")
'''))),
    "overdraft_default": ("Account.__init__", "default changed", edits(
        ("def __init__(self, owner, balance=0, overdraft=0):",
         "def __init__(self, owner, balance=0, overdraft=100):"))),
    "zero_withdrawal": ("Account.withdraw", "boundary", edits(
        ("if cents <= 0:\n            raise ValueError(\"a withdrawal must be positive\")",
         "if cents < 0:\n            raise ValueError(\"a withdrawal must be positive\")"))),
    "statement_one_space": ("Account.statement", "string formatting", edits(
        ('f"{kind:<8}{cents:>8}  {memo}"', 'f"{kind:<8}{cents:>8} {memo}"'))),
    "interest_truncated": ("Account.add_interest", "rounding", edits(
        ("interest = (self.balance * annual_rate_bp + 60000) // 120000",
         "interest = self.balance * annual_rate_bp // 120000"))),
    "transfer_balances_swapped": ("Account.transfer", "swapped arguments", edits(
        ("return self.balance, other.balance", "return other.balance, self.balance"))),
}

CONTROLS = {
    "withdraw_available": ("Account.withdraw", "merged conditions", edits(
        ("        if self.balance - cents < -self.overdraft:\n",
         "        available = self.balance + self.overdraft\n        if cents > available:\n"))),
    "interest_guards": ("Account.add_interest", "guard clauses", edits(
        ('''        interest = (self.balance * annual_rate_bp + 60000) // 120000
        if interest:
            self.deposit(interest, "interest")
        return interest
''', '''        interest = (self.balance * annual_rate_bp + 60000) // 120000
        if not interest:
            return interest
        self.deposit(interest, "interest")
        return interest
'''))),
    "statement_loop": ("Account.statement", "loop/comprehension", edits(
        ('''        entries = self.entries if last is None else self.entries[-last:]
        return [f"{kind:<8}{cents:>8}  {memo}".rstrip() for kind, cents, memo in entries]
''', '''        shown = self.entries if last is None else self.entries[-last:]
        lines = []
        for kind, amount, note in shown:
            lines.append(f"{kind:<8}{amount:>8}  {note}".rstrip())
        return lines
'''))),
    "entry_helper": ("Account.deposit", "extract helper", edits(
        ('''        self.balance += cents
        self.entries.append(("deposit", cents, memo.strip()))
        return self.balance
''', '''        self.balance += cents
        self._log("deposit", cents, memo)
        return self.balance

    def _log(self, kind, cents, memo):
        self.entries.append((kind, cents, memo.strip()))
'''))),
    "statement_conditional": ("Account.statement", "guard clauses", edits(
        ("entries = self.entries if last is None else self.entries[-last:]",
         "entries = self.entries[-last:] if last is not None else self.entries"))),
}

MODULE = Module("account", "bank/account.py", SOURCE, TESTS, CARELESS, CONTROLS)
