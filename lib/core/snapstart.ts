/**
 * Lambda SnapStart facts shared by the families that use them (the web adapter's SnapStart hooks, the cold-start
 * benchmark's SnapStart rounds). Facts only: each family phrases its own checks.
 */
import * as lambda from 'aws-cdk-lib/aws-lambda';

/** The managed runtimes with SnapStart, as a phrase for error messages. */
export const SNAPSTART_RUNTIMES = 'Java 11 and later, Python 3.12 and later, .NET 8 and later';

/**
 * Whether Lambda SnapStart is available for a runtime: Java 11 and later, Python 3.12 and later, .NET 8 and later
 * (by name, so `new Runtime('python3.13', ...)` counts too).
 */
export function supportsSnapStart(runtime: lambda.Runtime): boolean {
  const name = runtime.name;
  const java = /^java(\d+)/.exec(name);
  if (java) return Number(java[1]) >= 11;
  const python = /^python3\.(\d+)$/.exec(name);
  if (python) return Number(python[1]) >= 12;
  const dotnet = /^dotnet(\d+)$/.exec(name);
  if (dotnet) return Number(dotnet[1]) >= 8;
  return false;
}
