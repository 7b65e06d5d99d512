"""Benchmarks of the platform economy (issue 6): ``python benchmarks/run.py --help``.

``rule`` reads the user-choice rule from a parameter file; ``kernel`` and ``reference_mesa`` are
the two references the full model is compared with; ``run`` measures all three and the sweep.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def processor_maths() -> str:
    """How numpy computes float64 exp and log on this processor: "avx512f" (numpy's own AVX-512 code) or
    "libm" (the C library's, on processors without AVX-512). The two can differ in the last bit, and a long
    run amplifies that into other decisions (a rescue in one month rather than the next), so a committed
    run can be repeated to the last digit only on a processor of the same kind. Statements over seeds do
    not depend on it; single committed runs do."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy moved its private table: say so rather than guess
        return "unknown"
    return "avx512f" if __cpu_features__.get("AVX512F") else "libm"


def in_repository(path: str | Path) -> str:
    """A path as a report records it: relative to the repository when inside it (the same on every
    machine), else absolute."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)
