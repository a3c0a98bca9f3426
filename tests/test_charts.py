"""simulator/charts.py: what a reader needs from a score chart, checked in the SVG it draws."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

from simulator import charts


def svg_of(chart: charts.LineChart | charts.BarChart) -> str:
    fig = charts.line_figure(chart) if isinstance(chart, charts.LineChart) else charts.bar_figure(chart)
    return charts.to_svg(fig)


def test_every_attempt_is_a_point_even_a_lone_one() -> None:
    svg = svg_of(charts.LineChart(series=[charts.LineSeries(name="A", x=[1], y=[70.0]),
                                          charts.LineSeries(name="B", x=[1, 2, 3], y=[10.0, 0.0, 100.0])],
                                  x_title="Attempt", y_title="Total"))
    root = ET.fromstring(svg)
    uses = {g.get("id"): len(g.findall(".//{http://www.w3.org/2000/svg}use"))
            for g in root.iter("{http://www.w3.org/2000/svg}g") if (g.get("id") or "").startswith("sim-line-")}
    assert uses == {"sim-line-0": 1, "sim-line-1": 3}, uses


def test_attempt_ticks_are_whole_numbers_and_titles_are_the_callers() -> None:
    svg = svg_of(charts.LineChart(series=[charts.LineSeries(name="山田", x=[1, 2, 3], y=[1.0, 2.0, 3.0])],
                                  x_title="受講回（回目）", y_title="合計点"))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    xticks = [x for x in texts if re.fullmatch(r"\d+(\.\d+)?", x)]
    assert xticks and all("." not in x for x in xticks)
    assert texts.count("2") == 1  # no "1 2 2 3 3"
    assert "受講回（回目）" in texts and "合計点" in texts and "山田" in texts


def test_names_are_escaped_and_the_svg_scales() -> None:
    svg = svg_of(charts.LineChart(series=[charts.LineSeries(name="<script>x</script>", x=[1], y=[5.0])],
                                  x_title="a", y_title="b"))
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert svg.startswith("<svg") and 'style="width:100%;max-width:' in svg and "<metadata>" not in svg


def test_bars_carry_their_values_and_labels_in_order() -> None:
    svg = svg_of(charts.BarChart(labels=["共感", "潜在ニーズ", "待ち時間"],
                                 series=[charts.BarSeries(name="avg", values=[1.5, 2.0, None])],
                                 value_title="平均レベル（0〜4）"))
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", svg)
    assert "1.5" in texts and "2.0" in texts and "平均レベル（0〜4）" in texts
    assert {"共感", "潜在ニーズ", "待ち時間"} <= set(texts)
    assert charts.to_png(charts.bar_figure(charts.BarChart(labels=["a"], series=[charts.BarSeries(name="s", values=[1])],
                                                           value_title="v"))).startswith(b"\x89PNG")


def _session(trainee: str, minute: int, total: float):  # type: ignore[no-untyped-def]
    from datetime import datetime, timezone

    from simulator.models import CriterionScore, CustomerState, ScoreCard
    from simulator.store import StoredSession
    card = ScoreCard(scenario="catalog-bride-ja", rubric="default", judge="heuristic", total=total,
                     criteria=[CriterionScore(id="empathy", score=2)])
    return StoredSession(id=f"{trainee}-{minute}", trainee=trainee, scenario="catalog-bride-ja", backend="scripted",
                         language="ja", started_at=datetime(2026, 4, 1, 9, minute, tzinfo=timezone.utc),
                         state=CustomerState(), card=card)


def test_dashboard_trend_draws_the_most_recent_trainees_and_says_how_to_pick_others() -> None:
    from simulator.web import dashboard
    sessions = [_session(f"t{i:02d}", i, 10.0 * (i % 10)) for i in range(12)] + [_session("t00", 40, 50.0)]
    trend = dashboard.trend_chart(sessions, "ja")
    assert trend.trainees == 12 and trend.chart is not None
    names = [s.name for s in trend.chart.series]
    assert len(names) == charts.MAX_LINES and "t00" in names and "t01" not in names  # t00 came back last
    assert next(s for s in trend.chart.series if s.name == "t00").x == [1, 2]
    table, summary, avg, trend_html = dashboard.dashboard_view(sessions, None, "ja", {})
    assert "全 12 名" in trend_html and "研修生" in trend_html
    assert "セッション 13 件" in summary and list(table.columns)[0] == "日時"
    empty = dashboard.dashboard_view([], None, "en", {})
    assert "No session matches the filters." in empty[1] and "No scored session yet." in empty[2]
