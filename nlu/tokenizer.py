"""`ThaiTokenizer`: PyThaiNLP word segmentation with a domain dictionary kept in the model."""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any

from pythainlp.tokenize import word_tokenize
from pythainlp.util import Trie
from rasa.engine.graph import ExecutionContext
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.tokenizers.tokenizer import Token, Tokenizer
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from nlu.dictionary import DEFAULT_DOMAIN_WORDS, collect_words, get_trie, words_digest
from nlu.geo import files_digest, geo_files
from nlu.normalize import Normalized, normalize_with_spans

logger = logging.getLogger(__name__)

DICTIONARY_FILE = "dictionary.txt"
META_FILE = "dictionary.json"
_LATIN_OR_DIGITS = re.compile(r"[A-Za-z0-9]+")


@DefaultV1Recipe.register([DefaultV1Recipe.ComponentType.MESSAGE_TOKENIZER], is_trainable=True)
class ThaiTokenizer(Tokenizer):
    """Thai word tokenizer; token offsets point into the original, unnormalised text."""

    @staticmethod
    def get_default_config() -> dict[str, Any]:
        """Default config (see the report / module docs for the meaning of each key)."""
        return {
            # PyThaiNLP engine that accepts a custom dictionary: newmm, newmm-safe, mm,
            # longest
            "engine": "newmm",
            # start from PyThaiNLP's own word list (62k words)
            "use_default_dictionary": True,
            # one word per line; None = nlu/resources/domain_words.txt
            "domain_words_path": None,
            # gazetteer folder whose province/district names are added; None = data/geo
            "geo_path": None,
            # more words, inline in config.yml
            "extra_words": [],
            # the usual Rasa tokenizer options
            "intent_tokenization_flag": False,
            "intent_split_symbol": "_",
            "token_pattern": None,
            "prefix_separator_symbol": None,
        }

    @staticmethod
    def required_packages() -> list[str]:
        """PyThaiNLP does the segmentation (its version joins the fingerprint)."""
        return ["pythainlp"]

    def __init__(
        self,
        config: dict[str, Any],
        model_storage: ModelStorage | None = None,
        resource: Resource | None = None,
        words: list[str] | None = None,
    ) -> None:
        """Create the tokenizer; `words` is the full dictionary if already known."""
        config = {**self.get_default_config(), **config}
        super().__init__(config)
        self._model_storage = model_storage
        self._resource = resource
        self._engine: str = config["engine"]
        self._words: list[str] | None = None
        self._digest = ""
        self._trie: Trie | None = None
        if words is not None:
            self._set_words(words)

    def _set_words(self, words: list[str]) -> None:
        self._words = words
        self._digest = words_digest(words)
        self._trie = get_trie(words, self._digest)

    @property
    def words(self) -> list[str]:
        """The dictionary in use (read from the source files on first use if untrained)."""
        if self._words is None:
            self._set_words(self._collect_words())
        assert self._words is not None
        return self._words

    def _collect_words(self) -> list[str]:
        return collect_words(
            use_default_dictionary=self._config["use_default_dictionary"],
            domain_words_path=self._config["domain_words_path"],
            geo_path=self._config["geo_path"],
            extra_words=self._config["extra_words"],
        )

    @classmethod
    def create(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
    ) -> ThaiTokenizer:
        """New, untrained tokenizer (the dictionary is read in `train`)."""
        return cls(config, model_storage, resource)

    @classmethod
    def fingerprint_addon(cls, config: dict[str, Any]) -> str | None:
        """Retrain when the dictionary source files change, not only the config."""
        paths = [Path(config.get("domain_words_path") or DEFAULT_DOMAIN_WORDS)]
        paths += geo_files(config.get("geo_path"))
        # Rasa fingerprints this class's source only; the normaliser shapes the output too.
        here = Path(__file__).resolve().parent
        sources = ("normalize.py", "informal.py", "dictionary.py", "geo.py")
        paths += [here / name for name in sources]
        return files_digest(paths)

    def train(self, training_data: TrainingData) -> Resource:
        """Read the dictionary sources and store the merged word list in the model."""
        self._set_words(self._collect_words())
        self.persist()
        assert self._resource is not None
        return self._resource

    def persist(self) -> None:
        """Write the word list and a small metadata file to the model storage."""
        if self._model_storage is None or self._resource is None:
            raise RuntimeError("ThaiTokenizer.persist needs a model storage and resource")
        with self._model_storage.write_to(self._resource) as directory:
            Path(directory, DICTIONARY_FILE).write_text("\n".join(self.words), encoding="utf-8")
            meta = {"words": len(self.words), "sha256": self._digest, "engine": self._engine}
            Path(directory, META_FILE).write_text(json.dumps(meta), encoding="utf-8")

    @classmethod
    def load(
        cls,
        config: dict[str, Any],
        model_storage: ModelStorage,
        resource: Resource,
        execution_context: ExecutionContext,
        **kwargs: Any,
    ) -> ThaiTokenizer:
        """Restore the dictionary persisted at train time."""
        try:
            with model_storage.read_from(resource) as directory:
                text = Path(directory, DICTIONARY_FILE).read_text(encoding="utf-8")
        except (ValueError, FileNotFoundError):
            logger.warning(
                "%s: no persisted dictionary in %s; reading the source files",
                cls.__name__,
                resource.name,
            )
            return cls(config, model_storage, resource)
        return cls(config, model_storage, resource, words=text.split("\n") if text else [])

    def tokenize(self, message: Message, attribute: str) -> list[Token]:
        """Tokenise one attribute of a message (offsets into the original text)."""
        return self.tokenize_text(message.get(attribute))

    def tokenize_text(self, text: str) -> list[Token]:
        """Tokenise `text`: normalise, segment, map every token back to `text`."""
        norm = normalize_with_spans(text)
        if self._trie is None:
            _ = self.words  # builds the Trie
        spans = self._segment(norm.text)
        if self.token_pattern_regex:
            spans = self._split_by_pattern(norm.text, spans)
        tokens = [self._token(norm, start, end) for start, end in spans]
        if not tokens and text:
            # Like WhitespaceTokenizer: never leave a non-empty message without tokens.
            tokens = [Token(text.lower(), 0, len(text))]
        return tokens

    def _segment(self, text: str) -> list[tuple[int, int]]:
        words = word_tokenize(
            text, custom_dict=self._trie, engine=self._engine, keep_whitespace=False
        )
        spans: list[tuple[int, int]] = []
        cursor = 0
        for word in words:
            start = text.find(word, cursor)
            if start < 0 or not word.strip():
                continue
            end = start + len(word)
            cursor = end
            prev = spans[-1] if spans else None
            # newmm cuts "7K2M9QXA" into 7|K|2|M|9|QXA; keep Latin/digit runs together.
            if (
                prev
                and prev[1] == start
                and _LATIN_OR_DIGITS.fullmatch(text[prev[0] : prev[1]])
                and _LATIN_OR_DIGITS.fullmatch(word)
            ):
                spans[-1] = (prev[0], end)
            else:
                spans.append((start, end))
        return spans

    def _split_by_pattern(self, text: str, spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
        assert self.token_pattern_regex is not None
        out: list[tuple[int, int]] = []
        for start, end in spans:
            # Match on the token text (lower-cased, as Rasa does) when that keeps length.
            word = text[start:end]
            lowered = word.lower()
            word = lowered if len(lowered) == len(word) else word
            parts = [
                (start + m.start(), start + m.end())
                for m in self.token_pattern_regex.finditer(word)
                if m.end() > m.start()
            ]
            out.extend(parts or [(start, end)])
        return out

    @staticmethod
    def _token(norm: Normalized, start: int, end: int) -> Token:
        original_start, original_end = norm.span(start, end)
        return Token(norm.text[start:end].lower(), original_start, original_end)
