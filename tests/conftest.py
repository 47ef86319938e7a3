"""Test-wide settings: headless matplotlib and a hypothesis profile sized for 2 cores."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

# derandomize: the same examples on every run, so CI is reproducible (tests stay
# deterministic); set HYPOTHESIS_PROFILE=explore to draw fresh examples while developing.
settings.register_profile(
    "teachnn", max_examples=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.register_profile(
    "explore", max_examples=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "teachnn"))


import numpy as np  # noqa: E402
import pytest  # noqa: E402

import teachnn  # noqa: E402


@pytest.fixture(autouse=True)
def _seed_every_generator():
    """Every test starts from the same random state (teachnn, NumPy's global and, if present,
    PyTorch's), so a test run is reproducible and a failure can be replayed."""
    teachnn.manual_seed(0)
    np.random.seed(0)
    try:
        import torch
    except ImportError:
        return
    torch.manual_seed(0)
