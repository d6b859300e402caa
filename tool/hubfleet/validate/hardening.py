"""Layer 7, hardening: what every expanded pod may do, and who may read Secrets cluster-wide.

Only expansion shows these: most containers come from chart defaults.
- Every container and init container requests CPU and memory (the scheduler places pods by
  requests; a pod without them lands on a full node and starves the ones there).
- Every container has a securityContext that forbids privilege escalation and is not
  privileged; it runs as a non-root user unless its image must be root, which is said here
  with the reason (ROOT_ALLOWED), reviewed like code.
- No ClusterRole bound by a release may read Secrets: a controller that needs one Secret is
  given it in its own namespace (NGINX its TLS Secret, Grafana its dashboards' namespace), and
  kube-state-metrics runs without its secrets collector.
"""

from __future__ import annotations

from typing import Any

from .images import containers, pod_template
from .lint import ClusterLint
from .manifests import Manifest

#: The reviewed exceptions, by (workload name, container name; "*" for every container): what each
#: may do beyond the rules, and why. Anything not listed here is a finding.
EXCEPTIONS: dict[tuple[str, str], tuple[frozenset[str], str]] = {
    ("drive-nfs", "nfs-server"): (
        frozenset({"root", "privileged", "escalation"}),
        "the kernel NFS server (rpc.nfsd, exportfs) runs in the drive's own pod on a core node",
    ),
    ("csi-nfs-node", "*"): (
        frozenset({"root", "privileged", "escalation"}),
        "a CSI node plugin mounts NFS on the node for the pods there, as every CSI node plugin does",
    ),
    ("csi-nfs-controller", "*"): (
        frozenset({"root", "privileged", "escalation"}),
        "the NFS CSI controller mounts an export to make and remove volume folders; the upstream chart "
        "sets its sidecars' contexts",
    ),
}
#: ClusterRoles that may read Secrets everywhere, and why.
SECRET_READERS = {
    "secrets-unsealer": "the sealed-secrets controller writes each Secret it unseals, in every namespace",
    "nfs-external-provisioner-role": "the CSI provisioner reads a StorageClass's provisioner Secrets; the "
    "drive StorageClass names none",
    "tigera-operator": "the Calico operator makes and renews the TLS Secrets calico-node and Typha "
    "authenticate each other with, in calico-system and its own namespace",
    # cert-manager (tls.mode: acme) is a cluster-wide certificate controller; nothing outside the
    # API server and Prometheus reaches its pods (no Ingress, user pods' egress denies private addresses).
    "cert-manager-controller-certificates": "cert-manager writes each Certificate's Secret where the "
    "Certificate is (the served certificate, in nginx-ingress)",
    "cert-manager-controller-issuers": "cert-manager reads an issuer's ACME account key; hubfleet has no "
    "namespaced Issuers",
    "cert-manager-controller-clusterissuers": "cert-manager keeps the ClusterIssuers' ACME account keys in "
    "its own namespace; Route 53 is reached through IRSA, with no credentials Secret",
    "cert-manager-controller-orders": "cert-manager signs each ACME order with the account key",
    "cert-manager-controller-challenges": "cert-manager would read DNS-01 credentials from a Secret; "
    "hubfleet's solver uses IRSA and names none",
    "cert-manager-cainjector": "cert-manager's CA injector copies its webhook's CA from a Secret in its "
    "own namespace into the webhook configurations",
}
SECRET_VERBS = {"get", "list", "watch", "*"}
#: The Helm hook phases each HelmRelease action runs (`spec.<action>.disableHooks` turns them off).
HOOK_PHASES = {
    "install": {"pre-install", "post-install"},
    "upgrade": {"pre-upgrade", "post-upgrade"},
    "rollback": {"pre-rollback", "post-rollback"},
    "uninstall": {"pre-delete", "post-delete"},
}


def never_runs(release: Manifest, output: Manifest) -> bool:
    """A Helm hook every phase of which the release turns off: helm-controller never creates it."""
    annotations = output.data.get("metadata", {}).get("annotations") or {}
    hook = annotations.get("helm.sh/hook")
    if not isinstance(hook, str):
        return False
    spec = release.data.get("spec") or {}
    off = {
        phase
        for action, phases in HOOK_PHASES.items()
        if isinstance(spec.get(action), dict) and spec[action].get("disableHooks") is True
        for phase in phases
    }
    if not (isinstance(spec.get("test"), dict) and spec["test"].get("enable") is True):
        off.add("test")
    return {phase.strip() for phase in hook.split(",")} <= off


def _allowed(workload: str, container: str, rule: str) -> bool:
    return any(
        workload == name and pattern in ("*", container) and rule in rules
        for (name, pattern), (rules, _) in EXCEPTIONS.items()
    )


def _runs_as_root(pod: dict[str, Any], container: dict[str, Any]) -> bool:
    """True unless the container or its pod says runAsNonRoot, or a non-zero runAsUser."""
    own = container.get("securityContext") or {}
    shared = pod.get("securityContext") or {}
    user = own.get("runAsUser", shared.get("runAsUser"))
    non_root = own.get("runAsNonRoot", shared.get("runAsNonRoot"))
    if user is not None:
        return int(user) == 0
    return non_root is not True


def check_hardening(lint: ClusterLint, rendered: list[tuple[Manifest, Manifest]]) -> None:
    """`rendered`: (HelmRelease, object it renders) of this cluster's expanded releases."""
    for release, output in rendered:
        if output.kind == "ClusterRole":
            _secret_readers(lint, release, output)
        template = pod_template(output)
        if template is None or never_runs(release, output):
            continue
        spec = template.get("spec")
        pod: dict[str, Any] = spec if isinstance(spec, dict) else {}
        for field, container in containers(output):
            name = str(container.get("name", "?"))
            check = f"hardening:{release.key}>{output.subject}>{name}"
            lint.tally.checked(check)
            where = f"renders {output.subject} whose {field[:-1]} {name}"
            requests = (container.get("resources") or {}).get("requests") or {}
            missing = [kind for kind in ("cpu", "memory") if kind not in requests]
            if missing:
                lint.fail(
                    check, release, (), f"{where} requests no {' or '.join(missing)}; set resources.requests"
                )
            context = container.get("securityContext")
            if not isinstance(context, dict):
                lint.fail(
                    check, release, (), f"{where} has no securityContext; forbid privilege escalation there"
                )
                continue
            if context.get("privileged") is True and not _allowed(output.name, name, "privileged"):
                lint.fail(check, release, (), f"{where} is privileged; no hubfleet pod needs that")
            if context.get("allowPrivilegeEscalation") is not False and not _allowed(
                output.name, name, "escalation"
            ):
                lint.fail(
                    check,
                    release,
                    (),
                    f"{where} may escalate privileges; set allowPrivilegeEscalation: false",
                )
            if _runs_as_root(pod, container) and not _allowed(output.name, name, "root"):
                lint.fail(
                    check,
                    release,
                    (),
                    f"{where} runs as root; give it a non-root runAsUser and runAsNonRoot: true",
                )


def _secret_readers(lint: ClusterLint, release: Manifest, role: Manifest) -> None:
    check = f"secrets:{release.key}>{role.subject}"
    lint.tally.checked(check)
    if role.name in SECRET_READERS:
        return
    for rule in role.data.get("rules") or []:
        if not isinstance(rule, dict):
            continue
        groups = rule.get("apiGroups") or []
        resources = rule.get("resources") or []
        verbs = set(rule.get("verbs") or [])
        if ("" in groups or "*" in groups) and ({"secrets", "*"} & set(resources)) and verbs & SECRET_VERBS:
            lint.fail(
                check,
                release,
                (),
                f"renders {role.subject}, which may read every Secret of the cluster (the sealing key's too); "
                "give the controller a Role for its own namespace's Secrets instead",
            )
