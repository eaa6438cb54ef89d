"""User text made safe for every screen: console, Markdown, HTML and chart labels.

Why: task, project, place and worker names come from specs and platform exports, and fairpay
prints them next to verdicts and money. A name must never change what the figures beside it
say: ``[/bar]`` crashes a rich table and ``[b]`` vanishes into it; a ``$`` in a chart label starts
matplotlib's math mode (a crash, or dollar signs that vanish); ``<script>`` in HTML runs; and a
right-to-left override (U+202E) reverses the rest of a line, so "0.91 USD/h" reads "h/DSU 19.0".

The rule, one definition for every output:

- Line breaks and tabs become one space, so a name cannot start a new line or row.
- Bidirectional controls (LRE, RLE, PDF, LRO, RLO, LRI, RLI, FSI, PDI, LRM, RLM, ALM) and other
  invisible control characters (C0/C1 controls, line/paragraph separators, format characters
  except the joiners that scripts such as Devanagari and emoji need) are **made visible** as
  ``<U+202E>``: nobody's name needs them, and a reviewer should see that they were there.
- Text holding right-to-left letters (Arabic, Hebrew, ...) is **isolated**: in HTML inside
  ``<bdi>``, in plain text and Markdown between FSI (U+2068) and PDI (U+2069), so it cannot pull a
  neighbouring number or verdict into its direction.
- Then each format's own escaping: rich markup, Markdown markup, HTML entities, matplotlib math.
"""

from __future__ import annotations

import html
import re
import unicodedata
from typing import Any

#: The Unicode bidirectional formatting characters (UAX #9), always made visible.
BIDI_CONTROLS = frozenset("\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
#: Format characters that real text needs (joiners, soft hyphen): kept.
_KEEP = frozenset("\u200c\u200d\u00ad")
FSI, PDI = "\u2068", "\u2069"
# line breaks and tabs: one space (a name cannot start a new console line or table row)
_BREAKS = re.compile(r"[\r\n\t\v\f\x1c-\x1e\x85\u2028\u2029]+")


def _hidden(ch: str) -> bool:
    if ch in BIDI_CONTROLS:
        return True
    if ch in _KEEP or ch == " ":
        return False
    return unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp", "Cs", "Co", "Cn") and ch not in _KEEP


def visible(text: Any, *, keep_isolates: bool = False) -> str:
    """``text`` with every bidi control and invisible control shown as ``<U+XXXX>``.

    ``keep_isolates``: keep balanced FSI/PDI pairs, the isolation :func:`plain` added when the
    text entered a document (a renderer's pass over already-safe text).
    """
    s = _BREAKS.sub(" ", str(text))
    if all(ch.isprintable() and ch not in BIDI_CONTROLS for ch in s):
        return s
    keep = keep_isolates and _balanced(s)
    return "".join(
        f"<U+{ord(ch):04X}>" if _hidden(ch) and not (keep and ch in (FSI, PDI)) else ch for ch in s
    )


def _balanced(s: str) -> bool:
    depth = 0
    for ch in s:
        if ch == FSI:
            depth += 1
        elif ch == PDI:
            depth -= 1
            if depth < 0:
                return False
    return depth == 0


def has_rtl(text: str) -> bool:
    """True when ``text`` holds right-to-left letters (bidi class R or AL)."""
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in text)


def plain(text: Any) -> str:
    """Text for a plain-text line (console echo, Markdown): controls visible, RTL isolated."""
    s = visible(text)
    return f"{FSI}{s}{PDI}" if has_rtl(s) else s


def console(text: Any) -> Any:
    """A rich ``Text`` that prints ``text`` literally (no markup), controls visible, RTL isolated."""
    from rich.text import Text

    return Text(plain(text))


def html_text(text: Any) -> str:
    """Text for HTML: controls visible, entities escaped (quotes too), RTL text inside ``<bdi>``.

    Isolates added by :func:`plain` become ``<bdi>`` elements; bare RTL text is wrapped whole.
    """
    s = visible(text, keep_isolates=True)
    escaped = html.escape(s, quote=True)
    if FSI in escaped:
        return escaped.replace(FSI, "<bdi>").replace(PDI, "</bdi>")
    return f"<bdi>{escaped}</bdi>" if has_rtl(s) else escaped


def markdown_ready(text: Any) -> str:
    """Text for Markdown before markup escaping: controls visible, isolates kept, RTL isolated."""
    s = visible(text, keep_isolates=True)
    return f"{FSI}{s}{PDI}" if has_rtl(s) and FSI not in s else s


def chart(text: Any) -> str:
    """Text for a matplotlib label: controls visible (matplotlib has no bidi: nothing to isolate),
    and ``$`` escaped so it never starts math mode (no crash, no vanished dollar signs)."""
    return visible(text).replace("$", r"\$")
