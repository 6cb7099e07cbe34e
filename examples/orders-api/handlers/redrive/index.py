"""orders-api: moves the dead-letter queue's messages back to the orders queue (nightly)."""
import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    task = sqs.start_message_move_task(
        SourceArn=os.environ["DEAD_LETTER_QUEUE_ARN"],
        DestinationArn=os.environ["QUEUE_ARN"],
    )
    return {"taskHandle": task["TaskHandle"]}
