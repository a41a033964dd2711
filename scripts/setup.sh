#!/usr/bin/env bash
# Makes a fresh Debian (bookworm) machine able to build and test everything in this repository:
#   - cargo-lambda (PyPI; brings zig, which pins glibc and cross-links)
#   - an aarch64 Rust standard library: rustup cannot download targets on our build machines, so we use
#     Debian's rustc-web/cargo-web with the multiarch libstd-rust-web-dev:arm64 and register it as the rustup
#     toolchain "rustacean-arm64" (RustFunction finds it by itself)
#   - qemu-user and an arm64 glibc, to run arm64 bootstraps in tests
#   - cfn-lint, to validate synthesized templates
#   - build tools for the official Node.js runtime client (aws-lambda-ric builds native code)
# Idempotent and quick when everything is already there. A developer on a laptop with rustup does not need it:
#   pip install cargo-lambda && rustup target add aarch64-unknown-linux-gnu
set -euo pipefail

CARGO_LAMBDA_VERSION="${CARGO_LAMBDA_VERSION:-1.9.2}"
CFN_LINT_VERSION="${CFN_LINT_VERSION:-1.58.0}"
ARM64_TOOLCHAIN="rustacean-arm64"

log() { printf '[setup] %s\n' "$*"; }
have() { command -v "$1" >/dev/null 2>&1; }
SUDO=""; if [ "$(id -u)" != 0 ] && have sudo; then SUDO="sudo"; fi

# --- Python tools ---------------------------------------------------------------------------------
pip_ensure() { # package version command
  # A tool already on PATH is kept at whatever version it is (a developer's own install wins); otherwise the
  # pinned version is installed.
  if have "$3"; then return 0; fi
  log "pip install $1==$2"
  python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore "$1==$2"
}
pip_ensure cargo-lambda "$CARGO_LAMBDA_VERSION" cargo-lambda
pip_ensure cfn-lint "$CFN_LINT_VERSION" cfn-lint
hash -r
have cargo-lambda || { log "cargo-lambda is not on PATH after pip install"; exit 1; }

# --- Debian packages --------------------------------------------------------------------------------
if have dpkg && have apt-get && [ "$(id -u)" != 0 ] && [ -z "$SUDO" ]; then
  log "not root and no sudo: skipping Debian packages (qemu-user, arm64 Rust std, build tools); install them yourself"
elif have dpkg && have apt-get; then
  need=()
  archs=$(dpkg --print-foreign-architectures)
  printf '%s\n' "$archs" | grep -qx arm64 || { log "dpkg --add-architecture arm64"; $SUDO dpkg --add-architecture arm64; need+=(update); }
  # autoconf, automake, libtool, cmake, make, g++: aws-lambda-ric (the official Node.js runtime client the local
  # host runs Node.js functions with) compiles curl and aws-lambda-cpp when it is installed.
  for p in qemu-user libc6-arm64-cross rustc-web cargo-web libstd-rust-web-dev:arm64 binutils \
           autoconf automake libtool cmake make g++; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || need+=("$p")
  done
  if [ "${#need[@]}" -gt 0 ]; then
    log "apt-get install ${need[*]}"
    $SUDO apt-get update -qq
    pkgs=(); for p in "${need[@]}"; do [ "$p" = update ] || pkgs+=("$p"); done
    [ "${#pkgs[@]}" -eq 0 ] || DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${pkgs[@]}" >/dev/null
  fi
fi

# --- Rust: an aarch64 standard library ------------------------------------------------------------
# Skip when the default toolchain already has the target (a laptop with `rustup target add`).
have_target() { # rustc-command...
  local sysroot; sysroot=$("$@" --print sysroot 2>/dev/null) || return 1
  [ -d "$sysroot/lib/rustlib/aarch64-unknown-linux-gnu/lib" ]
}
if have_target rustc; then
  log "default Rust toolchain already has aarch64-unknown-linux-gnu"
elif have rustup && [ -x /usr/bin/rustc ] && have_target /usr/bin/rustc; then
  toolchains=$(rustup toolchain list 2>/dev/null || true)
  if ! printf '%s\n' "$toolchains" | grep -q "^$ARM64_TOOLCHAIN"; then
    log "rustup toolchain link $ARM64_TOOLCHAIN /usr (Debian rustc-web + libstd-rust-web-dev:arm64)"
    rustup toolchain link "$ARM64_TOOLCHAIN" /usr
  fi
else
  log "warning: no Rust toolchain with aarch64-unknown-linux-gnu found; arm64 builds will fail"
fi

# --- checks -------------------------------------------------------------------------------------------
python3 -m ziglang version >/dev/null 2>&1 || have zig || { log "zig is missing (pip install ziglang)"; exit 1; }
have cfn-lint || { log "cfn-lint is not on PATH"; exit 1; }
have go || log "warning: go is missing: the local host's cross-check against the official emulator (RIE) needs it"
have javac || log "warning: javac is missing: the Java function of the cold-start sample stack needs a JDK"
log "ok: cargo-lambda $(cargo-lambda lambda --version 2>/dev/null | awk '{print $2}'), zig $(python3 -m ziglang version 2>/dev/null || zig version), $(cfn-lint --version)"
