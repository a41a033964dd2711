import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';

// Internal to the benchmark (not exported by the package): what a workload hands to ColdStartBenchmark.

/** What a workload created: the table the functions use, their environment variables, and the actions granted. */
export interface BoundWorkload {
  readonly table: dynamodb.Table;
  readonly environment: { [name: string]: string };
  readonly actions: string[];
  /** The measured functions the workload is for; all of them when undefined. */
  readonly functions?: lambda.IFunction[];
}

/** The environment variable a workload function reads the table's name from. */
export const TABLE_NAME_VARIABLE = 'TABLE_NAME';
