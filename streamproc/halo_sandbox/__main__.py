"""``python -m streamproc.halo_sandbox`` — same as ``streamproc halo-sandbox``."""

from .cli import halo_sandbox

halo_sandbox()
