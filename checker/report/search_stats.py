"""`check --stats`: the explicit search's figures in one line per spec (the same as ``--json``'s ``search``)."""

from __future__ import annotations

from typing import Any

MB = 2**20


def search_stats(extra: dict[str, Any]) -> str | None:
    """``stats: ...`` for an explicit run's result ``extra`` (None for other engines)."""
    if "peak_rss_bytes" not in extra or "states" not in extra:
        return None
    scale = extra.get("scale_out")
    mode = "1 process"
    if scale:
        mode = f"{scale['workers']} {'Ray actors' if scale['transport'] == 'ray' else 'worker processes'}"
        if scale.get("worker_wait_seconds"):  # where the workers' wall time went besides their CPU
            mode += (
                f" (each blocked at the level barriers up to {max(scale['worker_wait_seconds']):.2f} s, "
                f"waiting for a core up to {max(scale.get('worker_runqueue_seconds') or [0.0]):.2f} s)"
            )
    seconds = extra.get("search_seconds")
    speed = f", {extra['states_per_second']:,} states/s" if extra.get("states_per_second") else ""
    return (
        f"stats: {extra['states']:,} states in {mode}, search {seconds} s{speed}; "
        f"store {extra['bytes_per_state']} B per state; peak RSS {extra['peak_rss_bytes'] / MB:.0f} MB"
        f"{' (all processes)' if scale else ''}, of which the search added "
        f"{extra.get('peak_rss_growth_bytes', 0) / MB:.0f} MB = {extra.get('peak_bytes_per_state')} B per state"
        + (f"; --workers auto: {extra['workers_choice']}" if extra.get("workers_choice") else "")
    )
