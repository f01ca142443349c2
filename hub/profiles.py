"""Spawner profiles: what a person picks on the hub's spawn page, with its limits.

``options_form``, ``options_from_form`` and ``apply_user_options`` plug into any Spawner
(the local one and DockerSpawner); :func:`kubespawner_profiles` gives KubeSpawner the same
choices in its own ``profile_list`` form.
"""

from __future__ import annotations

from dataclasses import dataclass
from html import escape
from typing import Any


@dataclass(frozen=True)
class Profile:
    """One server flavour: where it opens and how much it may use."""

    slug: str
    title_zh: str
    title_en: str
    description_zh: str
    description_en: str
    default_url: str
    mem_limit: str
    cpu_limit: float

    @property
    def title(self) -> str:
        """Both names, Chinese first."""
        return f"{self.title_zh} · {self.title_en}"


PROFILES: tuple[Profile, ...] = (
    Profile(
        slug="lab",
        title_zh="JupyterLab 研究环境",
        title_en="JupyterLab",
        description_zh="笔记本、终端与 quantlib 回测环境",
        description_en="notebooks, terminals and the quantlib backtest kernel",
        default_url="/lab",
        mem_limit="4G",
        cpu_limit=2.0,
    ),
    Profile(
        slug="desktop",
        title_zh="Ubuntu 桌面 (Xfce)",
        title_en="Ubuntu desktop (Xfce)",
        description_zh="浏览器中的图形桌面，运行 QMT 等桌面工具",
        description_en="a graphical desktop in the browser for desktop tools such as QMT",
        default_url="/desktop",
        mem_limit="6G",
        cpu_limit=2.0,
    ),
)

DEFAULT_PROFILE = PROFILES[0].slug


class UnknownProfileError(ValueError):
    """A spawn request named a profile that does not exist."""

    def __init__(self, slug: str) -> None:
        known = ", ".join(p.slug for p in PROFILES)
        message = (
            f"未知的服务器类型 {slug!r}（可选：{known}）。 · "
            f"Unknown server profile {slug!r} (choose one of: {known})."
        )
        super().__init__(message)
        #: what JupyterHub shows in the page
        self.jupyterhub_message = message


def find_profile(slug: object) -> Profile:
    """The profile called ``slug``; :class:`UnknownProfileError` when there is none."""
    for profile in PROFILES:
        if profile.slug == slug:
            return profile
    raise UnknownProfileError(str(slug))


def options_form(spawner: Any) -> str:
    """The radio buttons of the spawn page (the first profile is checked)."""
    rows = []
    for index, profile in enumerate(PROFILES):
        checked = " checked" if index == 0 else ""
        rows.append(
            f'<div class="form-check mb-2">'
            f'<input class="form-check-input" type="radio" name="profile" '
            f'id="profile-{profile.slug}" value="{profile.slug}"{checked}>'
            f'<label class="form-check-label" for="profile-{profile.slug}">'
            f"<strong>{escape(profile.title)}</strong><br>"
            f'<span class="text-muted">{escape(profile.description_zh)} · '
            f"{escape(profile.description_en)} — {profile.mem_limit} / "
            f"{profile.cpu_limit:g} CPU</span></label></div>"
        )
    return (
        '<fieldset id="taorui-profiles"><legend>选择服务器类型 · Choose a server</legend>'
        + "".join(rows)
        + "</fieldset>"
    )


def options_from_form(formdata: dict[str, list[str]]) -> dict[str, str]:
    """The chosen profile's slug, refused with a clear message when unknown."""
    slug = (formdata.get("profile") or [DEFAULT_PROFILE])[0]
    return {"profile": find_profile(slug).slug}


def apply_user_options(spawner: Any, user_options: dict[str, Any]) -> None:
    """Set the spawner's start page and limits from the chosen profile."""
    profile = find_profile(user_options.get("profile", DEFAULT_PROFILE))
    spawner.default_url = profile.default_url
    spawner.mem_limit = profile.mem_limit
    spawner.cpu_limit = profile.cpu_limit
    spawner.log.info("profile %s for %s", profile.slug, spawner.user.name)


def kubespawner_profiles() -> list[dict[str, Any]]:
    """The same profiles as KubeSpawner ``profile_list`` entries."""
    return [
        {
            "display_name": profile.title,
            "slug": profile.slug,
            "description": f"{profile.description_zh} · {profile.description_en}",
            "default": index == 0,
            "kubespawner_override": {
                "default_url": profile.default_url,
                "mem_limit": profile.mem_limit,
                "cpu_limit": profile.cpu_limit,
            },
        }
        for index, profile in enumerate(PROFILES)
    ]
