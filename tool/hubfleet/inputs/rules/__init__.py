"""Stage 2b, rules: what the JSON Schema cannot express, one module per concern (cluster and drives,
login, profiles), each rule a small function returning Problems at the field they are about."""
