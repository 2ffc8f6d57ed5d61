"""Word lists for the Thai tokenizer and a process-wide cache of their Tries."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterable, Sequence
from pathlib import Path

from pythainlp.util import Trie

from nlu.geo import load_gazetteer
from nlu.normalize import normalize

DEFAULT_DOMAIN_WORDS = Path(__file__).resolve().parent / "resources" / "domain_words.txt"
_TRIE_CACHE_SIZE = 4

_tries: dict[str, Trie] = {}
_lock = threading.Lock()


def read_word_file(path: str | Path) -> list[str]:
    """Read one word per line; blank lines and ``#`` comments are skipped."""
    words = []
    for line in Path(path).read_text(encoding="utf-8").splitlines():
        word = line.split("#", 1)[0].strip()
        if word:
            words.append(word)
    return words


def clean_words(words: Iterable[str]) -> list[str]:
    """Normalise like message text does, drop blanks and duplicates, sort."""
    cleaned = {normalize(word) for word in words}
    cleaned.discard("")
    return sorted(w for w in cleaned if " " not in w)


def collect_words(
    *,
    use_default_dictionary: bool = True,
    domain_words_path: str | Path | None = None,
    geo_path: str | Path | None = None,
    extra_words: Iterable[str] = (),
) -> list[str]:
    """PyThaiNLP's word list (optional) + domain words + gazetteer names + extras."""
    words: list[str] = []
    if use_default_dictionary:
        from pythainlp.corpus import thai_words

        words.extend(thai_words())
    words.extend(read_word_file(domain_words_path or DEFAULT_DOMAIN_WORDS))
    words.extend(load_gazetteer(geo_path).words())
    words.extend(extra_words)
    return clean_words(words)


def words_digest(words: Sequence[str]) -> str:
    """Stable digest of a word list; keys the Trie cache."""
    return hashlib.sha256("\n".join(words).encode("utf-8")).hexdigest()


def get_trie(words: Sequence[str], digest: str | None = None) -> Trie:
    """Build the Trie for `words` once per process and reuse it."""
    key = digest or words_digest(words)
    with _lock:
        trie = _tries.get(key)
        if trie is None:
            trie = Trie(words)
            if len(_tries) >= _TRIE_CACHE_SIZE:
                _tries.pop(next(iter(_tries)))
            _tries[key] = trie
        return trie
