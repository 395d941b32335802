"""The store the counter models share: editing it invalidates exactly the counter specs."""

from checker import Int, Store


class Shared(Store):
    value = Int(init=0, min=0)
