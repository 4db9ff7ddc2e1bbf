"""Alert targets end to end: Slack (Block Kit) and Teams (Adaptive Card) messages to
local receivers that check the body as those services document it, e-mail to a
real SMTP server (aiosmtpd on 127.0.0.1, with STARTTLS and login), the SSRF
guard on chat URLs, the API's validation of targets, and the dashboard."""

import json
import socket
import ssl
import uuid
from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from aiosmtpd.controller import Controller

from collector import alerts
from collector.alerts.messages import COMMENT_CHARS
from collector.extensions import db
from collector.models import AlertDelivery, AlertRule, Journey, Response
from tests.alerts.chat_receivers import (
    ChatReceiver,
    Invalid,
    Mailbox,
    free_port,
    validate_slack,
    validate_teams,
)
from tests.alerts.helpers import BAD, GOOD, T0, make_certificates

HOSTILE = "<!channel> **now** [click](https://evil.example) & <b>stuck</b>\n- at payment"


@pytest.fixture
def journey(api):
    response = api.post(
        "/v1/journeys", json={"key": "checkout", "name": "Checkout", "steps": [{"key": "cart"}, {"key": "payment"}]}
    )
    assert response.status_code == 201, response.json
    return "checkout"


@pytest.fixture
def slack():
    receiver = ChatReceiver(validate_slack)
    yield receiver
    receiver.close()


@pytest.fixture
def teams():
    receiver = ChatReceiver(validate_teams)
    yield receiver
    receiver.close()


@pytest.fixture
def mailbox(app):
    """A real SMTP server on 127.0.0.1; the app's SMTP_URL points at it."""
    box = Mailbox()
    port = free_port()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    app.config.update(SMTP_URL=f"smtp://127.0.0.1:{port}", SMTP_FROM="stepsense@cx.example.com")
    yield box
    controller.stop()


def seed(
    app, site_id: int, step: str, start: datetime, emotions: list[float], comments: list[str] | None = None
) -> None:
    """Answers at ``step`` spread over the hour from ``start``; ``comments`` go on the first ones, most negative."""
    with app.app_context():
        journey = db.session.scalar(sa.select(Journey).where(Journey.site_id == site_id, Journey.key == "checkout"))
        step_id = next(s.id for s in journey.steps if s.key == step)
        spacing = timedelta(hours=1) / len(emotions)
        for index, emotion in enumerate(emotions):
            comment = comments[index] if comments and index < len(comments) else None
            db.session.add(
                Response(
                    site_id=site_id,
                    journey_id=journey.id,
                    step_id=step_id,
                    client_id=str(uuid.uuid4()),
                    kind="csat",
                    score=3,
                    emotion=emotion,
                    scorer_version="test",
                    trigger="inline",
                    created_at=start + spacing * index,
                    comment=comment,
                    polarity=-0.9 + 0.1 * index if comment else None,
                    sentiment_label="negative" if comment else None,
                )
            )
        db.session.commit()


def make_rule(api, **fields) -> dict:
    body = {"journey": "checkout", "step": "payment", "kind": "emotion_drop", "window_hours": 1, "min_n": 20, **fields}
    response = api.post("/v1/alerts/rules", json=body)
    assert response.status_code == 201, response.json
    return response.json


def fire_drop(app, site, comments: list[str] | None = None) -> None:
    seed(app, site.id, "payment", T0 - timedelta(hours=2), GOOD * 8)
    seed(app, site.id, "payment", T0 - timedelta(hours=1), BAD * 8, comments)
    with app.app_context():
        assert len(alerts.evaluate_rules(db.session, T0, "https://cx.example.com")) >= 1


def deliver(app, now: datetime = T0) -> list[tuple[str, str, str | None]]:
    with app.app_context():
        return [(d.channel, d.status, d.last_error) for d in alerts.deliver_pending(db.session, now)]


def texts(body: dict) -> str:
    """Every text in a Slack message, one per line."""
    found = []
    for block in body["blocks"]:
        for obj in [block.get("text"), *block.get("fields", []), *block.get("elements", [])]:
            if isinstance(obj, dict):
                found.append(obj.get("text") or obj.get("text", {}).get("text", ""))
    return "\n".join(str(text) for text in found)


# --- Slack ---------------------------------------------------------------------------------------------


def test_an_emotion_drop_reaches_slack_as_valid_block_kit_with_figures_link_and_escaped_comments(
    app, api, site, journey, slack
):
    make_rule(api, name="Payment mood", target="slack", webhook_url=slack.url)
    fire_drop(app, site, comments=[HOSTILE, "Card declined twice", "took forever"])
    assert deliver(app) == [("slack", "delivered", None)]

    (request,) = slack.requests
    assert request["problem"] is None
    assert "X-Stepsense-Signature" not in request["headers"]  # Slack verifies nothing; no secret leaves
    body = request["json"]
    assert body["blocks"][0] == {
        "type": "header",
        "text": {"type": "plain_text", "text": "Payment mood: emotion dropped", "emoji": True},
    }
    words = texts(body)
    assert "*Emotion*\n-0.40 (n 40)" in words and "*Previous period*\n+0.50 (n 40)" in words
    assert "checkout / payment: emotion -0.40 (was +0.50)" in words
    # The comments, most negative first, with Slack's three characters escaped: no @channel, no link.
    assert (
        "&lt;!channel&gt; **now** [click](https://evil.example) &amp; &lt;b&gt;stuck&lt;/b&gt; - at payment (payment)"
        in words
    )
    assert words.index("&lt;!channel&gt;") < words.index("Card declined twice") < words.index("took forever")
    (button,) = body["blocks"][-1]["elements"]
    assert button["url"] == "https://cx.example.com/dashboard/?journey=checkout"
    assert "Payment mood" in body["text"]


def test_a_comment_too_long_for_a_message_is_cut_to_the_limit(app, api, site, journey, slack, teams):
    make_rule(api, target="slack", webhook_url=slack.url, name="Slack")
    make_rule(api, target="teams", webhook_url=teams.url, name="Teams")
    long = "&" * 5000  # escaped for Slack, every character grows fivefold
    fire_drop(app, site, comments=[long])
    assert sorted(deliver(app)) == [("slack", "delivered", None), ("teams", "delivered", None)]

    (slack_body,) = [r["json"] for r in slack.requests]
    (comments,) = [b for b in slack_body["blocks"] if b.get("text", {}).get("text", "").startswith("*Comments*")]
    quoted = comments["text"]["text"].split("\n> ", 1)[1]
    assert quoted == "&amp;" * (COMMENT_CHARS - 1) + "…"
    (teams_body,) = [r["json"] for r in teams.requests]
    card = teams_body["attachments"][0]["content"]
    (comment,) = [b["text"] for b in card["body"] if b.get("isSubtle") and b["text"].startswith("“")]
    assert comment == "“" + "&" * (COMMENT_CHARS - 1) + "…”"


def test_the_validators_refuse_what_slack_and_teams_refuse():
    """The receivers are strict: these bodies fail where the services would answer 400."""
    header = {"type": "header", "text": {"type": "plain_text", "text": "x" * 151}}
    for bad in (
        {"text": "t", "blocks": [header]},
        {"text": "t", "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "<!channel>"}}]},
        {"text": "t", "blocks": [{"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11}]},
        {"blocks": [{"type": "divider"}]},
    ):
        with pytest.raises(Invalid):
            validate_slack(bad)
    card = {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": [{"type": "TextBlock", "text": "x", "size": "Huge"}],
    }
    for bad in (
        {
            "type": "message",
            "attachments": [{"contentType": "application/vnd.microsoft.card.adaptive", "content": card}],
        },
        {"type": "message", "attachments": []},
        {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "content": {**card, "body": [{"type": "TextBlock", "text": "x" * 30000}]},
                }
            ],
        },
    ):
        with pytest.raises(Invalid):
            validate_teams(bad)


# --- Teams ---------------------------------------------------------------------------------------------


def test_an_emotion_drop_reaches_teams_as_a_valid_adaptive_card_with_markdown_escaped(app, api, site, journey, teams):
    make_rule(api, name="Payment *mood*", target="teams", webhook_url=teams.url)
    fire_drop(app, site, comments=[HOSTILE])
    assert deliver(app) == [("teams", "delivered", None)]

    (request,) = teams.requests
    assert request["problem"] is None and "X-Stepsense-Signature" not in request["headers"]
    card = request["json"]["attachments"][0]["content"]
    title = card["body"][0]
    assert (title["text"], title["size"], title["weight"]) == ("Payment \\*mood\\*: emotion dropped", "Large", "Bolder")
    (facts,) = [b["facts"] for b in card["body"] if b["type"] == "FactSet"]
    assert {"title": "Emotion", "value": "\\-0.40 (n 40)"} in facts
    assert {"title": "Step", "value": "payment"} in facts
    comment = next(b["text"] for b in card["body"] if b.get("isSubtle") and b["text"].startswith("“"))
    assert comment == (
        "“\\<!channel\\> \\*\\*now\\*\\* \\[click\\](https://evil.example) & \\<b\\>stuck\\</b\\> "
        "- at payment (payment)”"
    )
    assert card["actions"] == [
        {
            "type": "Action.OpenUrl",
            "title": "Open dashboard",
            "url": "https://cx.example.com/dashboard/?journey=checkout",
        }
    ]


def test_slack_and_teams_urls_go_through_the_ssrf_guard(app, api, journey, slack, teams):
    """With the production defaults a chat URL on the server's own network is refused like a webhook."""
    app.config.update(ALERTS_ALLOW_PRIVATE_TARGETS=False, ALERTS_ALLOWED_PRIVATE_NETWORKS="")
    for target, receiver in (("slack", slack), ("teams", teams)):
        rule_id = make_rule(api, target=target, webhook_url=receiver.url)["id"]
        delivery = api.post(f"/v1/alerts/rules/{rule_id}/test").json
        assert (delivery["channel"], delivery["status"], delivery["last_error"]) == (
            target,
            "failed",
            "refused: not a public address",
        )
    assert slack.requests == [] and teams.requests == []


def test_a_refused_message_is_retried_and_says_the_status(app, api, site, journey, rows):
    """A receiver that answers 400 (as Slack does to invalid blocks) is a failed attempt, retried."""
    receiver = ChatReceiver(lambda body: (_ for _ in ()).throw(Invalid("invalid_blocks")))
    try:
        make_rule(api, target="slack", webhook_url=receiver.url)
        fire_drop(app, site)
        assert deliver(app) == [("slack", "pending", "HTTP 400")]
    finally:
        receiver.close()


# --- E-mail --------------------------------------------------------------------------------------------


def _parts(message) -> tuple[str, str]:
    return message.get_body(("plain",)).get_content(), message.get_body(("html",)).get_content()


def test_an_email_rule_sends_text_and_escaped_html_to_every_recipient(app, api, site, journey, mailbox):
    make_rule(api, name="Mood <script>", target="email", email_to=["cx@example.com", "lead@example.org"])
    fire_drop(app, site, comments=["<img src=x onerror=alert(1)> stuck"])
    assert deliver(app) == [("email", "delivered", None)]

    (received,) = mailbox.messages
    assert received["from"] == "stepsense@cx.example.com"
    assert received["to"] == ["cx@example.com", "lead@example.org"]
    message = received["message"]
    assert message["Subject"] == "Mood <script>: emotion dropped"
    assert message["To"] == "cx@example.com, lead@example.org" and message["Auto-Submitted"] == "auto-generated"
    text, page = _parts(message)
    assert "checkout / payment: emotion -0.40 (was +0.50)" in text and "Emotion: -0.40 (n 40)" in text
    assert "> <img src=x onerror=alert(1)> stuck (payment)" in text
    assert "https://cx.example.com/dashboard/?journey=checkout" in text
    assert "<script>" not in page and "<img" not in page
    assert "Mood &lt;script&gt;: emotion dropped" in page and "&lt;img src=x onerror=alert(1)&gt; stuck" in page
    assert '<a href="https://cx.example.com/dashboard/?journey=checkout">' in page


def test_a_slack_rule_with_recipients_also_emails_them(app, api, site, journey, slack, mailbox, rows):
    rule = make_rule(api, target="slack", webhook_url=slack.url, email_to=["cx@example.com"])
    fire_drop(app, site)
    assert sorted(deliver(app)) == [("email", "delivered", None), ("slack", "delivered", None)]
    assert len(slack.requests) == 1 and [m["to"] for m in mailbox.messages] == [["cx@example.com"]]
    tested = api.post(f"/v1/alerts/rules/{rule['id']}/test", json=None)
    assert tested.json["channel"] == "slack"
    by_mail = api.post(f"/v1/alerts/rules/{rule['id']}/test?channel=email")
    assert (by_mail.json["channel"], by_mail.json["status"]) == ("email", "delivered")
    assert mailbox.messages[-1]["message"]["Subject"].startswith("Test: ")
    wrong = api.post(f"/v1/alerts/rules/{rule['id']}/test?channel=teams")
    assert wrong.status_code == 422 and "channel" in wrong.json["error"]["details"]


def test_email_over_starttls_with_login(app, api, site, journey, monkeypatch, tmp_path):
    """smtp://user:pass@host:port?starttls=true upgrades first (certificate checked) and then logs in."""
    certs = make_certificates(tmp_path, "mail.pinned.test")
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(certs / "leaf.pem", certs / "leaf.key")
    logins = []

    def authenticate(server, session, envelope, mechanism, auth_data):
        from aiosmtpd.smtp import AuthResult

        logins.append((auth_data.login, auth_data.password))
        return AuthResult(success=auth_data.login == b"cx" and auth_data.password == b"p@ss", handled=False)

    box, port = Mailbox(), free_port()
    controller = Controller(
        box,
        hostname="127.0.0.1",
        port=port,
        tls_context=context,
        require_starttls=True,
        authenticator=authenticate,
        auth_require_tls=True,
    )
    controller.start()
    try:
        monkeypatch.setenv("SSL_CERT_FILE", str(certs / "ca.pem"))
        # The certificate names mail.pinned.test: resolve it to the local server.
        real = socket.getaddrinfo
        monkeypatch.setattr(
            socket,
            "getaddrinfo",
            lambda host, *a, **k: real("127.0.0.1" if host == "mail.pinned.test" else host, *a, **k),
        )
        app.config.update(
            SMTP_URL=f"smtp://cx:p%40ss@mail.pinned.test:{port}?starttls=true", SMTP_FROM="alerts@example.com"
        )
        rule_id = make_rule(api, target="email", email_to=["cx@example.com"])["id"]
        assert api.post(f"/v1/alerts/rules/{rule_id}/test").json["status"] == "delivered"
        assert logins == [(b"cx", b"p@ss")] and len(box.messages) == 1

        app.config.update(SMTP_URL=f"smtp://cx:wrong@mail.pinned.test:{port}?starttls=true")
        failed = api.post(f"/v1/alerts/rules/{rule_id}/test").json
        assert (failed["status"], failed["last_error"]) == ("failed", "SMTP login refused")
    finally:
        controller.stop()


def test_email_without_a_server_fails_with_a_clear_error(app, api, site, journey, mailbox):
    rule_id = make_rule(api, target="email", email_to=["cx@example.com"])["id"]
    app.config.update(SMTP_URL="")
    failed = api.post(f"/v1/alerts/rules/{rule_id}/test").json
    assert (failed["status"], failed["last_error"]) == (
        "failed",
        "e-mail is not configured on this server (SMTP_URL, SMTP_FROM)",
    )
    app.config.update(SMTP_URL="smtp://127.0.0.1:9?starttls=true")
    refused = api.post(f"/v1/alerts/rules/{rule_id}/test").json
    assert (refused["status"], refused["last_error"]) == ("failed", "SMTP connection refused")
    assert mailbox.messages == []


def test_a_malformed_smtp_url_stops_the_app_from_starting(database_url):
    from tests.helpers import app_for

    with pytest.raises(ValueError, match="SMTP_URL"):
        app_for(database_url, SMTP_URL="http://mail.example.com", SMTP_FROM="a@example.com")
    with pytest.raises(ValueError, match="SMTP_FROM"):
        app_for(database_url, SMTP_URL="smtp://mail.example.com", SMTP_FROM="")


def test_an_erased_answer_is_not_sent_with_a_later_attempt(app, api, site, journey, slack, rows):
    """Deliveries store comment ids, not text: a comment erased before a retry is left out."""
    make_rule(api, target="slack", webhook_url=slack.url)
    fire_drop(app, site, comments=["Secret complaint"])
    (delivery,) = rows(sa.select(AlertDelivery))
    assert "Secret complaint" not in json.dumps(delivery.payload)
    with app.app_context():
        db.session.execute(sa.update(Response).values(comment=None))
        db.session.commit()
    deliver(app)
    assert "Secret complaint" not in json.dumps(slack.requests[0]["json"])


# --- API and dashboard ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body, field",
    [
        ({"target": "pager"}, "target"),
        ({"target": "slack", "webhook_url": None}, "webhook_url"),
        ({"target": "email", "email_to": ["not an address"]}, "email_to"),
        ({"target": "email", "email_to": ["a@example.com\r\nBcc: x@example.com"]}, "email_to"),
        ({"target": "email", "email_to": [f"cx{i}@example.com" for i in range(11)]}, "email_to"),
        ({"kind": "digest", "timezone": "Mars/Olympus"}, "timezone"),
        ({"kind": "digest", "timezone": "../../etc/passwd"}, "timezone"),
        ({"kind": "digest", "local_hour": 24}, "local_hour"),
        ({"kind": "digest", "schedule": "hourly"}, "schedule"),
        ({"kind": "digest", "schedule": "weekly", "weekday": "someday"}, "weekday"),
    ],
)
def test_bad_targets_and_schedules_are_rejected_by_the_schema(api, journey, body, field):
    response = api.post(
        "/v1/alerts/rules",
        json={"journey": "checkout", "kind": "emotion_drop", "webhook_url": "https://hooks.example.com/x", **body},
    )
    assert response.status_code == 422, response.json
    assert response.json["error"]["code"] == "validation_error" and field in response.json["error"]["details"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"target": "slack"}, "webhook_url"),
        ({"target": "email"}, "email_to"),
        ({"kind": "emotion_drop", "webhook_url": "https://h.example.com", "local_hour": 9}, "local_hour"),
        ({"kind": "digest", "webhook_url": "https://h.example.com", "schedule": "weekly"}, "weekday"),
        ({"kind": "digest", "webhook_url": "https://h.example.com", "weekday": "monday"}, "weekday"),
    ],
)
def test_fields_that_need_each_other_are_checked(api, journey, body, field):
    response = api.post("/v1/alerts/rules", json={"journey": "checkout", "kind": "emotion_drop", **body})
    assert response.status_code == 422, response.json
    assert field in response.json["error"]["details"]


def test_rules_keep_their_targets_and_the_openapi_document_lists_them(api, client, journey):
    created = make_rule(
        api,
        kind="digest",
        step=None,
        target="teams",
        webhook_url="https://example.webhook.office.com/x",
        timezone="Europe/Berlin",
        email_to=["cx@example.com"],
    )
    assert (
        created["target"],
        created["schedule"],
        created["local_hour"],
        created["timezone"],
        created["weekday"],
        created["email_to"],
    ) == ("teams", "daily", 9, "Europe/Berlin", None, ["cx@example.com"])
    patched = api.patch(
        f"/v1/alerts/rules/{created['id']}",
        json={"schedule": "weekly", "weekday": "friday", "local_hour": 17, "target": "email"},
    )
    assert patched.status_code == 200, patched.json
    assert (patched.json["target"], patched.json["weekday"], patched.json["local_hour"]) == ("email", "friday", 17)
    assert make_rule(api, webhook_url="https://hooks.example.com/x")["target"] == "webhook"

    schemas = client.get("/openapi.json").json["components"]["schemas"]
    rule = schemas["AlertRule"]["properties"]
    assert rule["target"]["enum"] == ["webhook", "slack", "teams", "email"]
    assert rule["email_to"]["maxItems"] == 10 and rule["email_to"]["items"]["format"] == "email"
    assert rule["kind"]["enum"][-1] == "digest" and rule["local_hour"]["maximum"] == 23
    assert "IANA" in rule["timezone"]["description"]


def test_the_site_default_timezone_is_validated(api):
    assert api.patch("/v1/site", json={"settings": {"timezone": "Europe/Berlin"}}).status_code == 200
    bad = api.patch("/v1/site", json={"settings": {"timezone": "CET+1"}})
    assert bad.status_code == 422 and "settings" in bad.json["error"]["details"]


def test_the_dashboard_shows_each_rules_target(app, client, site, api, journey):
    from tests.helpers import sign_in

    make_rule(api, name="To Slack", target="slack", webhook_url="https://hooks.slack.com/services/T/B/X")
    make_rule(api, name="By mail", target="email", email_to=["cx@example.com", "lead@example.com"])
    make_rule(
        api,
        name="Digest",
        kind="digest",
        step=None,
        webhook_url="https://h.example.com/x",
        local_hour=8,
        timezone="Europe/Berlin",
    )
    sign_in(client, site.secret)
    html = client.get("/dashboard/alerts").get_data(as_text=True)
    assert 'data-target="slack">Slack' in html and "<code>hooks.slack.com</code>" in html
    assert 'data-target="email">E-mail' in html and "to 2 addresses" in html
    assert "daily digest at 08:00 Europe/Berlin" in html
    assert "/services/T/B/X" not in html


def test_migration_0007_keeps_rules_and_deliveries(app, api, journey, rows):
    from flask_migrate import downgrade, upgrade

    rule_id = make_rule(api, webhook_url="https://hooks.example.com/x")["id"]
    with app.app_context():
        rule = db.session.get(AlertRule, rule_id)
        db.session.add(
            AlertDelivery(rule=rule, fired_at=T0, payload={"kind": "emotion_drop"}, status="delivered", attempts=1)
        )
        db.session.commit()
        db.session.remove()
        downgrade(revision="0006")
        upgrade()
    (rule,) = rows(sa.select(AlertRule))
    (delivery,) = rows(sa.select(AlertDelivery))
    assert (rule.target, rule.kind, delivery.channel, delivery.status) == (
        "webhook",
        "emotion_drop",
        "webhook",
        "delivered",
    )
