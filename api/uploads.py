"""Request bodies: a JSON object read with a size cap, or multipart/form-data whose file part is streamed into the
upload store while it is hashed (memory does not grow with the file)."""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO

from fastapi import Request
from python_multipart.exceptions import MultipartParseError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.errors import ApiError
from api.store import StoredFile, UploadStore
from contract.limits import MAX_FREE_FORM_DEPTH

if TYPE_CHECKING:
    from python_multipart.multipart import MultipartCallbacks

MAX_JSON_BYTES = 1024 * 1024
MAX_FIELD_BYTES = 256 * 1024


def _no_constants(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


async def read_json_object(request: Request) -> dict[str, Any]:
    body = bytearray()
    async for chunk in request.stream():
        body.extend(chunk)
        if len(body) > MAX_JSON_BYTES:
            raise ApiError(413, f"the JSON body is larger than {MAX_JSON_BYTES // 1024} KiB")
    return parse_json_object(bytes(body), "the body")


def parse_json_object(raw: bytes, what: str) -> dict[str, Any]:
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_no_constants)
        json.dumps(data, ensure_ascii=False).encode("utf-8")  # refuses lone surrogates (\ud800)
    except (UnicodeError, ValueError) as err:
        raise ApiError(400, f"{what} is not valid JSON: {err}") from None
    except RecursionError:
        raise ApiError(
            422, f"{what} nests too deeply; free-form fields may nest at most {MAX_FREE_FORM_DEPTH} levels"
        ) from None
    if not isinstance(data, dict):
        raise ApiError(422, f"{what} must be a JSON object")
    return data


@dataclass
class _Part:
    name: str = ""
    disposition: bytes = b""
    header_name: bytes = b""
    header_value: bytes = b""
    data: bytearray = field(default_factory=bytearray)


@dataclass
class Form:
    fields: dict[str, str] = field(default_factory=dict)
    file: StoredFile | None = None


class _FormReader:
    def __init__(self, store: UploadStore, kind: str, suffix: str, file_field: str, text_fields: set[str]) -> None:
        self.store, self.kind, self.suffix = store, kind, suffix
        self.file_field, self.text_fields = file_field, text_fields
        self.part = _Part()
        self.form = Form()
        self.staging: tuple[Path, BinaryIO] | None = None
        self.digest = hashlib.sha256()
        self.size = 0
        self.file_complete = False
        self.pending: list[bytes] = []

    def callbacks(self) -> MultipartCallbacks:
        return {
            "on_part_begin": self._begin,
            "on_header_field": lambda d, s, e: setattr(self.part, "header_name", self.part.header_name + d[s:e]),
            "on_header_value": lambda d, s, e: setattr(self.part, "header_value", self.part.header_value + d[s:e]),
            "on_header_end": self._header_end,
            "on_headers_finished": self._headers_finished,
            "on_part_data": self._data,
            "on_part_end": self._end,
        }

    def _begin(self) -> None:
        self.part = _Part()

    def _header_end(self) -> None:
        if self.part.header_name.strip().lower() == b"content-disposition":
            self.part.disposition = self.part.header_value
        self.part.header_name, self.part.header_value = b"", b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self.part.disposition)
        self.part.name = options.get(b"name", b"").decode("utf-8", "replace")
        expected = sorted({self.file_field, *self.text_fields})
        if self.part.name not in expected:
            raise ApiError(422, f"unexpected form part {self.part.name!r}; the parts are {', '.join(expected)}")
        if self.part.name in self.form.fields or (self.part.name == self.file_field and self.staging):
            raise ApiError(422, f"the form part {self.part.name!r} is given twice")
        if self.part.name == self.file_field:
            self.staging = self.store.staging(self.kind)

    def _data(self, data: bytes, start: int, end: int) -> None:
        chunk = data[start:end]
        if self.part.name != self.file_field:
            self.part.data.extend(chunk)
            if len(self.part.data) > MAX_FIELD_BYTES:
                raise ApiError(413, f"the form part {self.part.name!r} is larger than {MAX_FIELD_BYTES // 1024} KiB")
            return
        self.size += len(chunk)
        if self.size > self.store.max_bytes:
            raise ApiError(413, f"the file is larger than API_MAX_UPLOAD_MB ({self.store.max_bytes // 2**20} MiB)")
        self.digest.update(chunk)
        self.pending.append(chunk)

    def _end(self) -> None:
        if self.part.name == self.file_field:
            self.file_complete = True
        else:
            try:
                self.form.fields[self.part.name] = self.part.data.decode("utf-8")
            except UnicodeDecodeError:
                raise ApiError(400, f"the form part {self.part.name!r} is not UTF-8 text") from None

    async def flush(self) -> None:
        if self.pending and self.staging:
            chunks, self.pending = b"".join(self.pending), []
            await asyncio.to_thread(self.staging[1].write, chunks)

    def finish(self) -> None:
        if self.staging is None:
            return
        if not self.file_complete:
            raise ApiError(400, "the multipart body ended in the middle of the file part")
        path, handle = self.staging
        handle.close()
        self.staging = None
        if self.size == 0:
            path.unlink()
            raise ApiError(422, f"the form part {self.file_field!r} is empty")
        sha256 = self.digest.hexdigest()
        self.form.file = StoredFile(self.store.final_path(self.kind, sha256, self.suffix), sha256, self.size, path)

    def discard(self) -> None:
        if self.staging is not None:
            path, handle = self.staging
            handle.close()
            with contextlib.suppress(OSError):
                path.unlink()
            self.staging = None


async def read_form(
    request: Request, store: UploadStore, *, kind: str, suffix: str, file_field: str, text_fields: set[str]
) -> Form:
    """The form's text parts and its one file, stored (see UploadStore). Unknown or repeated parts are refused."""
    _, params = parse_options_header(request.headers.get("content-type", ""))
    boundary = params.get(b"boundary")
    if not boundary:
        raise ApiError(400, "the multipart/form-data Content-Type has no boundary")
    reader = _FormReader(store, kind, suffix, file_field, text_fields)
    parser = MultipartParser(boundary, reader.callbacks())
    try:
        async for chunk in request.stream():
            parser.write(chunk)
            await reader.flush()
        parser.finalize()
        await reader.flush()
        reader.finish()
    except MultipartParseError as err:
        raise ApiError(400, f"the multipart body is malformed: {err}") from None
    except ClientDisconnect:
        raise ApiError(400, "the client went away before the body was complete") from None
    finally:
        reader.discard()
    return reader.form
