# Taorui Quant launcher (韬睿量化启动器) for Windows: starts images\compose.yaml with
# Docker Desktop, waits until the hub answers and opens its login page in the browser.
# Double-click taorui-quant.bat, or: powershell -ExecutionPolicy Bypass -File taorui-launcher.ps1
# Environment: TAORUI_HUB_PORT (default 8000), TAORUI_LAUNCH_TIMEOUT in seconds (default 600).
# Exit codes: 2 Docker missing, 3 Docker not running, 4 port taken, 5 compose failed,
# 6 timed out. This file is UTF-8 with a byte-order mark so Windows PowerShell 5.1 reads
# the Chinese text correctly.
$ErrorActionPreference = 'Stop'
[Console]::OutputEncoding = [System.Text.Encoding]::UTF8

$Images = Split-Path -Parent $PSScriptRoot
$ComposeFile = Join-Path $Images 'compose.yaml'
$EnvFile = Join-Path $Images '.env'
$Port = if ($env:TAORUI_HUB_PORT) { [int]$env:TAORUI_HUB_PORT } else { 8000 }
$LaunchTimeout = if ($env:TAORUI_LAUNCH_TIMEOUT) { [int]$env:TAORUI_LAUNCH_TIMEOUT } else { 600 }
$LoginUrl = "http://localhost:$Port/hub/login"

function Write-Both([string]$Chinese, [string]$English) {
    Write-Host $Chinese
    Write-Host $English
}

function Stop-WithError([int]$Code, [string]$Chinese, [string]$English) {
    Write-Host "错误：$Chinese" -ForegroundColor Red
    Write-Host "Error: $English" -ForegroundColor Red
    exit $Code
}

function Invoke-Compose([string[]]$Arguments) {
    & docker compose --project-directory $Images -f $ComposeFile @Arguments | Out-Host
    return $LASTEXITCODE -eq 0
}

function Test-HubAnswers {
    try {
        $reply = Invoke-WebRequest -UseBasicParsing -TimeoutSec 3 -Uri "http://127.0.0.1:$Port/hub/api"
        return $reply.StatusCode -eq 200 -and $reply.Content -match '"version"'
    } catch {
        return $false
    }
}

function Test-PortTaken {
    $client = New-Object System.Net.Sockets.TcpClient
    try {
        $client.Connect('127.0.0.1', $Port)
        return $true
    } catch {
        return $false
    } finally {
        $client.Dispose()
    }
}

function Open-LoginPage {
    Start-Process $LoginUrl
    Write-Both "已在浏览器中打开登录页：$LoginUrl" "Opened the login page in your browser: $LoginUrl"
}

if (-not (Get-Command docker -ErrorAction SilentlyContinue)) {
    Stop-WithError 2 '未找到 Docker。请安装 Docker Desktop：https://docs.docker.com/desktop/setup/install/windows-install/' `
        'Docker is not installed. Install Docker Desktop: https://docs.docker.com/desktop/setup/install/windows-install/'
}
& docker info *> $null
if ($LASTEXITCODE -ne 0) {
    Stop-WithError 3 'Docker 没有运行。请启动 Docker Desktop，等它显示 "Engine running" 后重试。' `
        'Docker is not running. Start Docker Desktop, wait until it shows "Engine running", and try again.'
}
& docker compose version *> $null
if ($LASTEXITCODE -ne 0) {
    Stop-WithError 2 '缺少 Docker Compose 插件（docker compose）。请更新 Docker Desktop。' `
        'The Docker Compose plugin (docker compose) is missing. Update Docker Desktop.'
}

if (Test-HubAnswers) {
    Write-Both '韬睿量化已在运行。' 'Taorui Quant is already running.'
    Open-LoginPage
    exit 0
}
if (Test-PortTaken) {
    Stop-WithError 4 "端口 $Port 已被其他程序占用。请关闭该程序，或设置 TAORUI_HUB_PORT 为其他端口后重试。" `
        "Port $Port is taken by another program. Close it, or set TAORUI_HUB_PORT to another port, and try again."
}

if (-not ((Test-Path $EnvFile) -and (Select-String -Path $EnvFile -Pattern '^TAORUI_PROXY_TOKEN=.' -Quiet))) {
    $bytes = New-Object byte[] 32
    [System.Security.Cryptography.RandomNumberGenerator]::Create().GetBytes($bytes)
    $token = -join ($bytes | ForEach-Object { $_.ToString('x2') })
    Add-Content -Path $EnvFile -Value "TAORUI_PROXY_TOKEN=$token" -Encoding ascii
}

& docker image inspect taorui/research:latest *> $null
if ($LASTEXITCODE -ne 0) {
    Write-Both '首次启动：正在构建镜像，可能需要十几分钟……' 'First start: building the images, this can take 10-20 minutes...'
    if (-not (Invoke-Compose @('--profile', 'tools', 'build'))) {
        Stop-WithError 5 '镜像构建失败，请查看上面的输出。' 'Building the images failed; see the output above.'
    }
}
Write-Both '正在启动韬睿量化……' 'Starting Taorui Quant...'
if (-not (Invoke-Compose @('up', '-d'))) {
    Stop-WithError 5 'docker compose 启动失败，请查看上面的输出。' 'docker compose could not start the stack; see the output above.'
}

$deadline = (Get-Date).AddSeconds($LaunchTimeout)
while (-not (Test-HubAnswers)) {
    if ((Get-Date) -ge $deadline) {
        Stop-WithError 6 "等待 $LaunchTimeout 秒后服务仍未响应。查看日志：docker compose -f `"$ComposeFile`" logs hub" `
            "The hub did not answer within $LaunchTimeout s. See its log: docker compose -f `"$ComposeFile`" logs hub"
    }
    Start-Sleep -Seconds 2
}
Write-Both '韬睿量化已就绪。' 'Taorui Quant is ready.'
Open-LoginPage
