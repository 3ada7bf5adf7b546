"""The state bucket's writes: only a precondition that failed is a conflict; any other
S3 error (an old botocore's parameter error, a throttle, access denied) fails loudly
and is not retried as one."""

from __future__ import annotations

from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError

from eventual.aws.store import Conflict, StateStore


class _Refusing:
    """An S3 client whose ``put_object`` raises ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.puts = 0

    def put_object(self, **_: Any) -> Any:
        self.puts += 1
        raise self.error


def _client_error(code: str, status: int) -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code},
                     "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
    return ClientError(response, "PutObject")


@pytest.mark.parametrize("code", ["PreconditionFailed", "ConditionalRequestConflict"])
def test_a_failed_precondition_is_a_conflict(code: str) -> None:
    store = StateStore(_Refusing(_client_error(code, 412 if code[0] == "P" else 409)), "b")
    with pytest.raises(Conflict):
        store.write("executions/x/state.json", "{}", '"etag"')


@pytest.mark.parametrize(
    "error",
    [
        ParamValidationError(report="Unknown parameter in input: 'IfMatch'"),
        _client_error("SlowDown", 503),
        _client_error("AccessDenied", 403),
        _client_error("OperationAborted", 409),
    ],
)
def test_any_other_s3_error_fails_loudly_once(error: Exception) -> None:
    s3 = _Refusing(error)
    with pytest.raises(type(error)):
        StateStore(s3, "b").write("executions/x/state.json", "{}", None)
    assert s3.puts == 1
    with pytest.raises(type(error)):  # not "the name is taken"
        StateStore(s3, "b").create("names/w/n", "id")
