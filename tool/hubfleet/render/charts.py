"""The charts hubfleet ships (the per-hub drive), written into every fleet's tree.

They live in hubfleet's own repository (charts/) and in its package; a fleet holds a rendered
copy under gitops/charts/, because Flux reads a chart from the fleet's git repository. Writing
it on every render, like any other output, is what lets a newer hubfleet change its drive chart
in every fleet through an ordinary render, plan and pull request, never by copying by hand.
"""

from __future__ import annotations

from collections.abc import Mapping

from ..core.layout import Layout
from .common import OutputFile

#: What a chart file's header names as its source.
SHIPPED_SOURCE = "the charts hubfleet ships"


def render_shipped_charts(files: Mapping[str, bytes], layout: Layout) -> list[OutputFile]:
    """One raw file per file of each shipped chart (`files` by path below charts/), byte for byte."""
    return [
        OutputFile(f"{layout.charts_scope()}{path}", SHIPPED_SOURCE, raw=content)
        for path, content in sorted(files.items())
    ]
