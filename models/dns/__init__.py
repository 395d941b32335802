"""The DynamoDB DNS Planner/Enactor race and its candidate fixes."""

from .model import VARIANTS, Dns

MODEL = Dns

__all__ = ["MODEL", "VARIANTS", "Dns"]
