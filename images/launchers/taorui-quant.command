#!/usr/bin/env bash
# macOS: double-click in Finder to start Taorui Quant (韬睿量化) in a Terminal window.
# It runs taorui-launcher.sh beside it, which keeps the window open when something fails.
exec "$(cd "$(dirname "$0")" && pwd)/taorui-launcher.sh" --wait-on-error "$@"
