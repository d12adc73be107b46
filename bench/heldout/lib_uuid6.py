"""uuid6 2025.0.1 (MIT), held out (wave 9): UUID versions 6, 7 and 8 (RFC 9562), one module.
UUID subclasses uuid.UUID: given int alone it checks 0 <= int < 2**128 and, with a version,
accepts only 6 to 8, clears the variant and version fields and sets variant 10 and the
version; its time property reassembles the 60-bit timestamp of version 6, the milliseconds
of version 7, and for version 8 the milliseconds times 10**6 plus the 20-bit sub-millisecond
fraction decoded with a rounded-up division (_subsec_decode). uuid1_to_uuid6 refuses any
version but 1 and reorders the hex digits, keeping is_safe; uuid6, uuid7 and uuid8 read
time.time_ns(), bump a timestamp not above the last one to the last plus one, mask each
field to its width (the clock sequence to 14 bits, the node and the milliseconds to 48),
fill the rest from secrets.randbits and build the UUID with their version. Its suite (test/,
unittest) runs every line of the module (a line tracer over the whole suite found none
unrun), so all four controls change lines it runs. Every careless refactor changes lines
the suite runs."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "uuid6"
INIT = "uuid6/__init__.py"
SETUP = "import uuid6"
# The RFC's test vector's time (2022-02-22 14:22:22 -05:00), so that a made UUID is the same
# in every run.
FIXED_TIME = SETUP + "\nimport time\ntime.time_ns = lambda: 0x16D6320C3D4DCC00"

_V7_BUMP = '''    if _last_v7_timestamp is not None and timestamp_ms <= _last_v7_timestamp:
        timestamp_ms = _last_v7_timestamp + 1
'''

_V6_FIELDS = '''    time_high_and_time_mid = (timestamp >> 12) & 0xFFFFFFFFFFFF
    time_low_and_version = timestamp & 0x0FFF
    uuid_int = time_high_and_time_mid << 80
    uuid_int |= time_low_and_version << 64
    uuid_int |= (clock_seq & 0x3FFF) << 48
    uuid_int |= node & 0xFFFFFFFFFFFF
'''

# uuid7's; uuid8 starts with the same first line
_V7_FIELDS = ("    uuid_int = (timestamp_ms & 0xFFFFFFFFFFFF) << 80\n"
              "    uuid_int |= secrets.randbits(76)\n")

CONTROLS = {
    "uuid1_to_uuid6_fstring": case(
        INIT, "uuid1_to_uuid6", "concatenation written as an f-string",
        "the reordered hex digits written as one f-string of the same slices and the "
        "version digit '6' instead of six strings added together: the same text",
        ('    h = h[13:16] + h[8:12] + h[0:5] + "6" + h[5:8] + h[16:]\n',
         '    h = f"{h[13:16]}{h[8:12]}{h[0:5]}6{h[5:8]}{h[16:]}"\n')),
    "uuid7_bump_with_max": case(
        INIT, "uuid7", "conditional assignment written as max()",
        "a timestamp not above the last one raised with max(timestamp_ms, last + 1) once a "
        "last one exists, instead of testing timestamp_ms <= last and assigning last + 1: "
        "for integers the two agree (a later timestamp is already at least last + 1)",
        (_V7_BUMP, '''    if _last_v7_timestamp is not None:
        timestamp_ms = max(timestamp_ms, _last_v7_timestamp + 1)
''')),
    "uuid8_subsec_divmod": case(
        INIT, "uuid8", "shift and mask written as divmod",
        "the 20-bit fraction split into its high 12 and low 8 bits with divmod(subsec, "
        "1 << 8) instead of a right shift by 8 and a mask of 0xFF: the same pair for the "
        "non-negative fraction (a floor division of a non-negative remainder)",
        ("    subsec_a = subsec >> 8\n    subsec_b = subsec & 0xFF\n",
         "    subsec_a, subsec_b = divmod(subsec, 1 << 8)\n")),
    "uuid6_fields_one_expression": case(
        INIT, "uuid6", "temporaries inlined into one expression",
        "the 128-bit integer built as one expression of the four masked and shifted fields "
        "joined with '|' instead of through two named fields and three in-place ors: the "
        "same masks and shifts, and '|' of disjoint fields does not depend on its order",
        (_V6_FIELDS, '''    uuid_int = (
        ((timestamp >> 12) & 0xFFFFFFFFFFFF) << 80
        | (timestamp & 0x0FFF) << 64
        | (clock_seq & 0x3FFF) << 48
        | node & 0xFFFFFFFFFFFF
    )
''')),
}

CARELESS = {
    "version_range_widened": case(
        INIT, "UUID.__init__", "range widened",
        "the version accepted from 1 to 8, every version RFC 9562 defines, instead of 6 to "
        "8, the ones this class builds from an int: the suite's invalid version is 420, "
        "still refused, but version 4 now gives a UUID where it raised ValueError",
        ("            if not 6 <= version <= 8:\n", "            if not 1 <= version <= 8:\n"),
        probe=Probe(SETUP, "str(uuid6.UUID(int=0, version=4))", "raises ValueError",
                    "'00000000-0000-4000-8000-000000000000'")),
    "version_field_not_cleared": case(
        INIT, "UUID.__init__", "clearing step dropped",
        "the version field no longer cleared before the version is or-ed in, since every "
        "integer this module makes leaves those four bits zero: an int with them set (the "
        "largest 128-bit value) now keeps them, and its version reads 15",
        ("            int &= ~(0xF000 << 64)\n", ""),
        probe=Probe(SETUP, "str(uuid6.UUID(int=(1 << 128) - 1, version=7))",
                    "'ffffffff-ffff-7fff-bfff-ffffffffffff'",
                    "'ffffffff-ffff-ffff-bfff-ffffffffffff'")),
    "uuid1_to_uuid6_is_safe_dropped": case(
        INIT, "uuid1_to_uuid6", "argument dropped",
        "the version 6 UUID built from the reordered hex alone, without the version 1 "
        "UUID's is_safe: the suite compares version, node, clock sequence and time, but a "
        "UUID made safely is now converted to one whose safety is unknown",
        ("    return UUID(hex=h, is_safe=uuid1.is_safe)\n", "    return UUID(hex=h)\n"),
        probe=Probe(SETUP + "\nimport uuid",
                    "uuid6.uuid1_to_uuid6(uuid.UUID('c232ab00-9414-11ec-b3c8-9f6bdeced846', "
                    "is_safe=uuid.SafeUUID.safe)).is_safe",
                    "<SafeUUID.safe: 0>", "<SafeUUID.unknown: None>")),
    "clock_seq_not_masked": case(
        INIT, "uuid6", "mask dropped",
        "the caller's clock sequence shifted into place without its 14-bit mask, as the "
        "documented value is a 14-bit number: the suite's sequences fit, but 1 << 16 now "
        "spills into the time field where it was cut to 0",
        ("    uuid_int |= (clock_seq & 0x3FFF) << 48\n", "    uuid_int |= clock_seq << 48\n"),
        probe=Probe(FIXED_TIME, "str(uuid6.uuid6(node=0, clock_seq=1 << 16))",
                    "'1ec9414c-232a-6b00-8000-000000000000'",
                    "'1ec9414c-232a-6b01-8000-000000000000'")),
    "uuid7_milliseconds_not_masked": case(
        INIT, "uuid7", "mask dropped",
        "the millisecond timestamp shifted into place without its 48-bit mask, since it "
        "stays below 2**48 until the year 10889 (the suite's far-future test goes to 8,000 "
        "years): a clock at 2**48 ms now makes an integer past 128 bits and raises "
        "ValueError where the field wrapped to 0",
        (_V7_FIELDS, "    uuid_int = timestamp_ms << 80\n    uuid_int |= secrets.randbits(76)\n"),
        probe=Probe(SETUP + "\nimport time\ntime.time_ns = lambda: (1 << 48) * 10**6",
                    "uuid6.uuid7().time", "0", "raises ValueError")),
}
