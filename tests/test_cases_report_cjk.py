"""Chinese names and addresses in the case report: with a CJK font on the machine (Debian's
fonts-wqy-microhei, which .ci/run installs) the PDF embeds their glyphs and the network
picture draws them; without one the test is skipped, saying what to install."""

from __future__ import annotations

import pytest

from graph.store import NodeRef
from investigations import report

pytestmark = pytest.mark.skipif(report.cjk_font() is None,
                                reason="no CJK font: apt-get install fonts-wqy-microhei")

ADDRESS, NAME = "深圳市南山区", "张伟"


def _header() -> dict:
    return {"case_reference": "CASE-1", "case_title": f"{NAME} ring", "export_id": "EXP-1",
            "handling_caveats": "partner use only", "purpose": "IPR", "offence_type": "IPR",
            "retention_date": "2031-01-01", "approved_by": "sue", "approved_at": "2026-12-07",
            "summary_of_facts": f"goods shipped from {ADDRESS}",
            "sender": {"administration": "CN", "contact_officer": "li"},
            "recipient": {"administration": "NL", "contact_officer": "jan"},
            "legal_basis": {"agreement": "CMAA", "article": "8"}}


def test_the_pdf_carries_chinese_text(tmp_path):
    import pypdfium2 as pdfium

    ref = NodeRef("Address", "a1")
    picture = report.network_png({ref: {}}, [], {ref: ADDRESS}, tmp_path / "n.png", "net")
    pdf = report.write_pdf(tmp_path / "r.pdf", _header(),
                           [{"id": "a1", "type": "Address", "role": "linked",
                             "caption": ADDRESS, "tier": "3"}], [], [], None, picture)
    doc = pdfium.PdfDocument(str(pdf))
    text = "".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    # fpdf2 leaves out characters no embedded font has: without the fallback these are gone
    assert ADDRESS in text and NAME in text


def test_the_picture_draws_chinese_labels_with_the_cjk_font():
    from matplotlib import font_manager
    from matplotlib.ft2font import FT2Font

    props = font_manager.FontProperties(family=report._label_fonts())
    fonts = font_manager.fontManager._find_fonts_by_props(props)
    # some font of the label's fallback list has a glyph for every character
    for ch in ADDRESS + NAME:
        assert any(FT2Font(str(f)).get_char_index(ord(ch)) for f in fonts), ch
