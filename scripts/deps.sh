#!/usr/bin/env bash
# Installs what onair needs on Debian, only what is missing, then the npm
# packages of web/ (and tests/ when asked). Safe to run again and again.
#
#   scripts/deps.sh run    what `make run` needs: build tools, libraries
#   scripts/deps.sh test   the above plus test tools (clang/libFuzzer, cmocka,
#                          promtool, wrk, chromium and a Korean font for the
#                          web app's browser tests and screenshots)
#   scripts/deps.sh bench  the run part plus what the benchmark report needs
#                          (gnuplot for `make bench-report`)
set -euo pipefail
cd "$(dirname "$0")/.."

mode=${1:-run}
pkgs=(gcc make cmake pkg-config libuv1-dev libhttp-parser-dev libjansson-dev libsodium-dev
      libsqlite3-dev libssl-dev libcurl4-openssl-dev)
if [ "$mode" = bench ]; then
  pkgs+=(gnuplot-nox)
fi
if [ "$mode" = test ]; then
  # chromium with Korean (nanum) and emoji fonts for the browser tests and screenshots
  pkgs+=(libcmocka-dev clang libclang-rt-dev prometheus wrk curl ffmpeg chromium fonts-nanum
    fonts-noto-color-emoji)
fi
# Node: any recent one already on the machine will do (it may come from
# elsewhere than Debian, with its own npm); otherwise Debian's.
command -v node >/dev/null 2>&1 || pkgs+=(nodejs)
command -v npm >/dev/null 2>&1 || pkgs+=(npm)

missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q '^install ok installed$' || missing+=("$p")
done

if [ ${#missing[@]} -gt 0 ]; then
  echo "deps: installing ${missing[*]}"
  SUDO=
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  export DEBIAN_FRONTEND=noninteractive
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# npm packages, reinstalled only when the lock file changed.
npm_install() {
  local dir=$1
  [ -f "$dir/package-lock.json" ] || return 0
  local stamp="$dir/node_modules/.onair-lock-stamp"
  if [ ! -f "$stamp" ] || ! cmp -s "$dir/package-lock.json" "$stamp"; then
    echo "deps: npm ci in $dir"
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    cp "$dir/package-lock.json" "$stamp"
  fi
}
[ "$mode" = bench ] || npm_install web # (the report needs no web app)
if [ "$mode" = test ]; then
  npm_install tests
fi
