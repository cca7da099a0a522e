"""Chinese text for search: normalization, word segmentation (jieba) and pinyin (pypinyin)."""

from __future__ import annotations

import logging
import re
import threading
import unicodedata
from collections.abc import Iterable

import jieba
from pypinyin import Style, lazy_pinyin

MAX_QUERY_LENGTH = 50

_RUN = re.compile(r"[\u4e00-\u9fff]+|[a-z]+|\d+")
_CJK = re.compile(r"^[\u4e00-\u9fff]+$")

jieba.setLogLevel(logging.WARNING)  # its own handler would print the dictionary loading
_tokenizer = jieba.Tokenizer()
_tokenizer_lock = threading.Lock()
_known_words: set[str] = set()


def normalize(text: str) -> str:
    """NFKC, lower case; everything but CJK ideographs, Latin letters and digits becomes a space."""
    folded = unicodedata.normalize("NFKC", text or "").lower()
    return " ".join(_RUN.findall(folded))


def runs(text: str) -> list[str]:
    return _RUN.findall(normalize(text))


def is_cjk(run: str) -> bool:
    return bool(_CJK.match(run))


def teach_words(words: Iterable[str]) -> None:
    """Make jieba keep catalog names, keywords and colloquial terms whole."""
    new = [w for w in words if w and w not in _known_words and is_cjk(w)]
    if not new:
        return
    with _tokenizer_lock:
        for word in new:
            _tokenizer.add_word(word, freq=50000)
            _known_words.add(word)


def words(text: str) -> list[str]:
    """Search-mode words of the CJK runs (two characters or more), in order, without repeats."""
    seen: dict[str, None] = {}
    for run in runs(text):
        if not is_cjk(run):
            continue
        for word in _tokenizer.cut_for_search(run, HMM=False):
            if len(word) >= 2:
                seen.setdefault(word, None)
    return list(seen)


def bigrams(text: str) -> list[str]:
    seen: dict[str, None] = {}
    for run in runs(text):
        if is_cjk(run):
            for i in range(len(run) - 1):
                seen.setdefault(run[i : i + 2], None)
    return list(seen)


def pinyin_full(text: str) -> str:
    return "".join(lazy_pinyin("".join(r for r in runs(text) if is_cjk(r))))


def pinyin_initials(text: str) -> str:
    cjk = "".join(r for r in runs(text) if is_cjk(r))
    return "".join(lazy_pinyin(cjk, style=Style.FIRST_LETTER))
