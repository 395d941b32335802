"""Models of real systems, one package per system; each exposes ``MODEL`` (a `checker.Model`)."""
