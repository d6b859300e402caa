"""The upstream charts and dashboards hubfleet deploys: fetched once, verified against the committed
lock, cached by digest, and expanded by the one helm runner."""
