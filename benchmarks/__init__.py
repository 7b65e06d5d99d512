"""Benchmarks of the platform economy (issue 6): ``python benchmarks/run.py --help``.

``rule`` reads the user-choice rule from a parameter file; ``kernel`` and ``reference_mesa`` are
the two references the full model is compared with; ``run`` measures all three and the sweep.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def in_repository(path: str | Path) -> str:
    """A path as a report records it: relative to the repository when inside it (the same on every
    machine), else absolute."""
    resolved = Path(path).resolve()
    return str(resolved.relative_to(ROOT)) if resolved.is_relative_to(ROOT) else str(resolved)
