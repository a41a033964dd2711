/**
 * The local Lambda host as a Node.js API: what the `rustacean-lambda` command line does (read a synthesized
 * cdk.out, run its functions against a local Runtime and Extensions API, measure cold starts), for scripts that
 * want the results as data. It ships in the package as `rustacean-lambda-cdk/dist/local`; it is not part of the
 * jsii API (lib/index.ts), so the Python, Java and Go packages do not carry it.
 *
 * This is what other families and the repository's benchmarks (bench/) may import from lib/local.
 */
export { readAssembly, findFunction } from './assembly';
export type { AssemblyFunction, AssemblyInfo, FunctionCode, LocalLayer } from './assembly';
export { LocalLambda } from './host';
export type { LocalLambdaOptions, InvocationOutcome } from './host';
export { startFunction } from './process';
export type { LocalFunction, RunBootstrapOptions } from './process';
export type { RuntimeApiServer } from './runtime-api';
export { benchAssembly, coldStartTotals, describeMachine, FORMULAS, percentiles, renderMarkdown, renderSvg, round2, round3, writeResults } from './bench';
export type { BenchOptions, BenchReference, BenchResults, BenchRow, BenchTarget, Percentiles, SvgOptions, WrittenResults } from './bench';
export { costPerMillion, LAMBDA_PRICES, parseReport, percentile } from './measure';
export { BOTO3_VERSION, NODE_SDK_VERSION } from './clients';
export { SAMPLE_EVENTS, sampleEvent } from './events';
export { findJdk, listJdks } from './clients';
export type { JavaInstallation, JdkSearch } from './clients';
export type { SampleEventName } from './events';
