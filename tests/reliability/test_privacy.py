"""Privacy guarantees end to end: no client IP in any column, erasure reaches
answers, events, rollups and every export, and keys are compared in constant time."""

import io
import uuid
import zipfile

import sqlalchemy as sa

from collector.analytics.maintenance import compare_rollups
from collector.exports import FORMATS
from collector.extensions import db
from collector.tenancy import keys as auth
from tests.helpers import answer, app_for

CLIENT_IPS = ("203.0.113.195", "198.51.100.23", "2001:db8:abcd::17")


def _every_value(app) -> str:
    """Every value of every column of every table, as one string."""
    values = []
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(db.engine)
        for table in metadata.sorted_tables:
            for row in db.session.execute(sa.select(table)):
                values.extend(repr(value) for value in row)
    return "\n".join(values)


def test_no_column_holds_the_client_ip(database_url, make_site):
    """After answers, events, config fetches and a dashboard sign-in from known IPs,
    behind a trusted proxy (X-Forwarded-For) and without, no table contains those IPs."""
    site = make_site()
    for proxies, environ in ((1, {"REMOTE_ADDR": "10.9.8.7"}), (0, {"REMOTE_ADDR": CLIENT_IPS[1]})):
        app = app_for(database_url, TRUSTED_PROXIES=proxies)
        client = app.test_client()
        client.environ_base.update(environ)
        headers = {"X-Forwarded-For": f"{CLIENT_IPS[0]}, 10.9.8.7", "Origin": site.origin, "X-Real-IP": CLIENT_IPS[2]}
        item = answer(
            site,
            kind="comment",
            score=None,
            comment=f"my ip is {CLIENT_IPS[0]} and {CLIENT_IPS[2]}",
            url_path=f"/pay?ip={CLIENT_IPS[1]}",
            attributes={"plan": "pro"},
        )
        assert client.post("/v1/responses", json=item, headers=headers).status_code == 201
        event = {k: v for k, v in answer(site).items() if k not in ("kind", "score")} | {"type": "impression"}
        assert client.post("/v1/events", json=event, headers=headers).status_code == 201
        assert client.get(f"/v1/sites/{site.public_key}/config", headers=headers).status_code == 200
        client.get("/dashboard/sign-in", headers=headers)
        with client.session_transaction() as session:
            token = session.get("csrf", "")
        client.post("/dashboard/sign-in", data={"key": site.secret, "csrf_token": token}, headers=headers)
        assert (
            client.get("/v1/responses", headers={"Authorization": f"Bearer {site.secret}", **headers}).status_code
            == 200
        )
    dump = _every_value(app)
    assert "[ip]" in dump  # the comment was stored, redacted
    for ip in CLIENT_IPS:
        assert ip not in dump
    assert "10.9.8.7" not in dump


def _export_text(api, journey: str, export_format: str) -> str:
    response = api.get(f"/v1/journeys/{journey}/export", format=export_format)
    assert response.status_code == 200, (export_format, response.data[:200])
    data = response.data
    if data[:2] == b"PK":  # xlsx and lucid are zip files: search their members
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    return data.decode("utf-8", "replace")


def test_erasure_removes_the_visitor_from_answers_events_rollups_and_every_export(api, send, site, app, rows):
    """Before erasure the visitor's comment is in the exports; after, in none of them, and rollups equal the rest."""
    from collector.models import Event, Response, StepRollup

    marker = f"zebra{uuid.uuid4().hex[:8]}"  # a word only the erased visitor wrote
    theirs = [
        answer(site, step=step, kind="ces", score=1, comment=f"{marker} hated this step, awful", visitor_id="erase-me")
        for step in ("cart", "payment")
    ]
    others = [
        answer(site, step=step, kind="ces", score=6, comment="fine and quick", visitor_id=f"other{n}")
        for n, step in enumerate(("cart", "payment", "payment"))
    ]
    assert send({"responses": theirs + others}, site).status_code == 201
    impression = {k: v for k, v in answer(site, visitor_id="erase-me").items() if k not in ("kind", "score")} | {
        "type": "impression"
    }
    assert send(impression, site, path="/v1/events").status_code == 201
    before = {fmt: _export_text(api, "checkout", fmt) for fmt in FORMATS}
    assert any(marker in text for text in before.values()), "no export carries comments: the check would prove nothing"

    assert api.delete("/v1/visitors/erase-me").json == {"visitor_id": "erase-me", "responses": 2, "events": 1}

    assert rows(sa.select(Response.id).where(Response.visitor_id == "erase-me")) == []
    assert rows(sa.select(Event.id).where(Event.visitor_id == "erase-me")) == []
    assert rows(sa.select(sa.func.sum(StepRollup.n))) == [3]
    assert rows(sa.select(sa.func.sum(StepRollup.impressions))) == [0]
    with app.app_context():
        assert compare_rollups(db.session) == []
    for export_format in FORMATS:
        text = _export_text(api, "checkout", export_format)
        assert marker not in text and "erase-me" not in text, export_format


def test_keys_are_checked_by_prefix_and_compared_in_constant_time(api, site, monkeypatch):
    """The secret is looked up by its public prefix and its hash compared with hmac.compare_digest."""
    calls = []
    real = auth.hmac.compare_digest
    monkeypatch.setattr(auth.hmac, "compare_digest", lambda a, b: calls.append((a, b)) or real(a, b))
    forged = site.secret[: auth.PREFIX_LENGTH] + "A" * (len(site.secret) - auth.PREFIX_LENGTH)
    assert api.get("/v1/site", key=forged).status_code == 401
    assert calls and calls[-1][1] == auth.hash_secret(forged)
    assert api.get("/v1/site").status_code == 200
    assert site.secret not in calls[-1]  # only hashes are compared, never the secret itself
