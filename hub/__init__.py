"""Hub-side code of Taorui Quant: settings, authentication, spawners and templates.

``jupyterhub_config.py`` at the repository root reads :mod:`hub.settings` and wires the
classes of this package into JupyterHub; ``python -m hub.launch`` is what ``make up`` runs.
"""
