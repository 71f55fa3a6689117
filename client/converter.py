"""The data converter of every Temporal client and worker of the product: pydantic JSON, where a payload that does
not decode fails its workflow or activity at once with a readable, non-retryable error, never a stuck task."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError
from temporalio.api.common.v1 import Payload
from temporalio.contrib.pydantic import PydanticJSONPlainPayloadConverter
from temporalio.converter import (
    CompositePayloadConverter,
    DataConverter,
    DefaultPayloadConverter,
    JSONPlainPayloadConverter,
)
from temporalio.exceptions import ApplicationError

from contract.errors import UNDECODABLE_PAYLOAD
from domain.model_problems import model_problems

MAX_PROBLEMS = 10


class _RefusingJsonConverter(PydanticJSONPlainPayloadConverter):
    def from_payload(self, payload: Payload, type_hint: type | None = None) -> Any:
        name = getattr(type_hint, "__name__", "value")
        try:
            return super().from_payload(payload, type_hint)
        except ValidationError as err:
            # A failure error fails the workflow (or activity) instead of its task: a workflow task that cannot
            # decode its input would otherwise be retried every few seconds, forever, ignoring cancellation.
            problems = "; ".join(model_problems(err, MAX_PROBLEMS))
            raise ApplicationError(
                f"the {name} cannot be used: {problems}. Fix the request and start it again.",
                type=UNDECODABLE_PAYLOAD,
                non_retryable=True,
            ) from None
        except RecursionError:
            raise ApplicationError(
                f"the {name} nests too deeply to be decoded. Fix the request and start it again.",
                type=UNDECODABLE_PAYLOAD,
                non_retryable=True,
            ) from None


class PayloadConverter(CompositePayloadConverter):
    """pydantic's payload converter, with JSON decoding that refuses instead of failing the task."""

    def __init__(self) -> None:
        refusing = _RefusingJsonConverter()
        super().__init__(
            *(
                refusing if isinstance(c, JSONPlainPayloadConverter) else c
                for c in DefaultPayloadConverter.default_encoding_payload_converters
            )
        )


DATA_CONVERTER = DataConverter(payload_converter_class=PayloadConverter)
