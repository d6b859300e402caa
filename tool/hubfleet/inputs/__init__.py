"""Stages 1 to 3, the inputs: load each YAML file with positions, check it against its JSON Schema,
build the typed model, run the rules over it (located through the file's positions); and the
commands that write or edit input files people then own (scaffold, edit, show, init)."""
