"""Settings shared by the whole suite: the hypothesis profiles of the property-based tests.

Fuzz tests (`test_*_fuzz.py`) take their example counts from the profile, so CI stays fast
and a long run is one option away:

    pytest tests -k fuzz --hypothesis-profile=long --timeout=0
    (or FRESHET_HYPOTHESIS_PROFILE=long: 5,000 cases per test instead of 60)

Tests that pin `max_examples` in their own `@settings` keep it under every profile.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

_SLOW_INPUTS = [HealthCheck.too_slow, HealthCheck.data_too_large]

# CI: a few seconds per fuzzed edge
settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=_SLOW_INPUTS, print_blob=True
)
# long: a deliberate hunt, minutes per edge
settings.register_profile(
    "long", max_examples=5_000, deadline=None, suppress_health_check=_SLOW_INPUTS, print_blob=True
)
settings.load_profile(os.environ.get("FRESHET_HYPOTHESIS_PROFILE", "ci"))
