"""Small models with known answers, and deliberately broken models for the bad-input tests.

Referenced from specs as ``tests.models.<module>:<Class>``.
"""
