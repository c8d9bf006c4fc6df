"""`python -m bench [--quick] [...]`: see `python -m bench --help`."""

from bench.cli import main

main()
