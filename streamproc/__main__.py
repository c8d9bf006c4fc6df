"""`python -m streamproc …` is the same as the `streamproc` command."""

from streamproc.cli import main

main()
