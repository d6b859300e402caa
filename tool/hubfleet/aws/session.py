"""Sessions, identity and errors for every AWS command: the one place botocore exceptions become ours.

Credentials and region come from boto3's usual chain (environment, shared files,
SSO, instance roles); `--profile` picks a named profile. Every client retries in
botocore's standard mode with backoff, so throttling is retried before it is
reported.

Exit codes: 2 for problems on this side (no credentials, unknown profile, wrong
account, bad option, a local file that cannot be written: `InputError`,
`LocalError`), 3 for AWS refusing or failing (`AwsError`), so that exit 1 keeps
meaning "a check found something" for `drift` and `preflight`.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config
from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConfigParseError,
    CredentialRetrievalError,
    HTTPClientError,
    InvalidConfigError,
    InvalidEndpointConfigurationError,
    InvalidRegionError,
    NoCredentialsError,
    NoRegionError,
    PartialCredentialsError,
    ProfileNotFound,
    SSOError,
    TokenRetrievalError,
)
from botocore.exceptions import ConnectionError as AwsConnectionError
from botocore.parsers import ResponseParserError

from ..errors import AwsError, HubfleetError, UsageError
from ..inputs.model.cluster import Cluster

if TYPE_CHECKING:
    from mypy_boto3_sts import STSClient

#: Standard mode: exponential backoff with jitter on throttling and transient errors.
#: Retries with backoff for throttling, and bounded waits: a call that stalls is given up after
#: read_timeout (and retried), so no command holds the writer's lock for minutes on a silent line.
RETRY_CONFIG = Config(retries={"mode": "standard", "max_attempts": 8}, connect_timeout=5, read_timeout=10)

DENIED = frozenset(
    {"AccessDenied", "AccessDeniedException", "UnauthorizedOperation", "UnauthorizedAccess", "Forbidden"}
)
BAD_CREDENTIALS = frozenset(
    {
        "AuthFailure",
        "ExpiredToken",
        "ExpiredTokenException",
        "InvalidAccessKeyId",
        "InvalidClientTokenId",
        "SignatureDoesNotMatch",
        "UnrecognizedClientException",
    }
)
THROTTLED = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestThrottled",
        "RequestThrottledException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "PriorRequestNotComplete",
        "SlowDown",
    }
)
NO_CREDENTIALS = (
    "no AWS credentials found: pass --profile, set AWS_PROFILE, or sign in (aws sso login / aws configure)"
)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


@contextmanager
def aws_errors(doing: str) -> Iterator[None]:
    """Turn botocore's exceptions raised while `doing` something into one-line hubfleet errors."""
    try:
        yield
    except ClientError as error:
        raise _client_error(error, doing) from None
    except (NoCredentialsError, PartialCredentialsError):
        raise UsageError("", NO_CREDENTIALS) from None
    except (TokenRetrievalError, SSOError, CredentialRetrievalError) as error:
        raise UsageError("", f"cannot get AWS credentials: {one_line(str(error))}") from None
    except ProfileNotFound as error:
        raise UsageError("", f"AWS profile '{error.kwargs.get('profile')}' is not configured") from None
    except NoRegionError:
        raise UsageError("", "no AWS region: pass --region or set AWS_REGION") from None
    except (
        ConfigParseError,
        InvalidConfigError,
        InvalidEndpointConfigurationError,
        InvalidRegionError,
    ) as error:
        # The machine's AWS configuration, not AWS: a local problem (exit 2).
        raise UsageError("", f"the AWS configuration is not usable: {one_line(str(error))}") from None
    except (AwsConnectionError, HTTPClientError) as error:
        raise AwsError(f"cannot reach AWS while {doing}: {one_line(str(error))}") from None
    except BotoCoreError as error:
        raise AwsError(f"{doing} failed: {one_line(str(error))}") from None
    except ResponseParserError:
        raise AwsError(
            f"AWS's answer while {doing} could not be read (not the XML or JSON AWS sends)"
        ) from None
    except (KeyError, TypeError, AttributeError, IndexError) as error:
        # A 200 whose body is not the operation's answer (a proxy's HTML page, a truncated reply).
        raise AwsError(
            f"AWS's answer while {doing} lacks what every answer to it holds ({type(error).__name__}: "
            f"{one_line(str(error))[:80]}); hubfleet acted on none of it"
        ) from None


def _client_error(error: ClientError, doing: str) -> HubfleetError:
    details = error.response.get("Error", {})
    code = details.get("Code", "Unknown")
    message = one_line(details.get("Message", "")) or code
    operation = error.operation_name
    if code in DENIED:
        return AwsError(f"AWS denied {doing} ({operation}): {message}")
    if code in BAD_CREDENTIALS:
        return UsageError("", f"AWS rejected the credentials while {doing} ({code}): {message}")
    if code in THROTTLED:
        attempts = error.response.get("ResponseMetadata", {}).get("RetryAttempts", 0) + 1
        return AwsError(
            f"AWS kept throttling {doing} ({operation}) after {attempts} attempts with backoff; "
            "nothing more was changed, try again later"
        )
    return AwsError(f"AWS refused {doing} ({operation}, {code}): {message}")


def make_client(session: boto3.session.Session, service: str, **options: Any) -> Any:
    """`session.client`, with a bad endpoint URL (AWS_ENDPOINT_URL, `endpoint_url` in the config
    file) said as such: botocore raises a bare ValueError for it before any request."""
    try:
        return session.client(service, config=RETRY_CONFIG, **options)  # type: ignore[call-overload]
    except ValueError as error:
        raise UsageError(
            "",
            f"the AWS endpoint URL is not usable ({one_line(str(error))}); check AWS_ENDPOINT_URL and "
            "endpoint_url in your AWS config",
        ) from None


def open_session(profile: str | None, region: str | None) -> boto3.session.Session:
    """A boto3 session from the usual chain; `profile` None means the default chain."""
    with aws_errors("opening an AWS session"):
        return boto3.session.Session(profile_name=profile, region_name=region)


@dataclass(frozen=True)
class Identity:
    """Who the credentials belong to (sts get-caller-identity)."""

    account: str
    arn: str


def caller_identity(sts: STSClient) -> Identity:
    with aws_errors("asking STS who the credentials belong to"):
        answer = sts.get_caller_identity()
        account, arn = answer["Account"], answer["Arn"]
        if not (isinstance(account, str) and account.isdigit() and len(account) == 12):
            raise KeyError("Account")
    return Identity(account=account, arn=str(arn))


def require_account(identity: Identity, cluster: Cluster, profile: str) -> None:
    """Refuse to touch a cluster from credentials of another account."""
    if identity.account != cluster.account_id:
        raise UsageError(
            "",
            f"{cluster.name} belongs to AWS account {cluster.account_id} ({cluster.source_file}), but the "
            f"credentials of {profile} are for account {identity.account}; nothing was changed",
        )
