"""`hubfleet plan`: what a change does to each cluster, with risk flags and a pull-request comment."""
