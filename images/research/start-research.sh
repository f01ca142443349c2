#!/usr/bin/env bash
# Start the research container's Jupyter server.
# Under JupyterHub (DockerSpawner or KubeSpawner set JUPYTERHUB_API_TOKEN) it runs the
# hub-aware single-user server; on its own it runs JupyterLab on port 8888.
set -euo pipefail
/usr/local/bin/seed-home.sh "${HOME}/work" || echo "seed-home: notebooks not copied" >&2
if [ -n "${JUPYTERHUB_API_TOKEN:-}" ]; then
    exec jupyterhub-singleuser "$@"
fi
exec jupyter lab --ip=0.0.0.0 --port=8888 --no-browser "$@"
