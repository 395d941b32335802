"""raceproof's test suite."""
