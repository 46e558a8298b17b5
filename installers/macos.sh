#!/usr/bin/env bash
# Build ilabdesk-<version>.dmg for Apple silicon Macs with Briefcase.
# UNTESTED in this project's CI (it needs macOS 14+ on arm64 with the Xcode
# command line tools); the configuration itself is checked on Linux by
# tests/installers/test_briefcase_config.py through Briefcase's own parser.
#
#     installers/macos.sh                 # -> dist/ilabdesk-<version>.dmg
#
# Environment (all optional; without them the app is ad-hoc signed, which runs
# on the building Mac and elsewhere only after right-click > Open):
#   ILABDESK_MACOS_IDENTITY  codesign identity in the login keychain, e.g.
#                            "Developer ID Application: Jane Doe (ABCDE12345)"
#                            (or its 40-hex SHA-1 fingerprint)
#   ILABDESK_NOTARY_APPLE_ID, ILABDESK_NOTARY_TEAM_ID, ILABDESK_NOTARY_PASSWORD
#                            an Apple ID, its team and an app-specific password:
#                            stored once in the keychain as the notarytool profile
#                            Briefcase uses (briefcase-macOS-<TEAM_ID>), then the
#                            .dmg is notarized and stapled. Without them a signed
#                            build is notarized only if that profile already exists.
#   ILABDESK_LLAMA_CMAKE_ARGS  CMake flags for llama-cpp-python
#                            (default -DGGML_METAL=on: Apple GPU inference)
set -euo pipefail
cd "$(dirname "$0")/.."

[ "$(uname -s)" = Darwin ] || { echo "installers/macos.sh runs on macOS only" >&2; exit 2; }
[ "$(uname -m)" = arm64 ] || { echo "ilabdesk's macOS build is Apple silicon only (mlx)" >&2; exit 2; }

VENV=build/packaging-venv
if [ ! -x "$VENV/bin/briefcase" ]; then
    python3 -m venv "$VENV"
    "$VENV/bin/pip" install --quiet -r installers/requirements.txt
fi
"$VENV/bin/python" installers/sync_briefcase.py --check

# Briefcase installs binary wheels only on macOS, and PyPI has no
# llama-cpp-python wheel: build one with Metal into build/wheels, which
# briefcase.toml's requirement_installer_args hands to pip (--find-links).
# The Python building it must be the version Briefcase bundles (3.x of $VENV).
mkdir -p build/wheels
if ! ls build/wheels/llama_cpp_python-*.whl >/dev/null 2>&1; then
    CMAKE_ARGS="${ILABDESK_LLAMA_CMAKE_ARGS:--DGGML_METAL=on}" MACOSX_DEPLOYMENT_TARGET=14.0 \
        "$VENV/bin/pip" wheel --no-deps --wheel-dir build/wheels "llama-cpp-python>=0.3.8"
fi

rm -rf build/ilabdesk/macos
"$VENV/bin/briefcase" create macOS app --no-input
"$VENV/bin/briefcase" build macOS app --no-input

if [ -n "${ILABDESK_MACOS_IDENTITY:-}" ]; then
    if [ -n "${ILABDESK_NOTARY_APPLE_ID:-}" ]; then
        xcrun notarytool store-credentials "briefcase-macOS-${ILABDESK_NOTARY_TEAM_ID:?set ILABDESK_NOTARY_TEAM_ID}" \
            --apple-id "$ILABDESK_NOTARY_APPLE_ID" --team-id "$ILABDESK_NOTARY_TEAM_ID" \
            --password "${ILABDESK_NOTARY_PASSWORD:?set ILABDESK_NOTARY_PASSWORD}"
    fi
    "$VENV/bin/briefcase" package macOS app --no-input --packaging-format dmg \
        --identity "$ILABDESK_MACOS_IDENTITY"
else
    "$VENV/bin/briefcase" package macOS app --no-input --packaging-format dmg --adhoc-sign
fi
ls -l dist/
