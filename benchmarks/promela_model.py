"""The hand-written Promela model of the DNS race, shared by the benchmarks that run SPIN."""

from pathlib import Path

PROMELA = Path(__file__).resolve().parent / "promela" / "dns_race.pml"
# The numbering of VARIANT in dns_race.pml (-DVARIANT=n): the first six of models.dns's
# VARIANTS, in the same order; cas_stale_snapshot is not in the Promela model.
PML_VARIANTS = [
    "as_designed",
    "recheck_each_endpoint",
    "cleanup_guard",
    "version_cas",
    "fencing_token",
    "fencing_token_late",
]
