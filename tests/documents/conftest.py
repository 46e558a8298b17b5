"""Document test helpers: a minimal writer of real PDF files, with a text layer or without one."""

from __future__ import annotations

from pathlib import Path


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def write_pdf(path: Path, pages: list[list[str | tuple[str, ...]]] | None = None, *, scanned_pages: int = 0) -> Path:
    """Write a PDF: one page per list of text lines (Helvetica; a tuple is a table's row, its cells
    set 150 points apart), or `scanned_pages` pages that only draw shapes, like a scan with no text layer."""
    streams: list[bytes] = []
    for lines in pages or []:
        ops = ["BT", "/F1 12 Tf", "14 TL", "72 720 Td"]
        for line in lines:
            cells = line if isinstance(line, tuple) else (line,)
            ops.append(" 150 0 Td ".join(f"({_escape(cell)}) Tj" for cell in cells)
                       + (f" {-150 * (len(cells) - 1)} 0 Td" if len(cells) > 1 else "") + " T*")
        ops.append("ET")
        streams.append("\n".join(ops).encode("cp1252"))  # WinAnsiEncoding
    for _ in range(scanned_pages):
        streams.append(b"0.2 g 72 300 400 300 re f 0.8 g 100 350 200 100 re f")

    objects: list[bytes] = []
    n_pages = len(streams)
    page_ids = [4 + 2 * i for i in range(n_pages)]
    objects.append(b"<< /Type /Catalog /Pages 2 0 R >>")
    kids = " ".join(f"{i} 0 R" for i in page_ids)
    objects.append(f"<< /Type /Pages /Kids [{kids}] /Count {n_pages} >>".encode())
    objects.append(b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>")
    for index, stream in enumerate(streams):
        content_id = page_ids[index] + 1
        objects.append(
            f"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> "
            f"/Contents {content_id} 0 R >>".encode()
        )
        objects.append(f"<< /Length {len(stream)} >>\nstream\n".encode() + stream + b"\nendstream")

    out = bytearray(b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n".encode() + body + b"\nendobj\n"
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    for offset in offsets:
        out += f"{offset:010d} 00000 n \n".encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    Path(path).write_bytes(bytes(out))
    return Path(path)


import pytest  # noqa: E402


@pytest.fixture
def make_pdf():
    """The PDF writer, as a fixture so tests in this folder can call it."""
    return write_pdf
