from hypothesis import given
from hypothesis import strategies as st

from bot.domain import badges

SECRET = "correct-horse-battery-staple"


def test_readme_worked_example():
    assert badges.make_token(SECRET, "REG-0042", 1) == "B1:REG-0042:1:Q7ETGUEQ5K55WHT3"


@given(st.from_regex(r"[A-Za-z0-9./-]{1,16}", fullmatch=True), st.integers(1, 999))
def test_tokens_fit_qr_alphanumeric_and_verify(attendee_id, version):
    token = badges.make_token(SECRET, attendee_id, version)
    assert len(token) <= badges.MAX_TOKEN_LENGTH
    assert set(token) <= set("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:")
    assert badges.read_token(SECRET, token) == badges.BadgeClaim(attendee_id.upper(), version)
    assert badges.read_token("another-secret-entirely", token) is None


@given(st.text(max_size=60))
def test_anything_else_is_not_a_badge(text):
    assert badges.read_token(SECRET, text) is None or text.strip().upper().startswith("B1:")
