"""Spelling help for search: words, the vocabulary, close words, corrections and prefixes."""

import pytest

from apps.catalog import spelling

VOCABULARY = spelling.vocabulary_of(
    [
        "Classic Leather Chelsea Boots",
        "Retro Knit Court Sneakers",
        "Pro Bluetooth Headphones",
        "Rain Jacket",
        "Deluxe Robot Building Set",
        "Sea Salt Cologne",
        "Classic Cotton T-Shirt",
        "Sunscreen SPF 50",
        "Boots",
    ]
)


def test_words_are_lower_cased_runs_of_letters_and_digits():
    assert spelling.words("Over-Ear  HEADPHONES, 4K & 2-in-1!") == [
        "over", "ear", "headphones", "4k", "2", "in", "1",
    ]  # fmt: skip
    assert spelling.words("Café crème_brûlée") == ["café", "crème", "brûlée"]
    assert spelling.words("  !! ") == []


def test_the_vocabulary_is_sorted_distinct_words_without_numbers_or_single_letters():
    assert sorted(set(VOCABULARY)) == VOCABULARY
    assert {"boots", "sneakers", "shirt", "spf"} <= set(VOCABULARY)
    assert not {"50", "t"} & set(VOCABULARY)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("bots", ["boots"]),
        ("sneekers", ["sneakers"]),
        ("hedphones", ["headphones"]),
        ("jaket", ["jacket"]),
        ("SUNSCREN", ["sunscreen"]),
        # Known words, short words and numbers are left alone.
        ("boots", []),
        ("bo", []),
        ("500", []),
        # Nothing close enough; and not a much shorter word that merely shares letters.
        ("xylophone", []),
        ("sneak", []),
    ],
)
def test_close_words(typed, expected):
    assert spelling.close_words(typed, VOCABULARY) == expected


def test_substitutes_leave_a_word_that_is_part_of_a_known_one():
    assert spelling.substitutes("sneak", VOCABULARY) == []  # "sneakers" has it as typed
    assert spelling.substitutes("bots", VOCABULARY) == ["boots"]
    assert spelling.substitutes("Bots", VOCABULARY) == ["boots"]


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("lether bots", "leather boots"),
        ("bots", "boots"),
        ("Chelsea bots", "Chelsea boots"),
        ('"hedphones" -jaket', '"headphones" -jacket'),
        ("boots", None),
        ("qwxz", None),
    ],
)
def test_corrected_replaces_misspelt_words_and_keeps_the_rest_as_typed(query, expected):
    assert spelling.corrected(query, VOCABULARY) == expected


@pytest.mark.parametrize(
    ("prefix", "expected"),
    [
        ("boo", ["boo"]),
        ("Sne", ["sne"]),
        ("b", ["b"]),
        ("sneek", ["sneak"]),
        ("bots", ["boots"]),
        ("hedph", ["headph"]),
        ("qwxz", ["qwxz"]),
    ],
)
def test_prefix_spellings(prefix, expected):
    assert spelling.prefix_spellings(prefix, VOCABULARY) == expected


@pytest.mark.parametrize(
    ("query", "name", "expected"),
    [
        ("boots", "Boots", True),
        ("boot", "Boots", True),
        ("sneekers", "Sneakers", True),
        ("book", "Children's Books", True),
        ("headphones", "Headphones", True),
        ("leather boots", "Boots", False),
        ("bo", "Boots", False),
        ("!!", "Boots", False),
    ],
)
def test_names_all(query, name, expected):
    assert spelling.names_all(query, name) is expected
