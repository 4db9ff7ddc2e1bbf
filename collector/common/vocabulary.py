"""The words of the domain that several layers share: prompt kinds and their
rating scales, triggers, event types and devices.

The API schemas validate against these tuples and the dashboard offers them
in its forms; adding a value here adds it everywhere.
"""

# Rating scales: (lowest, highest) score the widget may send for each kind.
SCALES: dict[str, tuple[int, int]] = {
    "csat": (1, 5),
    "ces": (1, 7),  # 7 = "very easy"
    "nps": (0, 10),
    "thumbs": (0, 1),  # 0 = thumbs down, 1 = thumbs up
}
KINDS = (*SCALES, "comment")

TRIGGERS = ("inline", "exit_intent", "after_ms", "scroll", "event", "manual", "frustration")
EVENT_TYPES = (
    "impression",
    "dismiss",
    "exit_intent_shown",
    "step_view",
    "journey_complete",
    "error",
    "retry",
    "custom",
    "rage_click",
    "dead_click",
    "error_click",
    "js_error",
    "form_error",
)
DEVICES = ("desktop", "mobile", "tablet", "other")
# Had the browser a visitor id before this session? Sent by the widget with answers and events.
VISITOR_TYPES = ("new", "returning")
# Behavioural friction (docs/friction.md): the widget sends the first five as events;
# quick_back is derived by the collector from step views.
FRICTION_SIGNALS = ("rage_click", "dead_click", "error_click", "js_error", "form_error", "quick_back")
# The clicks after which the ``frustration`` prompt trigger may ask.
FRUSTRATION_SIGNALS = ("rage_click", "dead_click", "error_click")
