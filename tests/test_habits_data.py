"""Issue 15's data: the referral source, referred_by, contact details, the trials table,
their redaction, the import vocabulary and the demo's habit effects (from the written files)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from salesnb import crm, datasets, notebook, schema, sources, workspace
from salesnb.datasets import DemoSpec, make_demo, write_demo
from salesnb.schema import TABLES, check_table, parse_table

EXEC = r"^(?:VP|Head of|Chief|C[EFIOT]O)\b"


def frame(rows: dict[str, list], start: int = 2) -> pd.DataFrame:
    df = pd.DataFrame(rows, dtype="str")
    df.index = pd.RangeIndex(start, start + len(df))
    return df


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


# --------------------------------------------------------------------------- schema
def test_referral_is_a_source_and_trials_an_optional_table():
    assert schema.CATEGORIES["source"] == ("sales", "marketing", "partner", "referral")
    trials = TABLES["trials"]
    assert trials.key == ("trial_id",) and trials.required == ["trial_id", "start_date"]
    assert trials.references == {"account_id": "accounts"}
    kinds = {c.name: c.kind for c in trials.columns}
    assert kinds == {
        "trial_id": "id",
        "account_id": "id",
        "email": "text",
        "start_date": "date",
        "end_date": "date",
        "length_days": "int",
        "qualified": "bool",
        "usage_score": "number",
        "converted": "bool",
    }
    assert TABLES["accounts"].column("referred_by").kind == "id"
    assert TABLES["accounts"].references == {"referred_by": "accounts"}
    assert {"email", "phone"} <= set(TABLES["contacts"].names)


def test_referred_by_self_reference_is_an_error_and_an_unknown_id_a_located_finding():
    df = frame(
        {
            "account_id": ["A1", "A2", "A3", "A4"],
            "account_name": ["Alpha", "Beta", "Gamma", "Delta"],
            "referred_by": ["", "A1", "A3", "A9"],
        }
    )
    typed, problems, _ = parse_table(df, TABLES["accounts"], file="accounts.csv")
    assert problems == []
    found = check_table(typed, TABLES["accounts"], file="accounts.csv")
    assert len(found) == 2, [p.describe() for p in found]
    self_ref = next(p for p in found if "itself" in p.problem)
    assert (self_ref.severity, self_ref.line, self_ref.column) == ("error", 4, "referred_by")
    assert "'A3'" in self_ref.describe() and "leave the cell empty" in self_ref.fix
    unknown = next(p for p in found if "not in accounts" in p.problem)
    assert (unknown.severity, unknown.line, unknown.column) == ("finding", 5, "referred_by")
    assert "'A9'" in unknown.describe()


def test_phone_numbers_are_not_formula_injection_but_formulas_still_are():
    masks = schema.check_text(
        pd.Series(["+44 20 7946 0958", "+1 (555) 010-2030", "+cmd|x", "=1+1"])
    )
    assert masks["formula"].tolist() == [False, False, True, True]


TRIALS_CSV = (
    "trial_id,account_id,email,start_date,end_date,length_days,qualified,usage_score,converted\n"
    "T1,A1,ann@alpha.example,2026-01-05,2026-01-12,7,yes,55,yes\n"
    "T2,,bo@beta.example,2026-01-10,2026-01-03,7,no,20,no\n"  # line 3: ends before it starts
    "T3,A9,cy@gamma.example,2026-02-01,2026-03-03,0,no,130,no\n"  # line 4: unknown, 0 days, 130
    "T4,,dee@delta.example,someday,,30,maybe,,no\n"  # line 5: no date, not a yes/no
)


@pytest.fixture
def trial_folder(tmp_path) -> Path:
    folder = tmp_path / "data"
    write(folder / "accounts.csv", "account_id,account_name\nA1,Alpha\n")
    write(folder / "trials.csv", TRIALS_CSV)
    return folder


def test_trial_problems_are_located_with_a_fix(trial_folder):
    ds = sources.read_dataset(trial_folder)
    assert ds.rows["trials"] == 4 and "trials" in ds.tables
    got = {(p.severity, p.line, p.column): p for p in ds.problems if p.table == "trials"}
    assert set(got) == {
        ("error", 3, "end_date"),
        ("finding", 4, "account_id"),
        ("finding", 4, "length_days"),
        ("finding", 4, "usage_score"),
        ("error", 5, "start_date"),
        ("error", 5, "qualified"),
    }, [p.describe() for p in ds.problems]
    assert all(p.file == "trials.csv" and p.fix for p in got.values())
    assert "end date before the start date" in got[("error", 3, "end_date")].problem
    assert "below 1" in got[("finding", 4, "length_days")].problem
    assert "outside 0 to 100" in got[("finding", 4, "usage_score")].problem
    assert "from 0 to 100" in got[("finding", 4, "usage_score")].fix


def test_check_command_lists_trials_and_their_problems(trial_folder, run_cli):
    res = run_cli("check", trial_folder)
    assert res.code == 1
    assert "trials" in res.out and "4 rows" in res.out
    assert "trials.csv line 3, column 'end_date': end date before the start date" in res.out
    assert "trials.csv line 5, column 'start_date': 'someday' is not a date" in res.out


# --------------------------------------------------------------------------- redaction
@pytest.fixture
def redact_key(tmp_path, monkeypatch) -> bytes:
    key = tmp_path / "redact.key"
    key.write_bytes(b"k" * 32)
    monkeypatch.setenv(notebook.KEY_ENV, str(key))
    return key.read_bytes()


def test_one_redaction_constant_covers_contact_details_and_trial_emails():
    assert workspace.REDACTED_COLUMNS is notebook.REDACTED_COLUMNS
    assert notebook.REDACTED_COLUMNS["contacts"] == {
        "full_name": "Person",
        "email": "Email",
        "phone": "Phone",
    }
    assert notebook.REDACTED_COLUMNS["trials"] == {"email": "Email"}
    assert notebook.REDACTED_COLUMNS["activities"] == {"owner": "Rep"}


def test_redacted_copy_leaves_no_real_email_or_phone(demo_dir, tmp_path, redact_key):
    workspace.redacted_copy(demo_dir, tmp_path / "copy")
    real = {t: pd.read_csv(demo_dir / f"{t}.csv", dtype=str) for t in ("contacts", "trials")}
    copy = {t: pd.read_csv(tmp_path / "copy" / f"{t}.csv", dtype=str) for t in real}
    for table, col in (("contacts", "email"), ("contacts", "phone"), ("trials", "email")):
        was, now = real[table][col], copy[table][col]
        assert was.notna().sum() > 100 and now.notna().equals(was.notna())
        assert not now.dropna().isin(set(was.dropna())).any()
        assert now.dropna().str.match(r"^(Email|Phone) [0-9A-F]{10,}$").all()
    text = "".join((tmp_path / "copy" / f"{t}.csv").read_text() for t in real)
    assert "@" not in text and "+1 555" not in text
    # the same person keeps one pseudonym: repeat sign-ups stay visible
    assert copy["trials"]["email"].duplicated().sum() == real["trials"]["email"].duplicated().sum()


def test_run_redact_replaces_contact_details_in_the_notebook_tables(demo_dir, tmp_path, redact_key):
    ctx = notebook.setup(str(demo_dir), quarter="2026Q3", output_dir=str(tmp_path), redact=True)
    contacts, trials = ctx.data.table("contacts"), ctx.data.table("trials")
    assert not contacts["email"].dropna().str.contains("@").any()
    assert contacts["phone"].dropna().str.startswith("Phone ").all()
    assert trials["email"].str.startswith("Email ").all()


# --------------------------------------------------------------------------- import vocabulary
def test_referral_lead_sources_are_imported_as_referral(tmp_path):
    report = write(
        tmp_path / "in" / "report.csv",
        '"Opportunity Owner","Account Name","Opportunity Name","Stage","Amount","Close Date",'
        '"Created Date","Lead Source"\n'
        + "".join(
            f'"Ann","Acme","D{i}","Closed Won","100","11/23/2026","9/1/2026","{src}"\n'
            for i, src in enumerate(
                [
                    "Employee Referral",
                    "Customer Referral",
                    "Word of mouth",
                    "Partner Referral",
                    "Web",
                    "Cold Call",
                ]
            )
        ),
    )
    crm.import_exports([report], tmp_path / "out")
    opp = sources.load_dataset(tmp_path / "out").table("opportunities")
    assert opp["source"].tolist() == [
        "referral",
        "referral",
        "referral",
        "partner",
        "marketing",
        "sales",
    ]


def test_pipedrive_source_channel_and_hubspot_contact_details(tmp_path):
    deals = write(
        tmp_path / "pd" / "deals.csv",
        "Deal - ID,Deal - Title,Deal - Value,Deal - Status,Deal - Stage,Deal - Organization,"
        "Deal - Deal created,Deal - Won time,Deal - Owner,Deal - Source channel\n"
        "1,A,100,Won,Won,Alpha,2026-01-05 10:00:00,2026-03-01 11:00:00,Eva,Referral\n"
        "2,B,100,Won,Won,Beta,2026-01-05 10:00:00,2026-03-01 11:00:00,Eva,Paid search\n"
        "3,C,100,Won,Won,Gamma,2026-01-05 10:00:00,2026-03-01 11:00:00,Eva,Partner\n",
    )
    crm.import_exports([deals], tmp_path / "pd_out", source="pipedrive")
    opp = sources.load_dataset(tmp_path / "pd_out").table("opportunities")
    assert opp["source"].tolist() == ["referral", "marketing", "partner"]
    contacts = write(
        tmp_path / "hs" / "contacts.csv",
        "Record ID,First Name,Last Name,Email,Phone Number,Job Title,Associated Company IDs\n"
        "1,Ann,Lee,ann@alpha.example,+1 555 0100 1234,CEO,9001\n",
    )
    companies = write(
        tmp_path / "hs" / "companies.csv",
        "Record ID,Company name,Company Domain Name,Industry\n9001,Alpha,alpha.example,RETAIL\n",
    )
    crm.import_exports([companies, contacts], tmp_path / "hs_out", source="hubspot")
    ds = sources.load_dataset(tmp_path / "hs_out")
    row = ds.table("contacts").iloc[0]
    assert (row["email"], row["phone"]) == ("ann@alpha.example", "+1 555 0100 1234")
    assert not ds.findings, [p.describe() for p in ds.findings]


# --------------------------------------------------------------------------- the demo
def test_habits_change_no_earlier_value_but_the_source_label(monkeypatch):
    spec = DemoSpec(seed=7, accounts=120)
    full, _ = make_demo(spec)
    monkeypatch.setattr(datasets, "_habits", lambda spec, tables: tables)
    plain, _ = make_demo(spec)
    for name, df in plain.items():
        for col in df.columns:
            if (name, col) != ("opportunities", "source"):
                pd.testing.assert_series_equal(full[name][col], df[col], obj=f"{name}.{col}")
    relabelled = plain["opportunities"]["source"] != full["opportunities"]["source"]
    assert relabelled.any()
    assert full["opportunities"]["source"][relabelled].eq("referral").all()


@pytest.fixture(scope="module")
def demo(demo_dir) -> dict[str, pd.DataFrame]:
    dates = {
        "opportunities": ["created_date", "close_date"],
        "trials": ["start_date", "end_date"],
    }
    return {
        t: pd.read_csv(demo_dir / f"{t}.csv", dtype={"account_id": str}, parse_dates=dates.get(t))
        for t in ("accounts", "contacts", "opportunities", "trials")
    }


def test_demo_trials_shorter_qualified_and_used_trials_convert_better(demo):
    trials = demo["trials"]
    assert 1_000 <= len(trials) <= 2_000 and set(trials["length_days"]) == {7, 30}
    by_length = trials.groupby("length_days")["converted"].mean()
    assert by_length[7] > by_length[30] + 0.05
    by_qualified = trials.groupby("qualified")["converted"].mean()
    assert by_qualified[True] > by_qualified[False] + 0.05
    band = pd.cut(trials["usage_score"], [-1, 25, 50, 75, 100])
    by_usage = trials.groupby(band, observed=True)["converted"].mean()
    assert by_usage.is_monotonic_increasing and by_usage.iloc[-1] > 3 * by_usage.iloc[0]
    assert (trials["end_date"] - trials["start_date"]).dt.days.eq(trials["length_days"]).all()
    assert trials["usage_score"].between(0, 100).all()


def test_demo_repeat_sign_ups_exist_and_rarely_convert(demo):
    trials = demo["trials"].sort_values("start_date", kind="stable")
    repeat = trials["email"].duplicated()
    assert repeat.sum() >= 20
    assert trials.loc[repeat, "converted"].mean() < trials.loc[~repeat, "converted"].mean() / 3
    assert trials["email"].str.fullmatch(r"[a-z.]+@[a-z0-9-]+\.example").all()
    known = trials.dropna(subset=["account_id"])
    assert len(known) > 100  # some trials are by accounts we know already


def test_demo_referrals_win_more_and_close_faster(demo):
    opp = demo["opportunities"]
    closed = opp[opp["outcome"] != "open"]
    referral = closed["source"].eq("referral")
    win = closed["outcome"].eq("won").groupby(referral).mean()
    assert referral.sum() >= 40 and win[True] > 1.4 * win[False]
    won = opp[opp["outcome"] == "won"]
    days = (won["close_date"] - won["created_date"]).dt.days
    cycle = days.groupby(won["source"].eq("referral")).median()
    assert cycle[True] < cycle[False]


def test_demo_referrers_are_earlier_customers(demo):
    accounts, opp = demo["accounts"], demo["opportunities"]
    referred = accounts.dropna(subset=["referred_by"]).set_index("account_id")["referred_by"]
    assert len(referred) >= 30 and not (referred.index == referred).any()
    assert referred.isin(accounts["account_id"]).all()
    first_deal = opp.groupby("account_id")["created_date"].min()
    won = opp[opp["outcome"] == "won"]
    first_win = won.groupby("account_id")["close_date"].min()
    assert (first_win[referred.to_numpy()].to_numpy() < first_deal[referred.index].to_numpy()).all()
    # referral deals are deals of referred accounts
    assert opp.loc[opp["source"] == "referral", "account_id"].isin(referred.index).all()


def test_demo_executives_with_phone_and_email(demo):
    contacts = demo["contacts"]
    execs = contacts["title"].str.contains(EXEC, regex=True)
    both = execs & contacts["email"].notna() & contacts["phone"].notna()
    assert both.sum() >= 3
    assert (execs & contacts["email"].notna() & contacts["phone"].isna()).any()
    assert (execs & contacts["email"].isna() & contacts["phone"].notna()).any()
    slug = contacts["email"].dropna().str.extract(r"@(.+)\.example$")[0]
    assert slug.notna().all()


def test_demo_accounts_lost_a_deal_and_later_won_one(demo):
    opp = demo["opportunities"].dropna(subset=["account_id"])
    lost = opp[opp["outcome"].isin(["lost", "no_decision"])].groupby("account_id")["close_date"]
    won = opp[opp["outcome"] == "won"].groupby("account_id")["close_date"].max()
    first_loss = lost.min()
    back = won.reindex(first_loss.index) > first_loss
    assert back.sum() >= 10


def test_demo_in_parquet_reads_without_errors(tmp_path):
    out = tmp_path / "p"
    rows = write_demo(out, DemoSpec(accounts=40, order_lines=500), fmt="parquet")
    assert rows["trials"] >= 200 and (out / "trials.parquet").is_file()
    ds = sources.read_dataset(out)
    assert not ds.errors and ds.rows["trials"] == rows["trials"]
    assert ds.table("trials")["converted"].dtype == "boolean"
