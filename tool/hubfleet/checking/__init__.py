"""`hubfleet hub check`: a hub that works, checked from outside after Flux reconciles."""
