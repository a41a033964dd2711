import { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { BoundWorkload, TABLE_NAME_VARIABLE } from './bound';

/**
 * Options of `BenchmarkWorkload.dynamoDb()`.
 */
export interface DynamoDbWorkloadOptions {
  /**
   * What happens to the table when the stack is deleted or the table replaced. It only holds the items the
   * measured functions write during runs.
   *
   * @default RemovalPolicy.DESTROY
   */
  readonly removalPolicy?: RemovalPolicy;

  /**
   * The measured functions that get the table (each also in the benchmark's `functions`), when not all of them do:
   * e.g. a benchmark over hello functions and table functions side by side grants only the latter.
   *
   * @default - every measured function
   */
  readonly functions?: lambda.IFunction[];
}

/**
 * A real workload for the measured functions: resources the benchmark creates next to them, so that every cold
 * start measures a function that does what functions do (an SDK client created at init, a network round trip per
 * invocation), not an empty handler.
 *
 * @example
 * new ColdStartBenchmark(this, 'Benchmark', {
 *   functions: [rustFn, nodeFn],
 *   workload: BenchmarkWorkload.dynamoDb(),
 * });
 */
export abstract class BenchmarkWorkload {
  /**
   * A DynamoDB table (partition key `pk`, a string; on-demand capacity; point-in-time recovery on; encrypted with
   * an AWS-owned key; destroyed with the stack unless told otherwise). Each measured function (or each of
   * `options.functions`) that is a `lambda.Function` of the benchmark's stack gets the table's name as `TABLE_NAME` and may call exactly
   * `dynamodb:PutItem` and `dynamodb:GetItem` on it. The driver sends every invocation an `id` of its own, so a
   * function that puts an item under `id` and reads it back writes one item per invocation.
   */
  public static dynamoDb(options: DynamoDbWorkloadOptions = {}): BenchmarkWorkload {
    return new DynamoDbWorkload(options);
  }

  /**
   * Creates the workload's resources in `scope`.
   * @internal
   */
  public abstract _bind(scope: Construct): BoundWorkload;
}

class DynamoDbWorkload extends BenchmarkWorkload {
  constructor(private readonly options: DynamoDbWorkloadOptions) {
    super();
  }

  public _bind(scope: Construct): BoundWorkload {
    const table = new dynamodb.Table(scope, 'WorkloadTable', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      encryption: dynamodb.TableEncryption.DEFAULT,
      // cdk-nag AwsSolutions-DDB3; costs next to nothing for a table of a few small items.
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: this.options.removalPolicy ?? RemovalPolicy.DESTROY,
    });
    return {
      table,
      environment: { [TABLE_NAME_VARIABLE]: table.tableName },
      actions: ['dynamodb:PutItem', 'dynamodb:GetItem'],
      functions: this.options.functions,
    };
  }
}
