"""The model language: components and state declarations (`model`, `types`), the two
interpretations of an action body (`terms`, `runtime`), and the interval encoding of unbounded sets."""
