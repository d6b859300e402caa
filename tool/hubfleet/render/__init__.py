"""Stage 4, render: pure functions from the model to manifests (plain dicts). No I/O here."""
