#!/usr/bin/env bash
# Install the operating-system packages the console's tests drive: Debian's chromium and
# chromium-driver (the real-browser test) and postgresql (the database tests start a throwaway
# cluster from its binaries). Whatever is already present is skipped, so a second run does nothing.
set -euo pipefail

missing=()
[[ -x /usr/bin/chromium ]] || missing+=(chromium)
[[ -x /usr/bin/chromedriver ]] || missing+=(chromium-driver)
compgen -G '/usr/lib/postgresql/*/bin/initdb' >/dev/null || missing+=(postgresql)

if ((${#missing[@]} == 0)); then
    echo "os packages: chromium, chromium-driver and postgresql are present"
    exit 0
fi
if ! command -v apt-get >/dev/null; then
    echo "os packages: missing ${missing[*]} and apt-get is not available; install them" >&2
    exit 1
fi
sudo=()
if ((EUID != 0)); then
    sudo=(sudo --non-interactive)
fi
echo "os packages: installing ${missing[*]}"
"${sudo[@]}" apt-get update -qq
DEBIAN_FRONTEND=noninteractive "${sudo[@]}" apt-get install -y -qq --no-install-recommends "${missing[@]}"
