"""Client addresses: one canonical spelling per client, and anything else refused."""
import pytest

from app.client_address import InvalidAddress, canonical_address


@pytest.mark.parametrize(("given", "stored"), [
    ("192.0.2.7", "192.0.2.7"),
    (" 192.0.2.7 ", "192.0.2.7"),
    ("2001:DB8:0:0::1", "2001:db8::1"),
    ("::ffff:192.0.2.7", "192.0.2.7"),
    ("fe80::1%eth0", "fe80::1"),
    ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"),
])
def test_valid_addresses_are_canonical(given: str, stored: str) -> None:
    assert canonical_address(given) == stored
    assert len(stored) <= 40  # visitor.ip is varchar(40)


@pytest.mark.parametrize("given", [None, "", "unknown", "192.0.2.300", "192.0.2.7, 10.0.0.1",
                                   "<script>", "2001:db8::1::2", "10.0.0.0/8"])
def test_anything_else_is_refused(given: str | None) -> None:
    with pytest.raises(InvalidAddress, match="is not an IP address"):
        canonical_address(given)
