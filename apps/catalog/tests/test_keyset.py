"""Keyset pagination: opaque cursors that survive a round trip and refuse tampering, and pages
that walk ties in the ordering key exactly once in both directions (the primary key breaks them).
"""

import base64
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from apps.catalog.models import Category, Product, Tag
from apps.catalog.tests.test_api_support import make_category, make_product
from apps.core.keyset import (
    Cursor,
    InvalidCursor,
    KeysetOrder,
    decode_cursor,
    encode_cursor,
    paginate_keyset,
)

BY_NAME = KeysetOrder("name", descending=False, key_type="str")
BY_NAME_DESC = KeysetOrder("name", descending=True, key_type="str")
BY_POSITION = KeysetOrder("position", descending=False, key_type="int")
BY_POSITION_DESC = KeysetOrder("position", descending=True, key_type="int")
NEWEST = KeysetOrder("created_at", descending=True, key_type="datetime")
OLDEST = KeysetOrder("created_at", descending=False, key_type="datetime")


def forge(payload: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps(payload).encode()).decode().rstrip("=")


# --- Cursors --------------------------------------------------------------------------------


@pytest.mark.parametrize("backwards", [False, True])
def test_a_cursor_round_trips_each_key_type(backwards):
    at = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)
    tag = Tag(pk=7, name="Ünïcode & spaces", slug="x")
    category = Category(pk=8, position=42, created_at=at)

    for item, order, key in [
        (tag, BY_NAME, "Ünïcode & spaces"),
        (category, BY_POSITION, 42),
        (category, NEWEST, at),
    ]:
        token = encode_cursor(item, order, backwards=backwards)

        assert "=" not in token  # URL-safe, unpadded
        assert decode_cursor(token, order) == Cursor(key=key, pk=str(item.pk), backwards=backwards)


def test_a_uuid_primary_key_round_trips():
    product = Product(name="Lamp")

    cursor = decode_cursor(encode_cursor(product, BY_NAME, backwards=False), BY_NAME)

    assert cursor.pk == str(product.pk)


def test_a_null_key_cannot_be_encoded():
    with pytest.raises(ValueError, match="NULL"):
        encode_cursor(Tag(pk=1, name=None), BY_NAME, backwards=False)  # type: ignore[misc]


def _tampered(token: str) -> str:
    flipped = "A" if token[5] != "A" else "B"
    return token[:5] + flipped + token[6:]


VALID = forge({"k": "Lamp", "p": "1", "b": False, "o": "name"})


@pytest.mark.parametrize(
    "token",
    [
        "",
        "garbage",
        "!!!!",
        _tampered(VALID),
        VALID[:-3],
        forge(["Lamp", "1"]),
        forge("Lamp"),
        forge({"k": "Lamp", "p": "1", "b": False}),  # no ordering
        forge({"p": "1", "b": False, "o": "name"}),  # no key
        forge({"k": "Lamp", "b": False, "o": "name"}),  # no id
        forge({"k": 3, "p": "1", "b": False, "o": "name"}),  # a number for a name
        forge({"k": "Lamp", "p": "1", "b": False, "o": "slug"}),  # another ordering's
        base64.urlsafe_b64encode(b"\xff\xfe\x00").decode(),  # not UTF-8
    ],
    ids=[
        "empty",
        "garbage",
        "not-base64",
        "tampered",
        "truncated",
        "a-list",
        "a-string",
        "no-ordering",
        "no-key",
        "no-id",
        "wrong-key-type",
        "other-ordering",
        "not-utf8",
    ],
)
def test_a_tampered_or_foreign_cursor_is_invalid(token):
    with pytest.raises(InvalidCursor) as raised:
        decode_cursor(token, BY_NAME)

    assert raised.value.errors == {"cursor": ["Invalid cursor."]}
    assert raised.value.code == "invalid_cursor"
    assert raised.value.status == 400


@pytest.mark.parametrize(
    ("order", "payload"),
    [
        (BY_POSITION, {"k": "4", "p": "1", "b": False, "o": "position"}),
        (BY_POSITION, {"k": True, "p": "1", "b": False, "o": "position"}),
        (BY_POSITION, {"k": 4.5, "p": "1", "b": False, "o": "position"}),
        (NEWEST, {"k": "yesterday", "p": "1", "b": False, "o": "created_at"}),
        (NEWEST, {"k": 1700000000, "p": "1", "b": False, "o": "created_at"}),
        (NEWEST, {"k": "2030-01-01T00:00:00", "p": "1", "b": False, "o": "created_at"}),
    ],
    ids=[
        "int-as-string",
        "bool-for-int",
        "float-for-int",
        "bad-time",
        "epoch-for-time",
        "time-without-zone",
    ],
)
def test_a_key_of_the_wrong_type_is_invalid(order, payload):
    with pytest.raises(InvalidCursor):
        decode_cursor(forge(payload), order)


def test_a_cursor_of_the_same_key_in_the_other_direction_is_invalid():
    token = encode_cursor(Tag(pk=1, name="Lamp"), BY_NAME, backwards=False)

    with pytest.raises(InvalidCursor):
        decode_cursor(token, BY_NAME_DESC)


# --- Pages over ties ------------------------------------------------------------------------


def walk_forward(queryset, order: KeysetOrder, page_size: int) -> list[list[Any]]:
    pages, cursor = [], None
    while True:
        page = paginate_keyset(queryset, order=order, cursor=cursor, page_size=page_size)
        pages.append([item.pk for item in page.items])
        if page.next_cursor is None:
            return pages
        cursor = page.next_cursor


def walk_backward_from_the_end(queryset, order: KeysetOrder, page_size: int) -> list[list[Any]]:
    cursor = None
    while True:  # to the last page
        page = paginate_keyset(queryset, order=order, cursor=cursor, page_size=page_size)
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    pages = [[item.pk for item in page.items]]
    while page.previous_cursor is not None:
        page = paginate_keyset(
            queryset, order=order, cursor=page.previous_cursor, page_size=page_size
        )
        pages.append([item.pk for item in page.items])
    return pages[::-1]


def expected(rows: list[tuple[Any, Any]], *, descending: bool) -> list[Any]:
    """Order (key, pk) pairs by key then pk, both reversed when descending."""
    return [pk for _, pk in sorted(rows, reverse=descending)]


@pytest.fixture
def tags(db) -> list[tuple[str, int]]:
    names = ["b", "a", "b", "c", "a", "b", "d", "b", "a", "c", "e"]
    return [(name, Tag.objects.create(name=name, slug=f"t{n}").pk) for n, name in enumerate(names)]


@pytest.mark.parametrize("order", [BY_NAME, BY_NAME_DESC], ids=["asc", "desc"])
@pytest.mark.parametrize("page_size", [1, 2, 3, 4, 11, 20])
def test_pages_over_a_string_key_with_ties_walk_every_row_once(tags, order, page_size):
    queryset = Tag.objects.all()
    want = expected(tags, descending=order.descending)

    forward = walk_forward(queryset, order, page_size)
    backward = walk_backward_from_the_end(queryset, order, page_size)

    assert [pk for page in forward for pk in page] == want
    assert backward == forward
    assert all(len(page) == page_size for page in forward[:-1])


@pytest.mark.django_db
@pytest.mark.parametrize("order", [BY_POSITION, BY_POSITION_DESC], ids=["asc", "desc"])
@pytest.mark.parametrize("page_size", [1, 2, 5])
def test_pages_over_an_int_key_with_ties_walk_every_row_once(order, page_size):
    positions = [3, 1, 3, 3, 0, 1, 3, 2]
    rows = [(p, make_category(position=p).pk) for p in positions]
    queryset = Category.objects.all()

    forward = walk_forward(queryset, order, page_size)

    assert [pk for page in forward for pk in page] == expected(rows, descending=order.descending)
    assert walk_backward_from_the_end(queryset, order, page_size) == forward


@pytest.mark.django_db
@pytest.mark.parametrize("order", [NEWEST, OLDEST], ids=["newest", "oldest"])
def test_pages_over_a_time_key_with_ties_and_uuid_ids_walk_every_row_once(order, time_machine):
    category = make_category()
    start = datetime(2030, 1, 1, tzinfo=UTC)
    rows = []
    for minutes in [0, 0, 1, 1, 1, 2, 0, 3, 3]:
        time_machine.move_to(start + timedelta(minutes=minutes), tick=False)
        product = make_product(category=category)
        rows.append((product.created_at, product.pk))
    queryset = Product.objects.all()

    forward = walk_forward(queryset, order, 2)

    assert [pk for page in forward for pk in page] == expected(rows, descending=order.descending)
    assert walk_backward_from_the_end(queryset, order, 2) == forward


def test_the_first_and_last_pages_have_no_link_beyond_them(tags):
    first = paginate_keyset(Tag.objects.all(), order=BY_NAME, cursor=None, page_size=4)
    assert first.previous_cursor is None
    assert first.next_cursor is not None

    everything = paginate_keyset(Tag.objects.all(), order=BY_NAME, cursor=None, page_size=11)
    assert len(everything.items) == 11
    assert (everything.next_cursor, everything.previous_cursor) == (None, None)


def test_previous_from_the_second_page_is_the_first_page(tags):
    queryset = Tag.objects.all()
    first = paginate_keyset(queryset, order=BY_NAME, cursor=None, page_size=3)
    second = paginate_keyset(queryset, order=BY_NAME, cursor=first.next_cursor, page_size=3)

    back = paginate_keyset(queryset, order=BY_NAME, cursor=second.previous_cursor, page_size=3)

    assert [t.pk for t in back.items] == [t.pk for t in first.items]
    assert back.previous_cursor is None
    assert back.next_cursor is not None
    again = paginate_keyset(queryset, order=BY_NAME, cursor=back.next_cursor, page_size=3)
    assert [t.pk for t in again.items] == [t.pk for t in second.items]


@pytest.mark.django_db
def test_an_empty_listing_has_one_empty_page():
    page = paginate_keyset(Tag.objects.all(), order=BY_NAME, cursor=None, page_size=5)

    assert (page.items, page.next_cursor, page.previous_cursor) == ([], None, None)


def test_rows_added_behind_the_cursor_do_not_shift_the_next_page(tags):
    queryset = Tag.objects.all()
    first = paginate_keyset(queryset, order=BY_NAME, cursor=None, page_size=3)
    Tag.objects.create(name="0", slug="late")  # sorts before the cursor

    second = paginate_keyset(queryset, order=BY_NAME, cursor=first.next_cursor, page_size=3)

    assert [t.pk for t in second.items] == expected(tags, descending=False)[3:6]
