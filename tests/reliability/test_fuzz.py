"""API fuzzing: schemathesis generates requests from /openapi.json and every
response must be a documented status with a body matching its schema.

Each operation gets a bounded number of schema-valid and schema-invalid
examples, with an admin key and without one, on a real migrated database.
"""

import os
import sys

import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import checks
from schemathesis.config import SchemathesisConfig
from schemathesis.generation.modes import GenerationMode

# Per operation, per mode, per credential: bounded so the whole run stays at a couple of minutes.
MAX_EXAMPLES = int(os.environ.get("FUZZ_MAX_EXAMPLES", "25"))
# What schemathesis can generate beyond schema-shaped values: NUL in strings
# (allow-x00), any code point its codec can encode, and dictionaries of values
# it mixes into the strings and numbers it draws: here the hostile inputs that
# once got a 500 or were stored. It can't send an unpaired surrogate (it
# encodes every string as UTF-8, strictly), and has no generator for NaN or
# Infinity (its dictionaries drop non-finite numbers) or for deep nesting;
# tests/reliability/test_hostile_input.py sends those.
HOSTILE_STRINGS = [
    "victim1\n",
    "checkout\n",
    "en\n",
    "#4f46e5\n",
    "\nv1",
    "a\x00b",
    "\x00",
    "0001-01-01T00:00:00+05:00",
    "9999-12-31",
    "9999-12-31T23:59:59-05:00",
    "1969-12-31T23:59:59Z",
    "[" * 64,
    "NaN",
    "-Infinity",
    "1e400",
]
HOSTILE_NUMBERS = [1e308, -1e308, 5e-324, 2**63, -(2**63) - 1, 10**30]
CONFIG = {
    "dictionaries": {"hostile-strings": {"values": HOSTILE_STRINGS}, "hostile-numbers": {"values": HOSTILE_NUMBERS}},
    "generation": {
        "allow-x00": True,
        "codec": "utf-8",
        "dictionaries": {
            "string": {"dictionary": "hostile-strings", "probability": 0.2},
            "integer": {"dictionary": "hostile-numbers", "probability": 0.1},
            "number": {"dictionary": "hostile-numbers", "probability": 0.1},
        },
    },
}
CHECKS = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_schema_conformance,
    checks.response_headers_conformance,
]


def _fuzz(app, operation, mode: GenerationMode, headers: dict) -> tuple[int, list[str]]:
    """Run one operation's examples; returns how many ran and the failures."""
    ran, failures = 0, []

    @settings(
        max_examples=MAX_EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate],
    )
    @given(case=operation.as_strategy(generation_mode=mode))
    def run(case):
        nonlocal ran
        ran += 1
        case.headers = {**(case.headers or {}), **headers}
        try:
            case.call_and_validate(checks=CHECKS)
        except Exception as error:  # collect every finding, not only the first
            failures.append(f"{operation.label} [{mode}]: {str(error)[:2000]}")

    try:
        run()
    except Unsatisfiable:  # nothing to make invalid: an operation without parameters or body
        pass
    except Exception as error:  # schemathesis may re-raise a finding after the run
        failures.append(f"{operation.label} [{mode}]: {str(error)[:2000]}")
    return ran, failures


@pytest.mark.slow
@pytest.mark.parametrize("authorized", [True, False], ids=["admin-key", "no-key"])
def test_every_operation_answers_as_documented(app, site, authorized):
    """Fuzzed requests get no 5xx, and documented statuses, content types and bodies."""
    schema = schemathesis.openapi.from_wsgi("/openapi.json", app, config=SchemathesisConfig.from_dict(CONFIG))
    headers = {"Authorization": f"Bearer {site.secret}"} if authorized else {}
    total, failures, operations = 0, [], 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            ran, found = _fuzz(app, operation, mode, headers)
            total += ran
            failures += found
    print(
        f"\nfuzzed {total} cases over {operations} operations ({'admin key' if authorized else 'no key'})",
        file=sys.stderr,
    )
    assert operations >= 20
    assert not failures, "\n\n".join(failures[:10])
