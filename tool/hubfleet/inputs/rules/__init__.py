"""Stage 2b, rules: what the JSON Schema cannot express, one module per concern (cluster and drives,
login, profiles), each a small function over the typed model returning Diagnostics at the field
they are about; the few about where a field is written read the file (rules/cluster.py says why)."""
