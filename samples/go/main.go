// The Go binding of rustacean-lambda-cdk in a CDK app: a RustFunction (the `hello` binary of ../../rust-handlers,
// built for arm64 with cargo-lambda) and an LlrtFunction (../../llrt-handlers/hello.ts on LLRT, arm64).
//
// go.mod points the module at this repository's build of it (dist/go, `npx projen package:go`); an app of yours
// requires github.com/rustacean-lambda/rustacean-lambda-cdk-go/rustaceanlambdacdk instead. Run `cdk synth` here
// (or `go run .` with CDK_OUTDIR set); test/go/app.test.ts builds and runs it and asserts the template.
//
// The LLRT runtime is $LLRT_BINARY_PATH when set (a release zip or bootstrap for arm64), else LLRT built from its
// source on crates.io, as in the other samples.
package main

import (
	"os"
	"path/filepath"
	"runtime"

	"github.com/aws/aws-cdk-go/awscdk/v2"
	"github.com/aws/constructs-go/constructs/v10"
	"github.com/aws/jsii-runtime-go"
	rl "github.com/rustacean-lambda/rustacean-lambda-cdk-go/rustaceanlambdacdk"
)

// repoRoot is two folders up from this file.
func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..")
}

func llrtBinary() rl.LlrtBinary {
	if file := os.Getenv("LLRT_BINARY_PATH"); file != "" {
		return rl.LlrtBinary_FromFile(jsii.String(file), nil)
	}
	return rl.LlrtBinary_FromSource(nil)
}

func newSampleStack(scope constructs.Construct, id string) awscdk.Stack {
	stack := awscdk.NewStack(scope, jsii.String(id), nil)
	repo := repoRoot()

	hello := rl.NewRustFunction(stack, jsii.String("Hello"), &rl.RustFunctionProps{
		ManifestPath: jsii.String(filepath.Join(repo, "rust-handlers")),
		BinaryName:   jsii.String("hello"),
	})
	llrt := rl.NewLlrtFunction(stack, jsii.String("Llrt"), &rl.LlrtFunctionProps{
		Entry:      jsii.String(filepath.Join(repo, "llrt-handlers", "hello.ts")),
		LlrtBinary: llrtBinary(),
	})

	awscdk.NewCfnOutput(stack, jsii.String("HelloName"), &awscdk.CfnOutputProps{Value: hello.FunctionName()})
	awscdk.NewCfnOutput(stack, jsii.String("LlrtName"), &awscdk.CfnOutputProps{Value: llrt.FunctionName()})
	return stack
}

func main() {
	defer jsii.Close()
	app := awscdk.NewApp(nil)
	newSampleStack(app, "RustaceanLambdaGo")
	app.Synth(nil)
}
