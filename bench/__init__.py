"""Benchmarks: a seeded generator of AWS estates and the scripts that measure ciem on them.

Run everything from the repository root with ``python -m bench.<script>``; bench/README.md lists the
commands and docs/benchmarks.md the figures they printed.
"""
