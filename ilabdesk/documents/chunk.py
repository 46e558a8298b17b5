"""Cut Markdown into chunks that fit the teacher's prompt, on natural boundaries.

Sizes are counted with the teacher's own tokenizer (pass its `count_tokens`),
because the limit that matters is the teacher's context. Chunks end at
paragraph boundaries when they can, at sentence boundaries when a paragraph is
too long, and at word boundaries only as a last resort. Consecutive chunks
overlap by a few sentences so a fact split across a boundary is whole in one
of them.
"""

from __future__ import annotations

import re
from collections.abc import Callable

TokenCounter = Callable[[str], int]

_COMMENT = re.compile(r"<!--.*?-->", re.S)
# A sentence ends with . ! or ? (optionally followed by a quote or bracket), then space and
# an upper-case letter, digit or opening quote. Keeps "e.g. the" and "3.5 km" intact.
_SENTENCE_END = re.compile(r"(?<=[.!?])[\"')\]]?\s+(?=[A-Z0-9\"'(\[*])")


def rough_token_count(text: str) -> int:
    """About 4 characters per token: the fallback when no tokenizer is at hand."""
    return max(1, len(text) // 4)


def split_sentences(text: str) -> list[str]:
    """Split a paragraph into sentences (a list item or heading stays one sentence)."""
    text = " ".join(text.split())
    if not text:
        return []
    parts = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.start()].strip() + text[match.start() : match.end()].strip()
        abbreviation = re.search(r"\b(?:[A-Z]|Mr|Mrs|Ms|Dr|St|Prof|No|vs|etc|Inc|Ltd|Co|Jr|Sr)\.$", piece)
        if abbreviation:
            continue
        parts.append(piece.strip())
        start = match.end()
    tail = text[start:].strip()
    if tail:
        parts.append(tail)
    return [p for p in parts if p]


def paragraphs(text: str) -> list[str]:
    """Blocks separated by blank lines, with comments (PDF page markers) removed.

    A heading line is kept with the paragraph that follows it, so a chunk never
    ends with a dangling title.
    """
    text = _COMMENT.sub("", text)
    blocks = [b.strip() for b in re.split(r"\n\s*\n", text) if b.strip()]
    merged: list[str] = []
    pending_heading = ""
    for block in blocks:
        if block.startswith("#") and "\n" not in block:
            pending_heading = f"{pending_heading}\n{block}".strip()
            continue
        merged.append(f"{pending_heading}\n{block}".strip() if pending_heading else block)
        pending_heading = ""
    if pending_heading:
        merged.append(pending_heading)
    return merged


def chunk_text(
    text: str,
    tokens: int = 500,
    overlap: int = 50,
    count_tokens: TokenCounter | None = None,
) -> list[str]:
    """Chunks of at most about `tokens` tokens with about `overlap` tokens repeated between them."""
    count = count_tokens or rough_token_count
    if tokens < 16:
        raise ValueError("chunks must be at least 16 tokens")
    overlap = max(0, min(overlap, tokens // 2))

    # Units: paragraphs, or the sentences (or word runs) of paragraphs that are too long.
    units: list[tuple[str, int, bool]] = []  # (text, tokens, starts a paragraph)
    for paragraph in paragraphs(text):
        size = count(paragraph)
        if size <= tokens:
            units.append((paragraph, size, True))
            continue
        first = True
        for sentence in split_sentences(paragraph) or [paragraph]:
            for piece in _split_words(sentence, tokens, count):
                units.append((piece, count(piece), first))
                first = False

    chunks: list[str] = []
    current: list[tuple[str, int, bool]] = []
    size = 0
    for unit in units:
        if current and size + unit[1] > tokens:
            chunks.append(_join(current))
            current = _tail(current, overlap, count)
            size = sum(u[1] for u in current)
            if size + unit[1] > tokens:
                current, size = [], 0
        current.append(unit)
        size += unit[1]
    if current and (not chunks or _join(current) not in chunks[-1]):
        chunks.append(_join(current))
    return chunks


def _split_words(sentence: str, tokens: int, count: TokenCounter) -> list[str]:
    if count(sentence) <= tokens:
        return [sentence]
    pieces, current = [], []
    for word in sentence.split():
        if current and count(" ".join(current + [word])) > tokens:
            pieces.append(" ".join(current))
            current = []
        current.append(word)
    if current:
        pieces.append(" ".join(current))
    return pieces


def _join(units: list[tuple[str, int, bool]]) -> str:
    out = ""
    for text, _, starts_paragraph in units:
        if not out:
            out = text
        else:
            out += ("\n\n" if starts_paragraph else " ") + text
    return out


def _tail(units: list[tuple[str, int, bool]], overlap: int, count: TokenCounter) -> list[tuple[str, int, bool]]:
    """The last sentences of the chunk just closed, up to `overlap` tokens, to start the next one."""
    if overlap <= 0:
        return []
    sentences = split_sentences(units[-1][0])
    tail: list[str] = []
    used = 0
    for sentence in reversed(sentences):
        size = count(sentence)
        if used + size > overlap:
            break
        tail.insert(0, sentence)
        used += size
    if not tail:
        return []
    text = " ".join(tail)
    return [(text, count(text), True)]
