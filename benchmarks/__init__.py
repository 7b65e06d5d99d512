"""Benchmarks of the platform economy (issue 6): ``python benchmarks/run.py --help``.

``rule`` reads the user-choice rule from a parameter file; ``kernel`` and ``reference_mesa`` are
the two references the full model is compared with; ``run`` measures all three and the sweep.
"""
