"""Stage 3, model: frozen, typed objects built only from input that passed the schema (the cluster with
its hubs, and each hub's login)."""
