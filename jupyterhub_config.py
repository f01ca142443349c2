# Taorui Quant Pro (韬睿量化专业版) — JupyterHub configuration.
#
# Flat traitlets settings; what varies between installations comes from hub/settings.py:
# a TOML file (TAORUI_HUB_SETTINGS, or var/hub/settings.toml; see
# hub/settings.example.toml) and TAORUI_* environment variables over it. The embedded
# default, which `make up` starts through `python -m hub.launch`: the hub on
# 127.0.0.1:8000 behind the configurable-http-proxy from hub/proxy, SQLite in var/hub,
# password sign-in with admin approval, one local process per person, the demo store in
# var/store, a local Dask cluster and the platform service `quant` under /services/quant/.
# docs/hub.md explains every part.
# `c` is the configuration object JupyterHub passes in.
# ruff: noqa: F821
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import nativeauthenticator

from hub import profiles
from hub.credentials import admin_password
from hub.groups import GROUPS, custom_scopes, group_roles
from hub.kernelspec import install_kernelspec
from hub.settings import REPO_ROOT, SERVICE_NAME, load_settings

settings = load_settings()
state = settings.state_dir
state.mkdir(parents=True, exist_ok=True, mode=0o700)

# --- network and proxy -------------------------------------------------------------------
c.JupyterHub.ip = settings.ip
c.JupyterHub.port = settings.port
c.JupyterHub.hub_ip = "127.0.0.1" if settings.spawner == "local" else "0.0.0.0"
c.JupyterHub.hub_port = settings.hub_api_port
if settings.hub_connect_ip:
    c.JupyterHub.hub_connect_ip = settings.hub_connect_ip
# The npm configurable-http-proxy pinned by hub/proxy/package-lock.json (`npm ci`).
c.ConfigurableHTTPProxy.command = [
    str(REPO_ROOT / "hub" / "proxy" / "node_modules" / ".bin" / "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(state / "proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{settings.proxy_api_port}"
if settings.proxy_api_url:
    # A proxy run on its own (images/compose.yaml); CONFIGPROXY_AUTH_TOKEN is shared.
    c.ConfigurableHTTPProxy.should_start = False
    c.ConfigurableHTTPProxy.api_url = settings.proxy_api_url

# --- state: database and cookie secret ---------------------------------------------------
c.JupyterHub.db_url = settings.db_url or f"sqlite:///{state / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(state / "jupyterhub_cookie_secret")

# --- look: 韬睿量化专业版 / Taorui Quant Pro templates -----------------------------------
c.JupyterHub.template_paths = [
    str(REPO_ROOT / "hub" / "templates"),
    str(Path(nativeauthenticator.__file__).parent / "templates"),
]
c.JupyterHub.logo_file = str(REPO_ROOT / "hub" / "static" / "logo.svg")
c.JupyterHub.template_vars = {
    "product_zh": "韬睿量化专业版",
    "product_en": "Taorui Quant Pro",
    "native_auth": settings.authenticator == "native",
}

# --- authentication ----------------------------------------------------------------------
c.Authenticator.admin_users = {settings.admin_user}
if settings.authenticator == "native":
    # Hashed passwords in the hub database; sign-ups wait for an admin's approval.
    c.JupyterHub.authenticator_class = "hub.auth.TaoruiAuthenticator"
    c.TaoruiAuthenticator.bootstrap_password = admin_password(settings.admin_password_file)[0] or ""
    c.NativeAuthenticator.open_signup = False
    c.NativeAuthenticator.minimum_password_length = 8
    c.NativeAuthenticator.check_common_password = True
    c.NativeAuthenticator.allowed_failed_logins = 5
    c.NativeAuthenticator.seconds_before_next_try = 300
    # Approval at /hub/authorize is the gate: everyone approved may sign in.
    c.Authenticator.allow_all = True
elif settings.authenticator == "oauth":
    # Any OAuth2/OIDC provider; client id, secret and URLs come from the [oauth] table.
    c.JupyterHub.authenticator_class = "generic-oauth"
    for key, value in settings.extra.get("oauth", {}).items():
        setattr(c.GenericOAuthenticator, key, value)
elif settings.authenticator == "ldap":
    # An LDAP or Active Directory server; server address and bind template from [ldap].
    c.JupyterHub.authenticator_class = "ldapauthenticator.LDAPAuthenticator"
    for key, value in settings.extra.get("ldap", {}).items():
        setattr(c.LDAPAuthenticator, key, value)

# --- groups and roles --------------------------------------------------------------------
# researcher, risk_officer, trader and admin exist from the start; admins change who is in
# them on the hub's admin page. Each group's role carries a custom scope
# (custom:taorui:<group>) that arrives in members' tokens and OAuth scopes for the
# platform service to read. Members of `admin` may also manage users and groups.
c.JupyterHub.custom_scopes = custom_scopes()
c.JupyterHub.load_groups = {
    name: {"users": [settings.admin_user]} if name == "admin" else {} for name in GROUPS
}

# --- servers: one per person, with the profiles of hub/profiles.py -----------------------
environment = {
    "QUANTLIB_STORE": str(settings.store),
    "QUANTLIB_PLATFORM_URL": settings.platform_address,
    "QUANTLIB_DASK": settings.dask,
}
c.Spawner.default_url = "/lab"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60
c.Spawner.args = [
    # no requests to the internet from JupyterLab
    "--LabApp.news_url=None",
    "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
]
if settings.spawner == "local":
    c.JupyterHub.spawner_class = "hub.spawners.TaoruiLocalSpawner"
    c.TaoruiLocalSpawner.homes_dir = str(state / "home")
    c.Spawner.cmd = [
        settings.singleuser_cmd or str(Path(sys.executable).with_name("jupyterhub-singleuser"))
    ]
    if os.geteuid() == 0:
        c.Spawner.args.append("--ServerApp.allow_root=True")
    # The Taorui kernel with this hub's settings, found first through JUPYTER_PATH.
    install_kernelspec(state / "jupyter" / "kernels", settings)
    environment["JUPYTER_PATH"] = str(state / "jupyter")
elif settings.spawner == "docker":
    # The research image per person: their files in the volume taorui-user-<name>, the
    # data store mounted read-only at the same path as in the hub.
    c.JupyterHub.spawner_class = "docker"
    c.DockerSpawner.image = settings.image
    c.DockerSpawner.network_name = settings.docker_network
    c.DockerSpawner.remove = True
    c.DockerSpawner.notebook_dir = "/home/jovyan/work"
    c.DockerSpawner.volumes = {
        "taorui-user-{username}": "/home/jovyan/work",
        settings.store_volume or str(settings.store): {
            "bind": str(settings.store),
            "mode": "ro",
        },
    }
else:
    # KubeSpawner: the cluster values (storage, images, node selection) live in
    # images/kubernetes/values.yaml; the profiles are the same as elsewhere.
    c.JupyterHub.spawner_class = "kubespawner.KubeSpawner"
    c.KubeSpawner.profile_list = profiles.kubespawner_profiles()
if settings.spawner != "kubernetes":
    c.Spawner.options_form = profiles.options_form
    c.Spawner.options_from_form = profiles.options_from_form
    c.Spawner.apply_user_options = profiles.apply_user_options
c.Spawner.environment = environment
# A server's own JUPYTERHUB_API_TOKEN: the default `server` scopes, plus the platform
# service and the person's group scopes (the hub keeps only those the person holds), so
# code in a server can call the service with nothing but its environment.
ACCESS_PLATFORM = f"access:services!service={SERVICE_NAME}"
c.Spawner.server_token_scopes = [
    "users:activity!user",
    "access:servers!server",
    ACCESS_PLATFORM,
    "read:users:groups!user",
    *custom_scopes(),
]

# --- services: the platform service and the idle culler ----------------------------------
# `quant` (hub/service) serves the platform API at /services/quant/. Everybody may use it
# (the `user` role); the OAuth tokens browsers get carry their groups and group scopes.
# Its own token may list users and groups (for syncing people into the platform).
platform_environment = {
    "TAORUI_DATA_DIR": str(settings.platform_dir),
    "TAORUI_DATA_STORE": str(settings.store),
}
if settings.platform_db_url:
    platform_environment["TAORUI_DB_URL"] = settings.platform_db_url
if settings.dask != "local":
    platform_environment["TAORUI_DASK_SCHEDULER"] = settings.dask
# How often the service syncs users and groups from the hub (hub/service/sync.py).
if os.environ.get("TAORUI_USER_SYNC_SECONDS", "").strip():
    platform_environment["TAORUI_USER_SYNC_SECONDS"] = os.environ["TAORUI_USER_SYNC_SECONDS"]
services = [
    {
        "name": SERVICE_NAME,
        "url": settings.service_url,
        "command": [sys.executable, "-m", "hub.service"],
        "cwd": str(REPO_ROOT),
        "environment": platform_environment,
        "oauth_no_confirm": True,
        "oauth_client_allowed_scopes": ["read:users:groups!user", *custom_scopes()],
    }
]
roles = group_roles()
roles += [
    {"name": "user", "scopes": ["self", ACCESS_PLATFORM]},
    {
        "name": "taorui-platform-service",
        "description": "the platform service: reads users and groups",
        "scopes": ["list:users", "read:users", "list:groups", "read:groups"],
        "services": [SERVICE_NAME],
    },
]
if settings.idle_timeout > 0:
    services.append(
        {
            "name": "idle-culler",
            "command": [
                sys.executable,
                "-m",
                "jupyterhub_idle_culler",
                f"--timeout={settings.idle_timeout}",
            ],
        }
    )
    roles.append(
        {
            "name": "idle-culler",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["idle-culler"],
        }
    )
c.JupyterHub.services = services
c.JupyterHub.load_roles = roles
