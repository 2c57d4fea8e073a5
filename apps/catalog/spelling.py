"""Spelling help for product search: the words of a text, and the close matches of misspelt
words in the catalog's vocabulary (the words of product, category and tag names).

Pure functions over a sorted word list; `apps.catalog.selectors.search_vocabulary` reads and
caches the vocabulary itself. Closeness is difflib's ratio (twice the matched characters over
the characters of both words): "bots" is 0.89 from "boots", "sneekers" 0.88 from "sneakers".
"""

import bisect
import difflib
import re
from collections.abc import Iterable, Sequence

_WORD = re.compile(r"[^\W_]+")  # a run of letters and digits
# Below this, words of the same length share too little to be the same word misspelt.
CUTOFF = 0.75
# Shorter words are never corrected: nearly every short word is one typo away from another.
MIN_LENGTH = 3


def words(text: str) -> list[str]:
    """Return the lower-cased words (runs of letters and digits) of `text`, in order."""
    return _WORD.findall(text.lower())


def vocabulary_of(texts: Iterable[str]) -> list[str]:
    """Return the sorted distinct words of `texts` worth correcting towards (no numbers)."""
    return sorted(
        {word for text in texts for word in words(text) if len(word) > 1 and not word.isdigit()}
    )


def is_known(word: str, vocabulary: Sequence[str]) -> bool:
    """Whether `word` is in the (sorted) vocabulary."""
    index = bisect.bisect_left(vocabulary, word)
    return index < len(vocabulary) and vocabulary[index] == word


def _correctable(word: str) -> bool:
    return len(word) >= MIN_LENGTH and not word.isdigit()


def close_words(word: str, vocabulary: Sequence[str], *, limit: int = 3) -> list[str]:
    """Return up to `limit` vocabulary words spelt like `word`, closest first.

    A word the vocabulary knows, a short word and a number have none. A typo rarely loses
    more than a letter or adds more than two, so only words of such lengths are considered
    ("sneak" is not "sea", "camra" not "chambray").
    """
    word = word.lower()
    if not _correctable(word) or is_known(word, vocabulary):
        return []
    lengths = range(len(word) - 1, len(word) + 3)
    candidates = [known for known in vocabulary if len(known) in lengths]
    return difflib.get_close_matches(word, candidates, n=limit, cutoff=CUTOFF)


def substitutes(word: str, vocabulary: Sequence[str], *, limit: int = 3) -> list[str]:
    """Return the words a substring match should also look for in place of `word`.

    None when `word` is part of some vocabulary word (as typed, it finds that word: "sneak"
    finds "sneakers"); else its close words ("bots" → "boots").
    """
    word = word.lower()
    if any(word in known for known in vocabulary):
        return []
    return close_words(word, vocabulary, limit=limit)


def corrected(query: str, vocabulary: Sequence[str]) -> str | None:
    """Return `query` with each misspelt word replaced by the closest vocabulary word.

    Everything else (other words, quotes, operators, spacing) is kept as typed. None when no
    word has a close match to replace it with.
    """
    changed = False

    def replace(match: re.Match[str]) -> str:
        nonlocal changed
        closest = close_words(match.group(), vocabulary, limit=1)
        if not closest:
            return match.group()
        changed = True
        return closest[0]

    text = _WORD.sub(replace, query)
    return text if changed else None


def same_word(typed: str, known: str) -> bool:
    """Whether `typed` is the word `known`, its singular or plural (by an "s"), or a typo of it
    (a close spelling, as `close_words` finds them)."""
    if typed in (known, known + "s") or known == typed + "s":
        return True
    return (
        _correctable(typed)
        and len(typed) - 1 <= len(known) <= len(typed) + 2
        and _ratio(known, typed) >= CUTOFF
    )


def names_all(query: str, name: str) -> bool:
    """Whether each word of `query` is a word of `name` (see `same_word`): "sneekers" names
    "Sneakers", "book" names "Children's Books"; a query without words names nothing."""
    typed, known = words(query), words(name)
    return bool(typed) and all(any(same_word(t, k) for k in known) for t in typed)


def _starts_a_word(prefix: str, vocabulary: Sequence[str]) -> bool:
    index = bisect.bisect_left(vocabulary, prefix)
    return index < len(vocabulary) and vocabulary[index].startswith(prefix)


def prefix_spellings(prefix: str, vocabulary: Sequence[str], *, limit: int = 2) -> list[str]:
    """Return the beginnings of words to look for when a shopper has typed `prefix`.

    `[prefix]` itself when some vocabulary word starts with it (or it is too short to
    correct); otherwise the closest beginnings of vocabulary words, up to `limit` equally
    close ones ("sneek" → "sneak", "bots" → "boots"), or `[prefix]` when there is none.
    """
    prefix = prefix.lower()
    if not _correctable(prefix) or _starts_a_word(prefix, vocabulary):
        return [prefix]
    lengths = (len(prefix) - 1, len(prefix), len(prefix) + 1)
    beginnings = sorted({word[:n] for word in vocabulary for n in lengths if len(word) >= n})
    close = difflib.get_close_matches(prefix, beginnings, n=limit, cutoff=CUTOFF)
    if not close:
        return [prefix]
    # Only the closest (ties kept): "bots" is "boots" (0.89), not also "bota" (0.75).
    best = _ratio(close[0], prefix)
    return [beginning for beginning in close if _ratio(beginning, prefix) == best]


def _ratio(candidate: str, word: str) -> float:
    """Return difflib's ratio the way `get_close_matches` computes it (the order matters)."""
    return difflib.SequenceMatcher(None, candidate, word).ratio()
