"""A Python handler: returns a dict (the runtime sends it as JSON) and logs with the logging module."""
import logging
import os

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def handler(event, context):
    name = (event or {}).get("name", "world")
    logger.info("greeting %s in %s", name, context.function_name)
    return {
        "message": f"Hello, {name}!",
        "functionName": context.function_name,
        "memoryLimitInMB": int(context.memory_limit_in_mb),
        "remainingTimeInMillis": context.get_remaining_time_in_millis(),
        "stage": os.environ.get("STAGE", "unknown"),
    }
