"""The hub's users and groups synced into the platform database in the background.

Each request mirrors its caller (:func:`quantlib.platform.users.mirror_caller`); this
module keeps everyone else in step too, so that an admin's change on the hub's admin
page (someone removed from ``risk_officer``, someone deleted) reaches the platform
without waiting for that person. :class:`HubDirectory` reads every user with their
groups from the hub's REST API with the service's own token (its role grants
``list:users`` and ``read:users``); :class:`DirectorySync` runs
:func:`~quantlib.platform.users.sync_directory` with that list once at service start and
then every ``TAORUI_USER_SYNC_SECONDS`` seconds (default 300; 0 turns it off). A hub that
does not answer is logged and tried again shortly; the service keeps serving.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import httpx

from hub.service.auth import HUB_TIMEOUT, HubIdentity
from hub.service.deps import ServiceState
from quantlib.core.errors import ConfigError
from quantlib.platform.users import SyncReport, sync_directory

log = logging.getLogger("hub.service.sync")

SYNC_SECONDS_VARIABLE = "TAORUI_USER_SYNC_SECONDS"
#: Seconds between syncs unless ``TAORUI_USER_SYNC_SECONDS`` says otherwise.
DEFAULT_SYNC_SECONDS = 300.0
#: Seconds before trying again after a sync failed (when shorter than the interval).
RETRY_SECONDS = 10.0
#: Users asked for per page of ``GET /users``.
PAGE_SIZE = 200
#: The media type with which the hub answers ``GET /users`` page by page.
PAGINATION_MEDIA_TYPE = "application/jupyterhub-pagination+json"


class DirectoryError(RuntimeError):
    """The hub's list of users could not be read; the message says why."""


class Directory(Protocol):
    """Where the full list of users and their groups comes from (the hub)."""

    async def users(self) -> dict[str, list[str]]:
        """Every user's name with the names of their groups.

        Raises
        ------
        DirectoryError
            The list could not be read.
        """
        ...


def sync_seconds(environ: Mapping[str, str] | None = None) -> float:
    """Seconds between syncs from ``TAORUI_USER_SYNC_SECONDS``; 0 means no syncing.

    Raises
    ------
    quantlib.core.errors.ConfigError
        The value is not a number of seconds, or is negative.

    Examples
    --------
    >>> sync_seconds({})
    300.0
    >>> sync_seconds({"TAORUI_USER_SYNC_SECONDS": "2"})
    2.0
    """
    env = os.environ if environ is None else environ
    text = env.get(SYNC_SECONDS_VARIABLE, "").strip()
    if not text:
        return DEFAULT_SYNC_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        raise ConfigError(
            f"{SYNC_SECONDS_VARIABLE} must be a number of seconds (0 turns syncing off), "
            f"got {text!r}"
        ) from None
    if not seconds >= 0 or seconds == float("inf"):
        raise ConfigError(f"{SYNC_SECONDS_VARIABLE} must be 0 or more seconds, got {text!r}")
    return seconds


@dataclass(frozen=True)
class HubDirectory:
    """Every user the hub has, with their groups, read through the hub's REST API.

    Parameters
    ----------
    api_url
        The hub's API, e.g. ``http://127.0.0.1:8081/hub/api``.
    api_token
        The service's own hub token; it needs ``list:users`` and ``read:users:groups``.
    page_size
        Users asked for per request.
    """

    api_url: str
    api_token: str
    page_size: int = PAGE_SIZE

    @classmethod
    def of(cls, identity: HubIdentity) -> HubDirectory:
        """The directory of the hub ``identity`` asks, with the same token."""
        return cls(identity.api_url, identity.api_token)

    async def _page(self, client: httpx.AsyncClient, offset: int) -> Any:
        url = f"{self.api_url}/users"
        try:
            answer = await client.get(
                url,
                params={"offset": offset, "limit": self.page_size},
                headers={
                    "Authorization": f"token {self.api_token}",
                    "Accept": PAGINATION_MEDIA_TYPE,
                },
            )
        except httpx.HTTPError as error:
            raise DirectoryError(f"the hub API at {url} does not answer: {error}") from None
        if answer.status_code != 200:
            raise DirectoryError(
                f"the hub answered {answer.status_code} to GET {url}: {answer.text[:200]}"
            )
        return answer.json()

    async def users(self) -> dict[str, list[str]]:
        """Every user's name with the names of their groups, all pages read.

        Raises
        ------
        DirectoryError
            The hub does not answer, refuses, or leaves out users' groups (the token
            lacks ``read:users:groups``).
        """
        found: dict[str, list[str]] = {}
        offset: int | None = 0
        async with httpx.AsyncClient(timeout=HUB_TIMEOUT) as client:
            while offset is not None:
                body = await self._page(client, offset)
                if isinstance(body, list):  # a hub that does not paginate: everyone at once
                    items, following = body, None
                else:
                    items = body["items"]
                    following = (body["_pagination"].get("next") or {}).get("offset")
                for model in items:
                    if "groups" not in model:
                        raise DirectoryError(
                            "the hub leaves out users' groups: give the service's role "
                            "read:users:groups"
                        )
                    found[str(model["name"])] = [str(group) for group in model["groups"]]
                if following is not None and following <= offset:
                    raise DirectoryError(f"the hub's next page goes back to offset {following}")
                offset = following
        return found


class DirectorySync:
    """The background task syncing the hub's users into the service's database.

    Parameters
    ----------
    directory
        Where the hub's users come from.
    seconds
        Seconds between syncs (more than 0; :func:`sync_seconds` reads the setting).

    Examples
    --------
    >>> sync = DirectorySync(HubDirectory("http://127.0.0.1:8081/hub/api", "t"), 300)
    >>> sync.running
    False
    """

    def __init__(self, directory: Directory, seconds: float) -> None:
        if seconds <= 0:
            raise ConfigError(f"the sync interval must be more than 0 seconds, got {seconds}")
        self.directory = directory
        self.seconds = seconds
        self._task: asyncio.Task[None] | None = None

    @property
    def running(self) -> bool:
        """Whether the task is started and not yet closed."""
        return self._task is not None and not self._task.done()

    async def sync_once(self, state: ServiceState) -> SyncReport:
        """Read the hub's users, sync the database, forget which callers were mirrored.

        Raises
        ------
        DirectoryError
            The hub's list could not be read; nothing was changed.
        """
        hub_users = await self.directory.users()

        def write() -> SyncReport:
            with state.sessions.begin() as session:
                return sync_directory(session, hub_users)

        report = await asyncio.to_thread(write)
        with state.mirror_lock:
            state.mirrored.clear()
        return report

    async def _run(self, state: ServiceState) -> None:
        while True:
            wait = self.seconds
            try:
                report = await self.sync_once(state)
            except DirectoryError as error:
                wait = min(self.seconds, RETRY_SECONDS)
                log.warning("users not synced from the hub, again in %gs: %s", wait, error)
            except Exception:
                wait = min(self.seconds, RETRY_SECONDS)
                log.exception("users not synced from the hub, again in %gs", wait)
            else:
                level = logging.INFO if report.changes else logging.DEBUG
                log.log(level, "users synced from the hub: %s", report.describe())
            await asyncio.sleep(wait)

    def start(self, state: ServiceState) -> None:
        """Sync now and then every :attr:`seconds`, in the running event loop."""
        if self.running:
            raise RuntimeError("the user sync is running already")
        self._task = asyncio.get_running_loop().create_task(
            self._run(state), name="taorui-user-sync"
        )

    async def close(self) -> None:
        """Stop the task; a database write already under way finishes in its thread."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
