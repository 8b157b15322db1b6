"""`python -m bench`: the whole benchmark (see bench/harness.py)."""

from bench.harness import main

main()
