"""The cold-start benchmark's real workload on Python: one DynamoDB PutItem and one GetItem through boto3, the SDK
the runtime ships (nothing bundled).

    {"id": "bench-1", "payload": "hello"}  ->  {"id": "bench-1", "found": true, "payload": "hello"}

Environment: TABLE_NAME (partition key ``pk``, a string). Region, credentials and endpoint come from boto3's
standard configuration (AWS_ENDPOINT_URL or AWS_ENDPOINT_URL_DYNAMODB point it at another endpoint).
"""
import os
import time

import boto3

# Created once, at Init.
client = boto3.client("dynamodb")
TABLE_NAME = os.environ.get("TABLE_NAME")


def _text(event, key, default):
    value = event.get(key) if isinstance(event, dict) else None
    return value if isinstance(value, str) and value else default


def handler(event, context):
    if not TABLE_NAME:
        raise RuntimeError("TABLE_NAME is not set: set it to the name of a DynamoDB table whose partition key is pk (a string)")
    item_id = _text(event, "id", "default")
    payload = _text(event, "payload", "hello")
    client.put_item(
        TableName=TABLE_NAME,
        Item={"pk": {"S": item_id}, "payload": {"S": payload}, "ts": {"N": str(int(time.time() * 1000))}},
    )
    read = client.get_item(TableName=TABLE_NAME, Key={"pk": {"S": item_id}}, ConsistentRead=True)
    item = read.get("Item")
    return {"id": item_id, "found": item is not None, "payload": item["payload"]["S"] if item else None}
