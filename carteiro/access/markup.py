"""ERP text shown as text: the one helper for every value from the ERP (or from a mail server,
an identity provider, the user's own search) that ends up in a Streamlit element rendering
Markdown.

Streamlit 1.67 renders GitHub-flavoured Markdown plus its own directives in ``st.markdown``,
``st.caption``, ``st.title``/``header``/``subheader``, the body *and* ``title`` of
``st.error``/``warning``/``info``/``success``, ``st.metric`` label/value/delta/help, widget
labels and ``help`` (``st.button``, ``st.download_button``…), ``st.spinner``/``st.status``
labels, ``st.expander``/``st.tabs`` labels and ``st.radio`` options. It renders as plain text:
``st.text``, ``st.code``, table cells (``st.dataframe``), ``st.selectbox``/``st.multiselect``
options (``format_func``) and ``st.text_input`` values — ERP text goes there unchanged.

:func:`text` makes a value inert in the first group. Backslash-escaping the ASCII punctuation
(CommonMark) stops images, links, emphasis, HTML, KaTeX (``$``) and ``:red[...]``; it is not
enough, because the GFM autolink-literal pass and Streamlit's ``:material/...:`` icons work on
the text *after* escapes are resolved (checked in Chromium: ``https\\://x`` still became a
link). So a WORD JOINER (U+2060, invisible, zero width) also breaks the patterns they look
for: after the ``:`` of ``://``, between ``www`` and ``.``, after ``@`` and after a ``:``
followed by a letter. The only visible trace is that a copied URL or e-mail address carries
that invisible character. Line breaks and control characters become spaces (a value is one
line of a sentence).

Plotly charts are a second renderer: their texts (axis ticks, legends, hover labels) accept a
subset of HTML, ``<a href>`` included (checked: an ERP billing-method name became a link in the
Cobertura chart). :func:`chart_text` escapes ``&``, ``<`` and ``>``; Plotly decodes the
entities only in the text between tags, so the name shows as written.
"""

from __future__ import annotations

import html
import re
from typing import Any, Final

WORD_JOINER: Final = "\u2060"
_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
_PUNCTUATION: Final = re.compile(r"""([!"#$%&'()*+,\-./:;<=>?@\[\\\]^_`{|}~])""")
_AUTOLINK: Final = re.compile(r"(:)(?=//)|(?<![^\W_])(www)(?=\.)|(@)(?=.)|(:)(?=[^\W\d_])",
                              re.IGNORECASE)


def text(value: Any) -> str:
    """``value`` as inert Markdown: it renders exactly as written, never as a link, an image,
    HTML, emphasis, math, an icon or a colour."""
    if value is None:
        return ""
    plain = _CONTROL.sub(" ", str(value)).strip()
    broken = _AUTOLINK.sub(lambda m: m.group(0) + WORD_JOINER, plain)
    return _PUNCTUATION.sub(r"\\\1", broken)



def chart_text(value: Any) -> str:
    """``value`` for a Plotly text (tick, legend, hover): shown as written, never as HTML."""
    if value is None:
        return ""
    return html.escape(_CONTROL.sub(" ", str(value)), quote=False)
