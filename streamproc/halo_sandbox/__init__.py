"""A faithful-enough HaloPSA REST API sandbox for tests and local development.

See ``README.md`` in this package for routes, seeded data and tenant separation.
"""

from .app import SANDBOX_KEY, Sandbox, create_app, run
from .config import SandboxConfig

__all__ = ["SANDBOX_KEY", "Sandbox", "SandboxConfig", "create_app", "run"]
