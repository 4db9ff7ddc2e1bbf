"""CSV formula injection through line breaks: every CSV the product writes
(``csv``, ``drawio``, ``journey-table``, ``metrics``, through the API and the
dashboard's download buttons) quotes every cell holding a line break, so a
spreadsheet cannot split a row there, and neutralises a formula that starts
the cell or follows a break inside it (``"fine\\n=2+3"`` -> ``"fine\\n'=2+3"``)."""

import csv
import io
import json
import re

import pytest

from collector.exports import REGISTRY
from collector.exports.base import LINE_BREAKS, csv_lines, guard, has_line_break
from tests.helpers import answer, sign_in

FORMULA = "=+-@\t\r"
# What str.splitlines() splits on: LibreOffice splits an unquoted row at CR or
# LF; the others end a line for other readers (and for Python itself).
BREAKS = "\r\n\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
assert [chr(c) for c in range(0x10000) if len(f"a{chr(c)}b".splitlines()) == 2] == sorted(BREAKS)
CSV_FORMATS = ["csv", "drawio", "journey-table", "metrics"]

COMMENTS = [
    "fine\r=2+3",
    "fine\n=2+3",
    "fine\r\n=2+3",
    "fine\u2028=2+3",
    "fine\u2029@SUM(1)",
    "fine\x0b+1",
    "fine\x0c-1",
    "fine\x1c=1",
    "fine\x1d=1",
    "fine\x1e=1",
    "fine\x85=1",
    "a, b\r-1",
    'say "hi"\r\n+1',
    "two\n\n=3",
    "tab\n\t=1",
    "lf then cr\n\r=1",
    "=1\r=2",
    "-1\u2028@2",
    "plain line break\nno formula",
]
VARIANTS = ["\r=2+3", "A\r=2+3", "\u2028=1", "B\n@x", "C\x85-1"]
STEPS = {"cart": "Cart\r=2+3", "payment": "=SUM(1)\u2028-1", "done": "Done\n@x", "ship": "Shipping, fast"}
# Answers without a break anywhere in their row: what the fast paths write.
ORDINARY_ANSWERS = [
    {"comment": "good"},
    {"comment": "ok, thanks", "variant": "A"},
    {"comment": 'He said "fine"', "attributes": {"plan": "pro", "cart": 42.5}},
    {"comment": "=SUM(A1)"},
]


def guarded(text: str) -> str:
    """The documented guard, written independently of the code: a ' before a
    formula character at the start of the cell or right after a line break."""
    out, at_line_start = [], True
    for char in text:
        if at_line_start and char in FORMULA:
            out.append("'")
        out.append(char)
        at_line_start = char in BREAKS
    return "".join(out)


def unquoted_breaks(text: str, line_end: str) -> list[str]:
    """Line breaks outside quoted fields, other than the line ends themselves."""
    outside = re.sub(r'"(?:[^"]|"")*"', '""', text)
    return [record for record in outside.split(line_end) if any(mark in record for mark in BREAKS)]


def is_number(cell: str) -> bool:
    try:
        float(cell)
    except ValueError:
        return False
    return True


def assert_inert(rows: list[list[str]]) -> None:
    """No text cell, and no line inside one, starts with a formula character."""
    for row in rows:
        for cell in row:
            if is_number(cell):
                continue
            for line in [cell, *cell.splitlines()]:
                assert not line or line[0] not in FORMULA, (cell, row)


@pytest.fixture
def hostile(api, send, site):
    """Answers whose comment, variant, step name, path and attributes hold line breaks followed by formulas."""
    response = api.post(
        "/v1/journeys",
        json={
            "key": "checkout",
            "name": "Checkout",
            "steps": [{"key": key, "name": name} for key, name in STEPS.items()],
        },
    )
    assert response.status_code == 201, response.get_json()
    items = [
        answer(
            site,
            step="cart",
            kind="csat",
            score=1,
            comment=comment,
            variant=VARIANTS[i % len(VARIANTS)],
            url_path=f"/pay\u2028=1/{i}",
            attributes={"note": comment, "n": i},
        )
        for i, comment in enumerate(COMMENTS)
    ]
    items += [answer(site, step="ship", kind="csat", score=4, **fields) for fields in ORDINARY_ANSWERS]
    response = send({"responses": items}, site)
    assert response.status_code == 201, response.get_json()
    listed = api.get("/v1/responses", limit=500).get_json()["items"]
    assert len(listed) == len(items)
    return {item["id"]: item for item in listed}


def read_csv(data: bytes, line_end: str = "\n") -> list[list[str]]:
    """The file parsed by Python's csv module, after checking every break inside a cell is quoted."""
    text = data.decode("utf-8-sig")
    assert not unquoted_breaks(text, line_end), unquoted_breaks(text, line_end)
    return list(csv.reader(io.StringIO(text, newline="")))


def test_the_test_helpers_catch_the_reported_file():
    """The checks below fail on what the SQLite export wrote before: a lone CR left unquoted."""
    reported = b"id,comment,variant\n1,fine\r=2+3,\r=2+3\n"
    assert unquoted_breaks(reported.decode(), "\n")
    assert len(list(csv.reader(io.StringIO(reported.decode(), newline="")))) != 2
    with pytest.raises(AssertionError):
        assert_inert([["fine\n=2+3"]])
    assert_inert([["", "-1.5", "fine\n'=2+3"]])
    assert guarded("fine\n=2+3") == "fine\n'=2+3" and guarded("\r=1") == "'\r'=1"


@pytest.mark.parametrize("text", COMMENTS + VARIANTS + list(STEPS.values()) + ["=1", "+", "", "ok", "a\u2028b"])
def test_guard_neutralises_a_formula_at_the_start_and_after_every_line_break(text):
    assert guard(text) == guarded(text)
    assert guard(guard(text)) == guard(text)  # the database's first-character guard may have run already


def test_the_code_knows_every_line_break():
    """The exports' list (and its hand-unrolled test) is every separator str.splitlines() knows."""
    assert sorted(LINE_BREAKS) == sorted(BREAKS)
    assert all(has_line_break(f"a{mark}b") for mark in BREAKS)
    assert not has_line_break('plain, "quoted" \t text \u00a0 ünï 😀 \x1f \u2027')


def test_guard_examples():
    assert guard("fine\n=2+3") == "fine\n'=2+3"
    assert guard("fine\r\n=2+3") == "fine\r\n'=2+3"
    assert guard("fine\u2028=2+3") == "fine\u2028'=2+3"
    assert guard("=2+3") == "'=2+3"
    assert guard("fine\n2+3") == "fine\n2+3" and guard(None) is None


ORDINARY = [
    [1, "2026-01-01T00:00:00+00:00", "checkout", "cart", "Cart", "csat", 4, "fine", "positive", 0.1, -0.35, "v1"],
    ["a,b", 'He said "no"', "", None, 1e-05, float("inf"), -0.0, 10**20, True, "\x00nul", "ünïcode 😀", " lead"],
    [""],
    [None],
    [],
    ["'=1", "x\ty", "\u202eevil"],
]


@pytest.mark.parametrize("line_end", ["\n", "\r\n"])
def test_csv_lines_writes_ordinary_rows_as_the_csv_module_does(line_end):
    """Rows without line breaks come out byte-identical to csv.writer (QUOTE_MINIMAL)."""
    for row in ORDINARY:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=line_end).writerow(row)
        assert csv_lines([row], line_end) == [buffer.getvalue()], row


@pytest.mark.parametrize("mark", list(BREAKS))
def test_csv_lines_quotes_every_line_break(mark):
    [line] = csv_lines([["id", f"a{mark}b", "c"]])
    assert line == f'id,"a{mark}b",c\n'
    assert list(csv.reader(io.StringIO(line, newline=""))) == [["id", f"a{mark}b", "c"]]


def test_every_csv_format_is_covered():
    assert sorted(name for name, fmt in REGISTRY.items() if fmt.media_type.startswith("text/csv")) == sorted(
        CSV_FORMATS
    )


def test_csv_export_quotes_breaks_and_guards_after_them(api, hostile):
    """csv: one parsed row per answer, each text cell the stored value guarded, no line of a cell a formula."""
    rows = read_csv(api.get("/v1/journeys/checkout/export", format="csv").data)
    header, rows = rows[0], rows[1:]
    assert len(rows) == len(hostile)
    col = {name: i for i, name in enumerate(header)}
    assert_inert(rows)
    for row in rows:
        assert len(row) == len(header), row
        item = hostile[int(row[col["id"]])]
        for name in ("comment", "variant", "url_path"):
            assert row[col[name]] == guarded(item[name] or ""), (name, row)
        assert row[col["step_name"]] == guarded(STEPS[item["step"]])
        if item["attributes"]:
            assert json.loads(row[col["attributes"]]).keys() == item["attributes"].keys()
    comments = {row[col["comment"]] for row in rows}
    assert "fine\r'=2+3" in comments and "fine\u2028'=2+3" in comments and "'=1\r'=2" in comments
    assert "'\r'=2+3" in {row[col["variant"]] for row in rows}


def test_csv_export_rows_without_breaks_are_what_the_csv_module_writes(api, hostile):
    """Ordinary rows keep their bytes: each line without a break is csv.writer's line for its own cells."""
    text = api.get("/v1/journeys/checkout/export", format="csv").data.decode("utf-8-sig")
    ordinary = {str(id) for id, item in hostile.items() if item["step"] == "ship"}
    plain = [line + "\n" for line in text.split("\n") if line.split(",", 1)[0] in ordinary | {"id"}]
    assert len(plain) == 1 + len(ORDINARY_ANSWERS)  # and the header
    for line in plain:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(csv.reader([line]))
        assert buffer.getvalue() == line


@pytest.mark.parametrize("export_format", CSV_FORMATS)
def test_every_csv_format_is_quoted_and_inert(api, hostile, export_format):
    """drawio, journey-table and metrics too: breaks quoted (or folded), every cell inert, rows as expected."""
    data = api.get("/v1/journeys/checkout/export", format=export_format).data
    if export_format == "drawio":  # draw.io splits its input on newlines: no break may survive inside a row
        text = data.decode("utf-8")
        lines = [line for line in text.split("\n") if line and not line.startswith("#")]
        assert not [line for line in lines if any(mark in line for mark in BREAKS)]
        rows = list(csv.reader(lines))
        assert len(rows) == 1 + len(STEPS)
        names = [dict(zip(rows[0], row))["name"] for row in rows[1:]]
        assert names == [guarded(" ".join(name.split())) for name in STEPS.values()]
    else:
        rows = read_csv(data, "\n" if export_format == "csv" else "\r\n")
        if export_format == "journey-table":
            assert len(rows) == 1 + len(STEPS)
            assert [row[0] for row in rows[1:]] == [guarded(" ".join(name.split())) for name in STEPS.values()]
    assert_inert(rows[1:])


@pytest.mark.parametrize("export_format", CSV_FORMATS)
def test_dashboard_download_is_the_same_inert_file(client, site, api, hostile, export_format):
    """The dashboard's download buttons serve the API's file, with the same quoting and guard."""
    assert sign_in(client, site.secret).status_code == 302
    response = client.get(f"/dashboard/export?format={export_format}&journey=checkout")
    assert response.status_code == 200
    downloaded = response.data
    assert downloaded == api.get("/v1/journeys/checkout/export", format=export_format).data
    if export_format == "csv":
        rows = read_csv(downloaded)
        assert len(rows) == 1 + len(hostile)
        assert_inert(rows[1:])
