import { awscdk, github, javascript } from 'projen';
import { JestReporter, UpdateSnapshot } from 'projen/lib/javascript';

const project = new awscdk.AwsCdkConstructLibrary({
  name: 'rustacean-lambda-cdk',
  description:
    'CDK constructs for fast, cheap AWS Lambda functions: Rust built with cargo-lambda (arm64 and x86_64), ' +
    'JavaScript on LLRT, any web app behind the Lambda Web Adapter, and a cold-start benchmark that proves it.',
  author: 'Rustacean Lambda developers',
  authorAddress: 'dev@rustacean-lambda.dev',
  repositoryUrl: 'https://github.com/rustacean-lambda/rustacean-lambda-cdk.git',
  homepage: 'https://github.com/rustacean-lambda/rustacean-lambda-cdk#readme',
  // Construct Hub lists a package when its keywords include 'awscdk' (projen adds 'cdk' and 'awscdk' itself).
  keywords: [
    'awscdk', 'aws-cdk', 'aws-lambda', 'lambda', 'rust', 'cargo-lambda', 'arm64', 'graviton', 'cold-start', 'llrt',
    'web-adapter', 'serverless',
  ],
  license: 'Apache-2.0',
  stability: 'experimental',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  projenrcTs: true,

  // cargo-lambda-cdk (our benchmark anchor) needs aws-cdk-lib >= 2.231.0 and the Python alpha module is versioned with aws-cdk-lib, so 2.233.0 is our floor.
  cdkVersion: '2.233.0',
  constructsVersion: '10.4.2',
  jsiiVersion: '~6.0.0',

  // The bindings Construct Hub shows next to TypeScript, built by `npx projen package-all` into dist/<language>.
  // .NET is left out: no .NET SDK here and NuGet is unreachable, so it could be neither built nor tested.
  publishToPypi: {
    distName: 'rustacean-lambda-cdk',
    module: 'rustacean_lambda_cdk',
  },
  publishToMaven: {
    javaPackage: 'dev.rustacean.lambda.cdk',
    mavenGroupId: 'dev.rustacean',
    mavenArtifactId: 'rustacean-lambda-cdk',
  },
  publishToGo: {
    moduleName: 'github.com/rustacean-lambda/rustacean-lambda-cdk-go',
    packageName: 'rustaceanlambdacdk',
  },

  // Sources live in lib/ (one folder per construct family), compiled output goes to dist/.
  srcdir: 'lib',
  libdir: 'dist',
  testdir: 'test',
  entrypoint: 'dist/index.js',

  devDeps: [
    'aws-cdk@^2.1100.0', // the CLI, for `cdk synth` of the sample app
    'cargo-lambda-cdk@0.0.36', // the anchor we benchmark against
    '@aws-cdk/aws-lambda-python-alpha@2.233.0-alpha.0', // used by the Web Adapter family (Python apps)
    'esbuild@^0.28.2', // LlrtFunction bundles with the user's esbuild, like aws-lambda-nodejs
    '@aws-sdk/client-dynamodb@^3', // bundled into the NO_SDK variant of the LLRT DynamoDB sample
    'zod@^4.1.0', // a large pure-JS library for the LLRT bytecode benchmark (bench/llrt.ts)
    // Integration tests (test/integ.*.ts): the registry has no 2.233.0 build of the alpha module; 2.214.0-alpha.0 is
    // the newest whose peer range (aws-cdk-lib ^2.214.0) takes our 2.233.0. integ-runner is versioned on its own.
    '@aws-cdk/integ-tests-alpha@2.214.0-alpha.0',
    '@aws-cdk/integ-runner@2.197.10',
    // cdk-nag 2.38 wants constructs ^10.5.1; 2.37.55 is the newest that takes our constructs 10.4.2.
    'cdk-nag@2.37.55',
  ],

  jestOptions: {
    // Snapshots are regression checks: `npm test` never rewrites them; the deliberate `npx projen test:update` does.
    updateSnapshot: UpdateSnapshot.NEVER,
    jestConfig: {
      testTimeout: 60_000,
      testPathIgnorePatterns: ['/node_modules/', '/cdk.out/', '/target/'],
      snapshotSerializers: ['<rootDir>/test/support/asset-hash-serializer.ts'],
      // cargo-lambda, cfn-lint and zig at the pinned versions (scripts/tool-versions.env), whatever PATH has.
      setupFiles: ['<rootDir>/test/support/pinned-tools.ts'],
    },
  },
  tsconfigDev: {
    include: ['../samples/**/*.ts', '../bench/**/*.ts'],
    compilerOptions: {},
  },
  eslintOptions: {
    dirs: ['lib'],
    devdirs: ['test', 'samples', 'bench', 'projenrc', '.projenrc.ts'],
  },
  // Pull requests are built by our own workflow (below), which runs exactly what CI runs: .ci/run.
  buildWorkflow: false,
  gitignore: ['cdk.out/', 'target/', '.rustacean-lambda/', '*.tsbuildinfo', '/bench-results/', '/.sccache/'],
});
// integ-runner's work folders, and the assets it leaves in a snapshot (built code, not committed). Added here, after
// the project un-ignores /test/ (which drops any /test/ pattern given before).
project.gitignore.addPatterns('/test/cdk-integ.out.*', '/test/integ.*.ts.snapshot/asset.*');

// jsii warnings are errors: a name that is reserved in a target language (projen silences those by default) would
// make an awkward binding, so we rename instead of silencing.
project.compileTask.reset('jsii --fail-on-warnings');
project.watchTask.reset('jsii -w --fail-on-warnings');

// Every example in the docs (README and @example) compiles, in the context of rosetta/*.ts-fixture, and is
// translated to Python, Java and Go: the language packages carry the translations, as Construct Hub shows them.
const rosetta = project.addTask('rosetta:extract', {
  description: 'Compile every example of the README and the API docs and translate them (fails on an example that does not compile)',
  exec: 'jsii-rosetta extract --compile --strict',
});
project.postCompileTask.prependSpawn(rosetta);
project.gitignore.addPatterns('.jsii.tabl.json');
project.addPackageIgnore('.jsii.tabl.json');
project.addPackageIgnore('/rosetta/');

// The shape of lib/ (CONTRIBUTING.md, "What may import what"): one room per construct family, plus lib/core.
// A family imports the core and other families' public constructs through their index.ts, never their inner
// files; the core imports no family. The benchmarks (bench/) use the package as its users do: its public API
// (lib/index.ts, and the local host's lib/local/index.ts), plus the repository's shared test/support.
const FAMILIES = ['rust', 'llrt', 'web-adapter', 'benchmark', 'local'];
project.eslint?.addRules({
  'import/no-restricted-paths': ['error', {
    zones: [
      ...FAMILIES.map(family => ({
        target: `./lib/${family}`,
        from: './lib',
        except: [`./${family}`, './core', ...FAMILIES.filter(other => other !== family).map(other => `./${other}/index.ts`)],
        message: `lib/${family} may use lib/core and other families only through their index.ts (see CONTRIBUTING.md)`,
      })),
      {
        target: './lib/core',
        from: './lib',
        except: ['./core'],
        message: 'lib/core imports no construct family (see CONTRIBUTING.md)',
      },
      {
        target: './bench',
        from: './lib',
        except: ['./index.ts', './local/index.ts'],
        message: 'bench/ uses the package\'s public API (lib/index.ts, lib/local/index.ts) and test/support, not lib internals (see CONTRIBUTING.md)',
      },
    ],
  }],
});

// The cold-start benchmark's driver (benchmark-driver/, a Cargo workspace) ships: ColdStartBenchmark builds it on the
// user's machine. The sample handlers ship too, so users can read them. Build output, local tools and caches,
// benchmark results, samples and tooling do not (CONTRIBUTING.md, "The repository").
for (const pattern of ['/.rustacean-lambda/', '/bench-results/', '/rust-handlers/target/', '/benchmark-driver/target/', '/samples/', '/bench/', '/scripts/', '/.ci/', 'cdk.out/']) {
  project.addPackageIgnore(pattern);
}
// The compiled library (libdir) and the language packages (jsii's outdir) share dist/: keep the packages of one
// language out of the npm tarball that jsii-pacmak embeds in the next one (else every binding carries all the others).
for (const language of ['js', 'python', 'java', 'go', 'dotnet']) {
  project.addPackageIgnore(`/dist/${language}/`);
}

// The Web Adapter family uses @aws-cdk/aws-lambda-python-alpha for Docker bundling of Python apps, loaded lazily
// and only then (with an error naming the package when it is missing). It is deliberately not a peer dependency:
// jsii would make every Python, Java and Go user install the alpha module, and its Go module is not on the Go proxy
// we build with, so the Go binding could not be built.

// One plain closing line ("jest: N passed, N failed, N skipped") for CI.
project.jest?.addReporter(new JestReporter('<rootDir>/test/support/summary-reporter.js'));

const setup = project.addTask('setup', {
  description: 'Install the native tools the builds and tests need (cargo-lambda, zig, arm64 Rust std, qemu-user, cfn-lint); idempotent',
  exec: 'bash scripts/setup.sh',
});
// The tests build real Rust for both architectures: make sure the tools are there first (quick when they are).
// Then, with cargo, the sample handlers' own unit tests and the whole cold-start workspace: the REPORT parser and
// the driver ColdStartBenchmark deploys (its tests run against a fake Lambda API; the first build compiles the AWS
// SDK, into benchmark-driver/target, which jest's real arm64 build of the driver then shares).
project.testTask.prependExec('cargo test --quiet --manifest-path benchmark-driver/Cargo.toml --workspace');
project.testTask.prependExec('cargo test --quiet --manifest-path rust-handlers/dynamodb/Cargo.toml');
project.testTask.prependExec('cargo test --quiet --manifest-path rust-handlers/Cargo.toml');
project.testTask.prependSpawn(setup);

/**
 * Tasks that build or lint run with the pinned cargo-lambda, cfn-lint and zig (scripts/tool-versions.env, installed
 * by setup into .rustacean-lambda/tools/bin) first on PATH, whatever versions the machine has.
 */
const PINNED_TOOLS_PATH = '$(echo "$PWD/.rustacean-lambda/tools/bin:$PATH")';
project.testTask.env('PATH', PINNED_TOOLS_PATH);

// The main job of the README: build the sample handlers and synthesize the sample app.
const samples = project.addTask('samples', {
  description: 'Build the sample handlers and synthesize the sample CDK app into samples/cdk.out',
});
samples.spawn(setup);
samples.env('PATH', PINNED_TOOLS_PATH);
// Unless a release binary is given (LLRT_BINARY_PATH), the LLRT samples run on LLRT built from crates.io; the build
// is kept in .rustacean-lambda/cache, shared with the tests and the benchmarks, so CI builds it once.
samples.env('RUSTACEAN_LAMBDA_CACHE', '$(echo $PWD/.rustacean-lambda/cache)');
samples.exec('cdk synth --quiet', { cwd: 'samples' });
samples.exec('ls -l cdk.out/*.template.json', { cwd: 'samples' });
// ... then a short local cold-start benchmark: the package's `bench` over the comparison app of bench/coldstart/
// (the full one: npm run bench:coldstart).
samples.exec('ts-node --project test/tsconfig.json bench/coldstart.ts --quick');

// The local Lambda host: `npx rustacean-lambda list | invoke | bench` against a synthesized cdk.out.
project.addBins({ 'rustacean-lambda': 'bin/rustacean-lambda' });
project.addTask('bench:coldstart', {
  env: { PATH: PINNED_TOOLS_PATH },
  description: 'Local cold-start benchmark of the sample functions: bench-results/coldstart.{md,json,svg} (--quick, --docs)',
  exec: 'ts-node --project test/tsconfig.json bench/coldstart.ts',
  receiveArgs: true,
});

// Integration tests that double as deployable examples: test/integ.*.ts (@aws-cdk/integ-tests-alpha), each a CDK
// app with a stack and assertions that invoke its functions. Their templates are snapshots in
// test/integ.*.ts.snapshot/ (committed, without the built assets), checked like jest snapshots.
const INTEG_RUNNER = 'integ-runner --directory test --language typescript';
const integEnv = {
  PATH: PINNED_TOOLS_PATH,
  // The LLRT example runs on the samples' LLRT (built from crates.io unless LLRT_BINARY_PATH is set), in the cache
  // the tests fill, so CI builds it once.
  RUSTACEAN_LAMBDA_CACHE: '$(echo $PWD/.rustacean-lambda/cache)',
  // integ-runner runs each app with ts-node, several times per test: type checking lib/ on every run tripled the
  // check's time (2 min against 40 s); the type check of test/ is tsc's job (tsconfig.dev.json).
  TS_NODE_TRANSPILE_ONLY: 'true',
};
/** integ-runner keeps the assertion provider's bundled handler in the snapshot: not ours, 2 MB each, not committed. */
const DROP_SNAPSHOT_ASSETS = 'rm -rf test/integ.*.ts.snapshot/asset.*';
const integSnapshot = project.addTask('integ:snapshot', {
  description: 'Check the integ tests against their committed snapshots: synthesize (real builds), compare templates, ' +
    'asset hashes aside; no AWS, writes nothing; a difference fails (update: integ:snapshot:update)',
  env: integEnv,
  exec: INTEG_RUNNER,
  receiveArgs: true,
});
project.addTask('integ:snapshot:update', {
  description: 'Deliberately rewrite the integ snapshots from a fresh synth, without deploying (review the diff)',
  env: integEnv,
  steps: [
    { exec: `${INTEG_RUNNER} --update-on-failed --dry-run --force`, receiveArgs: true },
    { exec: DROP_SNAPSHOT_ASSETS, shell: 'system' }, // a glob: projen's own shell does not expand it
  ],
});
project.addTask('integ:deploy', {
  description: 'Deploy each integ stack to AWS, run its assertions (invoke, check the answer), destroy it, then update ' +
    'its snapshot; needs credentials and a bootstrapped account (e.g. -- --parallel-regions eu-west-1)',
  env: integEnv,
  steps: [
    { exec: `${INTEG_RUNNER} --update-on-failed --force`, receiveArgs: true },
    { exec: DROP_SNAPSHOT_ASSETS, shell: 'system' }, // a glob: projen's own shell does not expand it
  ],
});
// After jest, which has built the same Rust handlers and LLRT into the shared caches, so this only synthesizes.
project.testTask.spawn(integSnapshot);

project.addTask('test:driver', {
  description: 'Only the unit tests of the cold-start driver against a fake Lambda API (also part of `npm test`)',
  exec: 'cargo test --quiet --manifest-path benchmark-driver/Cargo.toml -p coldstart-driver',
});

project.addTask('bench:web-adapter', {
  env: { PATH: PINNED_TOOLS_PATH },
  description: 'Benchmark: per-request overhead of the Web Adapter vs the same Flask app directly and behind a WSGI adapter',
  exec: 'ts-node --project test/tsconfig.json bench/web-adapter.ts',
  receiveArgs: true,
});

project.addTask('bench:llrt', {
  env: { PATH: PINNED_TOOLS_PATH },
  description: 'Benchmark: LLRT from source (size per preset, build and synth time, Init vs Node.js), bundle sizes, synth with a release cache',
  exec: 'ts-node --project test/tsconfig.json bench/llrt.ts',
  receiveArgs: true,
});

project.addTask('bench', {
  env: { PATH: PINNED_TOOLS_PATH },
  description: 'Benchmark: bootstrap sizes and synth times against cargo-lambda-cdk and the CDK floor, printed as a table (--synth-only)',
  exec: 'ts-node --project test/tsconfig.json bench/rust.ts',
  receiveArgs: true,
});

project.addTask('bench:cache', {
  env: { PATH: PINNED_TOOLS_PATH },
  description: 'Benchmark: clean build of the cold-start driver (the AWS SDK) with no cache, a cold and a warm shared sccache cache (Redis on 127.0.0.1), as ratios',
  exec: 'ts-node --project test/tsconfig.json bench/cache.ts',
  receiveArgs: true,
});

// The pull request build: the same `.ci/run` as our CI (setup.sh, then the README's test command), on GitHub's
// standard Ubuntu runner, where setup.sh takes the arm64 Rust target from rustup and installs no Debian-only package.
const build = new github.GithubWorkflow(project.github!, 'build');
build.on({ pullRequest: {}, workflowDispatch: {} });
build.addJob('build', {
  runsOn: ['ubuntu-latest'],
  permissions: { contents: github.workflows.JobPermission.READ },
  env: { CI: 'true' },
  steps: [
    { name: 'Checkout', uses: 'actions/checkout@v4' },
    { name: 'Setup Node.js', uses: 'actions/setup-node@v4', with: { 'node-version': '20' } },
    { name: 'Setup Python', uses: 'actions/setup-python@v5', with: { 'python-version': '3.12' } },
    { name: 'Setup Go', uses: 'actions/setup-go@v5', with: { 'go-version': 'stable' } },
    // Temurin 25 for the local host's java21/java25 functions (found through JAVA_HOME_25_X64), 17 as the default.
    { name: 'Setup Java', uses: 'actions/setup-java@v4', with: { 'distribution': 'temurin', 'java-version': '25\n17' } },
    // The build cache's local folder, kept between runs: restored from the newest run's, saved under this run's id.
    {
      name: 'Restore the build cache',
      uses: 'actions/cache@v4',
      with: { 'path': '.sccache', 'key': 'sccache-${{ runner.os }}-${{ github.run_id }}', 'restore-keys': 'sccache-${{ runner.os }}-' },
    },
    {
      name: 'Install, then the README\'s test command',
      run: 'bash .ci/run',
      env: { RUSTACEAN_LAMBDA_BUILD_CACHE: 'local:${{ github.workspace }}/.sccache' },
    },
  ],
});

// jsii-pacmak runs `go build` on the generated module inside this git checkout: no VCS stamping, which fails in
// a checkout owned by another user (containers, CI) and adds nothing to a module that is published as source.
project.tasks.tryFind('package:go')?.env('GOFLAGS', '-buildvcs=false');

project.synth();
