@echo off
rem Taorui Quant launcher for Windows: double-click to run taorui-launcher.ps1 beside it.
rem The window stays open when the launcher reports an error.
chcp 65001 >nul
powershell.exe -NoProfile -ExecutionPolicy Bypass -File "%~dp0taorui-launcher.ps1" %*
if errorlevel 1 (
    echo.
    pause
)
