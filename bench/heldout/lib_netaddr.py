"""netaddr 1.3.0 (BSD-3-Clause), held out (wave 2): IPv4 and IPv6 addresses, networks,
ranges and their arithmetic, CIDR helpers, partial-address expansion. Its suite
(netaddr/tests; the whole sdist suite also runs its doctests) leaves the IPv6 branch of
`IPAddress.ipv4` unrun: one control extracts a helper over it. Every careless refactor
changes lines the suite runs. The tree carries the package's IEEE and IANA registries
(layouts.DATA_SUFFIXES), which it reads at import."""

from tests.governance.refactors_real.corpus import Probe, case

LIBRARY = "netaddr"
IP, V4 = "netaddr/ip/__init__.py", "netaddr/strategy/ipv4.py"
SETUP = "import netaddr, netaddr.strategy.ipv4"

_TO_V4 = '''        elif self._module.version == 6:
            if 0 <= self._value <= _ipv4.max_int:
                ip = klass(self._value, 4)
            elif _ipv4.max_int <= self._value <= 0xFFFFFFFFFFFF:
                ip = klass(self._value - 0xFFFF00000000, 4)
            else:
                raise AddrConversionError(
                    'IPv6 address %s unsuitable for ' 'conversion to IPv4!' % self
                )
        return ip
'''

_TO_V4_HELPER = '''def _ipv4_value(addr):
    """The IPv4 integer of an IPv4-compatible or IPv4-mapped IPv6 address;
    AddrConversionError for any other IPv6 address."""
    if 0 <= addr._value <= _ipv4.max_int:
        return addr._value
    if _ipv4.max_int <= addr._value <= 0xFFFFFFFFFFFF:
        return addr._value - 0xFFFF00000000
    raise AddrConversionError('IPv6 address %s unsuitable for ' 'conversion to IPv4!' % addr)


class IPAddress(BaseIP):'''

_NETMASK_LOOP = '''        i_val = self._value
        numbits = 0

        while i_val > 0:
            if i_val & 1 == 1:
                break
            numbits += 1
            i_val >>= 1

        mask_length'''

_USABLE = '''        if self.size >= 4:
            # Common logic, first IP is always reserved.
            first_usable_address = self.first + 1
            if self._module.version == 4:
                # IPv4 logic, last address is reserved for broadcast.
                last_usable_address = self.last - 1
            else:
                # IPv6 logic, no broadcast address reserved.
                last_usable_address = self.last
            return (first_usable_address, last_usable_address)
        else:
            # If subnet has a size of less than 4, then it is a /31, /32, /127 or /128.
            # Handle them as per RFC 3021 (IPv4) or RFC 6164 (IPv6), and don't reserve
            # first or last IP address.
            return (self.first, self.last)
'''

_USABLE_GUARD = '''        if self.size < 4:
            # A /31, /32, /127 or /128: as per RFC 3021 (IPv4) or RFC 6164 (IPv6), no
            # first or last address is reserved.
            return (self.first, self.last)
        # Common logic, first IP is always reserved.
        first_usable_address = self.first + 1
        if self._module.version == 4:
            # IPv4 logic, last address is reserved for broadcast.
            last_usable_address = self.last - 1
        else:
            # IPv6 logic, no broadcast address reserved.
            last_usable_address = self.last
        return (first_usable_address, last_usable_address)
'''

_SPAN = '''    iprange = [start.first, end.last]

    #   Get spanning CIDR covering both addresses.
    cidr_span = spanning_cidr([start, end])
    width = start._module.width

    if cidr_span.first < iprange[0]:
        exclude = IPNetwork((iprange[0] - 1, width), version=start.version)
        cidr_list = cidr_partition(cidr_span, exclude)[2]
        cidr_span = cidr_list.pop()
    if cidr_span.last > iprange[1]:
        exclude = IPNetwork((iprange[1] + 1, width), version=start.version)'''

CONTROLS = {
    "ipv4_mapped_helper": case(
        IP, "IPAddress.ipv4", "helper extracted (lines no test runs)",
        "the IPv6-to-IPv4 conversion moved to a private module function; the suite never "
        "converts an IPv6 address to IPv4",
        (_TO_V4, "        elif self._module.version == 6:\n"
                 "            ip = klass(_ipv4_value(self), 4)\n        return ip\n"),
        ("class IPAddress(BaseIP):", _TO_V4_HELPER)),
    "netmask_bits_lowest_bit": case(
        IP, "IPAddress.netmask_bits", "stdlib call",
        "the trailing zero bits counted with the lowest set bit's bit_length() instead of "
        "a shifting loop",
        (_NETMASK_LOOP, "        numbits = (self._value & -self._value).bit_length() - 1\n\n"
                        "        mask_length")),
    "usable_range_guard": case(
        IP, "IPNetwork._usable_range", "guard clause",
        "the small-subnet case returns first and the else goes",
        (_USABLE, _USABLE_GUARD)),
    "iprange_to_cidrs_rename": case(
        IP, "iprange_to_cidrs", "renamed local",
        "iprange renamed bounds",
        (_SPAN, _SPAN.replace("iprange", "bounds"))),
}

CARELESS = {
    "iprange_step_uncoerced": case(
        IP, "iter_iprange", "coercion removed",
        "step = int(step) dropped as redundant: a step given as a string is refused",
        ("    step = int(step)\n    if step == 0:", "    if step == 0:"),
        probe=Probe(SETUP, "[str(ip) for ip in netaddr.iter_iprange('192.0.2.1', "
                           "'192.0.2.5', '2')]",
                    "['192.0.2.1', '192.0.2.3', '192.0.2.5']", "raises TypeError")),
    "smallest_match_unsorted": case(
        IP, "smallest_matching_cidr", "sorted() removed",
        "the candidates walked in the order given, not sorted: the list is read as if "
        "sorted already",
        ("    ip = IPAddress(ip)\n    for cidr in sorted([IPNetwork(cidr) for cidr in cidrs]):"
         "\n        if ip in cidr:\n            match = cidr\n        else:",
         "    ip = IPAddress(ip)\n    for cidr in [IPNetwork(cidr) for cidr in cidrs]:"
         "\n        if ip in cidr:\n            match = cidr\n        else:"),
        probe=Probe(SETUP, "str(netaddr.smallest_matching_cidr('192.0.2.1', "
                           "['192.0.2.0/28', '192.0.2.0/24']))", "'192.0.2.0/28'",
                    "'192.0.2.0/24'")),
    "getitem_last_index": case(
        IP, "IPListMixin.__getitem__", "boundary moved",
        "0 <= index <= size - 1 written 0 <= index <= size: the index one past the end "
        "answers an address outside the range",
        ("                elif 0 <= index <= (self.size - 1):",
         "                elif 0 <= index <= self.size:"),
        probe=Probe(SETUP, "netaddr.IPNetwork('192.0.2.0/30')[4]", "raises IndexError",
                    "IPAddress('192.0.2.4')")),
    "next_past_end_swallowed": case(
        IP, "IPNetwork.__iadd__", "documented exception swallowed",
        "the two boundary checks merged into one condition around the assignment: an "
        "increment past the address space leaves the network where it is instead of "
        "raising the IndexError the docstring names",
        ("""        if (new_value + (self.size - 1)) > self._module.max_int:
            raise IndexError('increment exceeds address boundary!')
        if new_value < 0:
            raise IndexError('increment is less than zero!')

        self._value = new_value
        return self""",
         "        if 0 <= new_value and new_value + (self.size - 1) <= self._module.max_int:\n"
         "            self._value = new_value\n        return self"),
        probe=Probe(SETUP, "str(netaddr.IPNetwork('255.255.255.0/24').next())",
                    "raises IndexError", "'255.255.255.0/24'")),
    "expand_partial_unnormalised": case(
        V4, "expand_partial_address", "normalisation removed",
        "the octets kept as written instead of through '%d' % int(o): leading zeros stay, "
        "and octets that are not numbers pass",
        ("                tokens = ['%d' % int(o) for o in addr.split('.')]",
         "                tokens = addr.split('.')"),
        probe=Probe(SETUP, "netaddr.strategy.ipv4.expand_partial_address('010.1')",
                    "'10.1.0.0'", "'010.1.0.0'")),
}
