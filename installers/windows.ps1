# Build ilabdesk-<version>.msi for 64-bit Windows with Briefcase (WiX).
# UNTESTED in this project's CI (it needs Windows 10/11 x64 with Python 3.11+,
# and Visual Studio Build Tools with "Desktop development with C++" for the
# llama.cpp build); the configuration itself is checked on Linux by
# tests/installers/test_briefcase_config.py through Briefcase's own parser.
#
#     powershell -ExecutionPolicy Bypass -File installers\windows.ps1   # -> dist\ilabdesk-<version>.msi
#
# Environment (optional):
#   ILABDESK_WINDOWS_IDENTITY  SHA-1 thumbprint of a code-signing certificate in
#                              the certificate store; unset: the .msi is unsigned
#                              (SmartScreen warns on first run)
#   ILABDESK_LLAMA_CMAKE_ARGS  CMake flags for llama-cpp-python (default: CPU;
#                              e.g. -DGGML_VULKAN=on or -DGGML_CUDA=on for a GPU build)
$ErrorActionPreference = "Stop"
Set-Location (Join-Path $PSScriptRoot "..")

$venv = "build\packaging-venv"
if (-not (Test-Path "$venv\Scripts\briefcase.exe")) {
    py -3 -m venv $venv
    & "$venv\Scripts\python.exe" -m pip install --quiet -r installers\requirements.txt
}
& "$venv\Scripts\python.exe" installers\sync_briefcase.py --check
if ($LASTEXITCODE) { exit $LASTEXITCODE }

# Briefcase installs binary wheels only, and PyPI has no llama-cpp-python
# wheel for Windows: build one into build\wheels (briefcase.toml passes it to
# pip with --find-links).
New-Item -ItemType Directory -Force build\wheels | Out-Null
if (-not (Get-ChildItem build\wheels -Filter "llama_cpp_python-*.whl" -ErrorAction SilentlyContinue)) {
    $env:CMAKE_ARGS = $env:ILABDESK_LLAMA_CMAKE_ARGS
    & "$venv\Scripts\python.exe" -m pip wheel --no-deps --wheel-dir build\wheels "llama-cpp-python>=0.3.8"
    if ($LASTEXITCODE) { exit $LASTEXITCODE }
}

if (Test-Path build\ilabdesk\windows) { Remove-Item -Recurse -Force build\ilabdesk\windows }
& "$venv\Scripts\briefcase.exe" create windows app --no-input
if ($LASTEXITCODE) { exit $LASTEXITCODE }
& "$venv\Scripts\briefcase.exe" build windows app --no-input
if ($LASTEXITCODE) { exit $LASTEXITCODE }
if ($env:ILABDESK_WINDOWS_IDENTITY) {
    & "$venv\Scripts\briefcase.exe" package windows app --no-input --packaging-format msi --identity $env:ILABDESK_WINDOWS_IDENTITY
} else {
    & "$venv\Scripts\briefcase.exe" package windows app --no-input --packaging-format msi --adhoc-sign
}
if ($LASTEXITCODE) { exit $LASTEXITCODE }
Get-ChildItem dist
