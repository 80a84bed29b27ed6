"""JSON Merge Patch (RFC 7396) and validation of the merged result."""

from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from app.errors import FieldError, InvalidInput

M = TypeVar("M", bound=BaseModel)


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply `patch` to `target`: objects merge, `null` removes, anything else replaces."""
    if not isinstance(patch, dict):
        return patch
    merged = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = merge_patch(merged.get(key), value)
    return merged


def validate_body(model: type[M], data: Any) -> M:
    """Validate a body assembled on the server, reporting errors as the request would."""
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(
                pointer="/" + "/".join(str(part) for part in error["loc"]),
                detail="Unknown field: this API rejects fields it does not define"
                if error["type"] == "extra_forbidden"
                else error["msg"],
            )
            for error in exc.errors()
        ]
        raise InvalidInput(
            f"The result of the patch has {len(errors)} invalid field(s).", errors=errors
        ) from None
