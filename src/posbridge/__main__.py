"""`python -m posbridge`: the same command as the `posbridge` console script."""

from posbridge.cli import main

main()
