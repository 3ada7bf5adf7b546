"""Execution records in the state table and objects in the state bucket: only a failed
condition is a conflict (or, for the bucket's create-once writes, "exists"); any other
error (an old botocore's parameter error, a throttle, access denied) fails loudly and
is not retried as one. On the suite's moto server: writes are conditional on the
revision read, a record too big for an item goes to the bucket and reads back, and a
superseded one is tagged for the lifecycle rule."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError, ParamValidationError
from tests.runtime.aws.support import Aws

from eventual.aws.deployment import Deployment
from eventual.aws.store import FINISHED, Conflict, StateStore
from eventual.aws.table import ITEM_LIMIT, RecordTable, Stored


class _Refusing:
    """An S3 and DynamoDB client whose writes raise ``error``."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.puts = 0

    def put_object(self, **_: Any) -> Any:
        self.puts += 1
        raise self.error

    put_item = put_object


def _client_error(code: str, status: int, operation: str = "PutObject") -> ClientError:
    response: Any = {"Error": {"Code": code, "Message": code},
                     "ResponseMetadata": {"HTTPStatusCode": status}}  # fmt: skip
    return ClientError(response, operation)


@pytest.mark.parametrize("code", ["PreconditionFailed", "ConditionalRequestConflict"])
def test_a_failed_precondition_means_the_object_exists(code: str) -> None:
    s3 = _Refusing(_client_error(code, 412 if code[0] == "P" else 409))
    assert StateStore(s3, "b").create("names/w/n", "id") is False
    StateStore(s3, "b").create("executions/x/history/00000000.json", "[]")  # there already


@pytest.mark.parametrize(
    "error",
    [
        ParamValidationError(report="Unknown parameter in input: 'IfNoneMatch'"),
        _client_error("SlowDown", 503),
        _client_error("AccessDenied", 403),
        _client_error("OperationAborted", 409),
    ],
)
def test_any_other_s3_error_fails_loudly_once(error: Exception) -> None:
    s3 = _Refusing(error)
    with pytest.raises(type(error)):  # not "the name is taken"
        StateStore(s3, "b").create("names/w/n", "id")
    assert s3.puts == 1


def test_a_failed_condition_on_the_table_is_a_conflict() -> None:
    error = _client_error("ConditionalCheckFailedException", 400, "PutItem")
    table = RecordTable(_Refusing(error), "t", StateStore(None, "b"), 90)
    with pytest.raises(Conflict):
        table.write("x", "{}", 2, Stored("{}", 1))


@pytest.mark.parametrize(
    "error",
    [
        ParamValidationError(report="Unknown parameter in input: 'ConditionExpression'"),
        _client_error("ProvisionedThroughputExceededException", 400, "PutItem"),
        _client_error("AccessDeniedException", 400, "PutItem"),
        _client_error("TransactionConflictException", 400, "PutItem"),
        _client_error("ValidationException", 400, "PutItem"),
    ],
)
def test_any_other_table_error_fails_loudly_once(error: Exception) -> None:
    dynamodb = _Refusing(error)
    with pytest.raises(type(error)):
        RecordTable(dynamodb, "t", StateStore(None, "b"), 90).write("x", "{}", 1, None)
    assert dynamodb.puts == 1


@pytest.fixture(scope="module")
def table(aws: Aws) -> str:
    """A table shaped as the stack's (its executions are not the stack's: the other
    tests list those)."""
    name = f"store-{uuid.uuid4().hex[:8]}"
    aws.clients.dynamodb.create_table(
        TableName=name, BillingMode="PAY_PER_REQUEST",
        KeySchema=[{"AttributeName": "id", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "id", "AttributeType": "S"}],
    )  # fmt: skip
    return name


def _records(aws: Aws, table: str) -> RecordTable:
    """Records in ``table``, and the trips stack's bucket, as its orchestrator reaches them."""
    function = aws.harness.stacks["trips"].functions["Orchestrator"]
    deployment: Deployment = aws.harness.deployment(function)
    return RecordTable(deployment.clients.dynamodb, table, deployment.store, 90)


def test_writes_are_conditional_on_the_revision_read(aws: Aws, table: str) -> None:
    records = _records(aws, table)
    execution = f"store-{uuid.uuid4().hex[:8]}"
    records.write(execution, '{"revision": 1}', 1, None)
    with pytest.raises(Conflict):  # a second start of the same execution
        records.write(execution, '{"revision": 1}', 1, None)
    first = records.read(execution)
    assert first == Stored('{"revision": 1}', 1)
    records.write(execution, '{"revision": 2}', 2, first)
    with pytest.raises(Conflict):  # a writer that read before that write
        records.write(execution, '{"revision": 2, "lost": true}', 2, first)
    assert records.read(execution) == Stored('{"revision": 2}', 2)
    assert records.read(f"store-none-{uuid.uuid4().hex[:8]}") is None


def test_a_record_too_big_for_an_item_is_kept_in_the_bucket(aws: Aws, table: str) -> None:
    records = _records(aws, table)
    store = records.store
    execution = f"store-big-{uuid.uuid4().hex[:8]}"
    big = '{"pad": "' + "x" * ITEM_LIMIT + '"}'
    records.write(execution, big, 1, None)
    item = records.dynamodb.get_item(TableName=records.table, Key={"id": {"S": execution}})
    key = item["Item"]["key"]["S"]
    assert "record" not in item["Item"] and key.startswith(f"executions/{execution}/state/")
    found = records.read(execution)
    assert found is not None and (found.text, found.revision, found.key) == (big, 1, key)
    assert [s.text for s in records.scan(prefix=execution)] == [big]
    ended = datetime.now(UTC)
    records.write(execution, '{"small": true}', 2, found, ended)  # finished, in the item
    assert records.read(execution) == Stored('{"small": true}', 2)
    tags = store.s3.get_object_tagging(Bucket=store.bucket, Key=key)["TagSet"]
    assert {t["Key"]: t["Value"] for t in tags} == dict(FINISHED)  # superseded: expires
    item = records.dynamodb.get_item(TableName=records.table, Key={"id": {"S": execution}})
    assert int(item["Item"]["expires"]["N"]) == int((ended + timedelta(days=90)).timestamp())
