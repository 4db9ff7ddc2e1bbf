"""GET /v1/journeys/{key}/export and ``stepsense export``: every format parsed
back with a real parser holds the curve endpoint's numbers, and hostile text
(formulas, HTML, quotes, newlines, bidi overrides) comes out inert."""

import csv
import io
import json
import os
import shutil
import subprocess
import sys
import xml.etree.ElementTree as ET
import zipfile

import openpyxl
import pytest

from tests.helpers import ApiClient, answer

STEPS = ["cart", "shipping", "payment", "confirmation"]
NAMES = {
    "cart": '=HYPERLINK("http://evil.example","Cart")',
    "shipping": "<script>alert(1)</script> Shipping",
    "payment": "-1+1 Pay\u202eтнемяап",
    "confirmation": '@SUM(1) "Done", ok',
}
HOSTILE = [
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-1+1",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "<script>alert(1)</script>",
    'He said "no", then left',
    "line one\nline two",
    "\u202eevil\u202c reversed",
]
FORMULA_START = tuple("=+-@\t\r")
BIDI = ("\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069")
FORMATS = ["csv", "xlsx", "json", "svg", "drawio", "lucid", "journey-table", "journey-table-xlsx", "metrics"]


def _answers(site):
    items = []
    for i in range(40):
        items.append(answer(site, step="cart", kind="csat", score=4 + i % 2, device="desktop" if i % 2 else "mobile"))
        items.append(answer(site, step="shipping", kind="ces", score=5 + i % 3, device="mobile"))
        items.append(
            answer(
                site, step="payment", kind="csat", score=1 + i % 2, device="desktop", variant="+cmd" if i % 2 else "A"
            )
        )
        items.append(answer(site, step="confirmation", kind="nps", score=6 + i % 5, device="desktop"))
    for i, text in enumerate(HOSTILE):
        # Strong words so the scorer labels them and they become representative quotes.
        items.append(
            answer(
                site,
                step="payment",
                kind="comment",
                score=None,
                trigger="exit_intent",
                comment=f"{text} awful, terrible, stuck" if i % 2 else text + " terrible",
                url_path="/pay",
                attributes={"note": text[:40]},
            )
        )
        items.append(answer(site, step="cart", kind="csat", score=5, comment=f"{text} great, perfect, painless"))
    return items


@pytest.fixture
def seeded(api, send, site):
    response = api.post(
        "/v1/journeys",
        json={"key": "checkout", "name": "Checkout <b>&", "steps": [{"key": s, "name": NAMES[s]} for s in STEPS]},
    )
    assert response.status_code == 201, response.get_json()
    items = _answers(site)
    for start in range(0, len(items), 50):
        response = send({"responses": items[start : start + 50]}, site)
        assert response.status_code in (200, 201), response.get_json()
    return items


def export(api, export_format, status=200, key="checkout", **params):
    response = api.get(f"/v1/journeys/{key}/export", format=export_format, **params)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    return response


def get_curve(api, **params):
    response = api.get("/v1/journeys/checkout/curve", **params)
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def inert_in_sheet(text):
    """A spreadsheet cell that cannot start a formula."""
    return not text or text[0] not in FORMULA_START


def csv_rows(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 BOM"
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


def test_seed_has_flags_and_hostile_quotes(api, seeded):
    """The fixture data exercises flags, CIs and hostile representative comments."""
    body = get_curve(api)
    payment = next(s for s in body["steps"] if s["step"] == "payment")
    assert "pain_point" in payment["flags"]
    assert payment["comments"]["most_negative"]
    assert any(
        c["text"][:1] in FORMULA_START
        for s in body["steps"]
        for side in ("most_negative", "most_positive")
        for c in s["comments"][side]
    )


def test_csv_one_row_per_answer_guarded(api, seeded):
    """csv: a BOM, one row per answer in id order, formula cells prefixed with ', numbers as stored."""
    response = export(api, "csv")
    assert response.headers["Content-Type"].startswith("text/csv")
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith('attachment; filename="stepsense-checkout-') and disposition.endswith('.csv"')
    rows = csv_rows(response.data)
    header, rows = rows[0], rows[1:]
    assert header[:4] == ["id", "created_at", "journey", "step"]
    assert len(rows) == len(seeded)
    listed = {}
    cursor = None
    while True:
        page = api.get("/v1/responses", limit=500, **({"cursor": cursor} if cursor else {})).get_json()
        listed.update({item["id"]: item for item in page["items"]})
        if not (cursor := page["next_cursor"]):
            break
    col = {name: i for i, name in enumerate(header)}
    assert [int(r[col["id"]]) for r in rows] == sorted(listed)
    for row in rows:
        item = listed[int(row[col["id"]])]
        assert float(row[col["emotion"]]) == item["emotion"]
        assert row[col["step"]] == item["step"] and row[col["kind"]] == item["kind"]
        assert row[col["created_at"]].endswith("+00:00")
        comment = item["comment"] or ""
        expected = "'" + comment if comment[:1] in FORMULA_START else comment
        assert row[col["comment"]] == expected
        assert row[col["step_name"]] in (NAMES[item["step"]], "'" + NAMES[item["step"]])
        for cell in row:
            assert inert_in_sheet(cell) or cell.lstrip("-").replace(".", "", 1).replace("e-", "").isdigit(), cell
    hostile = [r for r in rows if r[col["attributes"]]]
    assert json.loads(hostile[0][col["attributes"]])["note"]


def test_xlsx_sheets_numbers_chart_and_guard(api, seeded):
    """xlsx: Curve equals the curve endpoint, Responses/Comments complete, a chart, no formula anywhere."""
    data = export(api, "xlsx").data
    assert "xl/charts/chart1.xml" in zipfile.ZipFile(io.BytesIO(data)).namelist()
    book = openpyxl.load_workbook(io.BytesIO(data))
    assert book.sheetnames == ["Curve", "Responses", "Comments", "Themes"]
    body = get_curve(api)
    table = list(book["Curve"].iter_rows(values_only=True))
    head = table[0]
    for step, row in zip(body["steps"], table[1:]):
        values = dict(zip(head, row))
        assert values["step"] == step["step"] and values["name"] == step["name"]
        assert values["responses"] == step["responses"]
        assert values["emotion_mean"] == step["emotion"]["mean"]
        assert values["emotion_ci_low"] == step["emotion"]["ci_low"]
        assert values["csat"] == step["csat"]["score"] and values["ces_mean"] == step["ces"]["mean"]
        assert values["nps"] == step["nps"]["score"] and values["exit_share"] == step["exit_intent"]["share"]
    assert book["Responses"].max_row - 1 == len(seeded)
    assert book["Comments"].max_row - 1 == sum(1 for item in seeded if item.get("comment"))
    texts = set()
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate, cell.value)
                if isinstance(cell.value, str):
                    texts.add(cell.value)
                    if cell.value[:1] in FORMULA_START:
                        assert cell.quotePrefix, cell.value
    # Stored as typed (Excel shows them as text), not with a visible apostrophe.
    assert NAMES["cart"] in texts and any(t.startswith("+cmd|") for t in texts)


def test_json_is_the_curve_with_metadata(api, seeded):
    """json: the curve endpoint's body plus an export block; HTML and bidi characters \\u-escaped."""
    response = export(api, "json", device="desktop")
    body = json.loads(response.data)
    meta = body.pop("export")
    assert [step["step"] for step in body.pop("themes")] == [step["step"] for step in body["steps"]]
    assert body == get_curve(api, device="desktop")
    assert meta["format"] == "json" and meta["filters"]["device"] == "desktop"
    assert meta["scorer_version"] and meta["scorer_versions_in_data"] and meta["generated_at"]
    raw = response.get_data(as_text=True)
    assert "<" not in raw and "\u202e" not in raw


def test_svg_parses_and_holds_the_curve(api, seeded):
    """svg: well-formed, one group per step with the curve's numbers, names and n as text, no markup injected."""
    data = export(api, "svg").data
    root = ET.fromstring(data)
    ns = "{http://www.w3.org/2000/svg}"
    assert root.tag == f"{ns}svg"
    body = get_curve(api)
    groups = root.findall(f"{ns}g[@data-step]")
    assert [g.get("data-step") for g in groups] == STEPS
    for group, step in zip(groups, body["steps"]):
        assert int(group.get("data-responses")) == step["responses"]
        assert float(group.get("data-emotion-mean")) == step["emotion"]["mean"]
        assert float(group.get("data-emotion-ci-low")) == step["emotion"]["ci_low"]
        assert float(group.get("data-emotion-ci-high")) == step["emotion"]["ci_high"]
        assert group.get("data-flags").split() == step["flags"]
        texts = ["".join(t.itertext()) for t in group.iter(f"{ns}text")]
        assert f"n = {step['responses']}" in texts
        if "pain_point" in step["flags"]:
            assert any("pain point" in t for t in texts)
            assert any(c.get("fill") == "#c0392b" for c in group.iter(f"{ns}circle"))
    assert root.find(f"{ns}g[@id='ci-band']/{ns}polygon") is not None
    assert not [el for el in root.iter() if el.tag in (f"{ns}script", f"{ns}foreignObject")]
    assert not [k for el in root.iter() for k in el.attrib if k.startswith("on")]
    assert any("<script>" in (t.text or "") for t in root.iter(f"{ns}text"))  # shown as text
    assert not any(mark in data.decode() for mark in BIDI)


def drawio_table(text: str) -> list[dict[str, str]]:
    lines = text.split("\n")  # draw.io splits on newlines, so must we
    data = [line for line in lines if line and not line.startswith("#")]
    return list(csv.DictReader(data))


def test_drawio_csv_import_format(api, seeded):
    """drawio: header lines, one row per step placed by emotion, escaped label, metrics as columns."""
    text = export(api, "drawio").get_data(as_text=True)
    for line in ("# label: %caption%", "# layout: none", "# left: x", "# top: y", "# width: 140", "# height: 70"):
        assert line in text.split("\n")
    connect = next(line for line in text.split("\n") if line.startswith("# connect: "))
    assert json.loads(connect[len("# connect: ") :])["from"] == "next"
    rows = drawio_table(text)
    body = get_curve(api)
    assert len(rows) == len(body["steps"])
    for index, (row, step) in enumerate(zip(rows, body["steps"])):
        assert row["step"] == step["step"]
        assert float(row["emotion"]) == step["emotion"]["mean"]
        assert float(row["emotion_ci_low"]) == step["emotion"]["ci_low"]
        assert int(row["responses"]) == step["responses"]
        assert row["csat"] == ("" if step["csat"]["score"] is None else str(step["csat"]["score"]))
        assert row["flags"].split() == step["flags"]
        assert int(row["x"]) == index * 200
        assert int(row["y"]) == round((1 - step["emotion"]["mean"]) * 150)
        assert row["next"] == (f"s{index + 1}" if index + 1 < len(rows) else "")
        assert "<script>" not in row["caption"] and not any(m in row["caption"] + row["name"] for m in BIDI)
    ordered = sorted(rows, key=lambda r: int(r["y"]))  # top of the page first
    assert [r["step"] for r in ordered] == [
        s["step"] for s in sorted(body["steps"], key=lambda s: -s["emotion"]["mean"])
    ]
    assert "&lt;script&gt;" in rows[1]["caption"]


def test_lucid_zip_document(api, seeded):
    """lucid: a zip with document.json v1: shapes with boxes, text and metrics, lines in step order."""
    response = export(api, "lucid")
    assert response.headers["Content-Disposition"].endswith('.lucid"')
    with zipfile.ZipFile(io.BytesIO(response.data)) as archive:
        assert archive.namelist() == ["document.json"]
        document = json.loads(archive.read("document.json"))
    assert document["version"] == 1
    page = document["pages"][0]
    body = get_curve(api)
    shapes = page["shapes"]
    assert len(shapes) == len(body["steps"])
    for shape, step in zip(shapes, body["steps"]):
        data = {item["key"]: item["value"] for item in shape["customData"]}
        assert data["step"] == step["step"]
        assert float(data["emotion_mean"]) == step["emotion"]["mean"]
        assert int(data["responses"]) == step["responses"]
        assert data["ces"] == ("" if step["ces"]["mean"] is None else str(step["ces"]["mean"]))
        assert set(shape["boundingBox"]) == {"x", "y", "w", "h"}
        assert not any(mark in shape["text"] for mark in BIDI)
    assert [(line["endpoint1"]["shapeId"], line["endpoint2"]["shapeId"]) for line in page["lines"]] == [
        (shapes[i]["id"], shapes[i + 1]["id"]) for i in range(len(shapes) - 1)
    ]


def test_journey_table_csv_and_xlsx(api, seeded):
    """journey-table: emotion on -2..+2, other numbers as in the curve, quotes inert; same rows in the XLSX."""
    body = get_curve(api)
    rows = csv_rows(export(api, "journey-table").data)
    header, rows = rows[0], rows[1:]
    book = openpyxl.load_workbook(io.BytesIO(export(api, "journey-table-xlsx").data))
    sheet_rows = list(book["Journey"].iter_rows(values_only=True))
    assert list(sheet_rows[0]) == header
    for row, sheet_row, step in zip(rows, sheet_rows[1:], body["steps"]):
        values = dict(zip(header, row))
        sheet_values = dict(zip(header, sheet_row))
        lane = round(step["emotion"]["mean"] * 2, 1)
        assert float(values["Emotion (-2..+2)"]) == lane == sheet_values["Emotion (-2..+2)"]
        assert -2 <= lane <= 2
        assert float(values["Emotion mean (-1..1)"]) == step["emotion"]["mean"]
        for column, value in (
            ("CSAT (share 4-5)", step["csat"]["score"]),
            ("CES (mean 1-7)", step["ces"]["mean"]),
            ("NPS", step["nps"]["score"]),
            ("Exit share", step["exit_intent"]["share"]),
        ):
            assert values[column] == ("" if value is None else str(value))
            assert sheet_values[column] == value
        assert values["Step key"] == step["step"]
        assert all(inert_in_sheet(cell) or cell.lstrip("-").replace(".", "", 1).isdigit() for cell in row)
        quotes = values["Top quotes (negative)"].split("\n") if values["Top quotes (negative)"] else []
        assert len(quotes) == len(step["comments"]["most_negative"])
    payment = dict(zip(header, rows[2]))
    assert "+cmd|" in payment["Top quotes (negative)"]
    assert not any(mark in "".join(map(str, r)) for r in rows for mark in BIDI)


def test_metrics_daily_series(api, seeded):
    """metrics: metric, step, date, value, n per day, equal to the curve's interval=day series."""
    rows = csv_rows(export(api, "metrics").data)
    assert rows[0] == ["metric", "step", "date", "value", "n"]
    expected = []
    body = get_curve(api, interval="day")
    for metric, field, key in (
        ("emotion", "emotion", "mean"),
        ("csat", "csat", "score"),
        ("ces", "ces", "mean"),
        ("nps", "nps", "score"),
    ):
        for step in body["steps"]:
            for point in step["series"]:
                if point[field][key] is not None:
                    expected.append(
                        [metric, step["step"], point["start"], str(point[field][key]), str(point[field]["n"])]
                    )
    assert rows[1:] == expected and expected


@pytest.mark.parametrize(
    "params",
    [
        {"device": "mobile"},
        {"url_path": "/pay"},
        {"variant": "+cmd"},
        {"attr": "note:-1+1"},
        {"from": "2000-01-01T00:00:00Z", "to": "2000-01-02T00:00:00Z"},
    ],
)
def test_filters_match_the_curve(api, seeded, params):
    """The same filters give the same numbers and rows as the curve endpoint."""
    body = get_curve(api, **params)
    exported = json.loads(export(api, "json", **params).data)
    exported.pop("export")
    assert exported.pop("themes") == api.get("/v1/journeys/checkout/themes", **params).json["steps"]
    assert exported == body
    rows = csv_rows(export(api, "csv", **params).data)[1:]
    assert len(rows) == body["overall"]["responses"]
    svg = ET.fromstring(export(api, "svg", **params).data)
    ns = "{http://www.w3.org/2000/svg}"
    assert [int(g.get("data-responses")) for g in svg.findall(f"{ns}g[@data-step]")] == [
        s["responses"] for s in body["steps"]
    ]


@pytest.mark.parametrize("export_format", FORMATS)
def test_other_sites_journey_is_404(client, make_site, seeded, export_format):
    """Another site's key cannot export this site's journey, in any format."""
    other = make_site(name="Other")
    response = ApiClient(client, other.secret).get("/v1/journeys/checkout/export", format=export_format)
    assert response.status_code == 404
    assert response.get_json()["error"]["code"]


@pytest.mark.parametrize(
    "params",
    [
        {"format": "pdf"},
        {},
        {"format": "csv", "device": "toaster"},
        {"format": "csv", "from": "2026-02-01T00:00:00Z", "to": "2026-01-01T00:00:00Z"},
        {"format": "csv", "attr": "nocolon"},
    ],
)
def test_bad_parameters_are_422(api, seeded, params):
    response = api.get("/v1/journeys/checkout/export", **params)
    assert response.status_code == 422
    assert response.get_json()["error"]["details"]


def test_export_needs_a_read_key(client, seeded):
    assert client.get("/v1/journeys/checkout/export?format=csv").status_code == 401


def test_cli_export_matches_the_api(api, runner, seeded, site, tmp_path):
    """stepsense export writes the same file as the API (csv) and the same numbers (json)."""
    target = tmp_path / "out.csv"
    result = runner.invoke(
        args=["export", "--journey", "checkout", "--format", "csv", "-o", str(target), "--device", "mobile"]
    )
    assert result.exit_code == 0, result.output
    assert target.read_bytes() == export(api, "csv", device="mobile").data
    result = runner.invoke(args=["export", "--journey", "checkout", "--format", "json", "--site", str(site.id)])
    assert result.exit_code == 0, result.output
    body = json.loads(result.stdout)
    body.pop("export")
    body.pop("themes")
    assert body == get_curve(api)
    bad = runner.invoke(args=["export", "--journey", "nope", "--format", "csv"])
    assert bad.exit_code != 0 and "nope" in bad.output
    bad = runner.invoke(args=["export", "--journey", "checkout", "--format", "csv", "--device", "toaster"])
    assert bad.exit_code != 0


DRAWIO_WEBAPP = os.environ.get("STEPSENSE_DRAWIO_WEBAPP")
DRAWIO_CHECK = os.path.join(os.path.dirname(__file__), "..", "..", "..", "shared", "tools", "drawio_check.py")


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.skipif(
    not (DRAWIO_WEBAPP and os.path.isdir(DRAWIO_WEBAPP) and os.path.exists(DRAWIO_CHECK) and shutil.which("chromium")),
    reason="set STEPSENSE_DRAWIO_WEBAPP to a folder laid out by shared/tools/drawio_webapp.sh",
)
def test_drawio_imports_in_real_drawio(api, seeded, tmp_path):
    """draw.io's own CSV importer builds one shape per step, in place, linked in order, labels as text."""
    path = tmp_path / "journey.drawio.csv"
    path.write_bytes(export(api, "drawio").data)
    done = subprocess.run(
        [sys.executable, DRAWIO_CHECK, DRAWIO_WEBAPP, str(path)], capture_output=True, text=True, timeout=180
    )
    assert done.returncode == 0, done.stderr[-2000:]
    built = json.loads(done.stdout)
    rows = drawio_table(path.read_text())
    vertices = built["vertices"]
    assert len(vertices) == len(rows) and not built["errors"]
    insert = built.get("insert_point") or {"x": 20, "y": 20}
    for vertex, row in zip(sorted(vertices, key=lambda v: v["x"]), rows):
        assert vertex["x"] - insert["x"] == int(row["x"]) and vertex["y"] - insert["y"] == int(row["y"])
        assert vertex["attributes"]["emotion"] == row["emotion"]
        # The label shows the name as typed (HTML-escaped, so as text); the name column is formula-guarded.
        typed = row["name"][1:] if row["name"][:1] == "'" and row["name"][1:2] in FORMULA_START else row["name"]
        assert vertex["label"].startswith(typed)
    assert len(built["edges"]) == len(rows) - 1
