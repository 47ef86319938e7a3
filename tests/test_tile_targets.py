"""The tile chosen for each CPU (teachnn/kernels/fast_conv/target.py), and the fast kernels
compiled for CPUs other than this one.

Oracles: the register budget each table row must keep (accumulators + vectors of B + one
broadcast within the CPU's vector registers), LLVM's own code for a named CPU (which
registers it emits), and the reference loops, run in a subprocess compiled with
NUMBA_CPU_NAME=generic (no AVX) and =haswell (AVX2, no AVX-512).
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import llvmlite.binding as llvm
import numpy as np
import pytest

from teachnn.kernels.fast_conv import target, tiles

ROOT = Path(__file__).resolve().parent.parent
AVX512 = {"avx", "avx2", "fma", "avx512f", "avx512bw", "avx512vl", "sse4.2"}
REGISTERS = {"avx512": (32, 64), "avx2": (16, 32), "neon": (32, 16), "generic": (16, 16)}


@pytest.mark.parametrize("arch, features, expected", [
    ("x86_64", AVX512, "avx512"),
    ("x86_64", {"avx", "avx2", "fma", "sse4.2"}, "avx2"),                  # Haswell .. Zen 3
    ("x86_64", {"avx", "avx2", "sse4.2"}, "generic"),                      # AVX2 without FMA
    ("x86_64", {"avx", "sse4.2"}, "generic"),                              # Sandy Bridge
    ("x86_64", set(), "generic"),                                          # NUMBA_CPU_NAME=generic
    ("aarch64", {"neon", "fp-armv8"}, "neon"),                             # Apple M1, Graviton
    ("arm64", set(), "neon"),
    ("riscv64", {"v"}, "generic"),
    ("ppc64le", {"altivec"}, "generic"),
])
def test_tile_choice_for_fake_feature_sets(arch, features, expected):
    assert target.choose(arch, features) is target.TILES[expected]


@pytest.mark.parametrize("name", sorted(target.TILES))
def test_every_tile_fits_its_registers_and_the_copies(name):
    t = target.TILES[name]
    registers, width = REGISTERS[name]
    assert t.vector_bytes == width
    # accumulators + the row of B + one broadcast number of A, for both tiles
    assert t.mr * t.nv + t.nv + 1 <= registers
    assert t.mr_w * t.nv_w + t.nv_w + 1 <= registers
    # operands are transposed MR rows at a time: MR a power of two dividing NR and NRW
    assert t.mr & (t.mr - 1) == 0
    for itemsize in (4, 8):
        lanes = t.vector_bytes // itemsize
        assert (t.nv * lanes) % t.mr == 0 and (t.nv_w * lanes) % t.mr == 0
        # the weight gradient's sum steps KQ positions at a time, whole vectors of them
        assert 96 % lanes == 0
    assert t.why


def test_this_process_uses_the_tile_of_the_cpu_numba_compiles_for():
    expected = target.current()
    assert tiles.SHAPE is expected
    assert tiles.MR == expected.mr and tiles.NV == expected.nv
    assert tiles.tile_cols(np.float32) == expected.nv * expected.vector_bytes // 4
    assert tiles.tile_cols(np.float64) == tiles.tile_cols(np.float32) // 2


@pytest.mark.skipif(llvm.get_process_triple().split("-")[0] != "x86_64",
                    reason="x86 CPU names")
@pytest.mark.parametrize("cpu, expected", [("haswell", "avx2"), ("znver3", "avx2"),
                                           ("skylake-avx512", "avx512"), ("generic", "generic"),
                                           ("nehalem", "generic")])
def test_named_cpu_features_come_from_llvm(cpu, expected):
    """NUMBA_CPU_NAME with NUMBA_CPU_FEATURES set: LLVM compiles a probe for that CPU and
    the registers it uses decide (llvmlite does not list a named CPU's features)."""
    found = target._probe_features(llvm.get_process_triple(), cpu, "")
    assert target.choose("x86_64", found).name == expected
    # an explicit feature string counts too
    found = target._probe_features(llvm.get_process_triple(), cpu, "+avx512f")
    assert target.choose("x86_64", found).name == "avx512"


def test_forced_tile_must_be_a_known_one(monkeypatch):
    monkeypatch.setenv("TEACHNN_TILE", "avx1024")
    with pytest.raises(ValueError, match="TEACHNN_TILE='avx1024'"):
        target.current()
    monkeypatch.setenv("TEACHNN_TILE", "neon")
    assert target.current() is target.TILES["neon"]


@pytest.mark.skipif(llvm.get_process_triple().split("-")[0] != "x86_64",
                    reason="x86 CPU names")
@pytest.mark.parametrize("cpu, features, tile", [
    ("generic", None, "generic"),          # Numba passes no features for 'generic'
    ("haswell", "", "avx2"),               # the name alone would keep the host's AVX-512
])
def test_conv_and_pool_match_reference_compiled_for_another_cpu(tmp_path, cpu, features, tile):
    """A fresh process compiled for another CPU (its own cache directory: Numba keys its
    cache on the CPU, so this compiles everything afresh) runs isa_parity.py."""
    env = dict(os.environ, NUMBA_CPU_NAME=cpu, NUMBA_CACHE_DIR=str(tmp_path),
               PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("TEACHNN_TILE", None)
    env.pop("NUMBA_CPU_FEATURES", None)
    if features is not None:
        env["NUMBA_CPU_FEATURES"] = features
    run = subprocess.run([sys.executable, str(ROOT / "tests" / "isa_parity.py")], env=env,
                         capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip().splitlines()[-1] == f"ok tile={tile}"
