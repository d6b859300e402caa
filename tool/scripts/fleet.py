"""A synthetic fleet for the benchmark and crash scripts: `clusters` x `hubs` inputs.

Every hub of the fleet differs (its drive size is unique across all clusters; auth,
placeholders, one in ten retired), so a render writes distinct files and validation
cannot deduplicate its way out of expanding every release, as in a real fleet.
"""

from __future__ import annotations

from pathlib import Path

CLUSTER = """\
name: {name}
region: us-west-2
accountId: "111122223333"
kubernetesVersion: "1.35"
domain: {name}.hubs.example.org
zones: [us-west-2a, us-west-2b, us-west-2c]
coreZone: us-west-2b
nodeGroups:
  tools: {{instanceType: t3a.medium, minSize: 1, maxSize: 4, volumeSize: 20}}
  core: {{instanceType: t3a.xlarge, minSize: 1, maxSize: 10, volumeSize: 30}}
  user: {{instanceType: t3a.large, minSize: 1, maxSize: 30, volumeSize: 30}}
flux: {{url: "ssh://git@github.com/example/fleet.git"}}
hubDefaults:
  user: {{memory: {{guarantee: 1G, limit: 2G}}}}
"""

HUB = """\
name: {name}
state: {state}
drive: {{size: {size}Gi}}
auth: {auth}
user: {{placeholders: {placeholders}}}
"""


def make_fleet(root: Path, clusters: int, hubs: int) -> list[str]:
    """Write `clusters` cluster folders of `hubs` hubs each under root/clusters; return cluster names."""
    names = []
    for c in range(clusters):
        name = f"fleet{c:02d}"
        names.append(name)
        folder = root / "clusters" / name / "hubs"
        folder.mkdir(parents=True)
        (folder.parent / "cluster.yaml").write_text(CLUSTER.format(name=name))
        for h in range(hubs):
            hub = f"hub{h:03d}"
            (folder / f"{hub}.yaml").write_text(
                HUB.format(
                    name=hub,
                    index=h,
                    state="retired" if h % 10 == 9 else "active",
                    size=10 + h + c * hubs,
                    auth=(
                        f"{{type: native, admins: [admin-{h}]}}"
                        if h % 2
                        else f"{{type: dummy, insecure: true, allowed: {{users: [student-{h}]}}}}"
                    ),
                    placeholders=h % 4,
                )
            )
    return names
