"""`raceproof gate`: run every spec, compare each property's verdict with the spec's expectation.

The gate is expectation-based (`check` is verdict-based): a spec that expects a race to be found
passes when the race is found. Modules:

- ``expectations``: the typed outcome of a property (met, failed, drifted, uncovered, inconclusive)
  and the gate's exit code;
- ``records``: plain, JSON-serialisable results (what the cache stores and the outputs read);
- ``hashing``: the inputs of a spec (its file, the project modules its model imports, versions);
- ``cache``: the incremental verdict cache; ``shard``: CI matrix splits; ``changed``: git diffs;
- ``runner``: running specs (in parallel processes) and writing the failure reports;
- ``junit``, ``summary``: outputs for CI.

Nothing here imports z3 or the engines at module level: a run where every verdict is cached
must stay a fraction of a second.
"""
