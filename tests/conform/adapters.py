"""Adapters that are wrong on purpose, for the bad-input tests of replay and conform."""

from __future__ import annotations

from typing import Any

from examples.dns_service.conformance import DnsAdapter


class RaisingAdapter(DnsAdapter):
    """Raises in the middle of a run, as a broken adapter would."""

    def step(self, instance: str, action: str, args: dict[str, Any]) -> Any:
        if action == "apply":
            raise ConnectionResetError("the Enactor lost its connection")
        return super().step(instance, action, args)


class PartialMappingAdapter(DnsAdapter):
    """Forgets to say how the plan store is observed."""

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        super().__init__(params, options)
        del self.mapping["plans"]


class WrongObservationAdapter(DnsAdapter):
    """Maps a variable to an observation it never makes."""

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        super().__init__(params, options)
        self.mapping["plans"] = "plan_rows"


class BlindAdapter(DnsAdapter):
    """Declares it cannot observe the endpoints: a property about them gets no verdict."""

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        super().__init__(params, options)
        self.mapping["endpoint_plan"] = None


class AsDesignedForCas(DnsAdapter):
    """Runs the as-designed service whatever variant the model checks (a mismatch on purpose)."""

    def __init__(self, params: dict[str, Any], options: dict[str, str]):
        super().__init__({**params, "variant": "as_designed"}, options)
