"""Renderings of results and traces for people (text) and machines (JSON, ITF)."""
