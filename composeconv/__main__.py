"""`python -m composeconv` runs the command-line interface."""

from .cli import main

main()
