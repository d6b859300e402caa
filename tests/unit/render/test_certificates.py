"""`tls.mode`: what acme adds to a cluster's tree (cert-manager, the issuers, one wildcard
Certificate, an IAM role scoped to the zone, the expiry alert) and that a sealed cluster's tree
does not change by naming its mode. validate's run through the real chart is
tests/unit/validate/test_validate_acme.py."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import promql_parser
from cel_expr_python import cel
from click.testing import Result

from conftest import REPO, load_docs
from support.builders import make_cluster

ZONE = {"id": "Z04417231ABCDEFGHIJKL", "name": "hubs.example.org"}
ACME = {"mode": "acme", "email": "hub-ops@example.edu"}
INFRA = "gitops/infrastructure/clusterA"


def rendered(root: Path, run: Callable[..., Result]) -> Path:
    result = run(root, "render", "clusterA")
    assert result.exit_code == 0, result.output
    return root


def docs(root: Path, path: str) -> list[dict[str, Any]]:
    return load_docs(root / path)


def tree(root: Path) -> dict[str, bytes]:
    """The rendered files (not the render's own state, which fingerprints the input files' bytes)."""
    files = (p for p in (root / "gitops").rglob("*") if p.is_file() and ".hubfleet" not in p.parts)
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in files}


def test_acme_installs_cert_manager_with_its_crds_on_tools_nodes(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls=ACME), run)
    namespace, release = docs(root, f"{INFRA}/controllers/cert-manager.yaml")
    assert namespace["kind"] == "Namespace" and namespace["metadata"]["name"] == "cert-manager"
    spec = release["spec"]
    assert spec["chart"]["spec"] | {"interval": None} == {
        "chart": "cert-manager",
        "version": "v1.21.1",
        "sourceRef": {"kind": "HelmRepository", "name": "jetstack", "namespace": "flux-system"},
        "interval": None,
    }
    values = spec["values"]
    assert values["crds"] == {"enabled": True, "keep": True}
    assert values["serviceAccount"]["annotations"] == {
        "eks.amazonaws.com/role-arn": "arn:aws:iam::111122223333:role/clusterA-cert-manager"
    }
    for part in (values, values["webhook"], values["cainjector"], values["startupapicheck"]):
        assert part["nodeSelector"] == {"nodegroup-role": "clustertools"}
    sources = {
        d["metadata"]["name"]: d["spec"]["url"] for d in docs(root, f"{INFRA}/controllers/sources.yaml")
    }
    assert sources["jetstack"] == "https://charts.jetstack.io"


def test_one_wildcard_certificate_into_the_secret_nginx_serves(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls={**ACME, "issuer": "staging"}), run)
    production, staging, certificate = docs(root, f"{INFRA}/configs/certificate.yaml")
    assert [production["metadata"]["name"], staging["metadata"]["name"]] == [
        "letsencrypt-production",
        "letsencrypt-staging",
    ]
    assert staging["spec"]["acme"]["server"] == "https://acme-staging-v02.api.letsencrypt.org/directory"
    assert staging["spec"]["acme"]["email"] == "hub-ops@example.edu"
    assert staging["spec"]["acme"]["solvers"] == [
        {
            "selector": {"dnsZones": ["clustera.hubs.example.org"]},
            "dns01": {"route53": {"region": "us-west-2", "hostedZoneID": ZONE["id"]}},
        }
    ]
    # urls: path here, and still the wildcard: a later switch to host needs no new certificate.
    assert certificate["metadata"]["namespace"] == "nginx-ingress"
    assert certificate["spec"]["secretName"] == "clustera-tls"
    assert certificate["spec"]["dnsNames"] == ["clustera.hubs.example.org", "*.clustera.hubs.example.org"]
    assert certificate["spec"]["issuerRef"]["name"] == "letsencrypt-staging"
    (nginx,) = docs(root, f"{INFRA}/ingress/nginx-ingress.yaml")
    assert nginx["spec"]["values"]["controller"]["defaultTLS"] == {"secret": "nginx-ingress/clustera-tls"}


def test_cert_managers_role_may_write_only_the_challenge_record(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls=ACME), run)
    (config,) = docs(root, "gitops/eksctl/clusterA.yaml")
    roles = {r["metadata"]["name"]: r for r in config["iam"]["serviceAccounts"]}
    role = roles["cert-manager"]
    assert (role["metadata"]["namespace"], role["roleName"], role["roleOnly"]) == (
        "cert-manager",
        "clusterA-cert-manager",
        True,
    )
    get_change, records = role["attachPolicy"]["Statement"]
    assert get_change == {
        "Effect": "Allow",
        "Action": "route53:GetChange",
        "Resource": "arn:aws:route53:::change/*",
    }
    assert records["Resource"] == f"arn:aws:route53:::hostedzone/{ZONE['id']}"
    assert records["Condition"]["ForAllValues:StringEquals"] == {
        "route53:ChangeResourceRecordSetsRecordTypes": ["TXT"],
        "route53:ChangeResourceRecordSetsNormalizedRecordNames": [
            "_acme-challenge.clustera.hubs.example.org"
        ],
    }
    assert "wellKnownPolicies" not in role  # eksctl's certManager policy would open every zone
    json.dumps(role["attachPolicy"])  # a plain JSON document, as IAM takes it


def test_naming_the_sealed_mode_changes_nothing(tmp_path: Path, run: Callable[..., Result]) -> None:
    """A cluster kept on path + sealed renders byte for byte as one that never heard of tls."""
    plain = rendered(make_cluster(tmp_path / "a", monitoring={"retention": "30d"}), run)
    named = rendered(
        make_cluster(tmp_path / "b", monitoring={"retention": "30d"}, urls="path", tls={"mode": "sealed"}),
        run,
    )
    assert tree(plain) == tree(named)
    assert not (plain / f"{INFRA}/controllers/cert-manager.yaml").exists()
    sources = [d["metadata"]["name"] for d in docs(plain, f"{INFRA}/controllers/sources.yaml")]
    assert "jetstack" not in sources


def expiry_rule(path: Path) -> dict[str, Any]:
    (release,) = load_docs(path)
    (group,) = release["spec"]["values"]["serverFiles"]["alerting_rules.yml"]["groups"]
    (rule,) = [r for r in group["rules"] if r["alert"] == "CertificateExpiring"]
    return dict(rule)


def test_a_sealed_certificates_expiry_is_rendered_into_its_alert() -> None:
    """The expiry `seal tls` recorded on the example's certificate, read here from the file itself."""
    sealed = load_docs(REPO / "clusters/clusterA/secrets/clustera-tls.sealedsecret.yaml")[0]
    recorded = sealed["metadata"]["annotations"]["hubfleet/tls-not-after"]
    epoch = int(datetime.strptime(recorded, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp())
    rule = expiry_rule(REPO / "gitops/infrastructure/clusterA/monitoring/prometheus.yaml")
    assert rule["expr"] == f"(vector({epoch}) - time()) / 86400 < 21"
    promql_parser.parse(rule["expr"])
    assert (rule["for"], rule["labels"]) == ("1h", {"severity": "warning"})
    assert rule["annotations"]["summary"] == (
        "the certificate of clustera.hubs.example.org expires in {{ $value | humanize }} days (under 21 days); "
        "renew it and seal it: hubfleet seal tls clusterA --cert FILE --key FILE"
    )


def acme_rules(path: Path) -> dict[str, dict[str, Any]]:
    (release,) = load_docs(path)
    (group,) = release["spec"]["values"]["serverFiles"]["alerting_rules.yml"]["groups"]
    return {r["alert"]: r for r in group["rules"] if r["alert"].startswith("Certificate")}


def test_an_acme_certificate_is_watched_through_cert_managers_metrics(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls=ACME, monitoring={"retention": "30d"}), run)
    rules = acme_rules(root / f"{INFRA}/monitoring/prometheus.yaml")
    selected = '{namespace="nginx-ingress", name="clustera-tls"}'
    # A gauge of 0 means never issued: left out here, CertificateNotReady speaks for it.
    assert {name: rule["expr"] for name, rule in rules.items()} == {
        "CertificateExpiring": f"((certmanager_certificate_expiration_timestamp_seconds{selected} > 0) - time()) "
        "/ 86400 < 21",
        "CertificateNotReady": 'certmanager_certificate_ready_status{namespace="nginx-ingress", name="clustera-tls", '
        'condition="False"} == 1',
        "CertificateUnwatched": f"absent(certmanager_certificate_expiration_timestamp_seconds{selected}) == 1",
    }
    for rule in rules.values():
        promql_parser.parse(rule["expr"])
        assert (rule["for"], rule["labels"]) == ("1h", {"severity": "warning"})
    assert rules["CertificateExpiring"]["annotations"]["summary"].endswith(
        "and cert-manager has not renewed it: kubectl -n nginx-ingress describe certificate clustera-tls"
    )


def test_the_expiry_subtracts_now_from_the_filtered_gauge(tmp_path: Path, run: Callable[..., Result]) -> None:
    """PromQL's `>` binds looser than `-`: read through the parser, the rendered expression must
    take time() from the gauge's non-zero values, not compare the gauge with 0 - time()."""
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls=ACME, monitoring={"retention": "30d"}), run)
    expr = acme_rules(root / f"{INFRA}/monitoring/prometheus.yaml")["CertificateExpiring"]["expr"]
    parsed = promql_parser.parse(expr)
    days = parsed.lhs.lhs.expr  # (( gauge > 0 ) - time()) / 86400 < 21
    assert [str(op) for op in (parsed.op, parsed.lhs.op, days.op, days.lhs.expr.op)] == ["<", "/", "-", ">"]
    wrong = promql_parser.parse(expr.replace("((", "(", 1).replace("> 0) - time())", "> 0 - time())"))
    assert str(wrong.lhs.lhs.expr.op) == ">"  # what the test would catch


def cel_program(expression: str) -> Callable[[dict[str, Any]], bool]:
    """`expression` compiled by cel-cpp as Flux's kustomize-controller evaluates it: the object's
    top-level fields are the variables, and CEL's optional types are on (for `.?`)."""
    config = cel.NewEnvConfigFromYaml("extensions:\n  - name: optional\n")
    fields = ("apiVersion", "kind", "metadata", "spec", "status")
    env = cel.NewEnv(config=config, variables={name: cel.Type.DYN for name in fields})
    compiled = env.compile(expression)

    def evaluate(obj: dict[str, Any]) -> bool:
        return compiled.eval(env.Activation(obj)).value() is True

    return evaluate


def conditions(*pairs: tuple[str, str]) -> dict[str, Any]:
    return {"conditions": [{"type": kind, "status": status} for kind, status in pairs]}


def test_the_configs_layer_waits_for_the_certificate_and_the_issuer_in_use(
    tmp_path: Path, run: Callable[..., Result]
) -> None:
    """Flux calls a custom object without conditions ready; these expressions, run on a real CEL
    engine, hold the layer (and so NGINX) until cert-manager says Ready, but never for the
    directory the cluster does not use."""
    root = rendered(make_cluster(tmp_path, hostedZone=ZONE, tls=ACME), run)
    layers = {
        d["metadata"]["name"]: d["spec"] for d in docs(root, "gitops/clusters/clusterA/infrastructure.yaml")
    }
    exprs = {check["kind"]: check for check in layers["infra-configs"]["healthCheckExprs"]}
    assert "healthCheckExprs" not in layers["infra-controllers"]
    certificate = cel_program(exprs["Certificate"]["current"])
    named = {"metadata": {"name": "clustera-tls"}, "spec": {}}
    assert not certificate({**named, "status": {}})  # just applied: cert-manager has not looked yet
    assert not certificate({**named, "status": conditions(("Issuing", "True"), ("Ready", "False"))})
    assert certificate({**named, "status": conditions(("Ready", "True"))})
    issuer = cel_program(exprs["ClusterIssuer"]["current"])
    for name, ready in (("letsencrypt-production", False), ("letsencrypt-staging", True)):
        assert issuer({"metadata": {"name": name}, "status": {}}) is ready
    assert issuer({"metadata": {"name": "letsencrypt-production"}, "status": conditions(("Ready", "True"))})
