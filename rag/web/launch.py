"""Start-up rules for the web app: who may connect, with which login, on which port.

Kept apart from Gradio so the rules are unit-tested without starting a server.
"""

from __future__ import annotations

import ipaddress
import socket
from pathlib import Path

from ..errors import SettingsError
from ..settings import Settings

LOOPBACK_NAMES = {"localhost", "localhost.localdomain", "ip6-localhost"}


def is_loopback(host: str) -> bool:
    """True for addresses only this machine can reach (127.0.0.0/8, ::1, localhost)."""
    host = (host or "").strip().strip("[]").lower()
    if host in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_auth(value: str) -> list[tuple[str, str]]:
    """RAG_AUTH as login pairs: "user:password", or the path of a file of such lines (# comments)."""
    value = (value or "").strip()
    if not value:
        return []
    path = Path(value).expanduser()
    if path.is_file():
        try:
            lines = path.read_text(encoding="utf-8-sig").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise SettingsError(f"RAG_AUTH file {str(path)!r} cannot be read ({exc})") from None
        pairs = []
        for n, line in enumerate(lines, 1):
            line = line.strip()
            if line and not line.startswith("#"):
                pairs.append(_pair(line, f"RAG_AUTH file {path}:{n}"))
        if not pairs:
            raise SettingsError(f"RAG_AUTH file {str(path)!r} has no user:password lines")
        return pairs
    if "/" in value and ":" not in value:
        raise SettingsError(f"RAG_AUTH file {value!r} does not exist; give user:password or an existing file")
    return [_pair(value, "RAG_AUTH")]


def _pair(text: str, where: str) -> tuple[str, str]:
    user, sep, password = text.partition(":")
    if not sep or not user.strip() or not password:
        raise SettingsError(f"{where}: expected user:password (both non-empty)")
    return user.strip(), password


def check_bind(settings: Settings, logins: list[tuple[str, str]]) -> None:
    """Refuse to serve beyond this machine without a login, unless RAG_ALLOW_PUBLIC=1 says so."""
    if is_loopback(settings.host) or logins or settings.allow_public:
        return
    raise SettingsError(
        f"refusing to serve on {settings.host}:{settings.port} without a login: anyone who can reach this "
        "address could read and change the library. Set RAG_AUTH=user:password (or a file of such lines), "
        "or RAG_ALLOW_PUBLIC=1 to serve without a login, or RAG_HOST=127.0.0.1 to stay local.")


def check_port(host: str, port: int) -> None:
    """Fail now, not after the model has loaded, when another program holds the port."""
    family = socket.AF_INET6 if ":" in host.strip("[]") else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as the web server itself does
        try:
            sock.bind((host.strip("[]"), port))
        except OSError as exc:
            raise SettingsError(f"cannot serve on {host}:{port} ({exc.strerror or exc}); another program may "
                                "be using the port: stop it or choose another with RAG_PORT") from None

