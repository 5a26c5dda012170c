#!/usr/bin/env bash
# Installs the Debian packages Orderflow needs on a developer's machine or CI:
# the servers it talks to, Python's venv, the libraries its Python packages
# load, and the tools its tests call (pdftotext, openssl).
set -euo pipefail

packages=(
    postgresql
    rabbitmq-server
    libpango-1.0-0
    libpangoft2-1.0-0
    libharfbuzz-subset0
    fonts-dejavu-core
    poppler-utils
    openssl
    python3-venv
)

missing=()
for package in "${packages[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "ok installed"; then
        missing+=("$package")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

echo "Installing Debian packages: ${missing[*]}"
sudo_cmd=()
if [ "$(id -u)" -ne 0 ]; then
    sudo_cmd=(sudo)
fi
"${sudo_cmd[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
