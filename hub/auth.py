"""Password sign-in: NativeAuthenticator with a bootstrapped first admin and clear messages.

Passwords are stored as bcrypt hashes in the hub database (table ``users_info``). People
sign up at ``/hub/signup``; an admin approves them at ``/hub/authorize``. The first admin
is created at start-up from :mod:`hub.credentials` when it does not exist yet (a password
changed later in the hub is never reset).
"""

from __future__ import annotations

from typing import Any

import bcrypt
from jupyterhub.handlers.login import LoginHandler as HubLoginHandler
from nativeauthenticator import NativeAuthenticator
from nativeauthenticator.handlers import LoginHandler as NativeLoginHandler
from nativeauthenticator.handlers import SignUpHandler as NativeSignUpHandler
from nativeauthenticator.orm import UserInfo
from traitlets import Unicode

INVALID = "用户名或密码错误。 · Invalid username or password."
NOT_APPROVED = (
    "账号 {name} 尚未经管理员批准，请联系管理员。 · "
    "The account {name} has not been approved by an administrator yet."
)
BLOCKED = (
    "登录失败次数过多，请稍后再试。 · Too many failed sign-ins; wait a few minutes and try again."
)


class TaoruiLoginHandler(NativeLoginHandler):
    """The login form, with bilingual messages that say why a sign-in was refused."""

    async def post(self) -> None:
        """Sign the person in, or show the login page again with the reason."""
        data = {name: self.get_argument(name, strip=False) for name in self.request.arguments}
        user = await self.login_user(data)
        if user:
            self._jupyterhub_user = user
            self.redirect(self.get_next_url(user))
            return
        name = data.get("username", "")
        authenticator: TaoruiAuthenticator = self.authenticator
        info = authenticator.get_user(name)
        error = INVALID
        if (
            info is not None
            and authenticator.allowed_failed_logins
            and authenticator.is_blocked(authenticator.normalize_username(name))
        ):
            error = BLOCKED
        elif (
            info is not None
            and not info.is_authorized
            and info.is_valid_password(data.get("password", ""))
        ):
            error = NOT_APPROVED.format(name=info.username)
        self.log.warning("refused sign-in for %r: %s", name, error)
        self.finish(await self._render(login_error=error, username=name))


class TaoruiAuthenticator(NativeAuthenticator):
    """NativeAuthenticator that creates the first admin and explains refusals."""

    bootstrap_password = Unicode(
        "",
        config=True,
        help="Password of the first admin, used only when that account does not exist yet.",
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._bootstrap_admins()

    def _bootstrap_admins(self) -> None:
        if not self.bootstrap_password:
            return
        for name in sorted(self.admin_users):
            if self.get_user(name) is not None:
                continue
            hashed = bcrypt.hashpw(self.bootstrap_password.encode(), bcrypt.gensalt())
            self.db.add(UserInfo(username=name, password=hashed, is_authorized=True))
            self.db.commit()
            self.log.info("created the first admin account %r", name)

    def get_handlers(self, app: Any) -> list[tuple[str, type[HubLoginHandler]]]:
        """NativeAuthenticator's pages, with the login and sign-up pages replaced by ours."""
        ours = {NativeLoginHandler: TaoruiLoginHandler, NativeSignUpHandler: TaoruiSignUpHandler}
        return [(path, ours.get(handler, handler)) for path, handler in super().get_handlers(app)]


#: Chinese for NativeAuthenticator's sign-up results, by the start of the English text.
SIGNUP_MESSAGES_ZH = {
    "You failed the reCAPTCHA": "人机验证未通过，请重试。",
    "Something went wrong!\nIt appears": "该用户名已被使用，请换一个。",
    "Your password did not match": "两次输入的密码不一致，请重试。",
    "Something went wrong!\nBe sure": (
        "注册失败：用户名不能含空格、逗号或斜杠，密码需足够长且不能过于常见。"
    ),
    "The signup was successful! You can now": "注册成功，现在可以登录。",
    "Your information has been sent": "注册信息已提交，请等待管理员批准。",
    "The signup was successful! Check your email": "注册成功，请查收邮件完成验证。",
}


class TaoruiSignUpHandler(NativeSignUpHandler):
    """The sign-up page, with its results in Chinese and English."""

    def get_result_message(self, *args: Any, **kwargs: Any) -> tuple[str, str]:
        """NativeAuthenticator's result, with the Chinese text in front."""
        alert, message = super().get_result_message(*args, **kwargs)
        for start, chinese in SIGNUP_MESSAGES_ZH.items():
            if message.startswith(start):
                return alert, f"{chinese} · {message}"
        return alert, message
