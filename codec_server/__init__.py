"""The payload codec server (`python -m codec_server`): decrypts and encrypts Temporal payloads for the Temporal UI and
the `temporal` CLI (`--codec-endpoint`), so people with the token see what the workers see."""
