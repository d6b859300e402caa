"""hubfleet: describe JupyterHub clusters and hubs in YAML, render a Flux GitOps tree."""

__version__ = "0.1.0"
