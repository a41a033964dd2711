//! The measuring loop, written against [`Platform`] so it runs against a fake in unit tests.
//!
//! For each function and each round: wait until no update is in progress, set `COLDSTART_BENCHMARK_RUN` to a
//! new value (all other variables kept), wait until the update is `Successful`, invoke with `LogType: Tail` and
//! read the REPORT record from the returned log tail. A changed configuration makes Lambda retire the warm
//! execution environments, so the invocation after it is a cold start. After the cold rounds, `warm_invokes`
//! more invocations reuse the last environment (warm ones). When every round is done the variable is removed again.
//!
//! A SnapStart function is measured through versions, as SnapStart applies only to published versions: each round
//! also publishes a version of the updated `$LATEST`, waits until it is `Active` (its snapshot taken) and invokes
//! that version, whose first invocation restores the snapshot (`Restore Duration`). The driver deletes every
//! version it published, and only those, once it no longer needs it.

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
/// A warm invocation is not started with less than this (plus the finish reserve) left.
const WARM_RESERVE_MS: u64 = 5_000;

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
    /// `PublishedVersions` when SnapStart is on, `None` otherwise.
    pub snap_start_apply_on: Option<String>,
    /// `$LATEST` or the version number.
    pub version: Option<String>,
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
    /// Invokes `function`, which may be qualified with a version (`name:7`, `arn:...:function:name:7`).
    async fn invoke(&self, function: &str, payload: &[u8]) -> Result<Invocation, String>;
    /// Publishes a version of `$LATEST`; returns the version's configuration.
    async fn publish_version(&self, function: &str) -> Result<FunctionConfig, String>;
    /// Deletes one version (`DeleteFunction` with a qualifier, never the function).
    async fn delete_version(&self, function: &str, version: &str) -> Result<(), String>;
    async fn put_object(&self, bucket: &str, key: &str, body: Vec<u8>) -> Result<(), String>;
    async fn sleep(&self, duration: Duration);
    /// Epoch milliseconds.
    fn now_ms(&self) -> u64;
}

/// Measures every function of the plan, `plan.concurrency` functions at a time, and summarises the results.
pub async fn run<P: Platform>(platform: &P, plan: &Plan) -> BenchmarkSummary {
    let pricing = Pricing::us_east_1();
    let measured: Vec<(FunctionSummary, Vec<String>)> = stream::iter(plan.functions.iter())
        .map(|function| measure(platform, plan, function, &pricing))
        .buffered(plan.concurrency)
        .collect()
        .await;
    let mut notes = Vec::new();
    let mut functions = Vec::new();
    for (summary, function_notes) in measured {
        notes.extend(function_notes);
        functions.push(summary);
    }
    let complete = functions
        .iter()
        .all(|f| f.error.is_none() && f.invocations == plan.cold_starts as usize);
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
) -> (FunctionSummary, Vec<String>) {
    let mut info = FunctionInfo {
        function: function.to_owned(),
        snap_start: plan.is_snap_start(function),
        ..FunctionInfo::default()
    };
    let mut measured = Measured::default();
    let error = measure_rounds(platform, plan, function, &mut info, &mut measured)
        .await
        .err();
    if let Some(error) = &error {
        tracing::warn!(
            function,
            error = error.as_str(),
            "benchmark of the function stopped"
        );
    }
    let summary = FunctionSummary::new(info, measured.cold, error, pricing)
        .with_warm_samples(measured.warm, pricing);
    (summary, measured.notes)
}

/// What the rounds of one function gathered, kept when a later round fails.
#[derive(Default)]
struct Measured {
    cold: Vec<Sample>,
    warm: Vec<Sample>,
    notes: Vec<String>,
}

async fn measure_rounds<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    info: &mut FunctionInfo,
    measured: &mut Measured,
) -> Result<(), String> {
    let config = settle(platform, plan, function, false).await?;
    info.function_name = Some(config.name.clone());
    info.runtime = config.runtime.clone();
    info.architecture = config
        .architecture
        .as_deref()
        .and_then(Architecture::from_lambda);
    info.memory_size_mb = config.memory_size_mb;
    let name = config.name.clone();
    let snap_start_on = config.snap_start_apply_on.as_deref() == Some("PublishedVersions");
    if info.snap_start && !snap_start_on {
        measured.notes.push(format!(
            "{name} was measured through published versions, but SnapStart is off on it: its cold starts are \
             ordinary inits (Init Duration), not restores"
        ));
    } else if !info.snap_start && snap_start_on {
        measured.notes.push(format!(
            "{name} has SnapStart on published versions, but the benchmark measured $LATEST, where SnapStart does \
             not apply; list it in snapStartFunctions to measure its restores"
        ));
    }

    let mut outcome = Ok(());
    let mut updated = config.environment.contains_key(MARKER);
    // The version published by the current round, deleted before the next one publishes its own.
    let mut published: Option<String> = None;
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
        if let Some(version) = published.take() {
            if let Err(e) = delete_version(platform, function, &version).await {
                outcome = Err(e);
                break;
            }
        }
        updated = true;
        match cold_start(
            platform,
            plan,
            function,
            &name,
            round,
            info.snap_start,
            &mut published,
        )
        .await
        {
            Ok(sample) => {
                let r = &sample.report;
                tracing::info!(
                    function,
                    round,
                    version = published.as_deref(),
                    init_ms = r.init_duration_ms,
                    restore_ms = r.restore_duration_ms,
                    duration_ms = r.duration_ms,
                    billed_ms = r.billed_duration_ms,
                    max_memory_mb = r.max_memory_used_mb,
                    "cold start measured"
                );
                measured.cold.push(sample);
            }
            Err(e) => {
                outcome = Err(format!("cold start {round} of {}: {e}", plan.cold_starts));
                break;
            }
        }
    }
    if outcome.is_ok() && !measured.cold.is_empty() {
        // The environment of the last cold round (of its version, for SnapStart) is warm now.
        let target = match &published {
            Some(version) => format!("{function}:{version}"),
            None => function.to_owned(),
        };
        for k in 1..=plan.warm_invokes {
            if !time_left(platform, plan, FINISH_RESERVE_MS + WARM_RESERVE_MS) {
                outcome = Err(format!(
                    "stopped after {} of {} warm invocations: the driver's timeout is near",
                    k - 1,
                    plan.warm_invokes
                ));
                break;
            }
            let id = format!("{}-{name}-warm-{k}", plan.run_id);
            match invoke_and_read(platform, &target, &plan.payload_for(&id), k).await {
                Ok(sample) => measured.warm.push(sample),
                Err(e) => {
                    outcome = Err(format!("warm invocation {k} of {}: {e}", plan.warm_invokes));
                    break;
                }
            }
        }
    }
    let mut cleanup = Vec::new();
    if let Some(version) = published.take() {
        if let Err(e) = delete_version(platform, function, &version).await {
            cleanup.push(e);
        }
    }
    if updated {
        if let Err(e) = remove_marker(platform, plan, function).await {
            cleanup.push(format!(
                "removing {MARKER} from the function's environment failed: {e}"
            ));
        }
    }
    if !cleanup.is_empty() {
        let cleanup = cleanup.join("; ");
        outcome = Err(match outcome {
            Ok(()) => cleanup,
            Err(first) => format!("{first}; {cleanup}"),
        });
    }
    outcome
}

async fn cold_start<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    name: &str,
    round: u32,
    snap_start: bool,
    published: &mut Option<String>,
) -> Result<Sample, String> {
    let marker = format!("{}-{round}", plan.run_id);
    update_variables(platform, plan, function, |variables| {
        variables.insert(MARKER.to_owned(), marker.clone());
    })
    .await?;
    settle(platform, plan, function, true).await?;

    let target = if snap_start {
        let version = publish(platform, plan, function, &marker).await?;
        *published = Some(version.clone());
        let qualified = format!("{function}:{version}");
        // A SnapStart version stays Pending until its snapshot is taken.
        settle(platform, plan, &qualified, true).await?;
        qualified
    } else {
        function.to_owned()
    };
    let id = format!("{}-{name}-{round}", plan.run_id);
    invoke_and_read(platform, &target, &plan.payload_for(&id), round).await
}

/// Invokes with `LogType: Tail` and reads the REPORT record of the invocation.
async fn invoke_and_read<P: Platform>(
    platform: &P,
    target: &str,
    payload: &[u8],
    round: u32,
) -> Result<Sample, String> {
    let invocation = platform.invoke(target, payload).await?;
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

/// Publishes a version of the updated `$LATEST` and checks that it is this round's (it carries the marker):
/// Lambda returns an existing version instead of a new one when nothing changed, and the driver must not
/// delete a version it did not create.
async fn publish<P: Platform>(
    platform: &P,
    plan: &Plan,
    function: &str,
    marker: &str,
) -> Result<String, String> {
    let mut attempt = 1;
    let config = loop {
        match platform.publish_version(function).await {
            Ok(config) => break config,
            Err(e) if attempt < UPDATE_ATTEMPTS && e.contains("ResourceConflictException") => {
                attempt += 1;
                settle(platform, plan, function, false).await?;
            }
            Err(e) => return Err(format!("publishing a version failed: {e}")),
        }
    };
    let version = config
        .version
        .filter(|v| !v.is_empty() && v != "$LATEST")
        .ok_or("PublishVersion returned no version number")?;
    if config.environment.get(MARKER).map(String::as_str) != Some(marker) {
        return Err(format!(
            "PublishVersion returned version {version}, which is not this round's (its {MARKER} is not \
             '{marker}'); it is left alone"
        ));
    }
    Ok(version)
}

async fn delete_version<P: Platform>(
    platform: &P,
    function: &str,
    version: &str,
) -> Result<(), String> {
    platform
        .delete_version(function, version)
        .await
        .map_err(|e| {
            format!("deleting version {version}, which the benchmark published, failed: {e}")
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
        /// Published versions: their configuration, polls still `Pending`, and whether they ran yet.
        versions: BTreeMap<String, FakeVersion>,
        next_version: u32,
        /// Polls a new version stays `Pending` (SnapStart takes its snapshot).
        version_pending_polls: u32,
        restore_ms: f64,
    }

    #[derive(Clone)]
    struct FakeVersion {
        config: FunctionConfig,
        pending_polls: u32,
        invoked: bool,
    }

    /// `f:7` → (`f`, Some(`7`)); `f` → (`f`, None).
    fn split_qualifier(function: &str) -> (&str, Option<&str>) {
        match function.rsplit_once(':') {
            Some((name, q)) if q.chars().all(|c| c.is_ascii_digit()) => (name, Some(q)),
            _ => (function, None),
        }
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
                    snap_start_apply_on: None,
                    version: Some("$LATEST".to_owned()),
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
                versions: BTreeMap::new(),
                next_version: 1,
                version_pending_polls: 3,
                restore_ms: 380.0,
            }
        }

        fn snap_start(mut self) -> FakeFunction {
            self.config.snap_start_apply_on = Some("PublishedVersions".to_owned());
            self
        }
    }

    #[derive(Debug, Clone, PartialEq)]
    enum Call {
        Get(String),
        Update(String, BTreeMap<String, String>),
        Invoke(String, Vec<u8>),
        Put(String, String),
        Publish(String),
        Delete(String, String),
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
            let (function, qualifier) = split_qualifier(function);
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            if let Some(q) = qualifier {
                let v = f.versions.get_mut(q).ok_or_else(|| not_found(q))?;
                if v.pending_polls > 0 && !f.stuck {
                    v.pending_polls -= 1;
                }
                let mut config = v.config.clone();
                if v.pending_polls > 0 || f.stuck {
                    config.state = Some("Pending".to_owned());
                }
                return Ok(config);
            }
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
            let (function, qualifier) = split_qualifier(function);
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            let rid = format!("req-{}", self.clock.get());
            if let Some(q) = qualifier {
                let v = f.versions.get_mut(q).ok_or_else(|| not_found(q))?;
                let cold = !v.invoked;
                v.invoked = true;
                let snap = v.config.snap_start_apply_on.is_some();
                let start = match (cold, snap) {
                    (true, true) => format!(
                        "\tRestore Duration: {:.2} ms\tBilled Restore Duration: 150 ms",
                        f.restore_ms
                    ),
                    (true, false) => format!("\tInit Duration: {:.2} ms", f.init_ms),
                    (false, _) => String::new(),
                };
                let log = format!(
                    "START RequestId: {rid} Version: {q}\nEND RequestId: {rid}\nREPORT RequestId: {rid}\tDuration: 40.00 ms\tBilled Duration: 40 ms\tMemory Size: 512 MB\tMax Memory Used: 120 MB{start}\t\n"
                );
                return Ok(Invocation {
                    log_result: Some(base64::engine::general_purpose::STANDARD.encode(log)),
                    function_error: f.function_error.clone(),
                });
            }
            let cold = f.changed && !f.always_warm;
            f.changed = false;
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

        async fn publish_version(&self, function: &str) -> Result<FunctionConfig, String> {
            self.tick();
            self.calls
                .borrow_mut()
                .push(Call::Publish(function.to_owned()));
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            if f.pending_polls > 0 {
                return Err("ResourceConflictException: an update is in progress".to_owned());
            }
            let number = f.next_version.to_string();
            f.next_version += 1;
            let mut config = f.config.clone();
            config.version = Some(number.clone());
            f.versions.insert(
                number,
                FakeVersion {
                    config: config.clone(),
                    pending_polls: f.version_pending_polls,
                    invoked: false,
                },
            );
            config.state = Some("Pending".to_owned());
            Ok(config)
        }

        async fn delete_version(&self, function: &str, version: &str) -> Result<(), String> {
            self.tick();
            self.calls
                .borrow_mut()
                .push(Call::Delete(function.to_owned(), version.to_owned()));
            let mut functions = self.functions.borrow_mut();
            let f = functions
                .get_mut(function)
                .ok_or_else(|| not_found(function))?;
            f.versions
                .remove(version)
                .map(|_| ())
                .ok_or_else(|| not_found(&format!("{function}:{version}")))
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
        plan.payload = serde_json::json!({"name": "Ferris"});
        block_on(run(&fake, &plan));
        let sent = format!(r#"{{"id":"{}-f-1","name":"Ferris"}}"#, plan.run_id);
        assert!(
            fake.calls()
                .contains(&Call::Invoke("f".to_owned(), sent.into_bytes())),
            "{:#?}",
            fake.calls()
        );
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

    fn invokes(fake: &FakeLambda) -> Vec<(String, serde_json::Value)> {
        fake.calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Invoke(target, payload) => {
                    Some((target, serde_json::from_slice(&payload).unwrap()))
                }
                _ => None,
            })
            .collect()
    }

    #[test]
    fn warm_invocations_follow_the_cold_rounds_before_the_marker_is_removed() {
        let fake = FakeLambda::new(vec![FakeFunction::new("f", "nodejs24.x", "arm64", 120.0)]);
        let mut plan = plan(&["f"], 2);
        plan.warm_invokes = 3;
        let summary = block_on(run(&fake, &plan));
        assert!(summary.complete, "{summary:#?}");
        let f = &summary.functions[0];
        assert_eq!(
            (f.invocations, f.cold_starts, f.warm_invocations),
            (2, 2, 3)
        );
        let warm = f.warm_duration_ms.unwrap();
        assert_eq!((warm.count, warm.p50), (3, 1.2));
        assert!(f.cost_per_million_warm_invocations.is_some());
        // every invocation has its own id; warm ones after the cold rounds, all before the clean-up update
        let run_id = &plan.run_id;
        let ids: Vec<String> = invokes(&fake)
            .into_iter()
            .map(|(_, p)| p["id"].as_str().unwrap().to_owned())
            .collect();
        assert_eq!(
            ids,
            vec![
                format!("{run_id}-f-1"),
                format!("{run_id}-f-2"),
                format!("{run_id}-f-warm-1"),
                format!("{run_id}-f-warm-2"),
                format!("{run_id}-f-warm-3"),
            ]
        );
        let calls = fake.calls();
        let last_invoke = calls
            .iter()
            .rposition(|c| matches!(c, Call::Invoke(..)))
            .unwrap();
        let last_update = calls
            .iter()
            .rposition(|c| matches!(c, Call::Update(..)))
            .unwrap();
        assert!(last_invoke < last_update, "{calls:#?}");
        assert_eq!(fake.function("f").config.environment.get(MARKER), None);
    }

    #[test]
    fn snapstart_rounds_publish_wait_invoke_the_version_and_delete_it() {
        let fake = FakeLambda::new(vec![
            FakeFunction::new("java", "java21", "arm64", 900.0).snap_start()
        ]);
        let mut plan = plan(&["java"], 3);
        plan.snap_start = vec!["java".to_owned()];
        plan.warm_invokes = 2;
        let summary = block_on(run(&fake, &plan));
        assert!(summary.complete, "{summary:#?}");
        assert_eq!(summary.notes, Vec::<String>::new());
        let f = &summary.functions[0];
        assert!(f.snap_start);
        assert_eq!(
            (f.invocations, f.cold_starts, f.warm_invocations),
            (3, 3, 2)
        );
        assert_eq!(f.init_duration_ms, None);
        assert_eq!(f.restore_duration_ms.unwrap().p50, 380.0);
        let total = f.cold_start_total_ms.unwrap();
        assert_eq!((total.p50, total.p99, total.max), (420.0, 420.0, 420.0));
        assert_eq!(f.warm_duration_ms.unwrap().count, 2);

        // round by round: publish, invoke the new version, delete it before the next round publishes
        let lifecycle: Vec<String> = fake
            .calls()
            .into_iter()
            .filter_map(|c| match c {
                Call::Publish(f) => Some(format!("publish {f}")),
                Call::Invoke(t, _) => Some(format!("invoke {t}")),
                Call::Delete(f, v) => Some(format!("delete {f}:{v}")),
                _ => None,
            })
            .collect();
        assert_eq!(
            lifecycle,
            vec![
                "publish java",
                "invoke java:1",
                "delete java:1",
                "publish java",
                "invoke java:2",
                "delete java:2",
                "publish java",
                "invoke java:3",
                "invoke java:3",
                "invoke java:3",
                "delete java:3",
            ]
        );
        // each version was invoked only once it was Active (its pending polls used up), none is left
        let calls = fake.calls();
        let first_invoke = calls
            .iter()
            .position(|c| matches!(c, Call::Invoke(..)))
            .unwrap();
        let polls = calls[..first_invoke]
            .iter()
            .filter(|c| matches!(c, Call::Get(t) if t == "java:1"))
            .count();
        assert_eq!(polls, 3, "{calls:#?}");
        assert!(fake.function("java").versions.is_empty());
        assert_eq!(fake.function("java").config.environment.get(MARKER), None);
    }

    #[test]
    fn a_version_that_never_becomes_active_is_deleted_too() {
        let mut f = FakeFunction::new("java", "java21", "arm64", 900.0).snap_start();
        f.version_pending_polls = 1_000;
        let fake = FakeLambda::new(vec![f]);
        let mut plan = plan(&["java"], 2);
        plan.snap_start = vec!["java".to_owned()];
        plan.polling.limit = Duration::from_secs(20);
        let summary = block_on(run(&fake, &plan));
        let f = &summary.functions[0];
        assert!(
            f.error
                .as_deref()
                .unwrap()
                .contains("cold start 1 of 2: still updating"),
            "{:?}",
            f.error
        );
        assert_eq!(f.invocations, 0);
        assert!(fake
            .calls()
            .contains(&Call::Delete("java".to_owned(), "1".to_owned())));
        assert!(fake.function("java").versions.is_empty());
        assert_eq!(fake.function("java").config.environment.get(MARKER), None);
    }

    #[test]
    fn a_published_version_without_this_rounds_marker_is_left_alone() {
        // as if Lambda returned an existing version because nothing had changed
        struct Stale(FakeLambda);
        impl Platform for Stale {
            async fn get_configuration(&self, f: &str) -> Result<FunctionConfig, String> {
                self.0.get_configuration(f).await
            }
            async fn update_environment(
                &self,
                f: &str,
                v: &BTreeMap<String, String>,
            ) -> Result<(), String> {
                self.0.update_environment(f, v).await
            }
            async fn invoke(&self, f: &str, p: &[u8]) -> Result<Invocation, String> {
                self.0.invoke(f, p).await
            }
            async fn publish_version(&self, f: &str) -> Result<FunctionConfig, String> {
                let mut config = self.0.publish_version(f).await?;
                config.environment.remove(MARKER);
                Ok(config)
            }
            async fn delete_version(&self, f: &str, v: &str) -> Result<(), String> {
                self.0.delete_version(f, v).await
            }
            async fn put_object(&self, b: &str, k: &str, body: Vec<u8>) -> Result<(), String> {
                self.0.put_object(b, k, body).await
            }
            async fn sleep(&self, d: Duration) {
                self.0.sleep(d).await
            }
            fn now_ms(&self) -> u64 {
                self.0.now_ms()
            }
        }
        let fake = Stale(FakeLambda::new(vec![FakeFunction::new(
            "java", "java21", "arm64", 900.0,
        )
        .snap_start()]));
        let mut plan = plan(&["java"], 1);
        plan.snap_start = vec!["java".to_owned()];
        let summary = block_on(run(&fake, &plan));
        let error = summary.functions[0].error.clone().unwrap();
        assert!(
            error.contains("PublishVersion returned version 1, which is not this round's"),
            "{error}"
        );
        assert!(!fake.0.calls().iter().any(|c| matches!(c, Call::Delete(..))));
    }

    #[test]
    fn snapstart_mismatches_are_noted() {
        let fake = FakeLambda::new(vec![
            FakeFunction::new("on", "java21", "arm64", 900.0).snap_start(),
            FakeFunction::new("off", "java21", "arm64", 900.0),
        ]);
        let mut plan = plan(&["on", "off"], 1);
        plan.snap_start = vec!["off".to_owned()];
        let summary = block_on(run(&fake, &plan));
        assert!(summary.complete, "{summary:#?}");
        assert_eq!(summary.notes.len(), 2, "{:#?}", summary.notes);
        assert!(summary.notes[0].starts_with(
            "on has SnapStart on published versions, but the benchmark measured $LATEST"
        ));
        assert!(summary.notes[1]
            .starts_with("off was measured through published versions, but SnapStart is off"));
        // without SnapStart the version starts with an ordinary init
        let off = &summary.functions[1];
        assert_eq!(off.init_duration_ms.unwrap().p50, 900.0);
        assert_eq!(off.cold_start_total_ms.unwrap().p50, 940.0);
    }
}
