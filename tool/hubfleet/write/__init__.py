"""Stages 4 and 5 joined: the render pipeline (inputs -> model -> files -> plan) and the one writer of
gitops/, with its emitter, journal and fingerprints."""
