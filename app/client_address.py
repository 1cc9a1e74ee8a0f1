"""The client's address as stored in ``visitor.ip``: a valid IP in one canonical spelling.

Canonical so one client is one row: ``2001:DB8::1`` and ``2001:db8:0::1`` are the same address,
and an IPv4 client seen through an IPv6 socket (``::ffff:192.0.2.1``) is its IPv4 address.
Anything else (an empty peer, a forged ``X-Forwarded-For`` entry) is refused, never stored.
"""
import ipaddress


class InvalidAddress(ValueError):
    """The request's client address is not an IP address."""


def canonical_address(value: str | None) -> str:
    """``value`` as a canonical IPv4/IPv6 string, or InvalidAddress."""
    try:
        address = ipaddress.ip_address((value or "").strip())
    except ValueError:
        raise InvalidAddress(f"client address {value!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        address = ipaddress.IPv6Address(int(address))  # drops a zone id such as %eth0
    return str(address)
