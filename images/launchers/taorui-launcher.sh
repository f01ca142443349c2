#!/usr/bin/env bash
# Taorui Quant launcher (韬睿量化启动器) for Linux and macOS: starts images/compose.yaml,
# waits until the hub answers and opens its login page in the browser.
#   taorui-launcher.sh [--wait-on-error]   start (or reuse) the stack, open the browser
#   taorui-launcher.sh install             add the menu entry (Linux, current user)
# Environment: TAORUI_HUB_PORT (default 8000), TAORUI_LAUNCH_TIMEOUT in seconds (default
# 600, the first start builds the images), TAORUI_BROWSER (a command that opens a URL;
# default: open on macOS, xdg-open elsewhere).
# Exit codes: 2 Docker or a tool missing, 3 Docker not running, 4 port taken,
# 5 compose failed, 6 timed out. Written for bash 3.2 (macOS) too.
set -u

here="$(cd "$(dirname "$0")" && pwd)"
images="$(cd "$here/.." && pwd)"
compose_file="$images/compose.yaml"
env_file="$images/.env"
port="${TAORUI_HUB_PORT:-8000}"
launch_timeout="${TAORUI_LAUNCH_TIMEOUT:-600}"
login_url="http://localhost:$port/hub/login"
wait_on_error=0

say() {
    printf '%s\n%s\n' "$1" "$2"
}

fail() {
    local code="$1"
    printf '错误：%s\nError: %s\n' "$2" "$3" >&2
    if [ "$wait_on_error" = 1 ] && [ -t 0 ]; then
        read -r -p "按回车键关闭 / Press Enter to close " _
    fi
    exit "$code"
}

compose() {
    docker compose --project-directory "$images" -f "$compose_file" "$@"
}

hub_answers() {
    local body
    body="$(curl --fail --silent --max-time 3 "http://127.0.0.1:$port/hub/api" 2>/dev/null)" \
        && case "$body" in *'"version"'*) return 0 ;; esac
    return 1
}

port_taken() {
    (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
}

open_browser() {
    local opener="${TAORUI_BROWSER:-}"
    if [ -z "$opener" ]; then
        if [ "$(uname -s)" = Darwin ]; then
            opener=open
        elif command -v xdg-open >/dev/null 2>&1; then
            opener=xdg-open
        fi
    fi
    if [ -n "$opener" ] && $opener "$login_url" >/dev/null 2>&1; then
        say "已在浏览器中打开登录页：$login_url" "Opened the login page in your browser: $login_url"
    else
        say "请在浏览器中打开：$login_url" "Open this address in your browser: $login_url"
    fi
}

ensure_env_file() {
    if [ -f "$env_file" ] && grep -q '^TAORUI_PROXY_TOKEN=.' "$env_file"; then
        return 0
    fi
    local token
    token="$(od -An -tx1 -N32 /dev/urandom | tr -d ' \n')"
    (umask 077 && printf 'TAORUI_PROXY_TOKEN=%s\n' "$token" >>"$env_file") \
        || fail 5 "无法写入 $env_file。" "Cannot write $env_file."
}

install_menu_entry() {
    local target="${XDG_DATA_HOME:-$HOME/.local/share}/applications"
    mkdir -p "$target" || fail 5 "无法创建 $target。" "Cannot create $target."
    sed "s|^Exec=.*|Exec=\"$here/taorui-launcher.sh\" --wait-on-error|" \
        "$here/taorui-quant.desktop" >"$target/taorui-quant.desktop" \
        || fail 5 "无法写入 $target。" "Cannot write to $target."
    say "已添加菜单项：$target/taorui-quant.desktop" "Added the menu entry: $target/taorui-quant.desktop"
}

for arg in "$@"; do
    case "$arg" in
        --wait-on-error) wait_on_error=1 ;;
        install) install_menu_entry; exit 0 ;;
        *) fail 2 "未知参数：$arg" "Unknown argument: $arg" ;;
    esac
done

command -v docker >/dev/null 2>&1 \
    || fail 2 "未找到 Docker。请安装 Docker Desktop（Windows/macOS）或 Docker Engine（Linux）：https://docs.docker.com/get-docker/" \
        "Docker is not installed. Install Docker Desktop (Windows/macOS) or Docker Engine (Linux): https://docs.docker.com/get-docker/"
command -v curl >/dev/null 2>&1 \
    || fail 2 "未找到 curl，请先安装 curl。" "curl is not installed; install it first."
docker info >/dev/null 2>&1 \
    || fail 3 "Docker 没有运行（或当前用户无权使用它）。请启动 Docker Desktop 或 Docker 服务（sudo systemctl start docker）后重试。" \
        "Docker is not running (or this user may not use it). Start Docker Desktop or the Docker service (sudo systemctl start docker) and try again."
docker compose version >/dev/null 2>&1 \
    || fail 2 "缺少 Docker Compose 插件（docker compose）。请更新 Docker。" \
        "The Docker Compose plugin (docker compose) is missing. Update Docker."

if hub_answers; then
    say "韬睿量化已在运行。" "Taorui Quant is already running."
    open_browser
    exit 0
fi
if port_taken; then
    fail 4 "端口 $port 已被其他程序占用。请关闭该程序，或设置 TAORUI_HUB_PORT 为其他端口后重试。" \
        "Port $port is taken by another program. Close it, or set TAORUI_HUB_PORT to another port, and try again."
fi

ensure_env_file
if ! docker image inspect taorui/research:latest >/dev/null 2>&1; then
    say "首次启动：正在构建镜像，可能需要十几分钟……" \
        "First start: building the images, this can take 10-20 minutes..."
    compose --profile tools build \
        || fail 5 "镜像构建失败，请查看上面的输出。" "Building the images failed; see the output above."
fi
say "正在启动韬睿量化……" "Starting Taorui Quant..."
compose up -d \
    || fail 5 "docker compose 启动失败，请查看上面的输出。" "docker compose could not start the stack; see the output above."

deadline=$((SECONDS + launch_timeout))
until hub_answers; do
    if [ "$SECONDS" -ge "$deadline" ]; then
        fail 6 "等待 ${launch_timeout} 秒后服务仍未响应。查看日志：docker compose -f \"$compose_file\" logs hub" \
            "The hub did not answer within ${launch_timeout} s. See its log: docker compose -f \"$compose_file\" logs hub"
    fi
    sleep 2
done
say "韬睿量化已就绪。" "Taorui Quant is ready."
open_browser
