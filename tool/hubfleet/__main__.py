"""`python -m hubfleet` runs the CLI."""

from .cli import main

main()
