"""Example implementations that raceproof's models are checked against (not shipped in the wheel)."""
