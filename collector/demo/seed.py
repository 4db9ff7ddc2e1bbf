"""The demo: a shop site with a checkout journey and realistic synthetic answers.

Payment is made visibly painful (low CES, card declines, exit-intent
comments) so a new user sees a pain point on the curve straight away.
"""

import random
import uuid
import zlib
from collections.abc import Callable
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.orm import Session

from collector.analytics import friction, maintenance, rollups, theme_store
from collector.analytics.emotion import score_response
from collector.common.time import utcnow
from collector.models import ApiKey, Event, Journey, Prompt, Response, Site, Step
from collector.tenancy.keys import create_api_key

DEMO_PUBLIC_KEY = "pk_demo"
DEMO_KEY_NAME = "demo"
STEPS = [("cart", "Cart"), ("shipping", "Shipping"), ("payment", "Payment"), ("confirmation", "Confirmation")]

PROMPTS = {
    "cart": [
        dict(
            kind="csat",
            trigger="inline",
            text={
                "en": "How happy are you with your cart so far?",
                "de": "Wie zufrieden sind Sie mit Ihrem Warenkorb?",
            },
        )
    ],
    "shipping": [
        dict(kind="ces", trigger="after_ms", delay_ms=4000, text={"en": "How easy was it to choose shipping?"})
    ],
    "payment": [
        dict(
            kind="ces",
            trigger="inline",
            text={"en": "How easy was paying?", "de": "Wie einfach war das Bezahlen?"},
            follow_up={"max_score": 3, "text": {"en": "What made it hard?"}},
        ),
        dict(kind="comment", trigger="exit_intent", text={"en": "Leaving already? What stopped you from paying?"}),
        # Right after a rage, dead or error click (try "Apply coupon" in the demo shop).
        dict(
            kind="thumbs",
            trigger="frustration",
            text={"en": "Something not working?", "de": "Funktioniert etwas nicht?"},
        ),
    ],
    "confirmation": [
        dict(kind="nps", trigger="inline", text={"en": "How likely are you to recommend us to a friend?"})
    ],
}

# What visitors say at each step, by mood.
COMMENTS = {
    "cart": {
        "positive": [
            "Easy to change quantities",
            "Loved how smooth this was",
            "Great, found everything right away",
            "Easy peasy",
        ],
        "negative": [
            "Coupon code didn't work",
            "Why is the delete button so tiny",
            "Prices changed when I opened the cart?!",
        ],
        "neutral": ["Ordering for my mum", "Just checking the total"],
    },
    "shipping": {
        "positive": ["Shipping options were clear, thanks!", "Fast delivery choice, nice", "Really seamless so far"],
        "negative": [
            "Shipping costs were a nasty surprise",
            "No weekend delivery option",
            "too many address fields, annoying",
        ],
        "neutral": ["Checked the delivery date", "Sending it to my office"],
    },
    "payment": {
        "positive": ["Super quick and painless 😀", "Apple Pay made it painless", "Paying was fast, no hassle"],
        "negative": [
            "My card was declined twice for no reason",
            "The payment page took forever to load",
            "Couldn't find PayPal",
            "Got stuck on the 3-D Secure screen, it just spun forever",
            "Why do I need an account to pay?!",
            "Total hassle, gave up",
            "Charged twice?? not happy",
            "Page crashed after I entered my card",
        ],
        "neutral": ["I paid with PayPal", "Using the company card"],
    },
    "confirmation": {
        "positive": [
            "Best shop experience in ages!!",
            "Perfect, no hassle at all",
            "Friendly and clear, will come back",
        ],
        "negative": ["No confirmation email yet", "Order number is hard to find"],
        "neutral": ["Will check the email later"],
    },
}

# Visitors whose locale is German or French write in their language at these steps
# (scored with that language's lexicon; the dashboard shows and filters the language).
LOCAL_COMMENTS = {
    "de": {
        "shipping": {
            "positive": ["Versandoptionen waren klar, danke!", "Lieferung am Samstag, super"],
            "negative": ["Die Versandkosten waren eine böse Überraschung", "Viel zu viele Adressfelder, nervig"],
            "neutral": ["Geht an meine Büroadresse"],
        },
        "payment": {
            "positive": ["Bezahlen ging schnell und unkompliziert", "Mit PayPal super einfach"],
            "negative": [
                "Meine Karte wurde zweimal abgelehnt",
                "Die Zahlungsseite hat ewig geladen",
                "Hing bei 3-D Secure fest, nichts ging mehr",
                "Kein PayPal? Schade",
            ],
            "neutral": ["Ich habe per Rechnung bezahlt"],
        },
    },
    "fr": {
        "shipping": {
            "positive": ["Options de livraison claires, merci !", "Livraison rapide, parfait"],
            "negative": ["Les frais de port sont une mauvaise surprise", "Pas de livraison le samedi"],
            "neutral": ["Livraison au bureau"],
        },
        "payment": {
            "positive": ["Paiement rapide et sans souci", "Très simple avec Apple Pay"],
            "negative": [
                "Ma carte a été refusée deux fois",
                "La page de paiement ne chargeait pas",
                "Bloqué sur l'écran 3-D Secure",
                "Pas de PayPal, dommage",
            ],
            "neutral": ["J'ai payé avec la carte de l'entreprise"],
        },
    },
}

# Per step: (mean rating position in [0, 1], share of answers with a comment)
PROFILE = {"cart": (0.78, 0.15), "shipping": (0.7, 0.15), "payment": (0.32, 0.35), "confirmation": (0.8, 0.2)}
SCALE = {"csat": (1, 5), "ces": (1, 7), "nps": (0, 10)}


def ensure_demo_site(session: Session, origins: list[str]) -> tuple[Site, bool]:
    """The demo site and whether it was just created; creating it twice is a no-op."""
    site = session.scalar(sa.select(Site).where(Site.public_key == DEMO_PUBLIC_KEY))
    if site is not None:
        site.origins = sorted(set(site.origins) | set(origins))
        session.commit()
        return site, False
    # Up to five prompts a session, so a visitor walking the shop is asked at every step.
    site = Site(
        name="Demo shop",
        public_key=DEMO_PUBLIC_KEY,
        origins=sorted(set(origins)),
        settings={"respect_dnt": False, "per_session": 5},
    )
    journey = Journey(key="checkout", name="Checkout")
    journey.steps = [Step(key=key, name=name, position=i) for i, (key, name) in enumerate(STEPS)]
    site.journeys.append(journey)
    for step in journey.steps:
        step.prompts = [Prompt(**prompt) for prompt in PROMPTS[step.key]]
    session.add(site)
    session.commit()
    return site, True


def fresh_demo_key(session: Session, site: Site) -> str:
    """Revoke the previous demo key and issue a new admin one, to print."""
    for key in session.scalars(
        sa.select(ApiKey).where(ApiKey.site_id == site.id, ApiKey.name == DEMO_KEY_NAME, ApiKey.revoked_at.is_(None))
    ):
        key.revoked_at = utcnow()
    _, secret = create_api_key(session, site, ["admin"], DEMO_KEY_NAME)
    session.commit()
    return secret


# How people word the same reason differently, so the payment comments form clear themes (declined
# card, no PayPal, 3-D Secure hanging) rather than one theme per canned sentence.
REWORDED = {
    "My card was declined twice for no reason": [
        "My card was declined twice for no reason",
        "card declined again, the bank says all is fine",
        "Why was my card declined?",
        "credit card declined even though it works everywhere else",
    ],
    "Couldn't find PayPal": [
        "Couldn't find PayPal",
        "No PayPal option?",
        "Please add PayPal",
        "where is PayPal? I only use PayPal",
    ],
    "Got stuck on the 3-D Secure screen, it just spun forever": [
        "Got stuck on the 3-D Secure screen, it just spun forever",
        "3-D Secure check never finished",
        "stuck at the 3-D Secure verification",
        "the 3-D Secure page hung, had to start again",
    ],
}


def _reworded(comment: str | None, visitor: str) -> str | None:
    """One of the comment's wordings, picked by the visitor id (no random draw, so the rest of
    the seed stays as it was)."""
    wordings = REWORDED.get(comment or "")
    return wordings[zlib.crc32(visitor.encode()) % len(wordings)] if wordings else comment


# A persona difference to find: on a phone, the shipping form (address fields, options) is harder.
DEVICE_SHIFT = {("shipping", "mobile"): -0.3}


def _device_shift(position: float, step: str, device: str | None) -> float:
    """The rating position moved for the device's persona at this step (no random draw, so
    every other answer of the seed stays as it was)."""
    return min(1.0, max(0.0, position + DEVICE_SHIFT.get((step, device or ""), 0.0)))


def _answer(
    rng: random.Random, step: str, kind: str, locale: str = "en", device: str | None = None
) -> tuple[int | None, str | None]:
    """A score drawn around the step's mean, and sometimes a comment that fits it,
    in the visitor's language where the demo has comments in it."""
    mean, comment_share = PROFILE[step]
    position = _device_shift(min(1.0, max(0.0, rng.gauss(mean, 0.22))), step, device)
    comments = LOCAL_COMMENTS.get(locale, {}).get(step) or COMMENTS[step]
    if kind == "comment":  # exit intent: people leaving mostly say why
        return None, rng.choice(comments["negative"] if rng.random() < 0.85 else comments["neutral"])
    comment = None
    if rng.random() < comment_share:
        mood = "neutral" if rng.random() < 0.15 else "positive" if position >= 0.5 else "negative"
        comment = rng.choice(comments[mood])
    low, high = SCALE[kind]
    return round(low + position * (high - low)), comment


# Share of sessions at each step that go on to the next one: payment loses people.
CONTINUE = {"cart": 0.8, "shipping": 0.85, "payment": 0.55}
# Share of sessions asked at a step (sampling, caps) that answer.
ANSWER_RATE = 0.45
# Share of sessions leaving a step that answer the exit-intent question.
EXIT_ANSWER_RATE = {"shipping": 0.1, "payment": 0.25}


def _new_id(rng: random.Random) -> str:
    return str(uuid.UUID(int=rng.getrandbits(128), version=4))


def seed_responses(
    session: Session,
    site: Site,
    count: int,
    *,
    days: int = 30,
    seed: int = 7,
    progress: Callable[[int], None] = lambda n: None,
) -> None:
    """Insert ``count`` synthetic answers over the last ``days``, from visitors who
    walk the checkout (step views, completions, prompt impressions, answers) and
    leave most often at payment, where some say why as they go."""
    rng = random.Random(seed)
    journey = session.scalar(sa.select(Journey).where(Journey.site_id == site.id, Journey.key == "checkout"))
    steps = {step.key: step for step in journey.steps}
    now = utcnow()
    stored = 0
    while stored < count:
        responses, events = [], []
        while len(responses) < 500 and stored + len(responses) < count:
            visitor = uuid.UUID(int=rng.getrandbits(128)).hex[:16]
            moment = now - timedelta(seconds=rng.uniform(600, days * 86400))
            segment = dict(
                site_id=site.id,
                journey_id=journey.id,
                visitor_id=visitor,
                session_id=visitor[:12],
                device=rng.choice(["desktop", "desktop", "mobile", "tablet"]),
                locale=rng.choice(["en", "en", "de", "fr"]),
                variant=rng.choice(["A", "B"]),
            )
            for step_key, _ in STEPS:
                context = dict(
                    segment, step_id=steps[step_key].id, url_path=f"/demo/shop/{step_key}", created_at=moment
                )
                events.append(dict(context, client_id=_new_id(rng), type="step_view"))
                leaving = rng.random() > CONTINUE.get(step_key, 1.0)
                exit_intent = leaving and rng.random() < EXIT_ANSWER_RATE.get(step_key, 0.0)
                kind = "comment" if exit_intent else PROMPTS[step_key][0]["kind"]
                asked = exit_intent or rng.random() < 0.7
                if asked:
                    events.append(dict(context, client_id=_new_id(rng), type="impression", kind=kind))
                room = stored + len(responses) < count
                if room and (exit_intent or (asked and rng.random() < ANSWER_RATE)):
                    score, comment = _answer(rng, step_key, kind, segment["locale"], segment["device"])
                    comment = _reworded(comment, visitor)
                    scored = score_response(kind, score, comment, segment["locale"])
                    responses.append(
                        dict(
                            context,
                            client_id=_new_id(rng),
                            kind=kind,
                            score=score,
                            comment=comment,
                            polarity=scored.polarity,
                            subjectivity=scored.subjectivity,
                            sentiment_label=scored.sentiment_label,
                            language=scored.language,
                            emotion=scored.emotion,
                            scorer_version=scored.scorer_version,
                            trigger="exit_intent" if exit_intent else PROMPTS[step_key][0]["trigger"],
                        )
                    )
                if leaving:
                    break
                moment += timedelta(seconds=rng.uniform(20, 240))
            else:
                last = steps[STEPS[-1][0]]
                events.append(
                    dict(
                        segment,
                        step_id=last.id,
                        url_path=f"/demo/shop/{last.key}",
                        created_at=moment,
                        client_id=_new_id(rng),
                        type="journey_complete",
                    )
                )
        session.execute(sa.insert(Response), responses)
        session.execute(sa.insert(Event), events)
        rollups.add_responses(session, responses)
        rollups.add_events(session, events)
        session.commit()
        stored += len(responses)
        progress(len(responses))
    maintenance.rebuild_funnel(session, site_id=site.id)
    seed_friction(session, site, seed=seed)
    session.commit()


def seed_themes(session: Session, site: Site) -> int:
    """Build the demo journey's themes right after seeding (what ``stepsense themes rebuild``
    does), so the dashboard shows why payment hurts at once; the number of steps built."""
    steps = theme_store.steps_to_rebuild(session, site.id, "checkout", None)
    return len(theme_store.rebuild(session, steps))


def banner(base_url: str, site: Site, secret: str) -> str:
    return f"""
Stepsense demo is running.

  Demo shop (widget on every step):  {base_url}/demo/
  Dashboard:                         {base_url}/dashboard
  API docs:                          {base_url}/docs

  Site public key: {site.public_key}
  Admin API key (new on every start): {secret}

  curl -H 'Authorization: Bearer {secret}' {base_url}/v1/journeys/checkout/curve
  curl -H 'Authorization: Bearer {secret}' '{base_url}/v1/responses?journey=checkout&limit=5'

Press Ctrl+C to stop.
"""


# Share of seeded sessions at a step that show a friction signal there: payment's coupon
# button and card field misbehave (as in the demo shop), the other steps are mostly calm.
FRICTION_RATES = {
    "payment": {"dead_click": 0.22, "rage_click": 0.12, "form_error": 0.18, "error_click": 0.03, "js_error": 0.04},
    "shipping": {"dead_click": 0.03, "form_error": 0.02},
    "cart": {"dead_click": 0.02},
}
FRICTION_PROPS = {
    "dead_click": {"target": "button#apply-coupon[Apply coupon]"},
    "rage_click": {"target": "button#apply-coupon[Apply coupon]", "count": 3},
    "form_error": {"field": "card", "reason": "invalid"},
    "error_click": {"target": "button#apply-coupon[Apply coupon]", "message": "Coupon service unavailable"},
    "js_error": {"message": "Coupon service unavailable", "file": "/demo/shop/payment", "line": 1},
}


def seed_friction(session: Session, site: Site, *, seed: int = 7) -> None:
    """Friction signals for the seeded sessions' step views (FRICTION_RATES), a few seconds
    after each view; the friction rollups are then rebuilt from them."""
    rng = random.Random(seed + 1)
    steps = {
        step.id: step.key for step in session.scalars(sa.select(Step).join(Journey).where(Journey.site_id == site.id))
    }
    views = session.execute(sa.select(Event).where(Event.site_id == site.id, Event.type == "step_view")).scalars().all()
    rows = []
    for view in views:
        for signal, rate in FRICTION_RATES.get(steps.get(view.step_id), {}).items():
            if rng.random() < rate:
                rows.append(
                    dict(
                        site_id=site.id,
                        journey_id=view.journey_id,
                        step_id=view.step_id,
                        client_id=_new_id(rng),
                        type=signal,
                        visitor_id=view.visitor_id,
                        session_id=view.session_id,
                        url_path=view.url_path,
                        device=view.device,
                        locale=view.locale,
                        variant=view.variant,
                        props=FRICTION_PROPS[signal],
                        created_at=view.created_at + timedelta(seconds=rng.uniform(2, 15)),
                    )
                )
    if rows:
        session.execute(sa.insert(Event), rows)
    friction.rebuild_friction(session, site_id=site.id)
