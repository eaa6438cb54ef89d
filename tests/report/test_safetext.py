"""Safe text: a name can neither run nor reorder what is printed next to it."""

from __future__ import annotations

import io

from rich.console import Console

from fairpay.report import safetext


def test_bidi_controls_are_made_visible() -> None:
    assert safetext.visible("a\u202eb\u2066c") == "a<U+202E>b<U+2066>c"
    assert safetext.visible("line\r\nbreak\tx") == "line break x"  # cannot start a new line
    assert safetext.visible("zero\u200dwidth joiner") == "zero\u200dwidth joiner"  # scripts need it


def test_right_to_left_text_is_isolated() -> None:
    assert safetext.plain("\u05e9\u05dc\u05d5\u05dd") == "\u2068\u05e9\u05dc\u05d5\u05dd\u2069"
    assert safetext.plain("plain") == "plain"
    # in HTML the isolate is a <bdi> element; a hostile PDI cannot close it early
    assert safetext.html_text(safetext.plain("\u05e9 <b>")) == "<bdi>\u05e9 &lt;b&gt;</bdi>"
    assert safetext.html_text("x\u2069\u202e") == "x&lt;U+2069&gt;&lt;U+202E&gt;"


def test_rich_markup_is_printed_literally() -> None:
    buf = io.StringIO()
    Console(file=buf, width=80).print(safetext.console("[/bar] [b]bold[/b] [red]x"))
    assert buf.getvalue() == "[/bar] [b]bold[/b] [red]x\n"


def test_dollar_signs_do_not_start_math_in_charts() -> None:
    from matplotlib.figure import Figure

    label = safetext.chart("cost $5 or $x^2$")
    assert label == r"cost \$5 or \$x^2\$"
    fig = Figure()
    ax = fig.add_subplot()
    ax.set_title(label)
    buf = io.StringIO()
    fig.savefig(buf, format="svg")  # no mathtext parse error
    assert "cost $5 or $x^2$" in buf.getvalue()  # the label, as matplotlib writes it in the SVG comment


def test_a_long_name_with_dollars_wraps_without_starting_math() -> None:
    """Wrapping happens before escaping, so a wrapped line never ends in a lone backslash."""
    from fairpay.report.plots import _label

    label = _label("a" * 33 + "$" + "b" * 33 + "$ end $$")
    assert all(line.count("$") == line.count(r"\$") for line in label.split("\n"))
    original = "a" * 33 + "$" + "b" * 33 + "$ end $$"
    # nothing lost: the lines, unescaped, are the name (textwrap drops the spaces it breaks at)
    assert label.replace("\\$", "$").replace("\n", "").replace(" ", "") == original.replace(" ", "")


def test_right_to_left_task_names_are_isolated_in_report_sentences() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).parent))
    from test_one_number import spec

    import fairpay
    from fairpay.report.document import report_html, report_markdown

    name = "\u05e9\u05dc\u05d5\u05dd"  # Hebrew letters: without isolation "0.91" could move before them
    result = fairpay.check(spec(task=name))
    md = report_markdown(result)
    assert f"Lowest: \u2068{name}\u2069 in US earns 27.00 USD/h" in md
    page = report_html(result, plots=False)
    assert f"Lowest: <bdi>{name}</bdi> in US earns 27.00 USD/h" in page
