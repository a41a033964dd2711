"""Hello handler for the cold-start benchmark: Python 3.12, standard library only."""


def handler(event, context):
    name = event.get("name") if isinstance(event, dict) else None
    if not isinstance(name, str) or not name.strip():
        name = "world"
    return {"message": f"Hello, {name.strip()}!", "requestId": context.aws_request_id}
