"""Every supported format converted from a real file made in the test."""

from __future__ import annotations

import pytest

from ilabdesk.documents.chunk import chunk_text, split_sentences
from ilabdesk.documents.convert import to_markdown
from ilabdesk.errors import UserError


def test_markdown_and_text(tmp_path):
    md = tmp_path / "notes.md"
    md.write_text("# Title\r\n\r\n\r\n\r\nBody   \r\n", encoding="utf-8")
    assert to_markdown(md) == "# Title\n\nBody\n"
    txt = tmp_path / "legacy.txt"
    txt.write_bytes("Caf\xe9 opens at 9.".encode("cp1252"))
    assert to_markdown(txt) == "Café opens at 9.\n"


def test_pdf_keeps_pages_and_joins_wrapped_lines(tmp_path, make_pdf):
    pdf = make_pdf(tmp_path / "doc.pdf", [
        ["The Orlin lighthouse was built in 1871 by the", "harbor guild of Semmet."],
        ["Its lamp burns whale-free kelp oil.", "", "Keeper: Ada Voss."],
    ])
    text = to_markdown(pdf)
    assert "<!-- page 1 -->" in text and "<!-- page 2 -->" in text
    page1, page2 = text.split("<!-- page 2 -->")
    assert "built in 1871 by the harbor guild of Semmet." in page1
    assert "Ada Voss" in page2 and "Ada Voss" not in page1


def test_a_word_split_at_a_line_end_keeps_its_own_hyphen_only(tmp_path, make_pdf):
    """"longest-" / "serving" was read "longestserving"; "impor-" / "tant" is one word where the
    document writes it whole elsewhere."""
    pdf = make_pdf(tmp_path / "doc.pdf", [[
        "The longest-serving keeper was Ada Voss, the most impor-",
        "tant keeper of all. She kept the light for 32 years. Her longest-",
        "serving assistant was Tom Reed. The important work of a keeper",
        "was to trim the wick.",
    ]])
    text = to_markdown(pdf)
    assert "the most important keeper" in text
    assert "Her longest-serving assistant" in text


def test_scanned_pdf_is_refused_with_advice(tmp_path, make_pdf):
    pdf = make_pdf(tmp_path / "scan.pdf", scanned_pages=2)
    with pytest.raises(UserError) as info:
        to_markdown(pdf)
    message = str(info.value)
    assert "scan.pdf" in message and "no text layer" in message and "OCR is not supported" in message
    assert ".md" in message


def test_docx_headings_lists_tables(tmp_path):
    import docx

    document = docx.Document()
    document.add_heading("Semmet Harbor", level=1)
    document.add_paragraph("The harbor opened in 1702.")
    document.add_heading("Boats", level=2)
    document.add_paragraph("Skiffs", style="List Bullet")
    document.add_paragraph("Barges", style="List Bullet")
    table = document.add_table(rows=2, cols=2)
    table.rows[0].cells[0].text, table.rows[0].cells[1].text = "Boat", "Crew"
    table.rows[1].cells[0].text, table.rows[1].cells[1].text = "Skiff", "2"
    path = tmp_path / "harbor.docx"
    document.save(path)
    text = to_markdown(path)
    assert text.index("# Semmet Harbor") < text.index("The harbor opened in 1702.") < text.index("## Boats")
    assert "- Skiffs\n- Barges" in text
    assert "| Boat | Crew |\n|---|---|\n| Skiff | 2 |" in text


def test_html_is_cleaned(tmp_path):
    path = tmp_path / "page.html"
    path.write_text(
        "<html><head><title>t</title><style>p{color:red}</style><script>var x=1;</script></head><body>"
        "<nav><a href='/'>Home</a></nav><h1>Kelp &amp; Tides</h1><p>Kelp grows <b>fast</b>.</p>"
        "<ol><li>Cut</li><li>Dry</li></ol><table><tr><th>Month</th></tr><tr><td>May</td></tr></table>"
        "<footer>(c) nobody</footer></body></html>",
        encoding="utf-8",
    )
    text = to_markdown(path)
    assert text.startswith("# Kelp & Tides\n\nKelp grows **fast**.")
    assert "1. Cut\n2. Dry" in text and "| Month |" in text
    for junk in ("Home", "var x", "color:red", "nobody"):
        assert junk not in text


def test_unsupported_and_missing_files(tmp_path):
    odd = tmp_path / "sheet.xlsx"
    odd.write_bytes(b"PK")
    with pytest.raises(UserError, match="unsupported document type '.xlsx'"):
        to_markdown(odd)
    with pytest.raises(UserError, match="no such file"):
        to_markdown(tmp_path / "missing.md")


def test_chunks_respect_token_budget_and_overlap():
    words = lambda text: len(text.split())  # noqa: E731 - a tokenizer stand-in: one token per word
    paragraphs = [" ".join(f"Fact {p}.{s} is number {p * 10 + s}." for s in range(6)) for p in range(8)]
    chunks = chunk_text("\n\n".join(paragraphs), tokens=60, overlap=10, count_tokens=words)
    assert len(chunks) > 3
    assert all(words(c) <= 60 for c in chunks)
    # every sentence survives, and consecutive chunks share their boundary sentence(s)
    joined = " ".join(chunks)
    for p in range(8):
        assert f"Fact {p}.5 is number {p * 10 + 5}." in joined
    for before, after in zip(chunks, chunks[1:]):
        assert split_sentences(before)[-1] in after


def test_page_markers_do_not_reach_chunks():
    chunks = chunk_text("<!-- page 1 -->\n\nAlpha beta gamma.\n\n<!-- page 2 -->\n\nDelta.", tokens=100)
    assert chunks == ["Alpha beta gamma.\n\nDelta."]


def test_pdf_list_items_end_without_a_full_stop_and_a_heading_before_a_list_is_found(tmp_path, make_pdf):
    prose = "The Lindholm ferry crosses the sound between Lindholm and Skarvik every hour, all"
    pdf = make_pdf(tmp_path / "guide.pdf", [[
        prose, prose, prose, "year round, and is run by the town.", "Key facts",
        "\u2022 Crossing time: 50 minutes", "\u2022 Passengers: about 310,000 a year",
        "The ships", prose, "year round.", "Ships",
        "Motor ship Skua 1987 night crossings only", "Motor ship Tern 1994 day crossings",
    ]])
    text = to_markdown(pdf)
    assert "## Key facts\n\n- Crossing time: 50 minutes\n\n- Passengers: about 310,000 a year\n\n## The ships\n" in text
    # a short line with a number inside is a table's row, not a heading (its facts would be dropped)
    assert "Motor ship Skua 1987 night crossings only Motor ship Tern" in text and "## Motor" not in text


def test_a_pdf_table_set_in_columns_becomes_a_markdown_table(tmp_path, make_pdf):
    prose = "The Lindholm ferry crosses the sound between Lindholm and Skarvik every hour."
    pdf = make_pdf(tmp_path / "ships.pdf", [[
        prose, "Ships", ("Ship", "Launched", "Notes"), ("Motor ship Skua", "1987", "night crossings only"),
        ("Motor ship Tern", "1994", "day crossings,"), ("", "", "summer only"), prose,
    ]])
    text = to_markdown(pdf)
    assert ("| Ship | Launched | Notes |\n|---|---|---|\n| Motor ship Skua | 1987 | night crossings only |\n"
            "| Motor ship Tern | 1994 | day crossings, summer only |") in text
    # text on both sides of the table stays text
    assert text.count(prose) == 2 and "Skua 1987" not in text
    # two columns of text side by side are a page's layout, not a table
    left, right = "The ferry sails from the old quay at Lindholm", "and calls at Skarvik on the way to the island"
    columns = make_pdf(tmp_path / "columns.pdf", [[(left, right)] * 6])
    assert "|" not in to_markdown(columns)


def test_a_sentence_cut_by_a_page_break_is_mended_and_page_furniture_is_dropped(tmp_path, make_pdf):
    prose = "The Lindholm ferry crosses the sound between Lindholm and Skarvik every hour, all"
    pdf = make_pdf(tmp_path / "guide.pdf", [
        ["Lindholm ferry guide 2024", prose, "year round. Nobody may stand on the car deck, which",
         "Page 1 of 3"],
        ["Lindholm ferry guide 2024", "is 40 metres long, while the ship is moving. Tickets are sold on board.",
         "The crossing takes 50 minutes, and the last ship leaves Skarvik at", "Page 2 of 3"],
        ["Lindholm ferry guide 2024", "23:10. Bicycles travel free.", "The Ships", "Page 3 of 3"],
    ])
    text = to_markdown(pdf)
    assert "guide 2024" not in text and "Page" not in text  # a running header, page numbers
    page1, rest = text.split("<!-- page 2 -->")
    page2, page3 = rest.split("<!-- page 3 -->")
    # the sentence goes on in its page; the next page keeps what follows it
    assert "the car deck, which is 40 metres long, while the ship is moving." in page1
    assert page2.strip().startswith("Tickets are sold on board.")
    assert "the last ship leaves Skarvik at 23:10." in page2 and page3.strip().startswith("Bicycles travel free.")


def test_a_page_that_ends_in_a_short_line_is_not_joined_to_the_next_page(tmp_path, make_pdf):
    pdf = make_pdf(tmp_path / "guide.pdf", [
        ["The Lindholm ferry crosses the sound every hour.", "Tickets"],
        ["Tickets are sold on board and at the quay."],
    ])
    page1, page2 = to_markdown(pdf).split("<!-- page 2 -->")
    assert page1.strip().endswith("Tickets") and page2.strip() == "Tickets are sold on board and at the quay."


def test_a_broken_pdf_is_refused_with_advice(tmp_path):
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4\nnot a PDF body")
    with pytest.raises(UserError) as info:
        to_markdown(broken)
    assert "broken.pdf" in str(info.value) and "cannot read the PDF" in str(info.value)
    assert "re-export" in info.value.hint
