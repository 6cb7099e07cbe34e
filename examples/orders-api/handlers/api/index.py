"""orders-api: POST /orders queues an order; GET /orders/{id} reads it back."""
import json
import os
import uuid

import boto3

sqs = boto3.client("sqs")
table = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    method = event["requestContext"]["http"]["method"]
    if method == "POST":
        order = json.loads(event.get("body") or "{}")
        order["id"] = str(uuid.uuid4())
        sqs.send_message(QueueUrl=os.environ["QUEUE_URL"], MessageBody=json.dumps(order))
        return {"statusCode": 202, "body": json.dumps({"id": order["id"]})}
    order_id = event["pathParameters"]["id"]
    item = table.get_item(Key={"id": order_id}).get("Item")
    if item is None:
        return {"statusCode": 404, "body": json.dumps({"error": "not found"})}
    return {"statusCode": 200, "body": json.dumps(item, default=str)}
