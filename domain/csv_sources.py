"""Where contacts files (csv_uri, numbers_uri) may come from: the folder, host and address rules, and every
CAMPAIGN_CSV_* setting (these and domain.csv_limits'), parsed here only: the worker, the API and the starter all
call `csv_sources_from_env`."""

from __future__ import annotations

import ipaddress
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from urllib.parse import SplitResult, urlsplit

from domain.csv_limits import (
    DEFAULT_DOWNLOAD_TIMEOUT_S,
    DEFAULT_MAX_CELL_CHARS,
    DEFAULT_MAX_COLUMNS,
    DEFAULT_MAX_LINE_CHARS,
    DEFAULT_MAX_MB,
    DOWNLOAD_TIMEOUT_S,
    MAX_CELL_CHARS,
    MAX_COLUMNS,
    MAX_LINE_CHARS,
    MAX_MB,
    CsvLimits,
)

DIRS = "CAMPAIGN_CSV_DIRS"
URL_HOSTS = "CAMPAIGN_CSV_URL_HOSTS"
ALLOW_PRIVATE = "CAMPAIGN_CSV_URL_ALLOW_PRIVATE"
PROJECT_ROOT = Path(os.path.abspath(__file__)).parent.parent
DEFAULT_UPLOAD_DIR = Path("data/uploads")  # the API's CAMPAIGN_UPLOAD_DIR default
DEFAULT_CONTACTS_DIR = Path("data/contacts")
# Kernel and device files are never contacts, whatever CAMPAIGN_CSV_DIRS says (/dev/zero never ends, /proc holds
# other processes' environments).
NEVER_DIRS = (PurePath("/proc"), PurePath("/sys"), PurePath("/dev"))
MAX_REDIRECTS = 3
# Cloud metadata services (AWS/GCP/Azure/Oracle, AWS over IPv6, AWS ECS tasks, Alibaba): never fetched, even with
# CAMPAIGN_CSV_URL_ALLOW_PRIVATE=1.
METADATA_ADDRESSES = frozenset(
    ipaddress.ip_address(a) for a in ("169.254.169.254", "fd00:ec2::254", "169.254.170.2", "100.100.100.200")
)


class CsvSettingError(ValueError):
    """A CAMPAIGN_CSV_* setting is not valid; the message names it and its default."""


class SourceRefused(ValueError):
    """A contacts file (or an events URL) is not one the operator allows: the message names the rule and the setting
    to change."""


@dataclass(frozen=True)
class CsvSources:
    """Allowed folders (as configured: the reader resolves them), allowed URL hosts (exact names, or `*.domain` for
    its subdomains), whether URLs may reach loopback and private addresses, and the size limits."""

    dirs: tuple[Path, ...]
    url_hosts: frozenset[str] = frozenset()
    allow_private: bool = False
    limits: CsvLimits = field(default_factory=CsvLimits)


def upload_dir_from_env(env: Mapping[str, str]) -> Path:
    """CAMPAIGN_UPLOAD_DIR (the HTTP API's upload folder), else data/uploads; as given (callers resolve it)."""
    return Path(env.get("CAMPAIGN_UPLOAD_DIR", "").strip() or DEFAULT_UPLOAD_DIR)


def csv_sources_from_env(
    env: Mapping[str, str], *, upload_dir: Path | None = None, root: Path = PROJECT_ROOT
) -> CsvSources:
    """The CAMPAIGN_CSV_* settings. Without CAMPAIGN_CSV_DIRS: the upload folder (`upload_dir`, else
    CAMPAIGN_UPLOAD_DIR, else data/uploads) and data/contacts; relative folders are taken under `root`."""
    raw_dirs = env.get(DIRS, "").strip()
    if raw_dirs:
        named = [Path(part.strip()) for part in raw_dirs.split(os.pathsep) if part.strip()]
    else:
        upload = upload_dir or upload_dir_from_env(env)
        named = [upload, DEFAULT_CONTACTS_DIR]
    limits = CsvLimits(
        max_bytes=_positive_int(env, MAX_MB, DEFAULT_MAX_MB) * 1024 * 1024,
        download_timeout_s=_positive_int(env, DOWNLOAD_TIMEOUT_S, DEFAULT_DOWNLOAD_TIMEOUT_S),
        max_line_chars=_positive_int(env, MAX_LINE_CHARS, DEFAULT_MAX_LINE_CHARS),
        max_cell_chars=_positive_int(env, MAX_CELL_CHARS, DEFAULT_MAX_CELL_CHARS),
        max_columns=_positive_int(env, MAX_COLUMNS, DEFAULT_MAX_COLUMNS),
    )
    return CsvSources(
        dirs=tuple(d if d.is_absolute() else root / d for d in named),
        url_hosts=parse_hosts(env.get(URL_HOSTS, "")),
        allow_private=parse_flag(env, ALLOW_PRIVATE),
        limits=limits,
    )


def _positive_int(env: Mapping[str, str], name: str, default: int) -> int:
    raw = env.get(name, "").strip()
    if not raw:
        return default
    if not raw.isdigit() or int(raw) < 1:
        raise CsvSettingError(f"{name}={raw!r} must be a whole number of 1 or more (default {default}).")
    return int(raw)


def parse_flag(env: Mapping[str, str], name: str) -> bool:
    """A 1/0 setting (also true/false), default 0; CAMPAIGN_EVENTS_URL_ALLOW_PRIVATE is read with it too."""
    raw = env.get(name, "").strip().lower()
    if raw not in ("", "0", "1", "false", "true"):
        raise CsvSettingError(f"{name}={raw!r} must be 1 or 0 (default 0).")
    return raw in ("1", "true")


def parse_hosts(raw: str, setting: str = URL_HOSTS) -> frozenset[str]:
    """A comma-separated host list (exact names or `*.domain`); `setting` names it in errors (CAMPAIGN_EVENTS_URL_HOSTS
    is parsed here too)."""
    hosts = set()
    for entry in raw.split(","):
        host = _host_name(entry)
        if not host:
            continue
        bare = host.removeprefix("*.")
        if "/" in host or "@" in host or "*" in bare or (":" in bare and not is_ip(bare)):
            raise CsvSettingError(
                f"{setting} entry {entry.strip()!r} must be a host name such as files.example.com (or "
                "*.example.com for its subdomains), without scheme, port or path."
            )
        hosts.add(host)
    return frozenset(hosts)


def _host_name(host: str) -> str:
    return host.strip().strip("[]").lower().rstrip(".")


def is_ip(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True


def shown(uri: str) -> str:
    """A URI as errors may show it: a URL without its user, password and query (pre-signed links carry tokens)."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return uri
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    port = _port(parts)
    return f"{parts.scheme}://{netloc}{f':{port}' if port else ''}{parts.path}{'?…' if parts.query else ''}"


def _port(parts: SplitResult) -> int | None:
    try:
        return parts.port
    except ValueError:  # not a number: shown without it
        return None


def path_problem(real: PurePath, real_dirs: tuple[PurePath, ...], *, what: str, uri: str) -> str | None:
    """Why a local file may not be read, or None. `real` and `real_dirs` are real paths (symlinks resolved)."""
    if any(real.is_relative_to(never) for never in NEVER_DIRS):
        return (
            f"{what} {uri!r} names a file under /proc, /sys or /dev: contacts are never read there (whatever "
            f"{DIRS} says)"
        )
    if any(real.is_relative_to(allowed) for allowed in real_dirs):
        return None
    allowed = os.pathsep.join(str(d) for d in real_dirs) or "(none)"
    return (
        f"{what} {uri!r} is outside the folders contacts may be read from (symlinks followed; {DIRS}={allowed}): "
        f"put the file in one of them, or add its folder to {DIRS} on the workers and the API"
    )


def url_problem(uri: str, sources: CsvSources, *, what: str) -> str | None:
    """Why a URL may not be fetched before any DNS lookup (scheme, allowed host, a literal address), or None."""
    parts = urlsplit(uri)
    if parts.scheme not in ("http", "https"):
        return f"Unsupported {what} {shown(uri)!r}: use a local path, file:// or an http(s):// URL"
    host = _host_name(parts.hostname or "")
    if not host:
        return f"{what} {shown(uri)!r} names no host"
    if not host_allowed(host, sources.url_hosts):
        allowed = ",".join(sorted(sources.url_hosts)) or "(none)"
        return (
            f"{what} {shown(uri)!r}: the host {host!r} is not one contacts may be downloaded from "
            f"({URL_HOSTS}={allowed}); add it to {URL_HOSTS} on the workers and the API"
        )
    if is_ip(host):
        return address_problem(host, host, sources, what=what)
    return None


def host_allowed(host: str, hosts: frozenset[str]) -> bool:
    if host in hosts:
        return True
    return any(entry.startswith("*.") and host.endswith(entry[1:]) for entry in hosts)


def address_problem(host: str, address: str, sources: CsvSources, *, what: str) -> str | None:
    """Why the address a host resolved to may not be connected to, or None."""
    return refused_address(
        host,
        address,
        sources.allow_private,
        what=what,
        never="contacts are never downloaded from there",
        public="contacts are downloaded from public addresses only",
        unless=f"{ALLOW_PRIVATE}=1 on the workers and the API",
    )


def refused_address(
    host: str, address: str, allow_private: bool, *, what: str, never: str, public: str, unless: str
) -> str | None:
    """Why a resolved address may not be connected to, or None: `never` ends the message for addresses refused
    always, `public` and `unless` (the setting that allows them) for loopback and private ones."""
    ip, refusal = address_refusal(address)
    if refusal:
        return f"{what}: the host {host!r} resolves to {ip}, {refusal}; {never}"
    if ip.is_global or allow_private:
        return None
    kind = "a loopback" if ip.is_loopback else "a private"
    return f"{what}: the host {host!r} resolves to {ip}, {kind} address; {public}, unless {unless}"


def address_refusal(address: str) -> tuple[ipaddress.IPv4Address | ipaddress.IPv6Address, str | None]:
    """The address (an IPv4-mapped IPv6 one as IPv4) and why it is never connected to (link-local, metadata,
    multicast, unspecified, reserved), or None; loopback and private addresses are the caller's setting."""
    ip = ipaddress.ip_address(address.split("%")[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    never = None
    if ip in METADATA_ADDRESSES or ip.is_link_local:
        never = "a link-local address, where cloud metadata services answer"
    elif ip.is_multicast or ip.is_unspecified:
        never = "a multicast or unspecified address"
    elif not ip.is_loopback and ip.is_reserved:
        never = "a reserved address"
    return ip, never
