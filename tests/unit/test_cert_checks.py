"""The checks of `ctsys cert import` that need no openssl: names, dates, chain order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from ctsys.cert import tls
from ctsys.errors import CtsysError

pytestmark = pytest.mark.unit
NOW = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
FILE = Path("/tmp/chain.pem")


def cert(position: int, subject: str, issuer: str, days: float = 365, names: list[str] | None = None,
         since: float = -1) -> tls.ChainCert:
    return tls.ChainCert(position, f"PEM{position}", subject, issuer, NOW + timedelta(days=since),
                         NOW + timedelta(days=days), names or [], f"KEY{position}")


@pytest.mark.parametrize(("pattern", "name", "matches"), [
    ("rec-7.site.example", "REC-7.site.example", True),
    ("*.site.example", "rec-7.site.example", True),
    ("*.site.example", "a.b.site.example", False),
    ("*.site.example", "site.example", False),
    ("rec-7", "rec-7.site.example", False),
])
def test_name_matches_like_a_browser(pattern: str, name: str, matches: bool) -> None:
    assert tls.name_matches(pattern, name) is matches


def test_host_name_warning_names_the_host_and_the_certificate_s_names() -> None:
    leaf = cert(1, "CN=other.example", "CN=CA", names=["DNS:other.example"])
    [warning] = tls.check_names(leaf, "rec-7", "site.example")
    assert "(DNS:other.example) do not include the host name rec-7 or rec-7.site.example" in warning
    assert tls.check_names(cert(1, "CN=x", "CN=CA", names=["DNS:rec-7"]), "rec-7", "") == []
    # No subjectAltName: the common name counts.
    assert tls.check_names(cert(1, "CN=rec-7.site.example", "CN=CA"), "rec-7", "site.example") == []


def test_expired_is_refused_and_soon_is_a_warning() -> None:
    with pytest.raises(CtsysError) as info:
        tls.check_validity(FILE, [cert(1, "CN=a", "CN=CA"), cert(2, "CN=CA", "CN=CA", days=-2)], NOW)
    assert str(info.value).startswith(f"{FILE}: certificate 2 (CN=CA) expired on 2026-12-01 12:00 UTC")
    [warning] = tls.check_validity(FILE, [cert(1, "CN=a", "CN=CA", days=29.5)], NOW)
    assert "certificate 1 (CN=a) expires on 2027-01-02 00:00 UTC" in warning and "in 29 day(s)" in warning
    assert tls.check_validity(FILE, [cert(1, "CN=a", "CN=CA", days=31)], NOW) == []
    [future] = tls.check_validity(FILE, [cert(1, "CN=a", "CN=CA", since=2)], NOW)
    assert "valid only from" in future and "clock" in future


def test_chain_is_ordered_from_the_leaf_and_strays_are_refused() -> None:
    root, inter, leaf = cert(1, "CN=Root", "CN=Root"), cert(2, "CN=Inter", "CN=Root"), cert(3, "CN=a", "CN=Inter")
    assert tls.order_chain(FILE, [root, inter, leaf], leaf) == [leaf, inter, root]
    stray = cert(4, "CN=Other", "CN=Other")
    with pytest.raises(CtsysError) as info:
        tls.order_chain(FILE, [leaf, stray, inter], leaf)
    assert "certificate 4 (CN=Other) is not in the chain of the key's certificate (CN=a)" in str(info.value)


def test_openssl_dates_are_parsed_as_utc() -> None:
    assert tls._parse_date("Dec  3 16:47:15 2026 GMT") == datetime(2026, 12, 3, 16, 47, 15, tzinfo=UTC)
