"""snowflake-id 1.0.2 (MIT), held out (wave 35): Snowflake IDs (snowflake/: snowflake, with
Snowflake, SnowflakeGenerator and the bounds MAX_TS, 41 bits, MAX_INSTANCE, 10 bits, and
MAX_SEQ, 12 bits; __init__ re-exports them). Snowflake is a frozen dataclass of a timestamp in
milliseconds since its epoch, an instance, an epoch and a sequence number, each refused with
ValueError below 0 or above its bound (the epoch below 0 alone); parse(id, epoch) takes the
timestamp as id >> 22, the instance as id >> 12 & MAX_INSTANCE and the sequence as
id & MAX_SEQ; milliseconds adds the epoch, seconds divides them by 1000, datetime is the naive
UTC time of those seconds, timedelta the epoch, and value (and int()) packs the three fields
with shifts and ors. SnowflakeGenerator(instance, seq, epoch, timestamp) reads the clock in
whole milliseconds (the float truncated), refuses with OverflowError a clock past MAX_TS in
its epoch before it checks anything else, takes the clock for a timestamp that is not given
(or is 0), refuses a timestamp or an epoch below 0 or past the clock and an instance or a
sequence out of bounds (ValueError); from_snowflake resumes from a Snowflake's fields. Its
__next__ reads the clock again: in the same millisecond it counts the sequence up (None once
it is full), a clock behind the last timestamp answers None, a later one restarts the
sequence at 0; the id is the timestamp << 22 | the instance << 12 | the sequence.

Its suite (tests/: 13 tests) parses README's id and checks every field, seconds, datetime,
datetime_tz, timedelta and value; builds the smallest and largest Snowflakes and refuses each
field one past its bounds, and the generator's likewise (an epoch and a timestamp ten seconds
in the future among them); resumes a generator from README's id and checks its first id; and
draws 4095 ids from one generator, all different, of the right instance and a timestamp over
0. A line tracer over it found every line of snowflake.py run but the two OverflowErrors and
__next__'s two answers of None. Its tests never parse an id of 64 bits or more (or a negative
one), give an epoch so far in the past that the clock overflows, give a timestamp of 0 and
draw from that generator, read the clock at a fraction of a millisecond over one half, nor
read seconds of a timestamp that a thousandth does not divide exactly."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "snowflake-id"
SNOWFLAKE = "snowflake/snowflake.py"
CLOCK = "import snowflake.snowflake as clock\nfrom snowflake import SnowflakeGenerator\n"

CONTROLS = {
    "fields_packed_by_sum": case(
        SNOWFLAKE, "Snowflake.value", "bitwise or to addition",
        "the id packed as timestamp << 22 + ... written with + instead of |: __post_init__ "
        "bounds the instance below 1 << 10 and the sequence below 1 << 12, so the three shifted "
        "fields never share a bit and their sum is their or",
        ('''        return self.timestamp << 22 | self.instance << 12 | self.seq
''', '''        return (self.timestamp << 22) + (self.instance << 12) + self.seq
''')),
    "fields_in_declared_order": case(
        SNOWFLAKE, "Snowflake.parse", "keyword arguments reordered",
        "the Snowflake built with its keyword arguments in the dataclass's field order "
        "(timestamp, instance, epoch, seq) instead of the epoch first: keywords bind by name, "
        "and the four expressions are names and shifts and masks of the id with no side "
        "effect, so the same fields are set and the same TypeError raised for an id that is "
        "not an int",
        ('''        return cls(
            epoch=epoch,
            timestamp=snowflake >> 22,
            instance=snowflake >> 12 & MAX_INSTANCE,
            seq=snowflake & MAX_SEQ
        )
''', '''        return cls(
            timestamp=snowflake >> 22,
            instance=snowflake >> 12 & MAX_INSTANCE,
            epoch=epoch,
            seq=snowflake & MAX_SEQ
        )
''')),
    "clock_by_int": case(
        SNOWFLAKE, "SnowflakeGenerator.__init__", "dunder call to builtin",
        "the clock read as int(time() * 1000.) instead of (time() * 1000.).__int__(): int() of a "
        "float calls the same __int__, truncating toward zero",
        ('''        current = (time() * 1000.).__int__()

        if current - epoch >= MAX_TS:
''', '''        current = int(time() * 1000.)

        if current - epoch >= MAX_TS:
''')),
    "clock_behind_tested_first": case(
        SNOWFLAKE, "SnowflakeGenerator.__next__", "branches reordered",
        "a clock behind the last timestamp answered None first, then the same millisecond and "
        "a later one, instead of in the order equal, behind, later: the three tests are "
        "exclusive (==, > and the rest), so each reading takes the same branch",
        ('''        if self._ts == current:
            if self._seq == MAX_SEQ:
                return None
            self._seq += 1
        elif self._ts > current:
            return None
        else:
            self._seq = 0
''', '''        if self._ts > current:
            return None
        if self._ts == current:
            if self._seq == MAX_SEQ:
                return None
            self._seq += 1
        else:
            self._seq = 0
''')),
}

CARELESS = {
    "timestamp_masked": case(
        SNOWFLAKE, "Snowflake.parse", "mask added for symmetry",
        "the timestamp taken as snowflake >> 22 & MAX_TS, masked like the instance and the "
        "sequence, instead of unmasked: the same for every id of 63 bits, but an id of 64 bits "
        "or more (or a negative one), whose timestamp __post_init__ refused with ValueError, "
        "now wraps into the 41 bits and parses",
        ('''            timestamp=snowflake >> 22,
''', '''            timestamp=snowflake >> 22 & MAX_TS,
'''),
        probe=Probe("from snowflake import Snowflake", "Snowflake.parse(2 ** 63).timestamp",
                    "raises ValueError", "0")),
    "overflow_checked_after_arguments": case(
        SNOWFLAKE, "SnowflakeGenerator.__init__", "statements reordered",
        "the clock's overflow in the epoch checked after the timestamp and the epoch are "
        "validated instead of before: the same for every valid epoch, but an epoch so far "
        "below 0 that the clock overflows in it, refused with OverflowError, is now refused "
        "with the epoch's ValueError",
        ('''        if current - epoch >= MAX_TS:
            raise OverflowError(f"The maximum current timestamp has been reached in selected epoch,"
                                f"so Snowflake cannot generate more IDs!")

        timestamp = timestamp or current
''', '''        timestamp = timestamp or current
'''), ('''        self._epo = epoch
''', '''        if current - epoch >= MAX_TS:
            raise OverflowError(f"The maximum current timestamp has been reached in selected epoch,"
                                f"so Snowflake cannot generate more IDs!")

        self._epo = epoch
'''),
        probe=Probe("from snowflake import SnowflakeGenerator",
                    "SnowflakeGenerator(0, epoch=-2 ** 41)", "raises OverflowError",
                    "raises ValueError")),
    "timestamp_defaulted_when_none": case(
        SNOWFLAKE, "SnowflakeGenerator.__init__", "or to is None",
        "a missing timestamp taken as current if timestamp is None else timestamp instead of "
        "timestamp or current: the same when none is given and for every timestamp after the "
        "epoch of 1970, but the timestamp 0, for which the generator took the clock, is now "
        "kept, and its first id restarts the sequence instead of counting it up",
        ('''        timestamp = timestamp or current
''', '''        timestamp = current if timestamp is None else timestamp
'''),
        probe=Probe(CLOCK + "clock.time = lambda: 1.0\n"
                    "gen = SnowflakeGenerator(0, timestamp=0)", "next(gen)", "4194304001",
                    "4194304000")),
    "clock_rounded": case(
        SNOWFLAKE, "SnowflakeGenerator.__next__", "truncation to rounding",
        "the clock read as round(time() * 1000.) instead of (time() * 1000.).__int__(): the same "
        "over the first half of each millisecond, but past it the id's timestamp is the next "
        "millisecond, which the generator's own start (truncated) has not reached, so its "
        "sequence restarts instead of counting up",
        ('''        current = (time() * 1000.).__int__() - self._epo
''', '''        current = round(time() * 1000.) - self._epo
'''),
        probe=Probe(CLOCK + "clock.time = lambda: 1.0007\ngen = SnowflakeGenerator(0)",
                    "next(gen)", "4194304001", "4198498304")),
    "seconds_by_multiplication": case(
        SNOWFLAKE, "Snowflake.seconds", "division to multiplication by the reciprocal",
        "the seconds computed as milliseconds * 0.001 instead of milliseconds / 1000: the same "
        "for README's id (1492960851.339), but 0.001 is not exact in binary, so for many "
        "timestamps the product is a float one unit off in its last place",
        ('''        return self.milliseconds / 1000
''', '''        return self.milliseconds * 0.001
'''),
        probe=Probe("from snowflake import Snowflake", "Snowflake(9, 0).seconds", "0.009",
                    "0.009000000000000001")),
}
