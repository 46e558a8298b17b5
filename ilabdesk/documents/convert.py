"""Turn a user's document (.md, .txt, .pdf, .docx, .html) into clean Markdown.

Everything downstream (chunking, the teacher's prompts, InstructLab's
`document.patterns`) works on Markdown text, so conversion happens once, at
ingestion. PDF page numbers are kept as `<!-- page N -->` comments so a fact
can be traced back to its page. Libraries are imported inside the converter
that needs them: opening the app must not pay for pypdf or python-docx.
"""

from __future__ import annotations

import re
from collections import Counter
from html.parser import HTMLParser
from pathlib import Path

from ilabdesk.documents.chunk import split_sentences
from ilabdesk.errors import UserError

SUPPORTED_SUFFIXES = (".md", ".markdown", ".txt", ".pdf", ".docx", ".html", ".htm")

# A page with fewer visible characters than this is treated as having no text layer.
_MIN_PAGE_CHARS = 20


def to_markdown(path: Path | str) -> str:
    """Return the Markdown text of `path`; UserError for unsupported or unreadable files."""
    path = Path(path)
    if not path.is_file():
        raise UserError(f"{path}: no such file", hint="check the path of the document")
    suffix = path.suffix.lower()
    converters = {
        ".md": _text,
        ".markdown": _text,
        ".txt": _text,
        ".pdf": _pdf,
        ".docx": _docx,
        ".html": _html,
        ".htm": _html,
    }
    converter = converters.get(suffix)
    if converter is None:
        raise UserError(
            f"{path}: unsupported document type '{suffix or '(none)'}'",
            hint=f"supported: {', '.join(SUPPORTED_SUFFIXES)}; for other formats export to PDF or Markdown",
        )
    text = converter(path)
    text = _tidy(text)
    if not text.strip():
        raise UserError(f"{path}: the document contains no text", hint="add text to it or pick another file")
    return text


def _tidy(text: str) -> str:
    """Normalise line ends, strip trailing spaces and collapse runs of blank lines."""
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\u00a0", " ")
    lines = [line.rstrip() for line in text.split("\n")]
    text = "\n".join(lines)
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text.strip() + "\n"


def _text(path: Path) -> str:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise UserError(f"{path}: cannot decode the text", hint="save the file as UTF-8")


# --- PDF ------------------------------------------------------------------------


def _pdf(path: Path) -> str:
    pages, layouts = _pdf_texts(path)
    if sum(len(p.strip()) for p in pages) < _MIN_PAGE_CHARS:
        raise UserError(
            f"{path}: the PDF has no text layer (it looks scanned); OCR is not supported",
            hint="export the PDF with text from the program that made it, or provide the text as .md",
        )
    words = set(re.findall(r"[a-z]+", " ".join(pages).lower()))
    texts = [_reflow(page, _layout_tables(layout), words) for page, layout in zip(_without_furniture(pages), layouts)]
    for number in range(1, len(texts)):
        texts[number - 1], texts[number] = _mend_page_break(texts[number - 1], texts[number], words)
    return "\n\n".join(f"<!-- page {number} -->\n\n{text}" for number, text in enumerate(texts, start=1))


def _pdf_texts(path: Path) -> tuple[list[str], list[str]]:
    """Each page's plain text, and its layout text, where a table's columns keep their places (plain
    text gives a row as one line of words, "Saloon coach Marjorie 1908 seats 24", whose cells no longer
    say which is the name and which the year)."""
    try:
        from pypdf import PdfReader

        pages = PdfReader(str(path)).pages
        plain = [page.extract_text() or "" for page in pages]
    except Exception as exc:  # every PDF library raises its own types for broken files
        raise UserError(f"{path}: cannot read the PDF ({exc})", hint="open it in a PDF viewer and re-export it") from exc
    try:
        layout = [page.extract_text(extraction_mode="layout") for page in pages]
    except Exception:  # without its layout a table reads as text, which loses no words
        layout = [""] * len(plain)
    return plain, layout


_PAGE_NUMBER = re.compile(r"(?i)^(page\s+)?[-\u2013\u2014]?\s*\d{1,4}\s*[-\u2013\u2014]?(\s*(of|/)\s*\d{1,4})?$")


def _without_furniture(pages: list[str]) -> list[str]:
    """The pages without their running headers and footers: a page number ("12", "Page 3 of 8") among
    the first or last two lines of its page, and a line found there on most pages alike once its digits
    are set aside ("Harrowgate handbook, 2024 | 3"). Left in, a footer ends the page's last paragraph,
    so a sentence cut by the page break cannot be mended, and it reads as a fact of its own."""
    def edges(lines: list[str]) -> list[int]:
        filled = [index for index, line in enumerate(lines) if line.strip()]
        return filled[:2] + filled[2:][-2:]

    def masked(line: str) -> str:
        return re.sub(r"\d+", "#", " ".join(line.split()))

    split = [page.splitlines() for page in pages]
    counts = Counter(key for lines in split for key in {masked(lines[index]) for index in edges(lines)})
    running = {key for key, count in counts.items() if count >= 3 and count > len(pages) // 2}
    cleaned = []
    for lines in split:
        furniture = {index for index in edges(lines)
                     if masked(lines[index]) in running or _PAGE_NUMBER.match(lines[index].strip())}
        cleaned.append("\n".join(line for index, line in enumerate(lines) if index not in furniture))
    return cleaned


def _rejoin(line: str, following: str, words: set[str]) -> str:
    """`line`, which ends in a hyphen, joined to the `following` line: "impor-" + "tant" gives
    "important" where the document writes that word elsewhere (`words`, its words in lower case), and
    "longest-" + "serving" stays "longest-serving". A word processor breaks a line only at a hyphen
    the text has, so the hyphen stays unless the document shows the word without it."""
    head = re.search(r"[A-Za-z]+-$", line)
    tail = re.match(r"[a-z]+", following)
    if head and tail and (head.group()[:-1] + tail.group()).lower() in words:
        return line[:-1] + following
    return line + following


def _mend_page_break(before: str, after: str, words: set[str] = frozenset()) -> tuple[str, str]:
    """Move the end of a sentence that a page break cut ("... the Oakley tunnel, which" | "is 430 metres
    long, while trains are running.") back to the page where it starts, so it is one sentence again.
    A paragraph that stops without punctuation goes on where the next page starts with a small letter
    or a number, or where it stops after a comma or a hyphen or in its eleventh word or later (a page's
    last line alone, "The Cheeses", is rather the next page's heading than half a sentence)."""
    head, _, last = before.rpartition("\n\n")
    first, _, rest = after.partition("\n\n")
    if not last or not first or last.startswith(("#", "|", "<")) or _BULLET.match(last):
        return before, after
    if first.startswith(("#", "|", "<")) or _BULLET.match(first):
        return before, after
    if last.endswith((".", "!", "?", ":", '"', "\u201d", ")")):
        return before, after
    if not (first[:1].islower() or first[:1].isdigit() or last.endswith((",", ";", "-", "\u2013"))
            or len(last.split()) > 10):
        return before, after
    tail, *remainder = split_sentences(first)
    joined = _rejoin(last, tail, words) if last.endswith("-") and tail[:1].islower() else f"{last} {tail}"
    before = f"{head}\n\n{joined}" if head else joined
    return before, "\n\n".join(part for part in (" ".join(remainder), rest) if part)


Table = tuple[list[list[str]], set[str]]  # its rows of cells, and its lines as plain text gives them


_CELL = re.compile(r"\S+(?: {1,2}\S+)*")  # words apart by one or two spaces; three or more part cells


def _layout_tables(text: str) -> list[Table]:
    """Tables in a page of layout text: a line of two or more cells and at least two lines below it
    of cells that each start nearest a different cell of it, in its order (a line whose first cell is
    under a later column continues the row above: a cell wrapped in its column), the cells 30
    characters long on average or less."""
    lines = [[(m.start(), m.group()) for m in _CELL.finditer(line)] for line in text.splitlines()]
    tables: list[Table] = []
    index = 0
    while index < len(lines):
        header = lines[index]
        starts = [start for start, _ in header]
        rows = [[cell for _, cell in header]]
        below = index + 1
        while len(header) >= 2 and below < len(lines) and lines[below]:
            # the nearest of the header's cells: layout text places words by estimated widths, not exactly
            columns = [min(range(len(starts)), key=lambda k: abs(starts[k] - start)) for start, _ in lines[below]]
            if columns != sorted(set(columns)):
                break
            if columns[0] > 0 and len(rows) > 1:  # a wrapped cell
                for column, (_, cell) in zip(columns, lines[below]):
                    rows[-1][column] = f"{rows[-1][column]} {cell}".strip()
            elif columns[0] == 0 and len(columns) >= 2:
                row = [""] * len(starts)
                for column, (_, cell) in zip(columns, lines[below]):
                    row[column] = cell
                rows.append(row)
            else:
                break
            below += 1
        cells = [cell for row in rows for cell in row if cell]
        # a table's cells are short: two columns of text side by side are a page's layout, not a table
        if len(rows) >= 3 and sum(map(len, cells)) <= 30 * len(cells):
            tables.append((rows, {" ".join(cell for _, cell in line) for line in lines[index:below]}))
            index = below
        else:
            index += 1
    return tables


_BULLET = re.compile(r"^([-*\u2022]|\d{1,3}[.)])\s")


def _reflow(page: str, tables: list[Table] = (), words: set[str] = frozenset()) -> str:
    """Join the hard-wrapped lines of a PDF page into paragraphs, and find its headings.

    PDF text comes one visual line at a time, often with no blank line between
    paragraphs. A blank line, or a line that ends a sentence well short of the
    page's usual line width, ends a paragraph; a short line without closing
    punctuation that follows a finished sentence is a heading (kept apart, so
    "The Cheeses" is not read as the start of the next sentence), also before
    a list; not one with a number inside ("Palm House 1868 19 metres tall" is
    a table's row). A list item ends at the next bullet, or where it does not
    fill its line ("Visitors: about 64,000 a year" has no full stop, and the
    heading after it is no part of it). Words split by a hyphen at the line
    end are rejoined (_rejoin). The lines of a table found in the page's layout
    (`tables`, see _pdf_tables) are written as a Markdown table instead.
    """
    lines = [raw.strip() for raw in page.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    lengths = sorted(len(line) for line in lines if line)
    width = lengths[int(len(lengths) * 0.8)] if lengths else 0
    paragraphs: list[str] = []
    current: list[str] = []

    def close() -> None:
        if current:
            paragraphs.append(" ".join(current))
            current.clear()

    owner = {line: number for number, (_, keys) in enumerate(tables) for line in keys}
    written: set[int] = set()
    for index, line in enumerate(lines):
        if not line:
            close()
            continue
        number = owner.get(" ".join(line.split()))
        if number is not None:
            close()
            if number not in written:  # written once, at its first line
                written.add(number)
                paragraphs.append(_markdown_table(tables[number][0]))
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = _rejoin(current[-1], line, words)
            continue
        if _BULLET.match(line):
            close()
        following = next((n for n in lines[index + 1:] if n), "")
        starts = following[:1].isupper() or bool(_BULLET.match(following))
        finished = not current or current[-1].endswith((".", "!", "?", ":", '"', "\u201d", ")"))
        short = len(line) < 0.6 * width
        if (finished and short and line[:1].isupper() and not line.endswith((".", "!", "?", ",", ";", ":"))
                and len(line.split()) <= 10 and starts and not re.search(r"\d", " ".join(line.split()[1:-1]))):
            close()
            paragraphs.append(f"## {line}")
            continue
        current.append(line)
        item = bool(_BULLET.match(current[0]))
        if line.endswith((".", "!", "?", '"', "\u201d")) and len(line) < 0.75 * width:
            close()
        elif item and len(line) < 0.75 * width and starts and not line.endswith((",", ";", "-")):
            close()  # a list item that does not fill its line ends there, full stop or not
    close()
    return "\n\n".join(re.sub(r"^\u2022\s*", "- ", p) for p in paragraphs)


# --- DOCX -----------------------------------------------------------------------


def _docx(path: Path) -> str:
    try:
        import docx
        from docx.table import Table
        from docx.text.paragraph import Paragraph
    except ImportError as exc:
        raise UserError(f"{path}: reading .docx needs python-docx", hint="pip install python-docx") from exc
    try:
        document = docx.Document(str(path))
    except Exception as exc:  # python-docx raises zipfile / lxml / its own errors
        raise UserError(f"{path}: cannot read the Word document ({exc})", hint="re-save it as .docx") from exc
    blocks: list[str] = []
    for element in document.element.body.iterchildren():
        tag = element.tag.rsplit("}", 1)[-1]
        if tag == "p":
            block = _docx_paragraph(Paragraph(element, document))
        elif tag == "tbl":
            block = _markdown_table([[cell.text for cell in row.cells] for row in Table(element, document).rows])
        else:
            continue
        if block:
            blocks.append(block)
    return _join_blocks(blocks)


def _docx_paragraph(paragraph) -> str:
    text = paragraph.text.strip()
    if not text:
        return ""
    style = (paragraph.style.name if paragraph.style is not None else "") or ""
    heading = re.match(r"Heading (\d)", style)
    if heading:
        return "#" * min(int(heading.group(1)), 6) + " " + text
    if style == "Title":
        return "# " + text
    numbered = paragraph._p.pPr is not None and paragraph._p.pPr.numPr is not None
    if style.startswith("List Number"):
        return "1. " + text
    if style.startswith("List") or numbered:
        return "- " + text
    return text


def _join_blocks(blocks: list[str]) -> str:
    """Blank lines between blocks, but consecutive list items stay one list."""
    item = re.compile(r"^\s*(- |\d+\. )")
    out: list[str] = []
    for block in blocks:
        if out and item.match(block) and item.match(out[-1].rsplit("\n", 1)[-1]):
            out[-1] += "\n" + block
        else:
            out.append(block)
    return "\n\n".join(out)


def _markdown_table(rows: list[list[str]]) -> str:
    rows = [[" ".join(cell.split()).replace("|", "\\|") for cell in row] for row in rows if any(c.strip() for c in row)]
    if not rows:
        return ""
    width = max(len(row) for row in rows)
    rows = [row + [""] * (width - len(row)) for row in rows]
    lines = ["| " + " | ".join(rows[0]) + " |", "|" + "---|" * width]
    lines += ["| " + " | ".join(row) + " |" for row in rows[1:]]
    return "\n".join(lines)


# --- HTML -----------------------------------------------------------------------


class _HtmlToMarkdown(HTMLParser):
    """A small, forgiving HTML -> Markdown converter for articles and exported pages.

    Keeps headings, paragraphs, lists, tables, code blocks, emphasis; drops
    scripts, styles, navigation and other page furniture.
    """

    SKIP = {"script", "style", "nav", "footer", "header", "noscript", "svg", "form", "button", "template", "head"}
    BLOCK = {"p", "div", "section", "article", "main", "blockquote", "figure", "figcaption", "dl", "dt", "dd", "address"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[str] = []
        self.buffer: list[str] = []
        self.skip_depth = 0
        self.lists: list[list] = []  # stack of [kind, counter]
        self.pre = 0
        self.table: list[list[str]] | None = None
        self.cell: list[str] | None = None
        self.heading = 0

    # blocks
    def _flush(self) -> None:
        text = "".join(self.buffer)
        self.buffer = []
        if self.pre:
            return
        text = " ".join(text.split())
        if not text:
            return
        if self.heading:
            text = "#" * self.heading + " " + text
        elif self.lists:
            kind, _ = self.lists[-1]
            self.lists[-1][1] += 1
            marker = f"{self.lists[-1][1]}." if kind == "ol" else "-"
            text = "  " * (len(self.lists) - 1) + f"{marker} {text}"
        self.blocks.append(text)

    def handle_starttag(self, tag: str, attrs) -> None:
        if tag in self.SKIP:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if self.table is not None and tag in ("td", "th"):
            self.cell = []
            return
        if tag == "tr" and self.table is not None:
            self.table.append([])
            return
        if tag == "table":
            self._flush()
            self.table = []
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.heading = int(tag[1])
        elif tag in ("ul", "ol"):
            self._flush()
            self.lists.append([tag, 0])
        elif tag == "li":
            self._flush()
        elif tag in self.BLOCK:
            self._flush()
        elif tag == "br":
            self._write("\n" if self.pre else " ")
        elif tag == "pre":
            self._flush()
            self.pre += 1
        elif tag in ("strong", "b"):
            self._write("**")
        elif tag in ("em", "i"):
            self._write("*")
        elif tag == "code" and not self.pre:
            self._write("`")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if self.table is not None and tag in ("td", "th"):
            if self.cell is not None and self.table:
                self.table[-1].append(" ".join("".join(self.cell).split()))
            self.cell = None
            return
        if tag == "table" and self.table is not None:
            block = _markdown_table(self.table)
            self.table = None
            if block:
                self.blocks.append(block)
            return
        if re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self.heading = 0
        elif tag in ("ul", "ol"):
            self._flush()
            if self.lists:
                self.lists.pop()
        elif tag == "li" or tag in self.BLOCK:
            self._flush()
        elif tag == "pre":
            code = "".join(self.buffer).strip("\n")
            self.buffer = []
            self.pre = max(0, self.pre - 1)
            if code.strip():
                self.blocks.append(f"```\n{code}\n```")
        elif tag in ("strong", "b"):
            self._write("**")
        elif tag in ("em", "i"):
            self._write("*")
        elif tag == "code" and not self.pre:
            self._write("`")

    def _write(self, text: str) -> None:
        if self.cell is not None:
            self.cell.append(text)
        else:
            self.buffer.append(text)

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        self._write(data)

    def result(self) -> str:
        self._flush()
        if self.table:
            self.blocks.append(_markdown_table(self.table))
        return _join_blocks(self.blocks)


def html_to_markdown(markup: str) -> str:
    """Convert an HTML string to Markdown (used for .html files and HTML-ish inputs)."""
    parser = _HtmlToMarkdown()
    parser.feed(markup)
    parser.close()
    return parser.result()


def _html(path: Path) -> str:
    return html_to_markdown(_text(path))
