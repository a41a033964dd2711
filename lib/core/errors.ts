import { Annotations, Errors, ValidationError } from 'aws-cdk-lib';
import { IConstruct } from 'constructs';

/**
 * Errors and warnings that name the construct they are about.
 *
 * Every bad-input error a construct of this library raises at synth is aws-cdk-lib's `ValidationError`
 * (`Errors.isValidationError(e)` is true), whose `constructPath` is the path of the construct whose props were wrong:
 * the CDK CLI prints it beside the message, and a test can assert it. The helpers below the constructs (cargo,
 * esbuild, the adapter build, ...) know no construct; they throw plain `Error`s, and the construct turns them into a
 * `ValidationError` at its boundary with {@link validating}. The message is kept as it was, the original error is
 * the `cause`.
 *
 * Warnings go through {@link warn}: one kebab-case id per kind of warning, so a user can acknowledge exactly that
 * one (`Annotations.of(scope).acknowledgeWarning('rustacean-lambda:<id>')`). The README's troubleshooting table
 * lists every id (test/repo/readme.test.ts keeps that list true).
 */

/** The prefix of every warning id this library emits. */
export const WARNING_PREFIX = 'rustacean-lambda:';

/**
 * A `ValidationError` about the construct at `scope`, or, while that construct is being created and does not exist
 * yet (its props are checked before `super()`), about the child `id` of `scope`.
 */
export function validationError(message: string, scope: IConstruct, id?: string, cause?: unknown): ValidationError {
  const error = new ValidationError(message, scope);
  if (id !== undefined) {
    // The construct is not in the tree yet, so aws-cdk-lib would report its parent: name the construct itself.
    const parent = scope.node.path;
    Object.defineProperty(error, 'constructPath', { value: parent ? `${parent}/${id}` : id, enumerable: false });
  }
  if (cause !== undefined) Object.defineProperty(error, 'cause', { value: cause, enumerable: false, writable: true });
  return error;
}

/**
 * Runs `fn`; a plain `Error` it throws becomes a {@link validationError} of the construct (`scope`, or the child `id`
 * of `scope` while it is being created), with the same message. Errors that already carry a construct are rethrown
 * as they are.
 */
export function validating<T>(scope: IConstruct, id: string | undefined, fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof Error && !Errors.isConstructError(e)) throw validationError(e.message, scope, id, e);
    throw e;
  }
}

/**
 * Adds warning `id` (kebab-case, without the `rustacean-lambda:` prefix) to `scope`. Write the id out literally at
 * the call site: the README test finds the ids this library emits by reading the sources for warn calls.
 */
export function warn(scope: IConstruct, id: string, message: string): void {
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) throw new Error(`warning id '${id}' is not kebab-case (internal error)`);
  Annotations.of(scope).addWarningV2(`${WARNING_PREFIX}${id}`, message);
}
