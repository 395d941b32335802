"""The `raceproof` command line: `app` (the group), one module per verb or two (`check`,
`gate`, `report`, `graph`, `listing`), and what they share (`common`, `options`)."""

from .app import main

__all__ = ["main"]
