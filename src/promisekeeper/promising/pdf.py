"""The customer promise sheet as a PDF (fpdf2, pure Python, built-in Helvetica)."""

from __future__ import annotations

import datetime

from fpdf import FPDF
from fpdf.enums import XPos, YPos

from promisekeeper.promising.sheet import PromiseSheet

# The built-in PDF fonts only cover Latin-1; map the usual typographic characters first.
_LATIN1 = str.maketrans(
    {"–": "-", "—": "-", "’": "'", "‘": "'", "“": '"', "”": '"', "…": "...", "•": "-"}
)


def _text(value: object) -> str:
    return str(value).translate(_LATIN1).encode("latin-1", "replace").decode("latin-1")


def day_index(value: datetime.date | None) -> str:
    return value.strftime("%d %B %Y") if value else "to be scheduled"


def promise_sheet_pdf(sheet: PromiseSheet, *, compress: bool = True) -> bytes:
    """Render the sheet on A4; `compress=False` keeps the text readable in the raw file."""
    pdf = FPDF(format="A4")
    pdf.set_compression(compress)
    pdf.set_title(_text(f"Promise to {sheet.customer}"))
    pdf.set_author("Promisekeeper")
    pdf.set_creation_date(
        datetime.datetime.combine(sheet.promised_date, datetime.time(), datetime.UTC)
    )
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    width = pdf.epw

    def line(text: str, *, size: int = 11, style: str = "", height: float = 6) -> None:
        pdf.set_font("Helvetica", style=style, size=size)
        pdf.multi_cell(width, height, _text(text), new_x=XPos.LMARGIN, new_y=YPos.NEXT)

    line(f"Our promise to {sheet.customer}", size=18, style="B", height=9)
    line(sheet.deal, size=12)
    pdf.ln(3)
    line(f"Promised delivery date: {day_index(sheet.promised_date)}", size=14, style="B", height=8)
    if sheet.beyond_capacity:
        line(
            f"This date is {sheet.confidence_note}: our plan does not reach it yet, "
            "and no confidence level stands behind it.",
            size=10,
        )
    else:
        line(f"Confidence behind this date: {sheet.confidence}", size=10)
    pdf.ln(4)

    for offering in sheet.offerings:
        line(f"{offering.quantity} x {offering.name}", size=13, style="B", height=8)
        if offering.deliverables:
            line("What you receive", style="B")
            for item in offering.deliverables:
                line(f"  - {item}")
        if offering.phases:
            line("Timeline by phase", style="B")
            for phase in offering.phases:
                if phase.start or phase.end:
                    line(f"  - {phase.name}: {day_index(phase.start)} to {day_index(phase.end)}")
                else:
                    line(f"  - {phase.name}")
        if offering.checkin_cadence_days:
            channels = offering.checkin_channels or offering.communication_channels or "email"
            line(f"Check-ins: every {offering.checkin_cadence_days} days by {channels}.", style="B")
        if offering.handoff:
            line(f"Hand-over: {offering.handoff}")
        pdf.ln(3)

    if sheet.timeline:
        line("Timeline by phase", size=13, style="B", height=8)
        for phase in sheet.timeline:
            if phase.start and phase.end:
                line(f"  - {phase.name}: {day_index(phase.start)} to {day_index(phase.end)}")
            else:
                line(f"  - {phase.name}")
        pdf.ln(3)

    if sheet.products:
        line("Products", size=13, style="B", height=8)
        for product in sheet.products:
            line(f"  - {product.quantity} x {product.sku} {product.name}")
        pdf.ln(3)

    line("Signed off by", size=13, style="B", height=8)
    line(f"Sales owner: {sheet.sales_owner or '-'}")
    line(
        "Operations sign-off: "
        + (sheet.operations_sign_off or "within standard capacity (checked against the plan)")
    )
    return bytes(pdf.output())
