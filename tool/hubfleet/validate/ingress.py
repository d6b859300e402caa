"""Layer 7, ingress lint: NGINX mergeable Ingresses and the TLS secret they use.

One master Ingress per host (it owns the host and its TLS), minions with unique
paths and no TLS. The Ingresses every expanded HelmRelease renders count as what they
are; a JupyterHub HelmRelease that could not be expanded counts as the minion its
values.ingress would render, at path hub.baseUrl. The TLS secret must be in the tree as a SealedSecret.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any, Literal

from ..core.names import MERGEABLE_TYPE, NGINX_NAMESPACE
from .lint import ClusterLint, get, is_jupyterhub, release_namespace, release_values
from .manifests import Manifest
from .tree import LAYOUT

Role = Literal["master", "minion", "plain"]
FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class IngressUse:
    """One host an Ingress (or a chart's values that render one) routes."""

    host: str
    role: Role
    paths: tuple[str, ...]
    tls: bool
    manifest: Manifest
    field: FieldPath
    label: str


def mergeable_role(annotations: Any) -> Role:
    value = annotations.get(MERGEABLE_TYPE) if isinstance(annotations, dict) else None
    return value if value in ("master", "minion") else "plain"


def ingress_uses(manifest: Manifest, reported_at: Manifest | None = None) -> list[IngressUse]:
    """Hosts of an Ingress object; `reported_at` is the HelmRelease that renders it, if any."""
    where = reported_at or manifest
    namespace = manifest.namespace
    if reported_at is not None and not namespace:
        # helm template leaves the namespace out; the release installs into its target namespace.
        namespace = release_namespace(reported_at)
    label = f"Ingress {namespace}/{manifest.name}"
    if reported_at is not None:
        label += f" of HelmRelease {reported_at.namespace}/{reported_at.name}"
    values_ingress: FieldPath = ("spec", "values", "ingress")
    from_values = reported_at is not None and isinstance(release_values(reported_at).get("ingress"), dict)
    role = mergeable_role(manifest.metadata.get("annotations"))
    tls = bool(manifest.spec.get("tls"))
    rules = manifest.spec.get("rules")
    uses = []
    for index, rule in enumerate(rules if isinstance(rules, list) else []):
        if not isinstance(rule, dict):
            continue
        paths = get(rule, "http", "paths")
        found = (
            tuple(str(p.get("path", "/")) for p in paths if isinstance(p, dict))
            if isinstance(paths, list)
            else ()
        )
        field: FieldPath = (
            ("spec", "rules", index) if reported_at is None else (values_ingress if from_values else ())
        )
        uses.append(IngressUse(str(rule.get("host", "")), role, found, tls, where, field, label))
    return uses


def jupyterhub_uses(manifest: Manifest) -> list[IngressUse]:
    """The minion Ingress the jupyterhub chart renders from values.ingress, at path hub.baseUrl."""
    values = release_values(manifest)
    ingress = values.get("ingress")
    if not isinstance(ingress, dict) or ingress.get("enabled") is not True:
        return []
    base = str(get(values, "hub", "baseUrl") or "/")
    path = base.rstrip("/") + "/" + str(ingress.get("pathSuffix") or "")
    hosts = ingress.get("hosts")
    label = f"HelmRelease {manifest.namespace}/{manifest.name}"
    role = mergeable_role(ingress.get("annotations"))
    tls = bool(ingress.get("tls"))
    field: FieldPath = ("spec", "values", "ingress")
    return [
        IngressUse(str(host), role, (path,), tls, manifest, field, label)
        for host in (hosts if isinstance(hosts, list) else [])
    ]


def check_ingresses(lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]]) -> None:
    """`rendered`: (HelmRelease, object it renders) of this cluster's expanded releases."""
    uses: list[IngressUse] = []
    expanded = {release.key for release, _ in rendered}
    for manifest in lint.objects:
        if manifest.is_a("networking.k8s.io", "Ingress"):
            uses += ingress_uses(manifest)
        elif is_jupyterhub(manifest) and manifest.key not in expanded:
            # Not expanded (its chart could not be had): predict the Ingress from the values.
            uses += jupyterhub_uses(manifest)
    uses += [
        use
        for release, m in rendered
        if m.is_a("networking.k8s.io", "Ingress")
        for use in ingress_uses(m, release)
    ]
    hosts: dict[str, list[IngressUse]] = defaultdict(list)
    for use in uses:
        hosts[use.host].append(use)
    for host, found in sorted(hosts.items()):
        _check_host(lint, host, sorted(found, key=lambda u: (u.manifest.path, u.manifest.line, u.label)))


def _where(lint: ClusterLint, use: IngressUse) -> str:
    return f"{use.manifest.path}:{lint.locator.line(use.manifest, use.field)}"


def _check_host(lint: ClusterLint, host: str, uses: list[IngressUse]) -> None:
    check = f"ingress:{lint.cluster.name}:{host}"
    lint.tally.checked(check)
    masters = [u for u in uses if u.role == "master"]
    minions = [u for u in uses if u.role == "minion"]
    for extra in masters[1:]:
        lint.fail(
            check,
            extra.manifest,
            extra.field,
            f"host {host} already has master {masters[0].label} ({_where(lint, masters[0])}); "
            "NGINX merges minions into exactly one master Ingress per host",
        )
    if minions and not masters:
        lint.fail(check, minions[0].manifest, minions[0].field, f"no master Ingress for host {host}")
    plain = [u for u in uses if u.role == "plain"]
    if plain and masters:
        lint.fail(
            check,
            plain[0].manifest,
            plain[0].field,
            f"{plain[0].label} routes host {host}, which master {masters[0].label} owns; NGINX serves a host "
            "from one master and its minions, or from Ingresses of their own",
        )
    routed: dict[str, IngressUse] = {}
    for minion in [*minions, *plain]:
        for path in minion.paths:
            first = routed.setdefault(path, minion)
            if first is not minion:
                lint.fail(
                    check,
                    minion.manifest,
                    minion.field,
                    f"path {path} on host {host} is already routed by {first.label} ({_where(lint, first)})",
                )
        if minion.tls and minion.role == "minion":
            lint.fail(
                check,
                minion.manifest,
                minion.field,
                f"{minion.label} is a minion with tls; only the master Ingress of {host} may terminate TLS",
            )


def check_tls_secrets(lint: ClusterLint) -> None:
    """The cluster's TLS secret and every master's secretName exist in the tree, as SealedSecrets or
    as the Secrets of cert-manager Certificates (`tls.mode: acme`), and never as both.

    The one check that the ingress's secret exists: the sealing audit checks only what is sealed.
    A finding names the master Ingress that uses the secret, else the folder sealed secrets go to.
    """
    sealed: dict[tuple[str, str], Manifest] = {}
    issued: dict[tuple[str, str], Manifest] = {}
    for manifest in lint.objects:
        if manifest.is_a("bitnami.com", "SealedSecret"):
            template = get(manifest.spec, "template", "metadata") or {}
            namespace = str(template.get("namespace") or manifest.namespace)
            sealed[(namespace, str(template.get("name") or manifest.name))] = manifest
        elif manifest.is_a("cert-manager.io", "Certificate") and manifest.spec.get("secretName"):
            issued[(manifest.namespace, str(manifest.spec["secretName"]))] = manifest
    for key in sorted(sealed.keys() & issued.keys()):
        certificate = issued[key]
        lint.fail(
            f"tls-owner:{lint.cluster.name}:{key[0]}/{key[1]}",
            certificate,
            ("spec", "secretName"),
            f"Secret {key[0]}/{key[1]} would be written by both this Certificate and the SealedSecret in "
            f"{sealed[key].path}: each would overwrite the other; with tls.mode acme delete the sealed "
            "certificate's input under secrets/ and render",
        )
    present = sealed.keys() | issued.keys()
    wanted: dict[tuple[str, str], tuple[Manifest | None, FieldPath]] = {
        (NGINX_NAMESPACE, lint.cluster.tls_secret_name): (None, ())
    }
    for manifest in lint.objects:
        if not manifest.is_a("networking.k8s.io", "Ingress"):
            continue
        if mergeable_role(manifest.metadata.get("annotations")) != "master":
            continue
        entries = manifest.spec.get("tls")
        for index, entry in enumerate(entries if isinstance(entries, list) else []):
            if isinstance(entry, dict) and entry.get("secretName"):
                wanted[(manifest.namespace, str(entry["secretName"]))] = (manifest, ("spec", "tls", index))
    for (namespace, name), (owner, field) in sorted(wanted.items()):
        check = f"tls:{lint.cluster.name}:{namespace}/{name}"
        lint.tally.checked(check)
        if (namespace, name) in present:
            continue
        message = (
            f"TLS secret {namespace}/{name} is not in the tree as a SealedSecret; create it with "
            f"`hubfleet seal tls {lint.cluster.name} --cert FILE --key FILE` and render"
        )
        path = (
            owner.path if owner else f"{LAYOUT.repo_prefix}/{LAYOUT.infra_dir(lint.cluster.name, 'configs')}"
        )
        line = lint.locator.line(owner, field) if owner else 0
        lint.tally.fail(check, path, line, owner.subject if owner else "", message)
