"""The input schemas (cluster and hub files), shipped inside the package as hubfleet.schemas and read
with importlib.resources; they live here, at the repository root, where people read them."""
