"""Exports of stored sessions for coaches: CSV (one row per session, for spreadsheets), JSON
(whole sessions), and `simulator export`, which also writes the HTML/PDF coaching reports.

CSV cells are quoted and defused against formula injection (OWASP "CSV Injection"): trainee
names and free text come from people, and a coach opens the file in Excel.
"""

from __future__ import annotations

import argparse
import csv
import io
import re
import sys
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from pathlib import Path

from pydantic import BaseModel, Field

from simulator.models import Rubric
from simulator.scoring.card import final_total, scorer_name
from simulator.store import SessionFilter, Store, StoreError, StoredSession

BOM = "\ufeff"  # Excel only reads UTF-8 CSV as UTF-8 when the file starts with a BOM
JSON_FORMAT = "simulator-sessions/1"
# Characters a spreadsheet may treat as the start of a formula, plus their full-width forms,
# which Japanese IMEs produce and some spreadsheet apps normalise to ASCII.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")
_BASE_COLUMNS = ["session_id", "trainee", "scenario", "language", "backend", "started_at_utc",
                 "ended_at_utc", "turns", "judge", "rubric", "total"]
# total_final: the total with supervisors' overrides in place of the AI's levels (empty when the
# card's rubric is not in the catalog any more); last, so that earlier columns keep their places
# scorer / judge_model: who made the `{criterion}_ai` levels (the rule-based scorer or an LLM judge
# and its model): "ai" is kept in those names for the spreadsheets that read them.
_TAIL_COLUMNS = ["supervisors", "supervisor_comments", "flags", "total_final", "scorer", "judge_model"]
_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class ExportError(ValueError):
    """Bad export input (dates, missing output file); the message names the option."""


class NothingToReport(ExportError):
    """An HTML/PDF report was asked for, but no stored session matches the filters."""


class ExportResult(BaseModel):
    content: str | bytes  # str for csv/json/html, bytes for pdf
    sessions: int


def defuse(value: object) -> str:
    """A cell as text, with a leading ' when it could start a formula (OWASP)."""
    s = "" if value is None else str(value)
    return "'" + s if s.startswith(_FORMULA_START) else s


def _when(dt: datetime | None) -> str:
    return dt.strftime("%Y-%m-%d %H:%M:%S") if dt else ""


def _num(x: float | None) -> str:
    if x is None:
        return ""
    return str(int(x)) if float(x).is_integer() else f"{x:.1f}"


def criterion_ids(sessions: Iterable[StoredSession]) -> list[str]:
    """Criterion ids in first-seen order (cards keep rubric order, so the default rubric's come first)."""
    seen: dict[str, None] = {}
    for s in sessions:
        if s.card:
            for c in s.card.criteria:
                seen.setdefault(c.id, None)
        for o in s.overrides:
            seen.setdefault(o.criterion, None)
    return list(seen)


def csv_rows(sessions: list[StoredSession], rubrics: Mapping[str, Rubric]) -> tuple[list[str], list[list[str]]]:
    """Header and rows (not yet defused) of the one-row-per-session table; `rubrics` (by id)
    weigh the supervisors' levels into `total_final`."""
    cids = criterion_ids(sessions)
    header = _BASE_COLUMNS + [f"{c}_{k}" for c in cids for k in ("ai", "supervisor")] + _TAIL_COLUMNS
    rows = []
    for s in sessions:
        card = s.card
        ai = {c.id: c.score for c in card.criteria} if card else {}
        ov = s.latest_overrides()
        flags = list(card.flags) if card else []
        if card:
            flags += [f"{c.id}:{f}" for c in card.criteria for f in c.flags]
        row = [s.id, s.trainee, s.scenario, s.language, s.backend, _when(s.started_at), _when(s.ended_at),
               str(s.turn_count), card.judge if card else "", card.rubric if card else "",
               _num(card.total) if card else ""]
        for c in cids:
            row.append(str(ai[c]) if c in ai else "")
            row.append(str(ov[c].score) if c in ov else "")
        row.append("; ".join(sorted({o.supervisor for o in ov.values()})))
        row.append(" | ".join(f"{o.criterion}: {o.comment}" for o in ov.values() if o.comment))
        row.append("; ".join(flags))
        row.append(_num(final_total(card, s.override_levels(), rubrics.get(card.rubric)))
                   if card else "")
        row += [scorer_name(card, "en"), card.judge_model or ""] if card else ["", ""]
        rows.append(row)
    return header, rows


def to_csv(sessions: list[StoredSession], rubrics: Mapping[str, Rubric]) -> str:
    """UTF-8 CSV text with BOM, every cell quoted and defused."""
    header, rows = csv_rows(sessions, rubrics)
    buf = io.StringIO()
    buf.write(BOM)
    w = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
    w.writerow(header)
    w.writerows([defuse(v) for v in r] for r in rows)
    return buf.getvalue()


class SessionsExport(BaseModel):
    """The JSON export document; `format` names its version for the tools that read it."""

    format: str = JSON_FORMAT
    filters: dict[str, str] = Field(default_factory=dict, description="the filters that were set")
    sessions: list[StoredSession]


def to_json(sessions: list[StoredSession], flt: SessionFilter | None = None) -> str:
    """Whole sessions (transcripts, state, latest score card, overrides) as one JSON document."""
    used = (flt or SessionFilter()).model_dump(mode="json", exclude_none=True)
    # pydantic-core writes indented JSON natively; json.dumps(indent=...) is several times slower.
    return SessionsExport(filters=used, sessions=sessions).model_dump_json(indent=2) + "\n"


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        if not _DATE_RE.match(value):
            raise ValueError
        return date.fromisoformat(value)
    except ValueError:
        raise ExportError(f"{option} {value!r} is not a date; write YYYY-MM-DD, e.g. 2026-04-01") from None


def filter_from_args(args: argparse.Namespace) -> SessionFilter:
    since, until = parse_day(args.since, "--since"), parse_day(args.until, "--until")
    return SessionFilter(trainee=args.trainee, scenario=args.scenario, since=since, until=until,
                         session=args.session)


def render_export(store: Store, flt: SessionFilter, fmt: str) -> ExportResult:
    """The stored sessions matching `flt` as a csv/json/html/pdf document (CLI and web app)."""
    if flt.since and flt.until and flt.since > flt.until:
        raise ExportError(f"--since {flt.since} is after --until {flt.until}: no day is in that range")
    sessions = store.sessions(flt, turns=fmt != "csv")
    if fmt == "csv":
        from simulator import report
        cat = report.export_catalog(sys.stderr, "total_final is left empty where a supervisor changed a level")
        out: str | bytes = to_csv(sessions, cat.rubrics if cat else {})
    elif fmt == "json":
        out = to_json(sessions, flt)
    elif fmt in ("html", "pdf"):
        if not sessions:
            raise NothingToReport(f"no stored session matches {_describe(flt)}; nothing to report")
        from simulator import report
        try:
            report.report_zone()
        except ValueError as e:
            raise ExportError(str(e)) from None
        # The trend shows every attempt of each reported trainee, not only the filtered ones.
        names = dict.fromkeys(s.trainee for s in sessions)
        history = [h for t in names for h in store.sessions(SessionFilter(trainee=t), turns=False)]
        rep = report.build(sessions, history, titles=report.catalog_titles(sys.stderr))
        out = report.to_html(rep) if fmt == "html" else report.to_pdf(rep)
    else:
        raise ExportError(f"unknown export format {fmt!r}: use csv, json, html or pdf")
    return ExportResult(content=out, sessions=len(sessions))


def write_export(path: str, data: str | bytes) -> None:
    p = Path(path)
    try:
        if isinstance(data, bytes):
            p.write_bytes(data)
        else:
            # newline="" keeps the CSV's CRLF row ends as they are
            with p.open("w", encoding="utf-8", newline="") as f:
                f.write(data)
    except OSError as e:
        raise ExportError(f"-o {path}: cannot write the file: {e.strerror or e}") from e


def cmd_export(args: argparse.Namespace, store: Store | None = None) -> int:
    """`simulator export`: csv/json to stdout or -o FILE; html/pdf coaching reports need -o."""
    try:
        flt = filter_from_args(args)
        if args.format in ("html", "pdf") and not args.output:
            raise ExportError(f"--format {args.format} writes a file: add -o REPORT.{args.format}")
        own = store is None
        store = store or Store()
        try:
            result = render_export(store, flt, args.format)
        finally:
            if own:
                store.close()
        if args.output:
            write_export(args.output, result.content)
            print(f"wrote {result.sessions} session(s) to {args.output}", file=sys.stderr)
        else:
            assert isinstance(result.content, str)
            sys.stdout.flush()
            # bytes, so Japanese survives a console whose locale encoding is not UTF-8
            sys.stdout.buffer.write(result.content.encode("utf-8"))
            sys.stdout.buffer.flush()
        return 0
    except (ExportError, StoreError) as e:
        print(f"simulator export: {e}", file=sys.stderr)
        return 1


def _describe(flt: SessionFilter) -> str:
    parts = [f"{k}={v}" for k, v in flt.model_dump(exclude_none=True).items()]
    return ", ".join(parts) if parts else "(no filter)"
