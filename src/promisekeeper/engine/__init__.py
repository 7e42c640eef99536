"""The capacity and promise engine: plain data in, plain data out, no Django.

Public entry points live in submodules: ``model`` (input), ``plan`` (output),
``schedule`` (plan a portfolio), ``promise`` (earliest finish, can-deliver-by),
``confidence``, ``options``, ``atp`` (stock), ``exact`` (CP-SAT), ``rcpsp``,
``check`` (independent plan checker), ``io`` (JSON), ``psplib``, ``synthetic``.
"""
