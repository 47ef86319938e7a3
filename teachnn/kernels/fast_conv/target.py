"""Which register tile fits the CPU the kernels are compiled for: the one place that decides.

A tile keeps MR x NV vectors of the product in registers for its whole sum (tiles.py). How
many fit depends on the CPU: the accumulators plus the NV vectors of B and one broadcast
number of A must stay within the vector registers, or LLVM "spills" them to memory and
every step waits for it. So the shape is chosen once, at import, from the CPU Numba
compiles for (the host, or NUMBA_CPU_NAME / NUMBA_CPU_FEATURES when set), and everything
that depends on it (packing, panel widths, the run tables, plans) reads it from tiles.py,
which reads it from here.

The same code generator serves every row of the table; only these numbers change. Two
rules keep the copies around the tiles simple: MR is a power of two and divides both NR
and the weight gradient's NRW (for float32 and float64), so operands are transposed MR
rows at a time.
"""
from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class TileShape:
    name: str
    vector_bytes: int   # one vector register
    mr: int             # rows of the main tile (numbers of A broadcast per step)
    nv: int             # vectors per row of the main tile: NR = nv * lanes columns
    mr_w: int           # rows of the weight gradient's tile (_tile_acols)
    nv_w: int           # its vectors per row
    masked: bool        # masked vector loads/stores are single instructions (else scalar tail)
    why: str


# One row per kind of CPU; ``why`` says what the shape fits.
TILES = {
    "avx512": TileShape(
        "avx512", 64, 8, 3, 12, 2, True,
        "32 zmm registers: 8 x 3 = 24 accumulators (12 x 2 for the weight gradient), 3 for "
        "B and 1 broadcast leave room, and AVX-512 has mask registers."),
    "avx2": TileShape(
        "avx2", 32, 4, 3, 6, 2, False,
        "16 ymm registers: 4 x 3 = 12 accumulators + 3 vectors of B + 1 broadcast = 16 "
        "(OpenBLAS's Haswell sgemm shape 4 x 24); 6 x 2 = 12 for the weight gradient "
        "(BLIS's Haswell 6 x 16); copies end in a scalar tail (vmaskmov stores are slow "
        "microcode on AMD: docs/performance.md)."),
    "neon": TileShape(
        "neon", 16, 4, 4, 6, 4, False,
        "32 q registers of 128 bits: 4 x 4 = 16 accumulators + 4 of B + 1 of A (4 x 16 "
        "float32; 8 x 12 would leave 12 columns, not a multiple of 8 rows to transpose), "
        "6 x 4 = 24 for the weight gradient; no masked loads, so copies end in a scalar tail."),
    "generic": TileShape(
        "generic", 16, 4, 2, 4, 2, False,
        "any other CPU, e.g. x86-64 with SSE only (16 registers of 128 bits): 4 x 2 = 8 "
        "accumulators leave room for B and A; LLVM splits the vectors wherever they are "
        "wider than the CPU's."),
}


def choose(arch, features):
    """The TILES entry for a CPU of architecture ``arch`` (LLVM triple's first part, e.g.
    'x86_64', 'aarch64') with the set of enabled LLVM feature names ``features``."""
    arch = arch.lower()
    if arch in ("x86_64", "amd64", "i386", "i686"):
        if "avx512f" in features:
            return TILES["avx512"]
        if "avx2" in features and "fma" in features:
            return TILES["avx2"]
        return TILES["generic"]
    if arch in ("aarch64", "arm64") or (arch.startswith("arm") and "neon" in features):
        return TILES["neon"]
    return TILES["generic"]


def _enabled(flat):
    """'+avx,-avx512f,+fma' -> {'avx', 'fma'}."""
    return {f[1:] for f in flat.split(",") if f.startswith("+")}


# The probe asks LLVM to compile one 16-float multiply-add for the named CPU and looks at
# the registers it used: LLVM knows the features of every CPU name, llvmlite does not say.
_PROBE_IR = """
define void @probe(<16 x float>* %a, <16 x float>* %b) {
  %x = load <16 x float>, <16 x float>* %a
  %y = load <16 x float>, <16 x float>* %b
  %z = call <16 x float> @llvm.fma.v16f32(<16 x float> %x, <16 x float> %y, <16 x float> %y)
  store <16 x float> %z, <16 x float>* %a
  ret void
}
declare <16 x float> @llvm.fma.v16f32(<16 x float>, <16 x float>, <16 x float>)
"""


def _probe_features(triple, cpu, features):
    """The features that decide ``choose``, as LLVM compiles for (cpu, features)."""
    import llvmlite.binding as llvm
    try:
        llvm.initialize_native_target()
        llvm.initialize_native_asmprinter()
    except Exception:              # newer llvmlite initialises itself
        pass
    machine = llvm.Target.from_triple(triple).create_target_machine(
        cpu=cpu, features=features, opt=2)
    module = llvm.parse_assembly(_PROBE_IR.replace("<16 x float>*", "ptr")
                                 if _opaque_pointers() else _PROBE_IR)
    asm = machine.emit_assembly(module)
    found = set(_enabled(features))
    if "zmm" in asm:
        found |= {"avx512f", "avx2", "fma"}
    elif "ymm" in asm and "vfmadd" in asm:
        found |= {"avx2", "fma"}
    if "fmla" in asm:
        found.add("neon")
    return found


def _opaque_pointers():
    import llvmlite
    major, minor = (int(v) for v in llvmlite.__version__.split(".")[:2])
    return (major, minor) >= (0, 45)


def target():
    """(arch, enabled features) of the CPU Numba compiles for, as Numba decides it:
    NUMBA_CPU_FEATURES when set (with NUMBA_CPU_NAME's own features, e.g. ``generic`` has
    none), else the host's features (even when only NUMBA_CPU_NAME is set: Numba then
    passes the host's features, so NUMBA_CPU_NAME=haswell alone still emits AVX-512)."""
    import llvmlite.binding as llvm
    from numba import config
    from numba.core.codegen import get_host_cpu_features
    triple = llvm.get_process_triple()
    arch = triple.split("-")[0]
    if config.CPU_FEATURES is None:
        return arch, _enabled(get_host_cpu_features())
    cpu = config.CPU_NAME or llvm.get_host_cpu_name()
    try:
        return arch, _probe_features(triple, cpu, config.CPU_FEATURES)
    except Exception:              # a CPU name LLVM does not know: Numba fails as well
        return arch, _enabled(config.CPU_FEATURES)


def current():
    """The tile for this process: TEACHNN_TILE (a key of TILES: for tests on one machine;
    give it its own NUMBA_CACHE_DIR, since Numba's cache keys on the CPU, not the tile)
    or ``choose(*target())``."""
    forced = os.environ.get("TEACHNN_TILE")
    if forced:
        if forced not in TILES:
            raise ValueError(f"TEACHNN_TILE={forced!r}: expected one of {sorted(TILES)}")
        return TILES[forced]
    return choose(*target())
