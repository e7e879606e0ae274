import re
import uuid

from freshet.core.ids import random_hex, random_uuid


def test_random_uuid_is_a_canonical_version_4_uuid():
    for _ in range(200):
        text = random_uuid()
        parsed = uuid.UUID(text)
        assert str(parsed) == text
        assert parsed.version == 4
        assert parsed.variant == uuid.RFC_4122


def test_random_hex_is_the_32_digit_form_of_a_version_4_uuid():
    for _ in range(200):
        text = random_hex()
        assert re.fullmatch(r"[0-9a-f]{32}", text)
        assert uuid.UUID(hex=text).version == 4


def test_ids_do_not_repeat():
    assert len({random_hex() for _ in range(10_000)}) == 10_000
