"""Which pods a cluster's network-policy enforcement covers, read from the rendered tree.

A NetworkPolicy is only a wish until something enforces it, and on EKS what enforces it decides
which pods it holds for:
- Calico in policy-only mode (the tigera-operator release with the VPC CNI as its CNI) enforces
  every policy on every pod;
- the VPC CNI's own agent (`enableNetworkPolicy` in the eksctl add-on) enforces them only on pods
  with an owner, so never on the user pods KubeSpawner makes (aws-network-policy-agent#327);
- with neither, no policy holds anywhere.
The reachability check (reachability.py) evaluates policies only where this model says they
hold; isolation.py refuses a cluster that is not fully enforced.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from ruamel.yaml.error import YAMLError

from ..core.charts import TIGERA_OPERATOR, chart_spec
from ..core.names import HELM_GROUP, VPC_CNI_ADDON
from ..system.yaml_reader import load_one
from .manifests import Manifest

Engine = Literal["calico", "vpc-cni", "none"]


@dataclass(frozen=True)
class Enforcement:
    engine: Engine
    #: Where the engine is declared (the operator release, or the eksctl file), for messages.
    source: Manifest | None

    def holds_for(self, owned: bool) -> bool:
        """Whether policies hold for a pod (owned: made by a controller, not by KubeSpawner)."""
        return self.engine == "calico" or (self.engine == "vpc-cni" and owned)

    def describe(self) -> str:
        return {
            "calico": "Calico (policy-only, beside the VPC CNI): every pod",
            "vpc-cni": "the VPC CNI's agent: only pods with an owner, never KubeSpawner's user pods",
            "none": "nothing: no NetworkPolicy holds",
        }[self.engine]


def _configuration(value: Any) -> dict[str, Any]:
    """An add-on's configurationValues (a JSON or YAML string), or {}."""
    if not isinstance(value, str):
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        try:
            parsed = load_one(value)
        except YAMLError:
            return {}
    return parsed if isinstance(parsed, dict) else {}


def vpc_cni_enforces(config: dict[str, Any]) -> bool:
    addons = config.get("addons")
    return any(
        isinstance(addon, dict)
        and addon.get("name") == VPC_CNI_ADDON
        and str(_configuration(addon.get("configurationValues")).get("enableNetworkPolicy")).lower() == "true"
        for addon in (addons if isinstance(addons, list) else [])
    )


def _calico(release: Manifest) -> bool:
    if (
        not release.is_a(HELM_GROUP, "HelmRelease")
        or chart_spec(release.spec).get("chart") != TIGERA_OPERATOR.chart
    ):
        return False
    values = release.spec.get("values")
    installation = values.get("installation") if isinstance(values, dict) else None
    if not isinstance(installation, dict) or installation.get("enabled") is False:
        return False
    cni = installation.get("cni")
    return isinstance(cni, dict) and cni.get("type") == "AmazonVPC"


def enforcement_model(objects: Iterable[Manifest], eksctl: Manifest | None) -> Enforcement:
    for manifest in objects:
        if _calico(manifest):
            return Enforcement("calico", manifest)
    if eksctl is not None and vpc_cni_enforces(eksctl.data):
        return Enforcement("vpc-cni", eksctl)
    return Enforcement("none", eksctl)
