"""smbus2 0.6.1 (MIT), held out (wave 34): the Linux SMBus and I2C interface in pure Python
(smbus2/: smbus2, with I2cFunc, the adapter's functionality flags, the ctypes structures
i2c_smbus_data, union_i2c_smbus_data, i2c_smbus_ioctl_data, i2c_msg and i2c_rdwr_ioctl_data,
and SMBus; __init__ re-exports them). i2c_msg.write(address, buf) takes a list of ints, bytes,
or a str whose characters are taken by ord() as bytes (below 256), into a buffer of its
length; i2c_msg.read(address, length) a zeroed buffer with the read flag; a message iterates
its bytes as ints, its bytes() are its buffer, its repr shows address, flags and bytes, and
its str() decodes the bytes as UTF-8, dropping what does not decode. SMBus(bus, force) opens
/dev/i2c-N for an int, a path for a str (TypeError otherwise) and reads the adapter's
functions; close() closes a true descriptor and resets the PEC, the address and the last
force. _set_address takes the call's force unless it is None, then the bus's, and issues
I2C_SLAVE_FORCE or I2C_SLAVE only when the address or the force changed. pec is 0 or 1:
enable_pec refuses an adapter without SMBUS_PEC (IOError) and stores int(enable). The block
writes refuse more than 32 bytes (ValueError) before setting the address; read_i2c_block_data
refuses a length over 32, asks for length bytes and answers block[1:length + 1].

Its suite (tests/: 14 tests, unittest, with os.open, os.close and ioctl mocked; ioctl answers
the functions of a Raspberry Pi 3 without PEC and fills reads from a table) opens and closes
buses by number and path, with and without a context manager, reads two bytes, a word and a
block of 2, fails a quick write, refuses to enable PEC and resets it on close, and builds
messages from a list and from the str 'ABCD\\x01\\n\\xFF' (its str() is 'ABCD\\x01\\n'),
iterating them, and the ctypes union and ioctl structure. A line tracer over it found every
line run but the writes (write_byte, write_byte_data, write_word_data, the block writes and
process calls), read_byte, read_block_data, i2c_rdwr and its structure's create,
enable_pec past its refusal, open's TypeError, read_i2c_block_data's refusal, a forced address
and the fallbacks for Python 2. Its tests never read a block
of exactly 32 bytes, write a block too long, address a bus with force=False on a bus opened
with force=True, enable PEC on an adapter that has it, nor turn bytes that are not ASCII into
a str."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "smbus2"
SMBUS2 = "smbus2/smbus2.py"
BUS = ("from unittest import mock\nfrom smbus2 import SMBus, I2cFunc\ncalls = []\n"
       "mock.patch('smbus2.smbus2.os.open', lambda path, flags: 3).start()\n"
       "mock.patch('smbus2.smbus2.ioctl', lambda fd, cmd, arg: calls.append(cmd)).start()\n")

CONTROLS = {
    "message_length_from_source": case(
        SMBUS2, "i2c_msg.write", "argument swapped for an equal one",
        "the message's length taken as len(buf) instead of len(arr): arr is "
        "create_string_buffer(buf, len(buf)), a char array of exactly len(buf) items (the size "
        "given, no terminator added), so the two lengths are the same number",
        ('''        return i2c_msg(
            addr=address, flags=0, len=len(arr),
            buf=arr)
''', '''        return i2c_msg(
            addr=address, flags=0, len=len(buf),
            buf=arr)
''')),
    "close_resets_reordered": case(
        SMBUS2, "SMBus.close", "independent assignments reordered",
        "the last force, the address and the PEC reset in the reverse order after the "
        "descriptor is closed: three plain attributes set to constants, none read by another's "
        "assignment, so the bus ends in the same state",
        ('''            self._pec = 0
            self.address = None
            self._force_last = None
''', '''            self._force_last = None
            self.address = None
            self._pec = 0
''')),
    "block_union_in_local": case(
        SMBUS2, "SMBus.read_i2c_block_data", "repeated expression to local variable",
        "the message's data union read once into a local, data = msg.data.contents, instead of "
        "dereferencing the pointer twice: contents is a view on the same union, so the length "
        "written through it is the one ioctl sees, and the block read back after ioctl is the "
        "one ioctl filled",
        ('''        msg.data.contents.byte = length
        ioctl(self.fd, I2C_SMBUS, msg)
        return msg.data.contents.block[1:length + 1]
''', '''        data = msg.data.contents
        data.byte = length
        ioctl(self.fd, I2C_SMBUS, msg)
        return data.block[1:length + 1]
''')),
    "repr_by_fstring": case(
        SMBUS2, "i2c_msg.__repr__", "percent formatting to f-string",
        "the repr written f'i2c_msg({self.addr:d},{self.flags:d},{self.__bytes__()!r})' "
        "instead of with the % operator: the address and the flags are ints (c_uint16 fields), "
        "formatted alike by %d and :d, the bytes by %r and !r, read in the same order",
        ('''        return 'i2c_msg(%d,%d,%r)' % (self.addr, self.flags, self.__bytes__())
''', '''        return f'i2c_msg({self.addr:d},{self.flags:d},{self.__bytes__()!r})'
''')),
}

CARELESS = {
    "text_decoded_as_ascii": case(
        SMBUS2, "i2c_msg.__str__", "default codec made explicit",
        "the bytes decoded with decode('ascii', errors='ignore') instead of the default codec, "
        "taken for ASCII: the same for the ASCII text the tests write (the undecodable \\xff "
        "dropped either way), but the default is UTF-8, so a message holding UTF-8 text "
        "beyond ASCII loses those characters",
        ('''        s = s.decode(errors="ignore")
''', '''        s = s.decode("ascii", errors="ignore")
'''),
        probe=Probe("from smbus2 import i2c_msg", "str(i2c_msg.write(80, [0xC3, 0xA9]))",
                    "'\u00e9'", "''")),
    "block_length_limit_exclusive": case(
        SMBUS2, "SMBus.read_i2c_block_data", "boundary comparison flipped",
        "the desired length refused when length >= I2C_SMBUS_BLOCK_MAX instead of when it is "
        "over it: the same for the blocks of 2 the tests read, but a block of exactly 32 bytes, "
        "SMBus's largest, is now refused with ValueError",
        ('''        if length > I2C_SMBUS_BLOCK_MAX:
            raise ValueError("Desired block length over %d bytes" % I2C_SMBUS_BLOCK_MAX)
''', '''        if length >= I2C_SMBUS_BLOCK_MAX:
            raise ValueError("Desired block length over %d bytes" % I2C_SMBUS_BLOCK_MAX)
'''),
        probe=Probe(BUS + "bus = SMBus(1)", "len(bus.read_i2c_block_data(80, 0, 32))", "32",
                    "raises ValueError")),
    "address_set_before_length_check": case(
        SMBUS2, "SMBus.write_block_data", "statements reordered",
        "the slave address set first, as every other transfer does, and the data's length "
        "checked after it instead of before: the same for a block that fits, but a block too "
        "long now switches the bus to its address (an ioctl, and bus.address) before it is "
        "refused with ValueError",
        ('''        length = len(data)
        if length > I2C_SMBUS_BLOCK_MAX:
            raise ValueError("Data length cannot exceed %d bytes" % I2C_SMBUS_BLOCK_MAX)
        self._set_address(i2c_addr, force=force)
        msg = i2c_smbus_ioctl_data.create(
            read_write=I2C_SMBUS_WRITE, command=register, size=I2C_SMBUS_BLOCK_DATA
''', '''        self._set_address(i2c_addr, force=force)
        length = len(data)
        if length > I2C_SMBUS_BLOCK_MAX:
            raise ValueError("Data length cannot exceed %d bytes" % I2C_SMBUS_BLOCK_MAX)
        msg = i2c_smbus_ioctl_data.create(
            read_write=I2C_SMBUS_WRITE, command=register, size=I2C_SMBUS_BLOCK_DATA
'''),
        probe=Probe(BUS + "bus = SMBus(1)\n"
                    "def attempt(f, *args):\n    try:\n        f(*args)\n"
                    "    except ValueError:\n        pass\n    return bus.address",
                    "attempt(bus.write_block_data, 81, 0, [0] * 33)", "None", "81")),
    "force_defaulted_by_or": case(
        SMBUS2, "SMBus._set_address", "conditional expression to or",
        "the call's force taken as force or self.force instead of force unless it is None: the "
        "same when the call gives none or gives True, and when the bus was opened without "
        "force, but force=False on a bus opened with force=True now falls back to the bus's "
        "True and issues I2C_SLAVE_FORCE (0x706) instead of I2C_SLAVE (0x703)",
        ('''        force = force if force is not None else self.force
''', '''        force = force or self.force
'''),
        probe=Probe(BUS + "bus = SMBus(1, force=True)",
                    "(bus.read_byte_data(80, 0, force=False), calls[1])", "(0, 1795)",
                    "(0, 1798)")),
    "pec_stored_uncoerced": case(
        SMBUS2, "SMBus.enable_pec", "int() dropped",
        "the flag stored as enable itself instead of int(enable), taken as already 0 or 1: the "
        "ioctl is given an equal number either way (True == 1), but pec, documented as 0 or 1, "
        "now answers what was assigned, True instead of 1",
        ('''        self._pec = int(enable)
''', '''        self._pec = enable
'''),
        probe=Probe(BUS + "bus = SMBus(1)\nbus.funcs = I2cFunc.SMBUS_PEC\nbus.pec = True",
                    "bus.pec", "1", "True")),
}
