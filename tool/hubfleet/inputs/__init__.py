"""Stages 1 to 3, the inputs: load each YAML file with positions, check it against its JSON Schema, run
the rules, build the typed model; and the commands that write or edit input files people then own
(scaffold, edit, show, init)."""
