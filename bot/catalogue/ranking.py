"""Ranking short Thai questions against short documents: BM25 fused with char n-grams.

Two signals, each in 0..1 on an absolute scale so that one threshold can reject a
question the catalogue does not cover:

- **words**: BM25 over PyThaiNLP tokens (the NLU's own word list), names weighted above
  keywords above the summary (BM25F-style weighted term frequencies). The score is
  divided by the best score the question's own words could reach, so it reads as "how
  much of what was asked this document explains".
- **names**: the share of a title's or alias's character 2-3-grams (IDF-weighted) found
  in the question, best name wins. It survives typos, missing tone marks and text run
  together without spaces, where word segmentation goes astray.

Both are precomputed as inverted lists, so a query costs a few dictionary look-ups per
token and per n-gram, not a pass over the documents.
"""

from __future__ import annotations

import heapq
import math
import re
import statistics
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from operator import itemgetter

from pythainlp.tokenize import word_tokenize
from pythainlp.util import Trie

from nlu.normalize import normalize

# Polite particles and question words that carry no topic (PyThaiNLP's list misses these).
EXTRA_STOPWORDS = frozenset(
    "ครับ ครับผม คับ ค่ะ คะ ค่า จ้ะ จ้า จ๊ะ ฮะ นะ นะคะ นะครับ เด้อ เจ้า เน้อ ไหม มั้ย ใช่ไหม "
    "ได้ไหม หรือเปล่า รึเปล่า ยังไง อย่างไร ทำไง ไง เท่าไหร่ เท่าไร ที่ไหน ตรงไหน อะไร บ้าง "
    "หน่อย ด้วย อยาก ต้องการ สอบถาม ถาม รบกวน สวัสดี ขอบคุณ คือ แล้ว จะ ได้ ไป มา ใช้ ต้อง "
    "เรา ผม ฉัน หนู ดิฉัน ข้าพเจ้า เขา ก็ กับ และ หรือ ของ ที่ ใน "
    "เบอร์ โทร โทรศัพท์ หมายเลข ติดต่อ ขอเบอร์ โทรหา วิธี วิธีการ ขั้นตอน".split()
)
# Everyday words citizens type for the formal ones the catalogue uses. A question gets the
# formal word added (never replaced), for both signals.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "มอไซค์": ("มอเตอร์ไซค์", "รถจักรยานยนต์"),
    "มอไซ": ("มอเตอร์ไซค์", "รถจักรยานยนต์"),
    "มอเตอร์ไซ": ("มอเตอร์ไซค์", "รถจักรยานยนต์"),
    "จยย": ("รถจักรยานยนต์",),
    "รพ": ("โรงพยาบาล",),
    "ตังค์": ("เงิน",),
    "ตัง": ("เงิน",),
    "โรงพัก": ("สถานีตำรวจ", "ตำรวจ"),
    "สน": ("สถานีตำรวจ",),
    "ผัว": ("สามี",),
    "เมีย": ("ภรรยา",),
    "ลูก": ("บุตร",),
    "คนแก่": ("ผู้สูงอายุ",),
    "คนชรา": ("ผู้สูงอายุ",),
    "ท้อง": ("ตั้งครรภ์", "ครรภ์"),
    "ปชช": ("ประชาชน",),
    "ตาย": ("เสียชีวิต",),
    "เสียชีวิต": ("ตาย",),
    "แต่งงาน": ("สมรส",),
    "มหาลัย": ("มหาวิทยาลัย",),
    "พาส": ("พาสปอร์ต", "หนังสือเดินทาง"),
    "โกง": ("ฉ้อโกง",),
}
# "Which documents do I need": the frame of a how-to question, not its topic. Left in, it
# matches every service whose name is about documents ("รับรองเอกสาร", "เอกสารบวชพระ").
QUESTION_FRAME = re.compile(
    r"(?:ต้อง)?(?:ใช้|เตรียม)\s*(?:เอกสาร|หลักฐาน)\s*(?:อะไร|อะไรบ้าง|อะไรยังไง)?"
    r"|(?:เอกสาร|หลักฐาน)\s*(?:อะไร|ที่ต้องใช้)(?:\s*บ้าง)?"
)
# Tone marks and thanthakhat: often mistyped or left out; the n-gram signal ignores them.
_TONES = str.maketrans("", "", "\u0e48\u0e49\u0e4a\u0e4b\u0e4c")
_NOT_WORD = re.compile(r"[^0-9a-z\u0e01-\u0e4e]+")
NAME_WEIGHT = 3.0
GRAM_SIZES = (2, 3)
# An n-gram held by more names than this is "common" (see Index._build_names).
RARE_NAMES_MIN = 64
RARE_NAMES_SHARE = 0.01
NAME_MASS_SHARE = 0.75
# A compound the data never uses is replaced by its parts when they cover this much of it.
SPLIT_COVERAGE = 0.6
# How many of the best documents by words also have all their names compared.
WORD_CANDIDATES = 30


class Analyzer:
    """Turns text into BM25 tokens and name n-grams, the same way for data and queries."""

    def __init__(self, trie: Trie, stopwords: Iterable[str] = ()) -> None:
        """`trie`: the segmentation dictionary; `stopwords` are dropped from tokens."""
        self._trie = trie
        self._stopwords = frozenset(stopwords) | EXTRA_STOPWORDS

    @staticmethod
    def clean(text: str) -> str:
        """Normalised (Thai digits, repeats, zero-width, quirks), lower-cased text."""
        return normalize(text).lower()

    def expand(self, text: str) -> str:
        """The question with the formal word added after each everyday one (SYNONYMS)."""
        words = word_tokenize(
            self.clean(text), custom_dict=self._trie, engine="newmm", keep_whitespace=False
        )
        extra = [formal for word in words for formal in SYNONYMS.get(word, ())]
        return f"{text} {' '.join(extra)}" if extra else text

    def tokens(self, text: str) -> list[str]:
        """Content words: segmented, without stopwords, punctuation or bare numbers."""
        words = word_tokenize(
            self.clean(text), custom_dict=self._trie, engine="newmm", keep_whitespace=False
        )
        out = []
        for word in words:
            word = _NOT_WORD.sub("", word)
            if word and not word.isdigit() and word not in self._stopwords:
                out.append(word)
        return out

    @staticmethod
    def split(word: str, vocabulary: Trie) -> list[str]:
        """`word` segmented with another dictionary (maximal matching)."""
        return word_tokenize(word, custom_dict=vocabulary, engine="newmm", keep_whitespace=False)

    @staticmethod
    def squashed(text: str) -> str:
        """Letters and digits only, tone marks dropped: the n-gram alphabet."""
        return _NOT_WORD.sub("", Analyzer.clean(text).translate(_TONES))

    @staticmethod
    def grams(text: str) -> set[str]:
        """Character 2- and 3-grams of the squashed text (the text itself when shorter)."""
        squashed = Analyzer.squashed(text)
        if len(squashed) < min(GRAM_SIZES):
            return {squashed} if squashed else set()
        return {squashed[i : i + n] for n in GRAM_SIZES for i in range(len(squashed) - n + 1)}


@dataclass(frozen=True)
class Document:
    """What is indexed of one item: names (title, aliases) and weighted free text."""

    key: str
    names: Sequence[str]
    texts: Sequence[tuple[str, float]] = ()


@dataclass(frozen=True)
class Scored:
    """One ranked document: the fused score and its two parts, each 0..1."""

    key: str
    score: float
    words: float
    names: float


def _idf(df: int, n: int) -> float:
    return math.log(1.0 + (n - df + 0.5) / (df + 0.5))


@dataclass
class Index:
    """An immutable BM25 + name n-gram index over documents."""

    analyzer: Analyzer
    keys: list[str]
    k1: float = 1.2
    words_weight: float = 0.5
    # BM25: term -> [(doc, precomputed term weight)], IDF per term.
    postings: dict[str, list[tuple[int, float]]] = field(default_factory=dict)
    idf: dict[str, float] = field(default_factory=dict)
    oov_idf: float = 0.0
    vocabulary: Trie = field(default_factory=lambda: Trie([]))
    # Names: each name's n-grams and their IDF mass; which names hold a rare n-gram.
    gram_idf: dict[str, float] = field(default_factory=dict)
    name_grams: list[frozenset[str]] = field(default_factory=list)
    name_total: list[float] = field(default_factory=list)
    name_doc: list[int] = field(default_factory=list)
    doc_names: list[list[int]] = field(default_factory=list)
    rare: dict[str, list[int]] = field(default_factory=dict)
    name_mass: float = 1.0

    @classmethod
    def build(
        cls, documents: Sequence[Document], analyzer: Analyzer, *, b: float = 0.5, k1: float = 1.2
    ) -> Index:
        """Indexes `documents`; `b` is BM25's length normalisation, `k1` its saturation."""
        index = cls(analyzer=analyzer, keys=[d.key for d in documents], k1=k1)
        n = max(1, len(documents))
        tfs: list[dict[str, float]] = []
        topics: list[set[str]] = []
        for doc in documents:
            tf: dict[str, float] = defaultdict(float)
            topic: set[str] = set()
            for name in doc.names:
                for token in analyzer.tokens(name):
                    tf[token] += NAME_WEIGHT
                    topic.add(token)
            for text, weight in doc.texts:
                for token in analyzer.tokens(text):
                    tf[token] += weight
                    if weight >= 1.0:
                        topic.add(token)
            tfs.append(tf)
            topics.append(topic)
        lengths = [sum(tf.values()) for tf in tfs]
        avg = (sum(lengths) / len(lengths)) if lengths else 1.0
        df: Counter[str] = Counter(t for tf in tfs for t in tf)
        # Rarity counts where a word is the topic (names, keywords, summary), not where
        # it is boilerplate: nearly every service lists "บัตรประชาชน" among its documents.
        topical: Counter[str] = Counter(t for tf in topics for t in tf)
        index.idf = {t: _idf(topical.get(t) or c, n) for t, c in df.items()}
        # An unknown word counts against a match, but like a word of middling rarity: a
        # question has context words ("my mother", "age 60") that no service mentions.
        index.oov_idf = _idf(max(1, n // 20), n)
        postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
        for i, tf in enumerate(tfs):
            norm = k1 * (1.0 - b + b * lengths[i] / (avg or 1.0))
            for term, f in tf.items():
                postings[term].append((i, index.idf[term] * f * (k1 + 1.0) / (f + norm)))
        index.postings = dict(postings)
        index.vocabulary = Trie(index.idf.keys())
        index._build_names(documents)
        return index

    def _build_names(self, documents: Sequence[Document]) -> None:
        df: Counter[str] = Counter()
        for i, doc in enumerate(documents):
            mine: list[int] = []
            for name in doc.names:
                grams = self.analyzer.grams(name)
                if grams:
                    mine.append(len(self.name_grams))
                    self.name_grams.append(frozenset(grams))
                    self.name_doc.append(i)
            self.doc_names.append(mine)
            df.update(set().union(*(self.name_grams[j] for j in mine)))
        n = max(1, len(documents))
        self.gram_idf = {g: _idf(c, n) for g, c in df.items()}
        self.name_total = [sum(self.gram_idf[g] for g in grams) for grams in self.name_grams]
        # A short name ("บ้าน") found whole in a question says less than a long one: a name
        # lighter than this share of the typical name cannot reach a full score.
        if self.name_total:
            self.name_mass = statistics.median(self.name_total) * NAME_MASS_SHARE
        holders: dict[str, list[int]] = defaultdict(list)
        for j, held in enumerate(self.name_grams):
            for g in held:
                holders[g].append(j)
        # Common n-grams ("าร" of การ) reach most names and cost most of a query: they
        # still count in every score, but only rare ones nominate candidate names.
        cap = max(RARE_NAMES_MIN, int(RARE_NAMES_SHARE * len(self.name_grams)))
        self.rare = {g: names for g, names in holders.items() if len(names) <= cap}

    def _terms(self, query: str) -> set[str]:
        """The question's words; one the data never uses is split into words it does.

        The NLU's word list has compounds ("บัตรประชาชนหาย") that the catalogue writes
        apart; splitting them over the catalogue's own vocabulary finds the parts.
        """
        terms: set[str] = set()
        for token in self.analyzer.tokens(query):
            if token in self.idf or len(token) < 4:
                terms.add(token)
                continue
            parts = [p for p in self.analyzer.split(token, self.vocabulary) if p in self.idf]
            if parts and sum(map(len, parts)) >= SPLIT_COVERAGE * len(token):
                terms.update(parts)
            else:
                terms.add(token)
        return terms

    def _words(self, query: str) -> dict[int, float]:
        terms = self._terms(query)
        if not terms:
            return {}
        best = sum(self.idf.get(t, self.oov_idf) for t in terms) * (self.k1 + 1.0)
        scores: dict[int, float] = defaultdict(float)
        for term in terms:
            for doc, weight in self.postings.get(term, ()):
                scores[doc] += weight
        return {doc: s / best for doc, s in scores.items()}

    def _names(self, query: str, words: dict[int, float]) -> dict[int, float]:
        grams = self.analyzer.grams(query) & self.gram_idf.keys()
        if not grams:
            return {}
        candidates: set[int] = set()
        candidates.update(*(self.rare[g] for g in grams if g in self.rare))
        # The documents the words point to get every name checked, rare n-grams or not.
        for doc, _ in heapq.nlargest(WORD_CANDIDATES, words.items(), key=itemgetter(1)):
            candidates.update(self.doc_names[doc])
        idf = self.gram_idf
        scores: dict[int, float] = {}
        for j in candidates:
            shared = sum(idf[g] for g in grams & self.name_grams[j])
            share = shared / self.name_total[j] * min(1.0, self.name_total[j] / self.name_mass)
            doc = self.name_doc[j]
            if share > scores.get(doc, 0.0):
                scores[doc] = share
        return scores

    def rank(self, query: str, *, limit: int) -> list[Scored]:
        """The best `limit` documents for `query`, highest fused score first."""
        query = self.analyzer.expand(QUESTION_FRAME.sub(" ", query))
        words = self._words(query)
        names = self._names(query, words)
        w = self.words_weight
        fused = {
            doc: w * words.get(doc, 0.0) + (1.0 - w) * names.get(doc, 0.0)
            for doc in words.keys() | names.keys()
        }
        best = heapq.nsmallest(
            limit, fused.items(), key=lambda item: (-item[1], self.keys[item[0]])
        )
        return [
            Scored(
                key=self.keys[doc],
                score=min(1.0, score),
                words=words.get(doc, 0.0),
                names=names.get(doc, 0.0),
            )
            for doc, score in best
        ]
