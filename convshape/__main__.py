"""``python -m convshape``: the command line."""

from convshape.cli import run

run()
