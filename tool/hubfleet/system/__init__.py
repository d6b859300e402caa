"""The system layer, below every stage but the errors: files read safely, the one YAML reader, the
writer's lock, the programs hubfleet runs, package data and the project's root. No domain facts live
here; they are in `hubfleet.core`."""
