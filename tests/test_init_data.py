"""Mini App initData validation, as Telegram documents it: every field is covered by the signature."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qsl, urlencode

import pytest

from bot.web.init_data import InitDataRejected, validate
from tests.miniapp import init_data_for

TOKEN = "123456:AAE_init_data_test_token_xxxxxxxx"
NOW = datetime(2026, 12, 2, 10, 0, tzinfo=UTC)
HOUR = timedelta(hours=1)
SIGNED = int((NOW - timedelta(minutes=5)).timestamp())


def valid() -> str:
    return init_data_for(700, TOKEN, "Dora", SIGNED, username="dora_door", language_code="de")


def test_a_valid_string_names_its_user():
    user = validate(valid(), TOKEN, HOUR, NOW)
    assert (user.user_id, user.first_name, user.username, user.language_code) == (700, "Dora", "dora_door", "de")
    assert user.signed_at == datetime.fromtimestamp(SIGNED, UTC)


@pytest.mark.parametrize("field", ["query_id", "user", "auth_date", "hash"])
def test_one_changed_character_in_any_field_is_refused(field):
    fields = dict(parse_qsl(valid()))
    value = fields[field]
    # Change the last character to another one of the same kind, so only the signature can tell.
    last = value[-1]
    fields[field] = value[:-1] + ("1" if last == "0" else "0" if last.isdigit() else "}" if last == "}" else "x")
    if fields[field] == value:
        fields[field] = value[:-2] + ("0" if value[-2] != "0" else "1") + value[-1]
    with pytest.raises(InitDataRejected):
        validate(urlencode(fields), TOKEN, HOUR, NOW)


def test_another_bots_token_is_refused():
    with pytest.raises(InitDataRejected, match="signature"):
        validate(valid(), "654321:AAE_another_bot_token_yyyyyyyyyyy", HOUR, NOW)


def test_old_data_is_refused():
    old = init_data_for(700, TOKEN, "Dora", int((NOW - HOUR - timedelta(seconds=1)).timestamp()))
    with pytest.raises(InitDataRejected, match="ago"):
        validate(old, TOKEN, HOUR, NOW)
    assert validate(old, TOKEN, 2 * HOUR, NOW).user_id == 700  # the age limit is a setting


def test_a_missing_hash_is_refused():
    fields = dict(parse_qsl(valid()))
    del fields["hash"]
    with pytest.raises(InitDataRejected, match="no hash"):
        validate(urlencode(fields), TOKEN, HOUR, NOW)


@pytest.mark.parametrize(
    "garbage", ["", "hash", "a=1&a=2&hash=00", "x" * 5000, "user=%7B%7D&auth_date=1&hash=zz", "%%%&&&=="]
)
def test_garbage_is_refused_without_an_exception_of_another_kind(garbage):
    with pytest.raises(InitDataRejected):
        validate(garbage, TOKEN, HOUR, NOW)
