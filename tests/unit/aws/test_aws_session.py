"""Credentials, accounts, retries and errors: every AWS failure is one line and a non-zero exit."""

from __future__ import annotations

import socket
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError, ProfileNotFound
from botocore.retries.standard import ExponentialBackoff
from click.testing import Result
from moto.core import set_initial_no_auth_action_count

from hubfleet.aws.groups import find_group
from hubfleet.aws.session import NO_CREDENTIALS, RETRY_CONFIG, Identity, aws_errors, require_account
from hubfleet.cli import aws as commands
from hubfleet.errors import AwsError, HubfleetError, UsageError
from support.aws import (
    Clients,
    cluster_of,
    create_node_groups,
    fake_credentials,
    mocked_aws,
    restricted_profile,
    set_account,
)

THROTTLED = (
    b"<ErrorResponse><Error><Type>Sender</Type><Code>Throttling</Code><Message>Rate exceeded</Message></Error>"
    b"<RequestId>throttled</RequestId></ErrorResponse>"
)


class Body:
    def __init__(self, data: bytes) -> None:
        self.data = data

    def stream(self, **kwargs: Any) -> Iterator[bytes]:
        yield self.data


class Throttle:
    """A before-send handler: AWS answers Throttling to the first `times` requests."""

    def __init__(self, times: int) -> None:
        self.times = times
        self.seen = 0

    def __call__(self, request: Any, **kwargs: Any) -> AWSResponse | None:
        self.seen += 1
        if self.seen > self.times:
            return None
        return AWSResponse(request.url, 400, {}, Body(THROTTLED))


@pytest.fixture
def backoff(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The delays botocore's standard retry mode chose; the test sleeps none of them."""
    delays: list[float] = []
    original = ExponentialBackoff.delay_amount

    def record(self: ExponentialBackoff, context: Any) -> float:
        delays.append(original(self, context))
        return 0

    monkeypatch.setattr(ExponentialBackoff, "delay_amount", record)
    return delays


@pytest.fixture
def root(project: Path, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    set_account(project)
    with mocked_aws(monkeypatch, tmp_path):
        create_node_groups(Clients(), cluster_of(project))
        yield project


def throttled_session(monkeypatch: pytest.MonkeyPatch, throttle: Throttle, event: str) -> None:
    """Make the CLI's own sessions meet `throttle` on `event`."""
    real = commands.open_session

    def open_session(profile: str | None, region: str | None) -> boto3.session.Session:
        session = real(profile, region)
        session.events.register(event, throttle)
        return session

    monkeypatch.setattr(commands, "open_session", open_session)


def test_throttling_is_retried_with_backoff_in_standard_mode(root: Path, backoff: list[float]) -> None:
    autoscaling = boto3.session.Session(region_name="us-west-2").client("autoscaling", config=RETRY_CONFIG)
    throttle = Throttle(times=3)
    autoscaling.meta.events.register("before-send.auto-scaling.DescribeAutoScalingGroups", throttle)
    group = find_group(autoscaling, "clusterA", "core-v1-35")
    assert group["AutoScalingGroupName"] == "eksctl-clusterA-nodegroup-core-v1-35-NodeGroup-1A2B3C"
    assert throttle.seen >= 4
    assert len(backoff) == 3
    assert all(0 <= delay <= 2 ** (attempt + 1) for attempt, delay in enumerate(backoff))


def test_throttling_that_never_stops_is_one_line_exit_3(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, backoff: list[float]
) -> None:
    throttle = Throttle(times=1000)
    throttled_session(monkeypatch, throttle, "before-send.auto-scaling.DescribeAutoScalingGroups")
    result = run(root, "aws", "scale", "clusterA", "core", "--max", "12")
    assert result.exit_code == 3
    assert result.stderr == (
        "AWS kept throttling looking up the Auto Scaling group of node group core-v1-35 (DescribeAutoScalingGroups) "
        "after 9 attempts with backoff; nothing more was changed, try again later\n"
    )
    assert throttle.seen == 9
    assert len(backoff) == 8
    assert "maxSize: 10" in (root / "clusters/clusterA/cluster.yaml").read_text()


def test_no_credentials_is_one_line_exit_2(
    project: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    fake_credentials(monkeypatch, tmp_path / "aws")
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    for args in (["drift", "clusterA"], ["whoami"]):
        result = run(project, "aws", *args)
        assert result.exit_code == 2
        assert result.stderr == (
            "no AWS credentials found: pass --profile, set AWS_PROFILE, or sign in (aws sso login / aws configure)\n"
        )


def test_an_unknown_profile_is_one_line_exit_2(root: Path, run: Callable[..., Result]) -> None:
    result = run(root, "aws", "--profile", "nope", "drift", "clusterA")
    assert result.exit_code == 2
    assert result.stderr == "AWS profile 'nope' is not configured\n"


def test_credentials_aws_rejects_are_one_line_exit_2(root: Path, run: Callable[..., Result]) -> None:
    result = set_initial_no_auth_action_count(0)(lambda: run(root, "aws", "drift", "clusterA"))()
    assert result.exit_code == 2
    assert result.stderr.startswith(
        "AWS rejected the credentials while asking STS who the credentials belong to (InvalidClientTokenId): "
    )
    assert result.stderr.count("\n") == 1


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_an_unreachable_endpoint_is_one_line_exit_3(
    project: Path,
    run: Callable[..., Result],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    backoff: list[float],
) -> None:
    fake_credentials(monkeypatch, tmp_path / "aws")
    port = closed_port()
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    set_account(project)
    result = run(project, "aws", "drift", "clusterA")
    assert result.exit_code == 3
    assert result.stderr == (
        f"cannot reach AWS while asking STS who the credentials belong to: Could not connect to the endpoint URL: "
        f'"http://127.0.0.1:{port}/"\n'
    )
    assert len(backoff) == 8


@pytest.mark.parametrize(
    ("error", "kind", "exit_code", "message"),
    [
        (
            ClientError(
                {"Error": {"Code": "UnauthorizedOperation", "Message": "You are not\nauthorized."}}, "Op"
            ),
            AwsError,
            3,
            "AWS denied doing it (Op): You are not authorized.",
        ),
        (
            ClientError({"Error": {"Code": "ExpiredToken", "Message": "expired"}}, "Op"),
            UsageError,
            2,
            "AWS rejected the credentials while doing it (ExpiredToken): expired",
        ),
        (
            ClientError(
                {
                    "Error": {"Code": "RequestLimitExceeded", "Message": "slow"},
                    "ResponseMetadata": {"RetryAttempts": 8},
                },
                "Op",
            ),
            AwsError,
            3,
            "AWS kept throttling doing it (Op) after 9 attempts with backoff; nothing more was changed, try again later",
        ),
        (
            ClientError({"Error": {"Code": "ValidationError", "Message": "bad"}}, "Op"),
            AwsError,
            3,
            "AWS refused doing it (Op, ValidationError): bad",
        ),
        (NoCredentialsError(), UsageError, 2, NO_CREDENTIALS),
        (ProfileNotFound(profile="dev"), UsageError, 2, "AWS profile 'dev' is not configured"),
        (
            EndpointConnectionError(endpoint_url="https://sts.amazonaws.com"),
            AwsError,
            3,
            'cannot reach AWS while doing it: Could not connect to the endpoint URL: "https://sts.amazonaws.com"',
        ),
    ],
)
def test_botocore_errors_become_one_line_hubfleet_errors(
    error: Exception, kind: type[HubfleetError], exit_code: int, message: str
) -> None:
    with pytest.raises(kind) as caught, aws_errors("doing it"):
        raise error
    assert caught.value.exit_code == exit_code
    assert caught.value.message == message


def test_require_account_names_both_accounts(project: Path) -> None:
    cluster = cluster_of(project)
    require_account(Identity(cluster.account_id, "arn"), cluster, "profile x")
    with pytest.raises(UsageError) as caught:
        require_account(Identity("999999999999", "arn"), cluster, "profile x (--profile)")
    assert caught.value.message == (
        "clusterA belongs to AWS account 111122223333 (clusters/clusterA/cluster.yaml), but the credentials of "
        "profile x (--profile) are for account 999999999999; nothing was changed"
    )


def test_whoami_shows_profile_account_region_and_matching_clusters(
    root: Path, run: Callable[..., Result], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = run(root, "aws", "whoami", "clusterA")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "profile:     the default credential chain",
        "credentials: env",
        "account:     123456789012",
        "arn:         arn:aws:sts::123456789012:user/moto",
        "region:      us-west-2 (region of clusterA in clusters/clusterA/cluster.yaml)",
        "clusters:    clusterA: matches (123456789012, us-west-2)",
    ]
    restricted_profile(Clients(), tmp_path / "aws" / "credentials", "ops", ["sts:GetCallerIdentity"])
    set_account(root, "111122223333")
    result = run(root, "aws", "--profile", "ops", "--region", "eu-west-1", "whoami")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines() == [
        "profile:     profile ops (--profile)",
        "credentials: shared-credentials-file",
        "account:     123456789012",
        "arn:         arn:aws:iam::123456789012:user/ops",
        "region:      eu-west-1 (--region)",
        "clusters:    clusterA: DIFFERENT account 111122223333: aws commands will refuse it",
    ]
    monkeypatch.setenv("AWS_PROFILE", "ops")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    result = run(root, "aws", "whoami")
    assert result.stdout.splitlines()[0] == "profile:     profile ops (AWS_PROFILE)"
    assert result.stdout.splitlines()[4] == "region:      eu-central-1 (AWS config or environment)"


def test_whoami_of_a_cluster_reports_the_region_its_commands_use_not_the_environments(
    root: Path, run: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    result = run(root, "aws", "whoami", "clusterA")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[4] == (
        "region:      us-west-2 (region of clusterA in clusters/clusterA/cluster.yaml)"
    )
    result = run(root, "aws", "--region", "us-west-2", "whoami", "clusterA")
    assert result.exit_code == 0, result.output
    assert result.stdout.splitlines()[4] == (
        "region:      us-west-2 (region of clusterA in clusters/clusterA/cluster.yaml)"
    )
    result = run(root, "aws", "whoami")
    assert result.stdout.splitlines()[4] == "region:      eu-central-1 (AWS config or environment)"


def test_whoami_of_a_cluster_refuses_another_region_like_every_cluster_command(
    root: Path, run: Callable[..., Result]
) -> None:
    result = run(root, "aws", "--region", "eu-west-1", "whoami", "clusterA")
    assert result.exit_code == 2
    assert (
        result.stderr
        == "clusterA is in us-west-2 (clusters/clusterA/cluster.yaml), not eu-west-1 (--region)\n"
    )


def test_whoami_of_an_unknown_cluster_is_refused(root: Path, run: Callable[..., Result]) -> None:
    result = run(root, "aws", "whoami", "clusterZ")
    assert result.exit_code == 2
    assert result.stderr == "CLUSTER: no such cluster 'clusterZ' (clusters: clusterA)\n"
