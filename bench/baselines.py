"""What other FAQ bots use, run on the same phrasings and queries as the project's matcher.

Each function takes the knowledge base's phrasings (text, entry id) and the queries, and
returns the entry id each query is matched to (nearest phrasing), or None.
"""

from __future__ import annotations

import difflib

import numpy as np
from rapidfuzz import fuzz, process, utils


def rapidfuzz_nearest(phrasings, queries, scorer) -> list[str]:
    texts = [t for t, _ in phrasings]
    owners = [o for _, o in phrasings]
    scores = process.cdist(
        queries, texts, scorer=scorer, processor=utils.default_process, dtype=np.float32, workers=-1
    )
    return [owners[i] for i in scores.argmax(axis=1)]


def wratio(phrasings, queries):
    return rapidfuzz_nearest(phrasings, queries, fuzz.WRatio)


def token_sort(phrasings, queries):
    return rapidfuzz_nearest(phrasings, queries, fuzz.token_sort_ratio)


def thefuzz_extract_one(phrasings, queries):
    from thefuzz import process as tf_process

    texts = [t for t, _ in phrasings]
    owner = dict(zip(range(len(texts)), (o for _, o in phrasings), strict=True))
    choices = dict(enumerate(texts))
    out = []
    for q in queries:
        hit = tf_process.extractOne(q, choices)
        out.append(owner[hit[2]] if hit else None)
    return out


def difflib_close(phrasings, queries):
    texts = [t for t, _ in phrasings]
    owner = {}
    for t, o in phrasings:
        owner.setdefault(t, o)
    out = []
    for q in queries:
        hit = difflib.get_close_matches(q, texts, n=1, cutoff=0.0)
        out.append(owner[hit[0]] if hit else None)
    return out


def bm25(phrasings, queries):
    import bm25s

    texts = [t for t, _ in phrasings]
    owners = [o for _, o in phrasings]
    retriever = bm25s.BM25()
    retriever.index(bm25s.tokenize(texts, stopwords="en", show_progress=False), show_progress=False)
    docs, _ = retriever.retrieve(
        bm25s.tokenize(queries, stopwords="en", show_progress=False), k=1, show_progress=False
    )
    return [owners[int(i)] for i in docs[:, 0]]


def encoder_cosine(phrasings, queries, encoder):
    texts = [t for t, _ in phrasings]
    owners = [o for _, o in phrasings]
    sims = encoder.encode(queries) @ encoder.encode(texts).T
    return [owners[i] for i in sims.argmax(axis=1)]
