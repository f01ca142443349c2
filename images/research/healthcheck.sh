#!/usr/bin/env bash
# Container health check: the Jupyter server answers its API. Under the hub the server's
# own address and prefix are in JUPYTERHUB_SERVICE_URL (http://0.0.0.0:8888/user/NAME/).
set -euo pipefail
url="${JUPYTERHUB_SERVICE_URL:-http://127.0.0.1:8888/}"
exec curl --fail --silent --show-error --max-time 4 --output /dev/null "${url%/}/api"
