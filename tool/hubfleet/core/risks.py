"""Shared layer: every risk a change can carry, worded once, for each place that speaks of it.

`hubfleet plan` flags a risk (FLAGS: id, severity, area, one-line reason); the render pipeline
refuses or warns about some of the same risks before anything is written, and the edit commands
(`hub grow-drive`, `upgrade start`) refuse to make them (GUARDS: the same id, the words for that
place). A reviewer reads one table to see what hubfleet says about a shrinking drive, a login
that changes or a skipped Kubernetes minor, wherever it is said; a test keeps every guard tied
to a flag.
"""

from __future__ import annotations

from typing import Literal

from ..errors import Severity

Area = Literal["data", "access", "capacity", "upgrade"]
SEVERITIES: tuple[Severity, ...] = ("error", "warning", "info")
#: The plan's word for each severity: an error is a blocking flag (it fails the plan).
PLAN_WORDS: dict[Severity, str] = {"error": "blocking", "warning": "warning", "info": "info"}
PRUNE_ANNOTATION = "kustomize.toolkit.fluxcd.io/prune"

#: id -> (severity, area, reason with {placeholders}).
FLAGS: dict[str, tuple[Severity, Area, str]] = {
    "hub-removed": ("error", "data", "the hub file is removed while the hub is active: its drive and every "
                    "user's files would be orphaned; retire it first (`hubfleet hub retire {cluster} {hub}`), merge, "
                    "and remove the file in a later change"),
    "retired-hub-removed": ("info", "data", "the retired hub's file is removed: its drive release stays (Flux does "
                            "not prune it); delete it by hand when the data is no longer wanted"),
    "drive-shrunk": ("error", "data", "drive.size shrinks from {old} to {new}: EBS volumes only grow, and the "
                     "drive's claim would fail to update"),
    "drive-grown": ("info", "data", "the drive grows from {old} to {new}: the EBS volume and its file system grow "
                    "online, users keep working"),
    "core-zone-changed": ("error", "data", "coreZone changes from {old} to {new}: every drive's EBS volume stays "
                          "in {old}, where no core node would run; volumes cannot change zones"),
    "prune-guard-lost": ("error", "data", f"loses {PRUNE_ANNOTATION}: disabled, so Flux would delete it, and the "
                         "data it holds, once it leaves the tree"),
    "drive-class-deletes": ("error", "data", "reclaimPolicy becomes Delete: a volume is deleted with its claim"),
    "reclaim-delete": ("warning", "data", "reclaimPolicy becomes Delete: a volume is deleted with its claim"),
    "storage-class-changed": ("warning", "data", "{change}: a StorageClass cannot be changed in place, so the apply "
                              "fails until it is deleted and made again (its volumes keep their settings)"),
    "namespace-removed": ("warning", "data", "removed: deleting a namespace deletes everything in it, volume claims "
                          "included"),
    "volume-object-removed": ("warning", "data", "removed: with Flux pruning, its volumes may be released or "
                              "deleted"),
    "statefulset-immutable": ("warning", "data", "an immutable field changes (volumeClaimTemplates or selector): "
                              "Kubernetes refuses the update until the StatefulSet is replaced"),
    "claim-immutable": ("warning", "data", "an immutable field of the claim changes: Kubernetes refuses the update"),
    "prune-on": ("warning", "data", "spec.prune is turned on: objects that leave its path are deleted from the "
                 "cluster"),
    "urls-changed": ("error", "access", "urls changes from {old} to {new}: every hub's address and every login's "
                     "callback change; register the new callbacks (`hubfleet hub show`), point DNS at the new "
                     "hosts (`hubfleet aws dns`), then add acknowledge: [urls-changed] to the cluster file"),
    "urls-changed-acknowledged": ("warning", "access", "urls changes from {old} to {new} (acknowledged): every hub "
                                  "moves to its new address when this merges; check each with `hubfleet hub check`, "
                                  "then remove acknowledge"),
    "acknowledge-left": ("warning", "access", "acknowledge: [{acknowledged}] acknowledges no change here; remove it, so "
                         "that a later change is flagged in full"),
    "tls-mode-changed": ("warning", "access", "tls.mode changes from {old} to {new}: {how}"),
    "acme-zone-changed": ("warning", "access", "{what} changes from {old} to {new}: cert-manager's IAM role "
                          "allows only the old one until `eksctl update iamserviceaccount --config-file "
                          "gitops/eksctl/{cluster}.yaml --include cert-manager/cert-manager --approve`; run it "
                          "before merging, or renewals fail"),
    "login-changed": ("warning", "access", "login changes from {old} to {new}: users get new user names, so new, "
                      "empty home folders; their old files stay on the drive"),
    "opened-to-everyone": ("warning", "access", "allowed.everyone is turned on: anyone who can log in with {type} "
                           "may use the hub"),
    "dummy-login": ("warning", "access", "login becomes dummy: any password works"),
    "new-hub-open": ("warning", "access", "a new hub open to everyone who can log in with {type}"),
    "new-hub-dummy": ("warning", "access", "a new hub with dummy login: any password works"),
    "allow-rules-removed": ("info", "access", "allow rules removed ({rules}): people they admitted lose access"),
    "admins-changed": ("info", "access", "admins {change}"),
    "generation-dropped": ("error", "capacity", "the ClusterConfig drops {groups} while their nodes may run hubs "
                           "and servers: `eksctl delete nodegroup -f {config} --only-missing` would delete those "
                           "nodes, and servers would wait for groups not yet created; keep the generation with "
                           "nodeGroups.retiring: \"{generation}\" until it is drained"),
    "generation-retired": ("info", "capacity", "the ClusterConfig drops {groups} (generation {generation}): once "
                           "merged, with their nodes drained, `eksctl delete nodegroup -f {config} --only-missing "
                           "--approve` deletes what it no longer lists"),
    "retiring-group-added": ("warning", "capacity", "the ClusterConfig adds {groups} to the retiring generation "
                             "{generation}: `eksctl create nodegroup -f {config} --only-missing` would make a group only to "
                             "drain it; add node groups after the rotation"),
    "node-group-removed": ("warning", "capacity", "the ClusterConfig drops {groups}: `eksctl delete nodegroup -f "
                           "{config} --only-missing` deletes what it no longer lists, and servers running there "
                           "stop"),
    "max-below-desired": ("warning", "capacity", "maxSize {max} is below the {desired} nodes desiredCapacity had: "
                          "the autoscaler removes the rest"),
    "max-below-needed": ("warning", "capacity", "the capacity plan needs {needed} nodes and maxSize is {max}: some "
                         "hubs' pods would not be scheduled"),
    "kubernetes-downgrade": ("error", "upgrade", "Kubernetes {old} -> {new}: EKS cannot take a control plane back "
                             "to an older version"),
    "kubernetes-skip": ("error", "upgrade", "Kubernetes {old} -> {new} skips a minor version: EKS upgrades one at "
                        "a time, and the images that follow the minor would run ahead of the control plane; raise "
                        "it one minor version per change (`hubfleet upgrade plan`)"),
    "kubernetes-version": ("warning", "upgrade", "Kubernetes {old} -> {new}: eksctl upgrades the control plane; node "
                           "groups must be rotated (`hubfleet upgrade plan` prints the runbook)"),
    "chart-major": ("warning", "upgrade", "chart {old} -> {new} is a major version: read the chart's upgrade notes "
                    "before merging"),
    "chart-version": ("info", "upgrade", "chart {old} -> {new}"),
    "image-changed": ("info", "upgrade", "image: {change}"),
    "own-chart-major": ("warning", "upgrade", "{old} -> {new}: Flux upgrades its {releases}"),
    "own-chart-version": ("info", "upgrade", "{old} -> {new}: Flux upgrades its {releases}"),
}  # fmt: skip

#: id -> {place: wording with {placeholders}}: the refusals and warnings given outside the plan
#: for a risk the plan flags under the same id. Places: `render` (the render pipeline), `edit`
#: (a command that edits inputs), `upgrade` (`upgrade plan` and `upgrade start`).
GUARDS: dict[str, dict[str, str]] = {
    "drive-shrunk": {
        "render": "{new} is smaller than the drive's {old} ({path}); EBS volumes cannot shrink: keep {old} or "
                  "more, or copy the data to a new drive",
        "edit": "hub {hub}'s drive is {old} already; a drive only grows (EBS volumes cannot shrink)",
    },
    "login-changed": {
        "render": "{path}: the login changes from {old} to {new}; users get new names and empty homes (their "
                  "files stay on the drive under the old names)",
    },
    "kubernetes-downgrade": {
        "upgrade": "{cluster} runs {old}; EKS cannot take a control plane back to {new}",
    },
    "kubernetes-skip": {
        "upgrade": "{cluster} runs {old}; EKS upgrades one minor version at a time: plan {step} first",
    },
}  # fmt: skip


def guard(flag_id: str, place: str, **values: str) -> str:
    """The words `place` uses for the risk `flag_id`, filled in."""
    return GUARDS[flag_id][place].format(**values)


#: What a switch of `tls.mode` does to the served certificate, by the mode switched to (the
#: tls-mode-changed flag's {how}).
TLS_SWITCH = {
    "acme": "before merging, make cert-manager's IAM role (`eksctl create iamserviceaccount --config-file "
    "gitops/eksctl/{cluster}.yaml --include cert-manager/cert-manager --approve`): without it nothing can issue "
    "the new certificate. The sealed certificate's Secret goes with its SealedSecret, and NGINX serves Let's "
    "Encrypt's once cert-manager has it (minutes, by DNS-01 in the hosted zone): switch outside teaching "
    "hours, and delete the sealed certificate's input under secrets/",
    "sealed": "seal the certificate first (`hubfleet seal tls`); after the merge, delete the Secret "
    "cert-manager left (kubectl -n nginx-ingress delete secret <tlsSecretName>), which the sealed-secrets "
    "controller will not overwrite",
}
