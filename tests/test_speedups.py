"""Speed-ups that must not change a byte of what the reports show."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

_RENDER = textwrap.dedent(
    """
    import re, sys
    import pandas as pd
    import salesnb.notebook as nb

    if sys.argv[1] == "plain":  # great_tables as shipped: .iloc into Arrow-backed strings
        from great_tables import GT

        nb._great_tables = lambda: GT
    table = pd.DataFrame(
        {
            "account": ["Alpha <b>", None, "Gamma", "Delta"] * 5,
            "revenue": [1234.5, None, 0.0, -20.0] * 5,
            "share": [0.5, 0.25, None, 1.0] * 5,
            "won": pd.array([3, None, 1, 0] * 5, dtype="Int64"),
            "first_order": pd.to_datetime(["2026-01-02", None, "2025-12-31", "2026-03-31"] * 5),
        }
    )
    shown = nb.table_html(table, title="Accounts", source="test")
    html = getattr(shown, "data", None) or shown._repr_html_()
    print(re.sub(r"sn-[\\w-]*?-\\d+", "ID", str(html)))
    """
)


def _render(mode: str) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _RENDER, mode],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
        env={"MPLBACKEND": "Agg", "PATH": "/usr/bin:/bin", "HOME": str(Path.home())},
    )
    return done.stdout


def test_great_tables_cells_through_iat_render_the_same_html():
    fast, plain = _render("fast"), _render("plain")
    assert "Alpha &lt;b&gt;" in fast and "1,234" in fast  # escaped text, formatted money
    assert fast == plain
