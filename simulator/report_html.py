"""HTML rendering of a CoachingReport: a self-contained printable page (inline CSS, charts as
data: PNGs, every text escaped); report_pdf.py renders the same model as a PDF."""

from __future__ import annotations

import base64
import html

from simulator.report import (CoachingReport, CriterionRow, SessionSection, feedback_points, final_note,
                              fmt_score, fmt_time, labels)


_CSS = """
body{font-family:"Noto Sans CJK JP","IPAexGothic","Hiragino Sans",sans-serif;margin:2em;color:#222;line-height:1.5}
h1{font-size:1.5em}h2{border-bottom:2px solid #4477aa;padding-bottom:.2em}h3{margin-top:1.5em}
table{border-collapse:collapse;margin:.5em 0;width:100%}th,td{border:1px solid #bbb;padding:.3em .5em;
vertical-align:top;text-align:left}th{background:#eef2f7}
.turn{margin:.3em 0;padding:.3em .6em;border-left:4px solid #bbb}.turn.trainee{border-color:#4477aa;
background:#f5f8fc}.who{font-weight:bold;margin-right:.5em}.at{color:#777;font-size:.85em;margin-right:.5em}
mark{background:#ffe08a;padding:0 .1em}mark sup{color:#a05a00;font-size:.7em;margin-left:.1em}
.flags{color:#a00}img{max-width:100%}section.session{page-break-before:always}
section.session:first-of-type{page-break-before:auto}
@media print{body{margin:0}@page{size:A4;margin:15mm}}
"""


def _e(x: object) -> str:
    return html.escape("" if x is None else str(x), quote=True)


def _img(png: bytes | None, alt: str) -> str:
    if not png:
        return ""
    return f'<img alt="{_e(alt)}" src="data:image/png;base64,{base64.b64encode(png).decode()}">'


def _feedback_html(r: CriterionRow, L: dict[str, str]) -> str:
    out = []
    for head, items in feedback_points(r, L):
        if not head:
            out.append(_e(items[0]))
        else:
            out.append(f"<b>{_e(head)}</b><ul>" + "".join(f"<li>{_e(x)}</li>" for x in items) + "</ul>")
    return "".join(out)


def _session_html(s: SessionSection, L: dict[str, str]) -> str:
    final = final_note(s, L)
    p = [f'<section class="session" id="s-{_e(s.id)}"><h3>{_e(s.scenario_title)} '
         f'<small>({_e(s.scenario)})</small></h3><table>',
         f"<tr><th>{L['started']}</th><td>{fmt_time(s.started_at)}</td><th>{L['ended']}</th>"
         f"<td>{fmt_time(s.ended_at) or L['open']}</td></tr>",
         f"<tr><th>{L['judge']}</th><td>{_e(s.scorer or L['unscored'])}</td><th>{L['total']}</th>"
         f"<td><strong>{fmt_score(s.total)}</strong> / 100"
         f"{' · ' + _e(final) if final else ''}</td></tr></table>"]
    if s.flags:
        p.append(f'<p class="flags">{L["flags"]}: {_e(", ".join(s.flags))}</p>')
    p.append(_img(s.chart_png, L["criterion"]))
    if s.criteria:
        p.append(f"<table><tr><th>{L['criterion']}</th><th>{_e(s.scorer or L['ai'])}</th><th>{L['supervisor']}</th>"
                 f"<th>{L['feedback']}</th></tr>")
        for r in s.criteria:
            sup = f"{fmt_score(r.supervisor)} / {r.max}" if r.supervisor is not None else "–"
            if r.supervisor_name:
                sup += f"<br><small>{_e(r.supervisor_name)}: {_e(r.supervisor_comment)}</small>"
            ev = "".join(f"<br><small>{L['evidence']} #{e.turn}: 「{_e(e.quote)}」</small>" for e in r.evidence)
            p.append(f"<tr><td>{_e(r.title)}</td><td>{fmt_score(r.ai)} / {r.max}</td><td>{sup}</td>"
                     f"<td>{_feedback_html(r, L)}{ev}</td></tr>")
        p.append("</table>")
    p.append(f"<h4>{L['transcript']}</h4>")
    for ln in s.transcript:
        who = L["customer"] if ln.role == "customer" else L["trainee_role"]
        body = "".join(f'<mark title="{_e(", ".join(g.criteria))}">{_e(g.text)}<sup>{_e(", ".join(g.criteria))}'
                       f"</sup></mark>" if g.criteria else _e(g.text) for g in ln.segments)
        p.append(f'<div class="turn {ln.role}"><span class="at">#{ln.index} {_e(ln.at or "")}</span>'
                 f'<span class="who">{who}</span>{body}</div>')
    p.append("</section>")
    return "\n".join(p)


def render_html(rep: CoachingReport) -> str:
    """A self-contained printable page: inline CSS, charts as data: PNGs, all text escaped."""
    L = labels(rep.language)
    names = ", ".join(t.trainee for t in rep.trainees)
    p = [f'<!DOCTYPE html><html lang="{_e(rep.language)}"><head><meta charset="utf-8">',
         f"<title>{L['title']} – {_e(names)}</title><style>{_CSS}</style></head><body>",
         f"<h1>{L['title']}</h1>"]
    for t in rep.trainees:
        p.append(f"<h2>{L['trainee']}: {_e(t.trainee)}</h2>")
        if t.attempts:
            p.append(f"<h3>{L['trend']}</h3>")
            p.append(_img(t.trend_png, L["trend"]))
            p.append(f"<table><tr><th>#</th><th>{L['started']}</th><th>{L['scenario']}</th><th>{L['total']}</th></tr>")
            for i, a in enumerate(t.attempts, 1):
                p.append(f"<tr><td>{i}</td><td>{fmt_time(a.started_at)}</td><td>{_e(a.scenario)}</td>"
                         f"<td>{fmt_score(a.total)}</td></tr>")
            p.append("</table>")
        if len(t.sessions) > 1 and t.averages:
            p.append(f"<h3>{L['averages']}</h3><table><tr><th>{L['criterion']}</th><th>{L['ai']}</th>"
                     f"<th>{L['final']}</th><th>n</th></tr>")
            p.extend(f"<tr><td>{_e(a.title)}</td><td>{a.ai:.2f}</td><td>{a.final:.2f}</td><td>{a.sessions}</td></tr>"
                     for a in t.averages)
            p.append("</table>")
        p.extend(_session_html(s, L) for s in t.sessions)
    p.append("</body></html>\n")
    return "\n".join(p)
