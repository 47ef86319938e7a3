"""Test-wide settings: headless matplotlib and a hypothesis profile sized for 2 cores."""
import os

os.environ.setdefault("MPLBACKEND", "Agg")

from hypothesis import HealthCheck, settings  # noqa: E402

# derandomize: the same examples on every run, so CI is reproducible (tests stay
# deterministic); set HYPOTHESIS_PROFILE=explore to draw fresh examples while developing.
settings.register_profile(
    "teachnn", max_examples=30, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
)
settings.register_profile(
    "explore", max_examples=100, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                           HealthCheck.function_scoped_fixture],
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


# --------------------------------------------------------------------------------------
# Kernel tiers: the parity modules run under both (teachnn.kernels.use)
# --------------------------------------------------------------------------------------
# Tests of these modules compare convolution and pooling with PyTorch or with hand
# examples: each runs once per kernel tier, so the readable loops of kernels/reference/
# are held to the same numbers as the fast kernels. When TEACHNN_KERNELS is set, only that
# tier runs (the whole suite under one tier).
KERNEL_TIER_MODULES = {
    "test_conv", "test_conv_modules", "test_pool_parity", "test_pool_functional",
    "test_pad", "test_notes_examples", "test_tutorial_compat", "test_fuzz_entry_points",
}


def _tiers():
    chosen = os.environ.get("TEACHNN_KERNELS", "").strip().lower()
    return [chosen] if chosen else ["fast", "reference"]


def pytest_generate_tests(metafunc):
    if metafunc.module.__name__.rsplit(".", 1)[-1] in KERNEL_TIER_MODULES:
        if "kernel_tier" not in metafunc.fixturenames:
            metafunc.fixturenames.append("kernel_tier")
        metafunc.parametrize("kernel_tier", _tiers(), indirect=True)


@pytest.fixture
def kernel_tier(request):
    """Run the test with ``teachnn.kernels.use(request.param)``; yields the tier's name."""
    with teachnn.kernels.use(request.param):
        yield request.param
