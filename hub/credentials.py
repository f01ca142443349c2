"""The first admin's password: from ``TAORUI_ADMIN_PASSWORD``, or generated once.

A generated password is written to ``<state_dir>/admin-password`` with mode 0600 and read
back on later starts; nothing in the repository holds a default password.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Mapping
from pathlib import Path

#: The variable that supplies the first admin's password instead of a generated one.
PASSWORD_VARIABLE = "TAORUI_ADMIN_PASSWORD"
#: NativeAuthenticator's default minimum, kept for generated and supplied passwords alike.
MIN_LENGTH = 8


def admin_password(
    password_file: Path, environ: Mapping[str, str] | None = None, *, create: bool = False
) -> tuple[str | None, bool]:
    """The first admin's password and whether it was generated just now.

    Returns ``(None, False)`` when there is neither a variable nor a file and ``create``
    is false. A generated password is 24 URL-safe random characters.
    """
    env = os.environ if environ is None else environ
    supplied = env.get(PASSWORD_VARIABLE)
    if supplied:
        if len(supplied) < MIN_LENGTH:
            raise ValueError(
                f"{PASSWORD_VARIABLE} 至少需要 {MIN_LENGTH} 个字符 · "
                f"{PASSWORD_VARIABLE} must have at least {MIN_LENGTH} characters"
            )
        return supplied, False
    if password_file.is_file():
        return password_file.read_text(encoding="utf-8").strip(), False
    if not create:
        return None, False
    password_file.parent.mkdir(parents=True, exist_ok=True)
    password = secrets.token_urlsafe(18)
    descriptor = os.open(password_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(password + "\n")
    return password, True
