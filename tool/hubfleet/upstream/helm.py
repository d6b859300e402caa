"""Upstream: the one helm runner, a HelmRelease templated exactly as helm-controller would install it.

validate (every release, checked object by object) and plan (the releases a change touches,
compared base against head) both expand HelmReleases; before this module they disagreed on the
release's name and namespace, so a chart that names objects after its release showed plan one
set of objects and validate another. helm-controller's rules, which both now follow:

- the namespace is `spec.targetNamespace`, else the HelmRelease's own namespace;
- the release name is `spec.releaseName`, else `<targetNamespace>-<name>` when a target namespace
  is set, else the HelmRelease's name;
- CRDs in the chart's crds/ folder are installed (`--include-crds`), and `.Capabilities` report
  the cluster's Kubernetes version;
- `spec.postRenderers` (kustomize patches) are applied to helm's output, in order.

A chart's values schema is checked except where it would be fetched from the internet (the
caller says so: `skip_schema`). Every run has a timeout (`hubfleet.system.programs.run`).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..core.kubernetes import kube_version
from ..system.programs import Ran, run


@dataclass(frozen=True)
class Placement:
    """Where helm-controller installs a HelmRelease, and under which release name."""

    namespace: str
    release_name: str


def placement(spec: Mapping[str, Any], name: str, namespace: str) -> Placement:
    """The namespace and release name of the HelmRelease `namespace/name` with `spec`."""
    target = str(spec.get("targetNamespace") or "")
    release = spec.get("releaseName") or (f"{target}-{name}" if target else name)
    return Placement(target or namespace, str(release))


def template_command(
    helm: str,
    chart: Path,
    release_name: str,
    namespace: str,
    kubernetes_version: str | None,
    values_files: Sequence[Path],
    skip_schema: bool = False,
) -> list[str]:
    """`helm template` of one release; later values files win, as helm-controller layers them.
    Without a Kubernetes version (a plan side that names none), helm's own default stands."""
    command = [helm, "template", release_name, str(chart), "--namespace", namespace]
    if kubernetes_version:
        command += ["--kube-version", kube_version(kubernetes_version)]
    command.append("--include-crds")
    if skip_schema:
        command.append("--skip-schema-validation")
    for values_file in values_files:
        command += ["-f", str(values_file)]
    return command


def post_renderers(spec: Mapping[str, Any]) -> tuple[dict[str, Any], ...]:
    """A HelmRelease's `spec.postRenderers`, the entries that are mappings."""
    return tuple(r for r in spec.get("postRenderers") or [] if isinstance(r, dict))


def post_renderer_patches(post_renderers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The kustomize patches of `spec.postRenderers`, each with its patch and target as written."""
    return [
        {key: patch[key] for key in ("patch", "target") if key in patch}
        for renderer in post_renderers
        for patch in (renderer.get("kustomize") or {}).get("patches") or []
        if isinstance(patch, dict)
    ]


def post_render(
    ran: Ran, post_renderers: Sequence[Mapping[str, Any]], kubectl: str | None, workdir: Path
) -> Ran:
    """helm's output with the release's postRenderers applied as helm-controller applies them:
    by kustomize (here `kubectl kustomize`, offline), its patches and their targets as written."""
    patches = post_renderer_patches(post_renderers)
    if not ran.ok or not patches:
        return ran
    if kubectl is None:
        return Ran(1, "", "kubectl is needed to apply spec.postRenderers (run `make tools`)")
    folder = Path(tempfile.mkdtemp(prefix="post-render-", dir=workdir))
    (folder / "helm-output.yaml").write_text(ran.stdout, encoding="utf-8")
    kustomization = {"resources": ["helm-output.yaml"], "patches": patches}
    (folder / "kustomization.yaml").write_text(json.dumps(kustomization), encoding="utf-8")
    done = run([kubectl, "kustomize", str(folder)], offline=True)
    if not done.ok:
        return Ran(done.returncode, "", f"spec.postRenderers: {done.error_text(folder)}")
    return done
