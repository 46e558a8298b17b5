"""Turn a user's document (.md, .txt, .pdf, .docx, .html) into clean Markdown.

Everything downstream (chunking, the teacher's prompts, InstructLab's
`document.patterns`) works on Markdown text, so conversion happens once, at
ingestion. PDF page numbers are kept as `<!-- page N -->` comments so a fact
can be traced back to its page. Libraries are imported inside the converter
that needs them: opening the app must not pay for pypdfium2 or python-docx.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

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
    pages = _pdf_pages(path)
    if sum(len(p.strip()) for p in pages) < _MIN_PAGE_CHARS:
        raise UserError(
            f"{path}: the PDF has no text layer (it looks scanned); OCR is not supported",
            hint="export the PDF with text from the program that made it, or provide the text as .md",
        )
    parts = []
    for number, page in enumerate(pages, start=1):
        parts.append(f"<!-- page {number} -->\n\n{_reflow(page)}")
    return "\n\n".join(parts)


def _pdf_pages(path: Path) -> list[str]:
    """Text of each page; pypdfium2 (faster, better layout) when installed, else pypdf."""
    try:
        import pypdfium2
    except ImportError:
        pypdfium2 = None
    try:
        if pypdfium2 is not None:
            document = pypdfium2.PdfDocument(str(path))
            try:
                pages = []
                for page in document:
                    textpage = page.get_textpage()
                    pages.append(textpage.get_text_range())
                    textpage.close()
                    page.close()
                return pages
            finally:
                document.close()
        from pypdf import PdfReader

        return [page.extract_text() or "" for page in PdfReader(str(path)).pages]
    except UserError:
        raise
    except Exception as exc:  # every PDF library raises its own types for broken files
        raise UserError(f"{path}: cannot read the PDF ({exc})", hint="open it in a PDF viewer and re-export it") from exc


def _reflow(page: str) -> str:
    """Join the hard-wrapped lines of a PDF page into paragraphs, and find its headings.

    PDF text comes one visual line at a time, often with no blank line between
    paragraphs. A blank line, or a line that ends a sentence well short of the
    page's usual line width, ends a paragraph; a short line without closing
    punctuation that follows a finished sentence is a heading (kept apart, so
    "The Cheeses" is not read as the start of the next sentence). Words split
    by a hyphen at the line end are rejoined.
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

    for index, line in enumerate(lines):
        if not line:
            close()
            continue
        if current and current[-1].endswith("-") and line[:1].islower():
            current[-1] = current[-1][:-1] + line
            continue
        if re.match(r"^([-*\u2022]|\d{1,3}[.)])\s", line):
            close()
        following = next((n for n in lines[index + 1:] if n), "")
        finished = not current or current[-1].endswith((".", "!", "?", ":", '"', "\u201d", ")"))
        short = len(line) < 0.6 * width
        if (finished and short and line[:1].isupper() and not line.endswith((".", "!", "?", ",", ";", ":"))
                and len(line.split()) <= 10 and following[:1].isupper()):
            close()
            paragraphs.append(f"## {line}")
            continue
        current.append(line)
        if line.endswith((".", "!", "?", '"', "\u201d")) and len(line) < 0.75 * width:
            close()
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
