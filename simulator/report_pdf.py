"""PDF rendering of a CoachingReport (fpdf2), the same content as the HTML page.

IPAexGothic is embedded (subset) from the matplotlib-fontja package, so Japanese prints on any
machine; evidence quotes are printed in colour, underlined, with the criterion ids after them.
"""

from __future__ import annotations

import io

from fpdf import FPDF
from fpdf.enums import WrapMode, XPos, YPos
from fpdf.fonts import FontFace

from simulator.report import CoachingReport, SessionSection, final_note, fmt_score, fmt_time, labels

FONT = "IPAexGothic"
BLUE = (0x44, 0x77, 0xAA)
MARK = (0xB0, 0x50, 0x00)
BLACK = (0x22, 0x22, 0x22)


def _font_path() -> str:
    from matplotlib_fontja import get_font_ttf_path
    return get_font_ttf_path()


class _Pdf(FPDF):
    def __init__(self, wrap: WrapMode) -> None:
        super().__init__(format="A4")
        self.wrap = wrap
        self.set_auto_page_break(True, margin=15)
        self.set_margins(15, 15, 15)
        self.add_font(FONT, "", _font_path())
        self.set_font(FONT, size=10)

    def para(self, text: str, size: float = 10, color: tuple[int, int, int] = BLACK, h: float = 5.5) -> None:
        self.set_font(FONT, size=size)
        self.set_text_color(*color)
        self.multi_cell(0, h, text, new_x=XPos.LMARGIN, new_y=YPos.NEXT, wrapmode=self.wrap)
        self.set_text_color(*BLACK)

    def heading(self, text: str, size: float) -> None:
        if self.get_y() > self.h - self.b_margin - 30:  # never strand a heading at a page foot
            self.add_page()
        self.ln(2)
        self.para(text, size=size, color=BLUE, h=size * 0.55)
        self.set_draw_color(*BLUE)
        self.line(self.l_margin, self.get_y(), self.w - self.r_margin, self.get_y())
        self.ln(2)

    def image_png(self, png: bytes | None, width: float) -> None:
        if png:
            self.image(io.BytesIO(png), w=width, x=self.l_margin)
            self.ln(2)

    def grid(self, header: list[str], rows: list[list[str]], widths: list[float]) -> None:
        self.set_font(FONT, size=9)
        # Only the regular face is embedded, so headings get a fill instead of bold.
        head = FontFace(emphasis="", fill_color=(0xEE, 0xF2, 0xF7))
        with self.table(col_widths=widths, text_align="LEFT", line_height=5, headings_style=head,
                        wrapmode=self.wrap) as t:
            hr = t.row()
            for h in header:
                hr.cell(h)
            for r in rows:
                row = t.row()
                for c in r:
                    row.cell(c)
        self.ln(2)


def _session(pdf: _Pdf, s: SessionSection, L: dict[str, str]) -> None:
    pdf.heading(f"{s.scenario_title} ({s.scenario})", 12)
    pdf.para(f"{L['started']}: {fmt_time(s.started_at)}   {L['ended']}: {fmt_time(s.ended_at) or L['open']}")
    final = final_note(s, L)
    pdf.para(f"{L['judge']}: {s.judge or L['unscored']}   {L['total']}: {fmt_score(s.total)} / 100"
             + (f"   {final}" if final else ""), size=11)
    if s.flags:
        pdf.para(f"{L['flags']}: {', '.join(s.flags)}", color=(0xAA, 0, 0))
    pdf.image_png(s.chart_png, 130)
    if s.criteria:
        rows = []
        for r in s.criteria:
            sup = f"{fmt_score(r.supervisor)} / {r.max}" if r.supervisor is not None else "–"
            if r.supervisor_name:
                sup += f"\n{r.supervisor_name}: {r.supervisor_comment}"
            # Good points and next steps as two lists, like the HTML report (the paragraph when none).
            fb = "\n".join([*(f"{L['went_well']}: {x}" for x in r.went_well),
                             *(f"{L['try_next']}: {x}" for x in r.try_next)]) or r.feedback
            fb += "".join(f"\n{L['evidence']} #{e.turn}: 「{e.quote}」" for e in r.evidence)
            rows.append([r.title, f"{fmt_score(r.ai)} / {r.max}", sup, fb])
        pdf.grid([L["criterion"], L["ai"], L["supervisor"], L["feedback"]], rows, [38, 15, 40, 87])
    pdf.heading(L["transcript"], 11)
    for ln in s.transcript:
        who = L["customer"] if ln.role == "customer" else L["trainee_role"]
        pdf.set_font(FONT, size=8)
        pdf.set_text_color(0x77, 0x77, 0x77)
        pdf.write(5, f"#{ln.index} {ln.at or ''}  ")
        pdf.set_font(FONT, size=10)
        pdf.set_text_color(*(BLUE if ln.role == "trainee" else BLACK))
        pdf.write(5, f"{who}: ", wrapmode=pdf.wrap)
        for g in ln.segments:
            if g.criteria:
                pdf.set_font(FONT, style="U", size=10)
                pdf.set_text_color(*MARK)
                pdf.write(5, g.text, wrapmode=pdf.wrap)
                pdf.set_font(FONT, size=7)
                pdf.write(5, f"[{', '.join(g.criteria)}]", wrapmode=pdf.wrap)
            else:
                pdf.set_font(FONT, size=10)
                pdf.set_text_color(*BLACK)
                pdf.write(5, g.text, wrapmode=pdf.wrap)
        pdf.set_text_color(*BLACK)
        pdf.ln(7)


def render_pdf(rep: CoachingReport) -> bytes:
    L = labels(rep.language)
    # Japanese has no spaces to break at: wrap by character there, by word in English.
    pdf = _Pdf(WrapMode.CHAR if rep.language == "ja" else WrapMode.WORD)
    # Dated by its newest session, not the wall clock: the same sessions give the same bytes.
    times = [s.ended_at or s.started_at for t in rep.trainees for s in t.sessions]
    if times:
        pdf.set_creation_date(max(times))
    pdf.set_title(f"{L['title']} - {', '.join(t.trainee for t in rep.trainees)}")
    for t in rep.trainees:
        pdf.add_page()
        pdf.para(L["title"], size=16, color=BLUE, h=9)
        pdf.heading(f"{L['trainee']}: {t.trainee}", 14)
        if t.attempts:
            pdf.para(L["trend"], size=11)
            pdf.image_png(t.trend_png, 150)
            pdf.grid(["#", L["started"], L["scenario"], L["total"]],
                      [[str(i), fmt_time(a.started_at), a.scenario, fmt_score(a.total)]
                       for i, a in enumerate(t.attempts, 1)], [10, 45, 85, 40])
        if len(t.sessions) > 1 and t.averages:
            pdf.para(L["averages"], size=11)
            pdf.grid([L["criterion"], L["ai"], L["final"], "n"],
                     [[a.title, f"{a.ai:.2f}", f"{a.final:.2f}", str(a.sessions)] for a in t.averages],
                     [80, 35, 45, 20])
        for i, s in enumerate(t.sessions):
            if i:
                pdf.add_page()
            _session(pdf, s, L)
    return bytes(pdf.output())
