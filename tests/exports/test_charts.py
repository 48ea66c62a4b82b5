"""The SVG charts: well-formed, named and described for screen readers, bars in proportion to
their values, every text escaped, and nothing that needs JavaScript or inline styles."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from app.exports.charts import PALETTE, Series, bar_chart, hbar_chart, nice_ceiling

SVG = "{http://www.w3.org/2000/svg}"


def parse(markup: str) -> ET.Element:
    return ET.fromstring(markup)  # noqa: S314  (our own output)


def bars(chart: ET.Element) -> list[tuple[float, float, float, float, str, str]]:
    """(x, y, width, height, fill, tooltip) of every bar (a rect with a title)."""
    found = []
    for rect in chart.iter(f"{SVG}rect"):
        title = rect.find(f"{SVG}title")
        if title is None:
            continue  # a legend swatch
        found.append(
            (
                float(rect.get("x", 0)), float(rect.get("y", 0)), float(rect.get("width", 0)),
                float(rect.get("height", 0)), rect.get("fill", ""), title.text or "",
            )
        )  # fmt: skip
    return found


def simple(**overrides: object) -> ET.Element:
    arguments: dict[str, object] = {
        "chart_id": "c",
        "title": "Requests",
        "description": "Two months",
        "categories": ["Jan", "Feb"],
        "series": [Series("Access", [10, 5], PALETTE[0])],
    }
    arguments.update(overrides)
    return parse(bar_chart(**arguments))  # type: ignore[arg-type]


class TestBarChart:
    def test_an_image_named_by_its_title_and_described_by_its_desc(self) -> None:
        chart = simple()
        assert chart.tag == f"{SVG}svg"
        assert chart.get("role") == "img"
        assert chart.get("aria-labelledby") == "c-title c-desc"
        assert chart.find(f"{SVG}title").text == "Requests"  # type: ignore[union-attr]
        assert chart.find(f"{SVG}desc").text == "Two months"  # type: ignore[union-attr]
        assert chart.get("viewBox") == "0 0 720 300"

    def test_heights_are_in_proportion_to_the_values(self) -> None:
        (_, y1, _, h1, fill, tip1), (_, y2, _, h2, _, tip2) = bars(simple())
        assert h1 == pytest.approx(2 * h2, abs=0.2)
        assert y1 + h1 == pytest.approx(y2 + h2)  # the same baseline
        assert fill == PALETTE[0]
        assert (tip1, tip2) == ("Jan, Access: 10", "Feb, Access: 5")

    def test_stacked_bars_sit_on_each_other(self) -> None:
        chart = simple(
            series=[Series("A", [3, 0], PALETTE[0]), Series("B", [1, 2], PALETTE[1])],
            stacked=True,
        )
        found = bars(chart)
        assert [b[5] for b in found] == ["Jan, A: 3", "Jan, B: 1", "Feb, B: 2"]  # no zero bar
        (x_a, y_a, _, h_a, *_), (x_b, y_b, _, h_b, *_), _ = found
        assert x_a == x_b
        assert y_b + h_b == pytest.approx(y_a)  # B starts where A ends
        assert h_a == pytest.approx(3 * h_b, abs=0.2)

    def test_grouped_bars_stand_side_by_side(self) -> None:
        found = bars(
            simple(series=[Series("A", [3, 1], PALETTE[0]), Series("B", [1, 2], PALETTE[1])])
        )
        assert found[0][0] + found[0][2] == pytest.approx(found[1][0])

    def test_missing_values_draw_no_bar_and_a_fixed_scale_is_kept(self) -> None:
        chart = simple(
            series=[Series("On time", [None, 0.5], PALETTE[2])],
            max_value=1.0,
            value_text=lambda v: f"{v:.0%}",
        )
        [(_, _, _, height, _, tip)] = bars(chart)
        assert tip == "Feb, On time: 50%"
        labels = [t.text for t in chart.iter(f"{SVG}text")]
        assert "100%" in labels
        plot = 300 - 28 - (20 + 10)  # height - bottom - legend
        assert height == pytest.approx(plot / 2, abs=0.2)

    def test_a_zero_can_be_told_from_no_value(self) -> None:
        chart = simple(series=[Series("On time", [0.0, None], PALETTE[2])], show_zero=True)
        [(_, y, _, height, _, tip)] = bars(chart)
        assert tip == "Jan, On time: 0"
        assert height == 2
        assert y + height == pytest.approx(300 - 28)  # on the baseline

    def test_no_data_at_all_still_draws_an_axis(self) -> None:
        chart = simple(series=[Series("Access", [0, 0], PALETTE[0])])
        assert bars(chart) == []
        assert [t.text for t in chart.iter(f"{SVG}text")][-2:] == ["Jan", "Feb"]

    def test_every_text_is_escaped(self) -> None:
        markup = bar_chart(
            chart_id="x",
            title="<script>alert(1)</script>",
            description='"&<>',
            categories=["<b>"],
            series=[Series("A & B", [1], PALETTE[0])],
        )
        chart = parse(markup)
        assert chart.find(f"{SVG}title").text == "<script>alert(1)</script>"  # type: ignore[union-attr]
        assert "<script>" not in markup
        assert bars(chart)[0][5] == "<b>, A & B: 1"

    def test_no_script_and_no_inline_style(self) -> None:
        markup = bar_chart(
            chart_id="c", title="t", description="d", categories=["a"],
            series=[Series("s", [1], PALETTE[0])],
        )  # fmt: skip
        assert "<script" not in markup
        assert "style=" not in markup
        assert " on" not in markup.replace(" one", "")

    def test_long_series_show_every_few_labels(self) -> None:
        categories = [f"M{i}" for i in range(60)]
        chart = simple(categories=categories, series=[Series("A", [1] * 60, PALETTE[0])])
        labels = [t.text for t in chart.iter(f"{SVG}text") if (t.text or "").startswith("M")]
        assert 6 <= len(labels) < 60
        assert labels[0] == "M0"

    def test_values_must_match_the_categories(self) -> None:
        with pytest.raises(ValueError, match="values"):
            simple(series=[Series("A", [1], PALETTE[0])])


class TestHorizontalBarChart:
    def test_one_row_per_category_with_the_value_written_out(self) -> None:
        chart = parse(
            hbar_chart(
                chart_id="d",
                title="Days",
                description="Median and p90",
                categories=["Access", "Consent withdrawal"],
                series=[
                    Series("Median", [29.0, None], PALETTE[0]),
                    Series("90th percentile", [36, None], PALETTE[1]),
                ],
                value_text=lambda v: f"{v:g}",
            )
        )
        found = bars(chart)
        assert [b[5] for b in found] == ["Access, Median: 29", "Access, 90th percentile: 36"]
        assert found[0][2] < found[1][2]  # 29 is shorter than 36
        texts = [t.text for t in chart.iter(f"{SVG}text")]
        assert "Consent withdrawal" in texts
        assert texts.count("–") == 2  # no value: a dash, no bar


class TestScale:
    @pytest.mark.parametrize(
        ("value", "expected"),
        [(0, (1.0, 1.0)), (1, (1.0, 1.0)), (3, (3.0, 1.0)), (17, (20.0, 5.0)),
         (250_000, (250_000.0, 50_000.0)), (0.82, (1.0, 1.0))],
    )  # fmt: skip
    def test_a_readable_top_and_step(self, value: float, expected: tuple[float, float]) -> None:
        assert nice_ceiling(value) == expected

    def test_fractions_when_not_counting(self) -> None:
        assert nice_ceiling(0.82, whole=False) == (1.0, 0.2)
