"""A stand-alone fake of the Tripletex API v2 for demos, tests and benchmarks.

Start it with ``python -m fake_tripletex``; see ``__main__`` for options and the
control API in ``control`` for how tests steer it.
"""
