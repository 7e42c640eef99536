"""Research code beside the product engine: benchmarks' solvers, readers and generators.

Framework-free like :mod:`promisekeeper.engine`, which it builds on and which
never imports it (import-linter contracts in ``pyproject.toml`` say both).
Used by the command line (``promisekeeper engine``) and by ``benchmarks/``.
Submodules: ``schedule`` (the engine's scheduler with the RCPSP solvers),
``rcpsp`` (heuristics), ``exact`` (CP-SAT), ``psplib`` (PSPLIB ``.sm`` reader),
``taskjuggler`` (export to and import from tj3), ``synthetic`` (generated
organisations).
"""
