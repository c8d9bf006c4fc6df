"""route(): client, site, requester and asset for a ticket."""

from __future__ import annotations

import pytest
from core_builders import a_config, an_event

from streamproc.contracts import IntegrationConfig
from streamproc.core import AssetMatch, Route, UserMatch, route

COMPUTER = an_event(serial_number="C02XYZ", reference={"email": "ann@acme.test"}).computer
ASSET = AssetMatch("matched", asset_id=5, client_id=100, site_id=200, user_id=300)
ASSET_NO_USER = AssetMatch("matched", asset_id=5, client_id=100, site_id=200)
USER = UserMatch("matched", user_id=400, site_id=201, client_id=100)
USER_OTHER_CLIENT = UserMatch("matched", user_id=401, site_id=901, client_id=900)
NOT_REQUESTED = UserMatch("not_requested")
EMAIL = a_config(use_reference_email=True)
PLAIN = a_config()


@pytest.mark.parametrize(
    ("config", "asset", "user", "expected"),
    [
        (PLAIN, ASSET, NOT_REQUESTED, (100, 200, 300, (5,))),
        (PLAIN, ASSET_NO_USER, NOT_REQUESTED, (100, 200, None, (5,))),
        (PLAIN, AssetMatch("not_found"), NOT_REQUESTED, (10, 20, None, ())),
        (PLAIN, AssetMatch("no_serial"), NOT_REQUESTED, (10, 20, None, ())),
        (PLAIN, ASSET, USER, (100, 200, 300, (5,))),  # email option off: user ignored
        (EMAIL, ASSET, USER, (100, 200, 400, (5,))),  # email user is requester, asset linked
        (EMAIL, ASSET_NO_USER, USER, (100, 200, 400, (5,))),
        (EMAIL, ASSET, USER_OTHER_CLIENT, (100, 200, 300, (5,))),  # asset wins across clients
        (EMAIL, AssetMatch("not_found"), USER, (100, 201, 400, ())),
        (EMAIL, AssetMatch("not_found"), UserMatch("not_found"), (10, 20, None, ())),
        (EMAIL, AssetMatch("not_found"), UserMatch("matched", user_id=7), (10, 20, 7, ())),
    ],
)
def test_precedence(
    config: IntegrationConfig,
    asset: AssetMatch,
    user: UserMatch,
    expected: tuple[int | None, int | None, int | None, tuple[int, ...]],
) -> None:
    result = route(config, COMPUTER, asset, user)
    assert result.error is None
    assert (result.client_id, result.site_id, result.user_id, result.asset_ids) == expected
    assert result.notes


def test_asset_without_user_is_noted() -> None:
    result = route(PLAIN, COMPUTER, ASSET_NO_USER, NOT_REQUESTED)
    assert "asset has no user; no specific requester" in result.notes


def test_serial_field_missing_still_routes_and_warns() -> None:
    asset = AssetMatch("field_missing", detail="asset type 'Laptop' has no such field")
    result = route(PLAIN, COMPUTER, asset, NOT_REQUESTED)
    assert (result.client_id, result.site_id, result.asset_ids, result.error) == (10, 20, (), None)
    (warning,) = result.warnings
    assert warning.kind == "serial_matching_broken"
    assert "Serial matching is not working" in warning.message
    assert "'Serial Number'" in warning.message
    assert "serial field name in the HaloPSA integration settings" in warning.message
    assert "asset type 'Laptop' has no such field" in warning.message


def test_renamed_serial_field_name_is_quoted() -> None:
    config = a_config(serial_field_name="Serial No.")
    result = route(config, COMPUTER, AssetMatch("field_missing"), NOT_REQUESTED)
    assert "'Serial No.'" in result.warnings[0].message


def test_lookup_failure_warns_and_falls_back() -> None:
    result = route(PLAIN, COMPUTER, AssetMatch("lookup_failed", detail="HTTP 500"), NOT_REQUESTED)
    assert result.client_id == 10
    assert [w.kind for w in result.warnings] == ["asset_lookup_failed"]


def test_no_default_client_and_nothing_matched_is_an_error() -> None:
    config = a_config(default_client_id=None, default_site_id=None)
    result = route(config, COMPUTER, AssetMatch("not_found"), NOT_REQUESTED)
    assert result.error is not None
    assert result.error.reason == "no_client"
    assert "Set a default client" in result.error.message
    assert isinstance(result, Route)
    assert result.client_id is None


def test_no_default_client_but_asset_matched_is_fine() -> None:
    config = a_config(default_client_id=None)
    assert route(config, COMPUTER, ASSET, NOT_REQUESTED).error is None
