#!/usr/bin/env python3
"""The Python binding of rustacean-lambda-cdk in a CDK app: one function of each family.

    Hello    RustFunction: the `hello` binary of ../../rust-handlers, built for arm64 with cargo-lambda
    Llrt     LlrtFunction: ../../llrt-handlers/hello.ts bundled by esbuild, on LLRT (arm64)
    Web      WebAdapterFunction: a small Python web server (web/server.py) behind the Lambda Web Adapter

Run it with the packages of requirements.txt installed (see README.md): `cdk synth`, or `python3 app.py` with
CDK_OUTDIR set. test/python/app.test.ts does that in a project-local virtualenv with the wheel built from this
repository and asserts the template.

The LLRT runtime is $LLRT_BINARY_PATH when set (a release zip or bootstrap for arm64, standard SDK), else LLRT
built from its source on crates.io (no SDK), as in the TypeScript samples.
"""
import os

import aws_cdk as cdk
from aws_cdk import aws_lambda as lambda_
from rustacean_lambda_cdk import (
    LlrtBinary,
    LlrtFunction,
    RustFunction,
    StatusCodes,
    WebAdapterFunction,
)

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))


def llrt_binary() -> LlrtBinary:
    file = os.environ.get("LLRT_BINARY_PATH")
    return LlrtBinary.from_file(file) if file else LlrtBinary.from_source()


class PythonSampleStack(cdk.Stack):
    def __init__(self, scope: cdk.App, construct_id: str, **kwargs) -> None:
        super().__init__(scope, construct_id, **kwargs)

        hello = RustFunction(
            self,
            "Hello",
            manifest_path=os.path.join(REPO, "rust-handlers"),
            binary_name="hello",
        )

        llrt = LlrtFunction(
            self,
            "Llrt",
            entry=os.path.join(REPO, "llrt-handlers", "hello.ts"),
            llrt_binary=llrt_binary(),
        )

        web = WebAdapterFunction(
            self,
            "Web",
            app_path=os.path.join(HERE, "web"),
            runtime=lambda_.Runtime.PYTHON_3_12,
            start_command="python3 server.py",
            readiness_check_path="/health",
            readiness_check_healthy_status=StatusCodes.between(200, 299),
        )
        url = web.add_function_url(auth_type=lambda_.FunctionUrlAuthType.AWS_IAM)

        cdk.CfnOutput(self, "HelloName", value=hello.function_name)
        cdk.CfnOutput(self, "LlrtName", value=llrt.function_name)
        cdk.CfnOutput(self, "WebUrl", value=url.url)


app = cdk.App()
PythonSampleStack(app, "RustaceanLambdaPython")
app.synth()
