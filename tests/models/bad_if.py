"""Broken: a state value in a Python ``if``."""

from checker import action

from ._base import Base, FlagProcess


class Toggle(FlagProcess):
    @action
    def toggle(self, sys):
        if self.on:  # BAD: branches on state in Python
            self.on = False


class BadIf(Base):
    flag = Toggle()
