//! The measuring loop, written against [`Platform`] so it runs against a fake in unit tests.
//!
//! For each function and each round: wait until no update is in progress, set `COLDSTART_BENCHMARK_RUN` to a
//! new value (all other variables kept), wait until the update is `Successful`, invoke with `LogType: Tail` and
//! read the REPORT record from the returned log tail. A changed configuration makes Lambda retire the warm
//! execution environments, so the invocation after it is a cold start. When every round is done the variable
//! is removed again.

use crate::plan::{format_utc, Plan};
use base64::Engine;
use coldstart_report::{
    find_report, Architecture, BenchmarkSummary, FunctionInfo, FunctionSummary, Pricing, Sample,
};
use futures_util::stream::{self, StreamExt};
use std::collections::BTreeMap;
use std::time::Duration;

/// The environment variable changed to force a cold start.
pub const MARKER: &str = "COLDSTART_BENCHMARK_RUN";

/// No new round starts when less than this is left before the driver's own timeout.
const ROUND_RESERVE_MS: u64 = 30_000;
/// Waiting for an update stops this long before the timeout, leaving time to store the summary.
const FINISH_RESERVE_MS: u64 = 10_000;
/// How often an update that collides with another one (`ResourceConflictException`) is tried.
const UPDATE_ATTEMPTS: u32 = 3;

/// The parts of `GetFunctionConfiguration` the benchmark reads.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FunctionConfig {
    pub name: String,
    pub runtime: Option<String>,
    pub architecture: Option<String>,
    pub memory_size_mb: Option<u64>,
    pub environment: BTreeMap<String, String>,
    /// `Pending`, `Active`, `Inactive` or `Failed`.
    pub state: Option<String>,
    pub state_reason: Option<String>,
    /// `InProgress`, `Successful` or `Failed`.
    pub last_update_status: Option<String>,
    pub last_update_status_reason: Option<String>,
}

/// The result of a synchronous invocation.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Invocation {
    /// Base64 of the last 4 KB of the invocation's log (present with `LogType: Tail`).
    pub log_result: Option<String>,
    /// `Unhandled` or `Handled` when the function failed.
    pub function_error: Option<String>,
}

/// The AWS calls (and the clock) the benchmark needs. Errors are messages ready for the summary.
pub trait Platform {
    async fn get_configuration(&self, function: &str) -> Result<FunctionConfig, String>;
    async fn update_environment(
        &self,
        function: &str,
        variables: &BTreeMap<String, String>,
    ) -> Result<(), String>;
    async fn invoke(&self, function: &str, payload: &[u8]) -> Result<Invocation, String>;
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String>;
    async fn sleep(&self, duration: Duration);
    /// Epoch milliseconds.
    fn now_ms(&self) -> u64;
}

/// Measures every function of the plan, `plan.concurrency` functions at a time, and summarises the results.
pub async fn run<P: Platform>(platform: &P, plan: &Plan) -> BenchmarkSummary {
    let pricing = Pricing::us_east_1();
    let functions: Vec<FunctionSummary> = stream::iter(plan.functions.iter())
        .map(|function| measure(platform, plan, function, &pricing))
        .buffered(plan.concurrency)
        .collect()
        .await;
    let complete = functions
        .iter()
        .all(|f| f.error.is_none() && f.invocations == plan.cold_starts as usize);
    let mut notes = Vec::new();
    if functions.iter().any(|f| f.warm_starts > 0) {
        notes.push(
            "some invocations reused a warm environment although the configuration had changed; they are \
             listed in samples but left out of the statistics"
                .to_owned(),
        );
    }
    BenchmarkSummary {
        run_id: plan.run_id.clone(),
        started_at: format_utc(plan.started_ms),
        finished_at: format_utc(platform.now_ms()),
        cold_starts_per_function: plan.cold_starts,
        complete,
        notes,
        pricing,
        functions,
        location: None,
    }
}

/// Writes the summary to `s3://bucket/key` (and `latest.json` next to it) when the plan has a bucket.
pub async fn store<P: Platform>(
    platform: &P,
    plan: &Plan,
    mut summary: BenchmarkSummary,
) -> Result<BenchmarkSummary, String> {
    let Some(bucket) = plan.bucket.as_deref() else {
        return Ok(summary);
    };
    summary.location = Some(format!("s3://{bucket}/{}", plan.key));
    let body = serde_json::to_vec_pretty(&summary).map_err(|e| e.to_string())?;
    for key in std::iter::once(&plan.key).chain(plan.latest_key.iter()) {
        platform
            .put_object(bucket, key, body.clone())
            .await
            .map_err(|e| format!("cannot write the summary to s3://{bucket}/{key}: {e}"))?;
    }
    Ok(summary)
}

async fn measure<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    pricing: &Pricing,
) -> FunctionSummary {
    let mut info = FunctionInfo {
        function: function.to_owned(),
        ..FunctionInfo::default()
    };
    let mut samples = Vec::new();
    let error = measure_rounds(platform, plan, function, &mut info, &mut samples)
        .await
        .err();
    if let Some(error) = &error {
        tracing::warn!(
            function,
            error = error.as_str(),
            "benchmark of the function stopped"
        );
    }
    FunctionSummary::new(info, samples, error, pricing)
}

async fn measure_rounds<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    info: &mut FunctionInfo,
    samples: &mut Vec<Sample>,
) -> Result<(), String> {
    let config = settle(platform, plan, function, false).await?;
    info.function_name = Some(config.name.clone());
    info.runtime = config.runtime.clone();
    info.architecture = config
        .architecture
        .as_deref()
        .and_then(Architecture::from_lambda);
    info.memory_size_mb = config.memory_size_mb;

    let mut outcome = Ok(());
    let mut updated = config.environment.contains_key(MARKER);
    for round in 1..=plan.cold_starts {
        if !time_left(platform, plan, ROUND_RESERVE_MS) {
            outcome = Err(format!(
                "stopped after {} of {} cold starts: the driver's timeout is near; raise the benchmark's timeout, \
                 lower coldStarts or measure fewer functions per run",
                round - 1,
                plan.cold_starts
            ));
            break;
        }
        updated = true;
        match cold_start(platform, plan, function, round).await {
            Ok(sample) => {
                let r = &sample.report;
                tracing::info!(
                    function,
                    round,
                    init_ms = r.init_duration_ms,
                    restore_ms = r.restore_duration_ms,
                    duration_ms = r.duration_ms,
                    billed_ms = r.billed_duration_ms,
                    max_memory_mb = r.max_memory_used_mb,
                    "cold start measured"
                );
                samples.push(sample);
            }
            Err(e) => {
                outcome = Err(format!("cold start {round} of {}: {e}", plan.cold_starts));
                break;
            }
        }
    }
    if updated {
        if let Err(e) = remove_marker(platform, plan, function).await {
            let restore = format!("removing {MARKER} from the function's environment failed: {e}");
            outcome = Err(match outcome {
                Ok(()) => restore,
                Err(first) => format!("{first}; {restore}"),
            });
        }
    }
    outcome
}

async fn cold_start<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    round: u32,
) -> Result<Sample, String> {
    let marker = format!("{}-{round}", plan.run_id);
    update_variables(platform, plan, function, |variables| {
        variables.insert(MARKER.to_owned(), marker.clone());
    })
    .await?;
    settle(platform, plan, function, true).await?;

    let invocation = platform.invoke(function, &plan.payload).await?;
    let tail = invocation
        .log_result
        .ok_or("Lambda returned no log tail although LogType was Tail")?;
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(tail.trim())
        .map_err(|e| format!("the log tail is not base64: {e}"))?;
    let log = String::from_utf8_lossy(&bytes);
    let report = find_report(&log).map_err(|e| e.to_string())?;
    Ok(Sample {
        round,
        report,
        function_error: invocation.function_error,
    })
}

async fn remove_marker<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
) -> Result<(), String> {
    update_variables(platform, plan, function, |variables| {
        variables.remove(MARKER);
    })
    .await
}

/// Reads the current variables (so changes made by others in the meantime are kept), edits them and writes them
/// back, retrying when another update got in between.
async fn update_variables<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    edit: impl Fn(&mut BTreeMap<String, String>),
) -> Result<(), String> {
    let mut attempt = 1;
    loop {
        let mut variables = settle(platform, plan, function, false).await?.environment;
        edit(&mut variables);
        match platform.update_environment(function, &variables).await {
            Ok(()) => return Ok(()),
            Err(e) if attempt < UPDATE_ATTEMPTS && e.contains("ResourceConflictException") => {
                attempt += 1
            }
            Err(e) => return Err(e),
        }
    }
}

/// Polls the configuration until no update is in progress (and, with `require_active`, until the function is
/// `Active` and the last update `Successful`), doubling the pause up to `polling.max`. Bounded by
/// `polling.limit` and by the driver's own deadline.
async fn settle<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    require_active: bool,
) -> Result<FunctionConfig, String> {
    let started = platform.now_ms();
    let mut delay = plan.polling.first;
    loop {
        let config = platform.get_configuration(function).await?;
        let state = config.state.as_deref();
        let update = config.last_update_status.as_deref();
        if state == Some("Failed") {
            return Err(format!(
                "the function is in state Failed: {}",
                config.state_reason.as_deref().unwrap_or("no reason given")
            ));
        }
        if update == Some("Failed") {
            return Err(format!(
                "the configuration update failed: {}",
                config
                    .last_update_status_reason
                    .as_deref()
                    .unwrap_or("no reason given")
            ));
        }
        let busy = update == Some("InProgress") || state == Some("Pending");
        let ready = if require_active {
            !busy && matches!(state, None | Some("Active"))
        } else {
            !busy
        };
        if ready {
            return Ok(config);
        }
        let waited = Duration::from_millis(platform.now_ms().saturating_sub(started));
        if waited + delay > plan.polling.limit {
            return Err(format!(
                "still updating after {} s (state {}, last update {}); Lambda usually needs a few seconds",
                waited.as_secs(),
                state.unwrap_or("unknown"),
                update.unwrap_or("unknown")
            ));
        }
        if !time_left(platform, plan, FINISH_RESERVE_MS + delay.as_millis() as u64) {
            return Err("the driver's timeout is near while waiting for the update".to_owned());
        }
        platform.sleep(delay).await;
        delay = (delay * 2).min(plan.polling.max);
    }
}

fn time_left<P: Platform>(platform: &P, plan: &Plan, needed_ms: u64) -> bool {
    match plan.deadline_ms {
        Some(deadline) => platform.now_ms() + needed_ms <= deadline,
        None => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Plan, Polling, Request};
    use std::cell::{Cell, RefCell};
    use std::collections::HashMap;

    const NOW: u64 = 1_795_748_645_000;

    /// One fake function: its configuration and how it behaves.
    #[derive(Clone)]
    struct FakeFunction {
        config: FunctionConfig,
        /// `GetFunctionConfiguration` calls that still report `InProgress` after an update.
        polls_per_update: u32,
        pending_polls: u32,
        /// An update happened since the last invocation: the next one is cold.
        changed: bool,
        init_ms: f64,
        log_format_json: bool,
        /// Update errors to return, first to last.
        update_errors: Vec<String>,
        /// The update never finishes.
        stuck: bool,
        /// Invocations never start a new environment (as if the update did not retire warm ones).
        always_warm: bool,
        function_error: Option<String>,
    }

    impl FakeFunction {
        fn new(name: &str, runtime: &str, architecture: &str, init_ms: f64) -> FakeFunction {
            FakeFunction {
                config: FunctionConfig {
                    name: name.to_owned(),
                    runtime: Some(runtime.to_owned()),
                    architecture: Some(architecture.to_owned()),
                    memory_size_mb: Some(128),
                    environment: BTreeMap::from([("KEEP_ME".to_owned(), "yes".to_owned())]),
                    state: Some("Active".to_owned()),
                    state_reason: None,
                    last_update_status: Some("Successful".to_owned()),
                    last_update_status_reason: None,
                },
                polls_per_update: 2,
                pending_polls: 0,
                changed: false,
                init_ms,
                log_format_json: false,
                update_errors: Vec::new(),
                stuck: false,
                always_warm: false,
                function_error: None,
            }
        }
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Call {
        Get(String),
        Update(String, BTreeMap<String, String>),
        Invoke(String, Vec<u8>),
        Put(String, String),
    }

    struct FakeLambda {
        functions: RefCell<HashMap<String, FakeFunction>>,
        calls: RefCell<Vec<Call>>,
        objects: RefCell<HashMap<String, Vec<u8>>>,
        clock: Cell<u64>,
        slept: RefCell<Vec<Duration>>,
        /// Milliseconds each API call takes.
        latency_ms: u64,
        put_error: Option<String>,
    }

    impl FakeLambda {
        fn new(functions: Vec<FakeFunction>) -> FakeLambda {
            FakeLambda {
                functions: RefCell::new(
                    functions
                        .into_iter()
                        .map(|f| (f.config.name.clone(), f))
                        .collect(),
                ),
                calls: RefCell::new(Vec::new()),
                objects: RefCell::new(HashMap::new()),
                clock: Cell::new(NOW),
                slept: RefCell::new(Vec::new()),
                latency_ms: 100,
                put_error: None,
            }
        }

        fn tick(&self) {
            self.clock.set(self.clock.get() + self.latency_ms);
        }

        fn calls(&self) -> Vec<Call> {
            self.calls.borrow().clone()
        }

        fn function(&self, name: &str) -> FakeFunction {
            self.functions.borrow()[name].clone()
        }
    }

    fn not_found(function: &str) -> String {
        format!("ResourceNotFoundException: Function not found: {function}")
    }

    impl Platform for FakeLambda {
        async fn get_configuration(&self, function: &str) -> Result<FunctionConfig, String> {
            self.tick();
            self.calls.borrow_mut().push(Call::Get(function.to_owned()));
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            if f.pending_polls > 0 && !f.stuck {
                f.pending_polls -= 1;
            }
            let mut config = f.config.clone();
            if f.pending_polls > 0 || f.stuck {
                config.last_update_status = Some("InProgress".to_owned());
            }
            Ok(config)
        }

        async fn update_environment(
            &self,
            function: &str,
            variables: &BTreeMap<String, String>,
        ) -> Result<(), String> {
            self.tick();
            self.calls
                .borrow_mut()
                .push(Call::Update(function.to_owned(), variables.clone()));
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            if !f.update_errors.is_empty() {
                return Err(f.update_errors.remove(0));
            }
            if f.pending_polls > 0 || f.stuck {
                return Err("ResourceConflictException: an update is in progress".to_owned());
            }
            f.config.environment = variables.clone();
            f.pending_polls = f.polls_per_update;
            f.changed = true;
            Ok(())
        }

        async fn invoke(&self, function: &str, payload: &[u8]) -> Result<Invocation, String> {
            self.tick();
            self.calls
                .borrow_mut()
                .push(Call::Invoke(function.to_owned(), payload.to_vec()));
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            let cold = f.changed && !f.always_warm;
            f.changed = false;
            let rid = format!("req-{}", self.clock.get());
            let log = match (f.log_format_json, cold) {
                (false, true) => format!(
                    "START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\nREPORT RequestId: {rid}\tDuration: 1.50 ms\tBilled Duration: {} ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: {:.2} ms\t\n",
                    (f.init_ms + 1.5).ceil() as u64,
                    f.init_ms
                ),
                (false, false) => format!(
                    "START RequestId: {rid} Version: $LATEST\nEND RequestId: {rid}\nREPORT RequestId: {rid}\tDuration: 1.20 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\t\n"
                ),
                (true, _) => format!(
                    "{{\"time\":\"t\",\"type\":\"platform.report\",\"record\":{{\"requestId\":\"{rid}\",\"metrics\":{{\"durationMs\":1.5,\"billedDurationMs\":{},\"memorySizeMB\":128,\"maxMemoryUsedMB\":14{}}},\"status\":\"success\"}}}}\n",
                    (f.init_ms + 1.5).ceil() as u64,
                    if cold { format!(",\"initDurationMs\":{}", f.init_ms) } else { String::new() }
                ),
            };
            Ok(Invocation {
                log_result: Some(base64::engine::general_purpose::STANDARD.encode(log)),
                function_error: f.function_error.clone(),
            })
        }

        async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String> {
            self.tick();
            self.calls
                .borrow_mut()
                .push(Call::Put(bucket.to_owned(), key.to_owned()));
            if let Some(e) = &self.put_error {
                return Err(e.clone());
            }
            self.objects
                .borrow_mut()
                .insert(format!("{bucket}/{key}"), body);
            Ok(())
        }

        async fn sleep(&self, duration: Duration) {
            self.slept.borrow_mut().push(duration);
            self.clock
                .set(self.clock.get() + duration.as_millis() as u64);
        }

        fn now_ms(&self) -> u64 {
            self.clock.get()
        }
    }

    fn plan(functions: &[&str], cold_starts: u32) -> Plan {
        let request = Request {
            functions: Some(functions.iter().map(|f| f.to_string()).collect()),
            cold_starts: Some(cold_starts),
            bucket: Some("results".to_owned()),
            ..Request::default()
        };
        Plan::resolve(request, &|_| None, "8f5b2c1e-aaaa", NOW, None).unwrap()
    }

    fn block_on<F: std::future::Future>(future: F) -> F::Output {
        tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap()
            .block_on(future)
    }

    #[test]
    fn forces_n_cold_starts_per_function_and_summarises_them() {
        let fake = FakeLambda::new(vec![
            FakeFunction::new("hello-rust", "provided.al2023", "arm64", 14.5),
            FakeFunction::new("hello-node", "nodejs24.x", "x86_64", 125.0),
        ]);
        let plan = plan(&["hello-rust", "hello-node"], 3);
        let summary = block_on(run(&fake, &plan));

        assert!(summary.complete, "{summary:#?}");
        assert_eq!(summary.cold_starts_per_function, 3);
        assert_eq!(summary.started_at, "2026-11-27T03:04:05Z");
        assert_eq!(summary.functions.len(), 2);
        let rust = &summary.functions[0];
        assert_eq!(rust.function, "hello-rust");
        assert_eq!(rust.runtime.as_deref(), Some("provided.al2023"));
        assert_eq!(rust.architecture, Some(Architecture::Arm64));
        assert_eq!(
            (rust.invocations, rust.cold_starts, rust.warm_starts),
            (3, 3, 0)
        );
        assert_eq!(rust.init_duration_ms.unwrap().p50, 14.5);
        assert_eq!(rust.billed_duration_ms.unwrap().mean, 16.0);
        assert_eq!(
            rust.samples.iter().map(|s| s.round).collect::<Vec<_>>(),
            vec![1, 2, 3]
        );
        assert!(rust.cost_per_million_cold_starts.is_some());
        assert_eq!(
            summary.functions[1].architecture,
            Some(Architecture::X86_64)
        );
        assert_eq!(summary.functions[1].init_duration_ms.unwrap().mean, 125.0);
        assert_eq!(summary.notes, Vec::<String>::new());
    }

    #[test]
    fn every_update_changes_the_marker_and_keeps_other_variables_then_removes_the_marker() {
        let fake = FakeLambda::new(vec![FakeFunction::new("f", "python3.12", "arm64", 76.0)]);
        let plan = plan(&["f"], 2);
        block_on(run(&fake, &plan));

        let updates: Vec<BTreeMap<String, String>> = fake
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Update(_, vars) => Some(vars),
                _ => None,
            })
            .collect();
        assert_eq!(updates.len(), 3, "two rounds plus the clean-up");
        let run_id = &plan.run_id;
        assert_eq!(updates[0].get(MARKER), Some(&format!("{run_id}-1")));
        assert_eq!(updates[1].get(MARKER), Some(&format!("{run_id}-2")));
        assert!(updates
            .iter()
            .all(|vars| vars.get("KEEP_ME").map(String::as_str) == Some("yes")));
        assert_eq!(
            updates[2],
            BTreeMap::from([("KEEP_ME".to_owned(), "yes".to_owned())])
        );
        assert_eq!(fake.function("f").config.environment.get(MARKER), None);
    }

    #[test]
    fn invokes_only_after_the_update_is_successful() {
        let fake = FakeLambda::new(vec![FakeFunction::new("f", "java21", "x86_64", 264.0)]);
        block_on(run(&fake, &plan(&["f"], 1)));
        let calls = fake.calls();
        let update = calls
            .iter()
            .position(|c| matches!(c, Call::Update(..)))
            .unwrap();
        let invoke = calls
            .iter()
            .position(|c| matches!(c, Call::Invoke(..)))
            .unwrap();
        // polls_per_update = 2: the first poll after the update sees InProgress, the second Successful
        let polls_between = calls[update..invoke]
            .iter()
            .filter(|c| matches!(c, Call::Get(_)))
            .count();
        assert_eq!(polls_between, 2, "{calls:#?}");
        assert_eq!(
            fake.slept.borrow().first(),
            Some(&Duration::from_millis(500))
        );
    }

    #[test]
    fn polling_backs_off_and_gives_up_at_the_limit() {
        let mut stuck = FakeFunction::new("stuck", "nodejs24.x", "arm64", 125.0);
        stuck.stuck = true;
        let fake = FakeLambda::new(vec![stuck]);
        let mut plan = plan(&["stuck"], 2);
        plan.polling = Polling {
            first: Duration::from_millis(500),
            max: Duration::from_secs(4),
            limit: Duration::from_secs(30),
        };
        let summary = block_on(run(&fake, &plan));
        let f = &summary.functions[0];
        let error = f.error.as_deref().unwrap();
        assert!(error.contains("still updating after"), "{error}");
        assert_eq!(f.invocations, 0);
        assert!(!summary.complete);
        let slept = fake.slept.borrow();
        assert_eq!(
            &slept[..4],
            &[500, 1000, 2000, 4000].map(Duration::from_millis)
        );
        assert!(slept.iter().all(|d| *d <= Duration::from_secs(4)));
        let total: Duration = slept.iter().sum();
        assert!(total <= Duration::from_secs(30), "{total:?}");
    }

    #[test]
    fn a_failing_function_does_not_stop_the_others() {
        let mut broken = FakeFunction::new("broken", "python3.12", "arm64", 70.0);
        broken.update_errors = vec![
            "AccessDeniedException: not authorized to perform lambda:UpdateFunctionConfiguration"
                .to_owned(),
        ];
        let fake = FakeLambda::new(vec![
            broken,
            FakeFunction::new("ok", "provided.al2023", "arm64", 14.0),
        ]);
        let summary = block_on(run(&fake, &plan(&["broken", "missing", "ok"], 2)));
        assert!(!summary.complete);
        let by_name = |n: &str| summary.functions.iter().find(|f| f.function == n).unwrap();
        assert!(by_name("broken")
            .error
            .as_deref()
            .unwrap()
            .contains("cold start 1 of 2: AccessDeniedException"));
        assert!(by_name("missing")
            .error
            .as_deref()
            .unwrap()
            .contains("ResourceNotFoundException"));
        assert_eq!(by_name("ok").error, None);
        assert_eq!(by_name("ok").cold_starts, 2);
        // results keep the order of the request
        assert_eq!(
            summary
                .functions
                .iter()
                .map(|f| f.function.as_str())
                .collect::<Vec<_>>(),
            vec!["broken", "missing", "ok"]
        );
    }

    #[test]
    fn update_conflicts_are_retried() {
        let mut f = FakeFunction::new("f", "nodejs24.x", "arm64", 120.0);
        f.update_errors = vec![
            "ResourceConflictException: The operation cannot be performed at this time.".to_owned(),
        ];
        let fake = FakeLambda::new(vec![f]);
        let summary = block_on(run(&fake, &plan(&["f"], 1)));
        assert!(summary.complete, "{summary:#?}");
        let updates = fake
            .calls()
            .iter()
            .filter(|c| matches!(c, Call::Update(..)))
            .count();
        assert_eq!(updates, 3, "conflict, retry, clean-up");
    }

    #[test]
    fn warm_invocations_are_reported_apart() {
        let mut f = FakeFunction::new("f", "nodejs24.x", "arm64", 120.0);
        f.always_warm = true;
        let fake = FakeLambda::new(vec![f]);
        let summary = block_on(run(&fake, &plan(&["f"], 2)));
        let f = &summary.functions[0];
        assert_eq!((f.invocations, f.cold_starts, f.warm_starts), (2, 0, 2));
        assert_eq!(f.init_duration_ms, None);
        assert_eq!(summary.notes.len(), 1);
    }

    #[test]
    fn json_log_format_and_function_errors() {
        let mut f = FakeFunction::new("f", "provided.al2023", "arm64", 13.9);
        f.log_format_json = true;
        f.function_error = Some("Unhandled".to_owned());
        let fake = FakeLambda::new(vec![f]);
        let summary = block_on(run(&fake, &plan(&["f"], 2)));
        let f = &summary.functions[0];
        assert_eq!(f.cold_starts, 2);
        assert_eq!(f.function_errors, 2);
        assert_eq!(f.init_duration_ms.unwrap().p50, 13.9);
    }

    #[test]
    fn stops_before_the_drivers_timeout_and_keeps_what_it_measured() {
        let fake = FakeLambda::new(vec![FakeFunction::new(
            "f",
            "provided.al2023",
            "arm64",
            14.0,
        )]);
        let mut plan = plan(&["f"], 100);
        // each round takes ~2 s of fake time (API latency + polling); give the driver 40 s
        plan.deadline_ms = Some(NOW + 40_000);
        let summary = block_on(run(&fake, &plan));
        let f = &summary.functions[0];
        assert!(
            f.invocations > 0 && f.invocations < 100,
            "{}",
            f.invocations
        );
        assert!(
            f.error.as_deref().unwrap().contains("timeout is near"),
            "{:?}",
            f.error
        );
        assert!(!summary.complete);
        assert!(
            fake.now_ms() <= NOW + 40_000,
            "ran past the deadline by {} ms",
            fake.now_ms() - NOW - 40_000
        );
        assert_eq!(
            fake.function("f").config.environment.get(MARKER),
            None,
            "marker removed"
        );
    }

    #[test]
    fn sends_the_payload() {
        let fake = FakeLambda::new(vec![FakeFunction::new("f", "python3.12", "arm64", 76.0)]);
        let mut plan = plan(&["f"], 1);
        plan.payload = br#"{"name":"Ferris"}"#.to_vec();
        block_on(run(&fake, &plan));
        assert!(fake.calls().contains(&Call::Invoke(
            "f".to_owned(),
            br#"{"name":"Ferris"}"#.to_vec()
        )));
    }

    #[test]
    fn failed_state_is_an_error() {
        let mut f = FakeFunction::new("f", "python3.12", "arm64", 76.0);
        f.config.state = Some("Failed".to_owned());
        f.config.state_reason = Some("The function's subnet has no free IP addresses".to_owned());
        let fake = FakeLambda::new(vec![f]);
        let summary = block_on(run(&fake, &plan(&["f"], 1)));
        assert!(summary.functions[0]
            .error
            .as_deref()
            .unwrap()
            .contains("no free IP addresses"));
    }

    #[test]
    fn stores_the_summary_and_latest_copy() {
        let fake = FakeLambda::new(vec![FakeFunction::new("f", "python3.12", "arm64", 76.0)]);
        let plan = plan(&["f"], 1);
        let summary =
            block_on(async { store(&fake, &plan, run(&fake, &plan).await).await }).unwrap();
        let location = format!("s3://results/coldstart/runs/{}.json", plan.run_id);
        assert_eq!(summary.location.as_deref(), Some(location.as_str()));
        let objects = fake.objects.borrow();
        let stored: BenchmarkSummary = serde_json::from_slice(
            &objects[&format!("results/coldstart/runs/{}.json", plan.run_id)],
        )
        .unwrap();
        assert_eq!(stored, summary);
        assert!(objects.contains_key("results/coldstart/latest.json"));
    }

    #[test]
    fn store_without_bucket_writes_nothing_and_errors_name_the_object() {
        let mut fake = FakeLambda::new(vec![]);
        let mut plan = plan(&["f"], 1);
        let summary = block_on(run(
            &fake,
            &Plan {
                functions: vec![],
                ..plan.clone()
            },
        ));
        plan.bucket = None;
        let kept = block_on(store(&fake, &plan, summary.clone())).unwrap();
        assert_eq!(kept.location, None);
        assert!(fake.calls().is_empty());

        plan.bucket = Some("results".to_owned());
        fake.put_error = Some("AccessDenied".to_owned());
        let err = block_on(store(&fake, &plan, summary)).unwrap_err();
        assert!(
            err.contains("s3://results/coldstart/runs/") && err.contains("AccessDenied"),
            "{err}"
        );
    }
}
