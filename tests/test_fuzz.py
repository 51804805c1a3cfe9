"""Fuzzing the command line with damaged files: never a traceback, never a changed input.

Small valid files (CSV, XLSX, Parquet, dataset.yml, an import mapping) are mutated byte by
byte: flipped, truncated, with NULs, quotes, byte-order marks, carriage returns and huge
numbers injected. ``salesnb check`` and ``salesnb import`` (with ``--mapping`` and with
``--source auto``) must then exit 0, 1 or 2, say something when they fail, print no
traceback, leave every input byte as it was and write nothing outside their ``--out`` folder.

The CLI runs in-process (``run_cli``); under CI the examples are derandomized (conftest).
"""

from __future__ import annotations

import hashlib
import io
import os
import tempfile
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

ACCOUNTS = (
    "account_id,account_name,industry,employees,is_global\n"
    "A1,Alpha Ltd,software,120,yes\nA2,Beta GmbH,retail,40,no\nA3,Gamma SA,energy,900,\n"
)
ORDERS = (
    "order_id,account_id,order_date,amount,currency\n"
    "L1,A1,2025-01-02,10.5,USD\nL2,A2,2025-02-03,-4,USD\nL3,A3,2025-03-04,1000,USD\n"
)
OPPORTUNITIES = (
    "opportunity_id,account_id,stage,amount,created_date,close_date,outcome,probability\n"
    "O1,A1,Closed Won,1000,2025-01-10,2025-03-01,won,1\n"
    'O2,A2,"Proposal, revised",250.5,2025-02-01,2025-06-30,open,0.4\n'
)
SETTINGS = "name: Fuzz Co\ncurrency: USD\nfiscal_year_start_month: 4\n"
EXPORT = "Order ID,Customer,Order Date,Sales\n1,C1,2026-01-03,10\n2,C2,2026-02-01,20.5\n"
MAPPING = (
    "tables:\n  orders:\n    file: orders.csv\n    columns: {order_id: Order ID, "
    "account_id: Customer, order_date: Order Date, amount: Sales}\n"
)
SALESFORCE = (
    '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date",'
    '"Created Date"\n'
    '"Ann Lee","Acme","Renewal","Closed Won","USD 12,345.00","11/23/2026","9/1/2026"\n'
    '"Bob Ray","Globex","New","Prospecting","USD 1,200.50","1/15/2027","10/2/2026"\n'
)


def _xlsx(text: str) -> bytes:
    buf = io.BytesIO()
    pd.read_csv(io.StringIO(text), dtype=str).to_excel(buf, index=False)
    return buf.getvalue()


def _parquet(text: str) -> bytes:
    buf = io.BytesIO()
    df = pd.read_csv(io.StringIO(text), dtype=str)
    df["amount"] = pd.to_numeric(df["amount"])
    df.to_parquet(buf, index=False)
    return buf.getvalue()


# the valid seeds each data set is made of; one file of it is mutated per example
SEEDS: dict[str, bytes] = {
    "accounts.csv": ACCOUNTS.encode(),
    "orders.csv": ORDERS.encode(),
    "opportunities.csv": OPPORTUNITIES.encode(),
    "dataset.yml": SETTINGS.encode(),
}
FORMATS: dict[str, dict[str, bytes]] = {
    "csv": SEEDS,
    "xlsx": {**SEEDS, "accounts.xlsx": _xlsx(ACCOUNTS)} | {"accounts.csv": b""},
    "parquet": {**SEEDS, "orders.parquet": _parquet(ORDERS)} | {"orders.csv": b""},
}
INJECT = [
    b"\x00",
    b'"',
    b'""',
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\r",
    b"\r\n",
    b"\n\n",
    b",",
    b";",
    b"\t",
    b"1e308",
    b"-inf",
    b"NaN",
    b"9" * 400,
    b"\xc3",
    b"\xe9",
    b"=cmd()",
    b"- ",
    b": ",
    b"{[",
    b"&a *a",
    b"!!python/object:os.system",
]


@st.composite
def mutated(draw: st.DrawFn, seed: bytes) -> bytes:
    """``seed`` with a few byte-level mutations (or truncated, or replaced by random bytes)."""
    if draw(st.integers(0, 19)) == 0:
        return draw(st.binary(max_size=300))
    data = bytearray(seed)
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["inject", "flip", "truncate", "delete", "repeat"]))
        at = draw(st.integers(0, len(data)))
        if kind == "inject":
            data[at:at] = draw(st.sampled_from(INJECT) | st.binary(min_size=1, max_size=8))
        elif kind == "flip" and at < len(data):
            data[at] = draw(st.integers(0, 255))
        elif kind == "truncate":
            del data[at:]
        elif kind == "delete":
            del data[at : at + draw(st.integers(1, 20))]
        elif kind == "repeat":
            data[at:at] = data[at : at + draw(st.integers(1, 60))]
    return bytes(data)


def _listing(root: Path, outs: tuple[str, ...]) -> dict[str, str]:
    """Every path below ``root`` outside the output folders, with a hash of each file."""
    found = {}
    for p in sorted(root.rglob("*")):
        rel = p.relative_to(root)
        if rel.parts[0] in outs:
            continue
        found[str(rel)] = hashlib.sha256(p.read_bytes()).hexdigest() if p.is_file() else "dir"
    return found


def _assert_clean(result, what: str) -> None:
    text = result.out + result.err
    assert "Traceback" not in text, f"{what}:\n{text}"
    assert result.code in (0, 1, 2), f"{what}: exit {result.code}\n{text}"
    if result.code:
        assert text.strip(), f"{what}: exit {result.code} without a message"


def _run(run_cli, files: dict[str, bytes], *args: str) -> None:
    """Write ``files``, run ``salesnb ARGS`` ({data}, {out} filled in) and check the outcome."""
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = root / "data"
        data.mkdir()
        for name, raw in files.items():
            if raw:  # an empty seed means "not part of this format's data set"
                (data / name).write_bytes(raw)
        before = _listing(root, ("out",))
        argv = [a.format(data=data, out=root / "out") for a in args]
        result = run_cli(*argv)
        _assert_clean(result, " ".join(args) + f" with {sorted(files)}")
        assert _listing(root, ("out",)) == before, (
            "an input changed or a file appeared outside --out"
        )


def _run_import(run_cli, files: dict[str, bytes], *args: str) -> None:
    """``_run`` for imports."""
    _run(run_cli, files, *args)


FUZZ = settings(
    max_examples=int(os.environ.get("SALESNB_FUZZ_EXAMPLES", "40")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@FUZZ
@given(data=st.data(), fmt=st.sampled_from(sorted(FORMATS)))
def test_check_survives_damaged_files(run_cli, data, fmt):
    files = dict(FORMATS[fmt])
    victim = data.draw(st.sampled_from(sorted(n for n, b in files.items() if b)), label="file")
    files[victim] = data.draw(mutated(files[victim]), label="bytes")
    _run(run_cli, files, "check", "{data}")


@FUZZ
@given(
    export=mutated(EXPORT.encode()), mapping=mutated(MAPPING.encode()) | st.just(MAPPING.encode())
)
def test_import_with_a_mapping_survives_damaged_files(run_cli, export, mapping):
    files = {"orders.csv": export, "map.yml": mapping}
    _run_import(
        run_cli,
        files,
        "import",
        "{data}/orders.csv",
        "--mapping",
        "{data}/map.yml",
        "--out",
        "{out}",
    )


@FUZZ
@given(export=mutated(SALESFORCE.encode()), suffix=st.sampled_from([".csv", ".xlsx"]))
def test_import_auto_survives_damaged_files(run_cli, export, suffix):
    if suffix == ".xlsx":  # a damaged workbook: the mutated bytes of a valid one
        export = export if export.startswith(b"PK") else _xlsx(SALESFORCE)[: len(export)]
    _run_import(
        run_cli, {f"report{suffix}": export}, "import", f"{{data}}/report{suffix}", "--out", "{out}"
    )


# Found by the fuzzing above (regressions): a mapped date column that is empty on every row
# (or that rows shorter than the header leave empty) ended in "TypeError: Cannot cast
# DatetimeArray to dtype float64" from crm._per_unique, a traceback instead of a message.
def test_import_mapping_with_an_empty_date_column(run_cli):
    export = b"Order ID,Customer,Order Date,Sales\n1,C1,,10\n2,C2,,20.5\n"
    _run(
        run_cli,
        {"orders.csv": export, "map.yml": MAPPING.encode()},
        "import",
        "{data}/orders.csv",
        "--mapping",
        "{data}/map.yml",
        "--out",
        "{out}",
    )


def test_import_auto_with_an_empty_date_column(run_cli):
    export = SALESFORCE.replace('"9/1/2026"', '""').replace('"10/2/2026"', '""')
    _run(run_cli, {"report.csv": export.encode()}, "import", "{data}/report.csv", "--out", "{out}")


@pytest.mark.parametrize(
    "files",
    [
        {"accounts.csv": ACCOUNTS.encode(), "orders.csv": ORDERS.encode()},
        {"accounts.xlsx": _xlsx(ACCOUNTS), "orders.parquet": _parquet(ORDERS)},
    ],
    ids=["csv", "xlsx_parquet"],
)
def test_the_seeds_are_valid(run_cli, files):
    """The fuzzing starts from files that check clean: the mutations make the trouble."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, raw in files.items():
            (Path(tmp) / name).write_bytes(raw)
        result = run_cli("check", tmp)
    assert result.code == 0, result.out + result.err
