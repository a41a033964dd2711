/**
 * Facts about Lambda runtimes and the adapter that decide how the adapter is wired into a function: which runtimes
 * start the app through the exec wrapper, which adapter release has the SnapStart hooks. Facts
 * only: the checks that use them are in settings.ts.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The wrapper Lambda runs instead of a managed runtime (`AWS_LAMBDA_EXEC_WRAPPER`): it starts the handler script. */
export const EXEC_WRAPPER = '/opt/bootstrap';

/** The start script (the handler) of a web app on a managed runtime, unless told otherwise. */
export const DEFAULT_START_SCRIPT = 'run.sh';

/** What Lambda runs on an OS-only runtime: the app itself. */
export const OS_ONLY_BOOTSTRAP = 'bootstrap';

/** The first adapter release with the SnapStart hooks. */
export const SNAPSTART_HOOKS_RELEASE = '1.1.0';

/** True for the OS-only runtimes (the `provided` family, e.g. `provided.al2023`), where `bootstrap` is the app. */
export function isOsOnlyRuntime(runtime: lambda.Runtime): boolean {
  return runtime.name.startsWith('provided');
}

/** True for container image functions, which take no layers. */
export function isImageRuntime(runtime: lambda.Runtime): boolean {
  return runtime.name === lambda.Runtime.FROM_IMAGE.name;
}

/** A handler that names a script (`run.sh`, `bin/start`) rather than a `module.function` of a runtime. */
export function looksLikeScript(handler: string): boolean {
  return handler.endsWith('.sh') || !handler.includes('.') || handler.includes('/');
}
