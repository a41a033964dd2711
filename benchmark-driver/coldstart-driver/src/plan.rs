//! What to measure: the invocation event merged with the driver's environment, validated.

use serde::Deserialize;
use std::time::Duration;

/// Environment variables the `ColdStartBenchmark` construct sets on the driver.
pub const ENV_FUNCTIONS: &str = "COLDSTART_FUNCTIONS";
pub const ENV_COLD_STARTS: &str = "COLDSTART_COLD_STARTS";
pub const ENV_BUCKET: &str = "COLDSTART_BUCKET";
pub const ENV_PREFIX: &str = "COLDSTART_PREFIX";
pub const ENV_PAYLOAD: &str = "COLDSTART_PAYLOAD";
pub const ENV_CONCURRENCY: &str = "COLDSTART_CONCURRENCY";
pub const ENV_WARM_INVOKES: &str = "COLDSTART_WARM_INVOKES";
pub const ENV_SNAPSTART_FUNCTIONS: &str = "COLDSTART_SNAPSTART_FUNCTIONS";

pub const DEFAULT_COLD_STARTS: u32 = 10;
pub const MAX_COLD_STARTS: u32 = 100;
pub const DEFAULT_CONCURRENCY: usize = 4;
pub const MAX_CONCURRENCY: usize = 10;
pub const DEFAULT_PREFIX: &str = "coldstart/";
/// Without the variable (a driver deployed before warm invocations existed) none are made.
pub const DEFAULT_WARM_INVOKES: u32 = 0;
pub const MAX_WARM_INVOKES: u32 = 50;

/// The invocation event. Every field is optional; missing ones come from the environment.
///
/// ```json
/// { "functions": ["hello-rust", "arn:aws:lambda:us-east-1:123456789012:function:hello-node"],
///   "coldStarts": 10, "bucket": "my-results", "key": "coldstart/runs/today.json",
///   "payload": {"name": "Ferris"}, "concurrency": 4, "warmInvokes": 5,
///   "snapStartFunctions": ["arn:aws:lambda:us-east-1:123456789012:function:hello-java"] }
/// ```
///
/// `snapStartFunctions` lists functions (also in `functions`, by name or ARN) measured through a published
/// version per round, so that SnapStart restores a snapshot. The construct's list (the environment) applies to the
/// functions of this run that it names; an event's own list must name only functions of the run.
///
/// Unknown fields are ignored, so an EventBridge scheduled event works as a trigger too.
#[derive(Debug, Default, Deserialize, PartialEq)]
#[serde(default, rename_all = "camelCase")]
pub struct Request {
    pub functions: Option<Vec<String>>,
    pub cold_starts: Option<u32>,
    pub bucket: Option<String>,
    pub key: Option<String>,
    pub payload: Option<serde_json::Value>,
    pub concurrency: Option<usize>,
    pub warm_invokes: Option<u32>,
    pub snap_start_functions: Option<Vec<String>>,
}

impl Request {
    /// Reads an event; `null` (an invocation without payload) is an empty request.
    pub fn from_event(event: serde_json::Value) -> Result<Request, String> {
        if event.is_null() {
            return Ok(Request::default());
        }
        serde_json::from_value(event).map_err(|e| {
            format!(
                "the event is not a benchmark request ({e}); expected {{\"functions\": [\"name or ARN\", ...], \
                 \"coldStarts\": 10}} with every field optional"
            )
        })
    }
}

/// How long to wait for configuration updates.
#[derive(Debug, Clone, PartialEq)]
pub struct Polling {
    /// First pause between two `GetFunctionConfiguration` calls; doubles after each call.
    pub first: Duration,
    /// Longest pause between two calls.
    pub max: Duration,
    /// Give up when an update is still in progress after this long.
    pub limit: Duration,
}

impl Default for Polling {
    fn default() -> Self {
        Polling {
            first: Duration::from_millis(500),
            max: Duration::from_secs(5),
            limit: Duration::from_secs(300),
        }
    }
}

/// A validated run.
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub run_id: String,
    pub started_ms: u64,
    pub functions: Vec<String>,
    pub cold_starts: u32,
    pub concurrency: usize,
    pub bucket: Option<String>,
    pub key: String,
    /// A second copy, `<prefix>latest.json`, written when the key was not given explicitly.
    pub latest_key: Option<String>,
    /// The event sent to every function; an object without `id` gets one per invocation (see [`Plan::payload_for`]).
    pub payload: serde_json::Value,
    /// Warm invocations after the cold rounds, per function.
    pub warm_invokes: u32,
    /// The functions measured through a published version per round (SnapStart).
    pub snap_start: Vec<String>,
    /// Epoch milliseconds when the driver's own invocation times out.
    pub deadline_ms: Option<u64>,
    pub polling: Polling,
}

impl Plan {
    /// Merges the request with the environment (`env` looks a variable up) and checks the result.
    pub fn resolve(
        request: Request,
        env: &dyn Fn(&str) -> Option<String>,
        request_id: &str,
        now_ms: u64,
        deadline_ms: Option<u64>,
    ) -> Result<Plan, String> {
        let listed = match request.functions {
            Some(functions) => functions,
            None => list_of(env(ENV_FUNCTIONS).unwrap_or_default()),
        };
        let mut functions: Vec<String> = Vec::new();
        for f in listed.iter().map(|f| f.trim()).filter(|f| !f.is_empty()) {
            if !functions.iter().any(|seen| seen == f) {
                functions.push(f.to_owned());
            }
        }
        if functions.is_empty() {
            return Err(format!(
                "no functions to benchmark; pass {{\"functions\": [\"name or ARN\", ...]}} in the event or set \
                 {ENV_FUNCTIONS} to a comma-separated list"
            ));
        }

        let cold_starts = match request.cold_starts {
            Some(n) => n,
            None => number(env, ENV_COLD_STARTS)?.unwrap_or(DEFAULT_COLD_STARTS as u64) as u32,
        };
        if !(1..=MAX_COLD_STARTS).contains(&cold_starts) {
            return Err(format!(
                "coldStarts is {cold_starts}; expected 1 to {MAX_COLD_STARTS} cold starts per function \
                 (lambda-perf uses 10 a day)"
            ));
        }

        let concurrency = match request.concurrency {
            Some(n) => n,
            None => number(env, ENV_CONCURRENCY)?.unwrap_or(DEFAULT_CONCURRENCY as u64) as usize,
        };
        if !(1..=MAX_CONCURRENCY).contains(&concurrency) {
            return Err(format!(
                "concurrency is {concurrency}; expected 1 to {MAX_CONCURRENCY} functions measured at the same time"
            ));
        }

        let payload = match request.payload {
            Some(value) => value,
            None => match env(ENV_PAYLOAD).filter(|p| !p.trim().is_empty()) {
                Some(text) => serde_json::from_str(&text)
                    .map_err(|e| format!("{ENV_PAYLOAD} is not JSON ({e}): {text}"))?,
                None => serde_json::json!({}),
            },
        };

        let warm_invokes = match request.warm_invokes {
            Some(n) => n,
            None => number(env, ENV_WARM_INVOKES)?.unwrap_or(DEFAULT_WARM_INVOKES as u64) as u32,
        };
        if warm_invokes > MAX_WARM_INVOKES {
            return Err(format!(
                "warmInvokes is {warm_invokes}; expected 0 to {MAX_WARM_INVOKES} warm invocations per function after \
                 the cold rounds"
            ));
        }

        // The event's own list must match its functions; the construct's (the environment) covers every function
        // the benchmark was given, of which an event may measure only some (or name them differently).
        let from_event = request.snap_start_functions.is_some();
        let snap_listed = match request.snap_start_functions {
            Some(list) => list,
            None => list_of(env(ENV_SNAPSTART_FUNCTIONS).unwrap_or_default()),
        };
        let mut snap_start: Vec<String> = Vec::new();
        for f in snap_listed
            .iter()
            .map(|f| f.trim())
            .filter(|f| !f.is_empty())
        {
            match functions.iter().find(|listed| same_function(listed, f)) {
                Some(listed) => {
                    if !snap_start.contains(listed) {
                        snap_start.push(listed.clone());
                    }
                }
                None if from_event => {
                    return Err(format!(
                        "snapStartFunctions lists '{f}', which is not one of the functions to measure; add it to \
                         functions (by name or ARN) or remove it"
                    ))
                }
                None => {}
            }
        }

        let run_id = format!("{}-{}", compact_utc(now_ms), short_id(request_id));
        let prefix = env(ENV_PREFIX).unwrap_or_else(|| DEFAULT_PREFIX.to_owned());
        let (key, latest_key) = match request.key.filter(|k| !k.is_empty()) {
            Some(key) => (key, None),
            None => (
                format!("{prefix}runs/{run_id}.json"),
                Some(format!("{prefix}latest.json")),
            ),
        };

        Ok(Plan {
            run_id,
            started_ms: now_ms,
            functions,
            cold_starts,
            concurrency,
            bucket: request
                .bucket
                .or_else(|| env(ENV_BUCKET))
                .filter(|b| !b.is_empty()),
            key,
            latest_key,
            payload,
            warm_invokes,
            snap_start,
            deadline_ms,
            polling: Polling::default(),
        })
    }
}

impl Plan {
    /// The bytes sent to a function for one invocation: the payload, and when it is a JSON object without an
    /// `id`, with `"id": id` added, so that every round of a workload writes its own item.
    pub fn payload_for(&self, id: &str) -> Vec<u8> {
        let mut payload = self.payload.clone();
        if let Some(object) = payload.as_object_mut() {
            object
                .entry("id")
                .or_insert_with(|| serde_json::Value::String(id.to_owned()));
        }
        serde_json::to_vec(&payload).expect("a JSON value serializes")
    }

    /// True when the function is measured through published versions.
    pub fn is_snap_start(&self, function: &str) -> bool {
        self.snap_start.iter().any(|f| f == function)
    }
}

/// The same function, named by name, by ARN, or one of each (`arn:<partition>:lambda:<region>:<account>:function:<name>`).
fn same_function(a: &str, b: &str) -> bool {
    fn name(f: &str) -> &str {
        if f.starts_with("arn:") {
            f.split(':').nth(6).unwrap_or(f)
        } else {
            f
        }
    }
    a == b || name(a) == name(b)
}

fn list_of(text: String) -> Vec<String> {
    text.split(',').map(str::to_owned).collect()
}

fn number(env: &dyn Fn(&str) -> Option<String>, name: &str) -> Result<Option<u64>, String> {
    match env(name).filter(|v| !v.trim().is_empty()) {
        None => Ok(None),
        Some(v) => v
            .trim()
            .parse::<u64>()
            .map(Some)
            .map_err(|_| format!("{name} is '{v}'; expected a whole number")),
    }
}

fn short_id(request_id: &str) -> String {
    let id: String = request_id
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(8)
        .collect();
    if id.is_empty() {
        "local".to_owned()
    } else {
        id
    }
}

/// `2026-11-27T03:04:05Z` for epoch milliseconds (UTC, whole seconds).
pub fn format_utc(ms: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}Z")
}

/// `20261127T030405Z`: sortable and safe in S3 keys.
pub fn compact_utc(ms: u64) -> String {
    let (y, mo, d, h, mi, s) = civil(ms);
    format!("{y:04}{mo:02}{d:02}T{h:02}{mi:02}{s:02}Z")
}

/// Epoch milliseconds to a UTC calendar date and time (proleptic Gregorian, days-from-civil inverted).
fn civil(ms: u64) -> (i64, u32, u32, u32, u32, u32) {
    let secs = (ms / 1000) as i64;
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (
        year,
        month,
        day,
        (rem / 3600) as u32,
        (rem % 3600 / 60) as u32,
        (rem % 60) as u32,
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use std::collections::HashMap;

    const NOW: u64 = 1_795_748_645_000; // 2026-11-27T03:04:05Z

    fn env_of(vars: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        move |name| map.get(name).cloned()
    }

    fn resolve(event: serde_json::Value, vars: &[(&str, &str)]) -> Result<Plan, String> {
        Plan::resolve(
            Request::from_event(event)?,
            &env_of(vars),
            "8f5b2c1e-0000-4000-8000-000000000001",
            NOW,
            None,
        )
    }

    #[test]
    fn utc_formatting() {
        assert_eq!(format_utc(NOW), "2026-11-27T03:04:05Z");
        assert_eq!(compact_utc(NOW), "20261127T030405Z");
        assert_eq!(format_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_utc(951_782_400_000), "2000-02-29T00:00:00Z");
        assert_eq!(format_utc(1_735_689_599_999), "2024-12-31T23:59:59Z");
    }

    #[test]
    fn everything_from_the_environment() {
        let plan = resolve(
            json!({}),
            &[
                (ENV_FUNCTIONS, "hello-rust, hello-node ,,hello-rust"),
                (ENV_COLD_STARTS, "5"),
                (ENV_BUCKET, "results"),
                (ENV_PREFIX, "bench/"),
                (ENV_PAYLOAD, "{\"name\":\"Ferris\"}"),
            ],
        )
        .unwrap();
        assert_eq!(plan.functions, vec!["hello-rust", "hello-node"]);
        assert_eq!(plan.cold_starts, 5);
        assert_eq!(plan.concurrency, DEFAULT_CONCURRENCY);
        assert_eq!(plan.bucket.as_deref(), Some("results"));
        assert_eq!(plan.run_id, "20261127T030405Z-8f5b2c1e");
        assert_eq!(plan.key, "bench/runs/20261127T030405Z-8f5b2c1e.json");
        assert_eq!(plan.latest_key.as_deref(), Some("bench/latest.json"));
        assert_eq!(plan.payload, json!({"name": "Ferris"}));
        assert_eq!(plan.warm_invokes, 0);
        assert!(plan.snap_start.is_empty());
    }

    #[test]
    fn the_event_wins_over_the_environment() {
        let plan = resolve(
            json!({"functions": ["a"], "coldStarts": 3, "bucket": "other", "key": "k.json", "payload": [1], "concurrency": 1}),
            &[(ENV_FUNCTIONS, "x,y"), (ENV_COLD_STARTS, "9"), (ENV_BUCKET, "results")],
        )
        .unwrap();
        assert_eq!(plan.functions, vec!["a"]);
        assert_eq!((plan.cold_starts, plan.concurrency), (3, 1));
        assert_eq!(plan.bucket.as_deref(), Some("other"));
        assert_eq!(
            (plan.key.as_str(), plan.latest_key.clone()),
            ("k.json", None)
        );
        assert_eq!(plan.payload, json!([1]));
        // not an object: sent as is
        assert_eq!(plan.payload_for("r-1"), b"[1]".to_vec());
    }

    #[test]
    fn defaults_without_bucket_or_prefix() {
        let plan = resolve(json!(null), &[(ENV_FUNCTIONS, "f")]).unwrap();
        assert_eq!(plan.cold_starts, 10);
        assert_eq!(plan.bucket, None);
        assert!(plan.key.starts_with("coldstart/runs/"));
        assert_eq!(plan.payload, json!({}));
        assert_eq!(plan.payload_for("run-f-1"), br#"{"id":"run-f-1"}"#.to_vec());
    }

    #[test]
    fn every_invocation_gets_an_id_unless_the_payload_has_one() {
        let plan = resolve(
            json!({}),
            &[(ENV_FUNCTIONS, "f"), (ENV_PAYLOAD, r#"{"payload":"hi"}"#)],
        )
        .unwrap();
        assert_eq!(
            serde_json::from_slice::<serde_json::Value>(&plan.payload_for("x-1")).unwrap(),
            json!({"payload": "hi", "id": "x-1"})
        );
        let own = resolve(json!({"payload": {"id": "mine"}}), &[(ENV_FUNCTIONS, "f")]).unwrap();
        assert_eq!(own.payload_for("x-1"), br#"{"id":"mine"}"#.to_vec());
    }

    #[test]
    fn warm_invokes_and_snapstart_functions_from_the_environment_and_the_event() {
        let vars = [
            (
                ENV_FUNCTIONS,
                "arn:aws:lambda:us-east-1:1:function:java,rust",
            ),
            (ENV_WARM_INVOKES, "5"),
            (
                ENV_SNAPSTART_FUNCTIONS,
                "arn:aws:lambda:us-east-1:1:function:java",
            ),
        ];
        let plan = resolve(json!({}), &vars).unwrap();
        assert_eq!(plan.warm_invokes, 5);
        assert_eq!(
            plan.snap_start,
            vec!["arn:aws:lambda:us-east-1:1:function:java"]
        );
        assert!(plan.is_snap_start("arn:aws:lambda:us-east-1:1:function:java"));
        assert!(!plan.is_snap_start("rust"));
        let plan = resolve(json!({"warmInvokes": 0, "snapStartFunctions": []}), &vars).unwrap();
        assert_eq!((plan.warm_invokes, plan.snap_start.len()), (0, 0));

        let err = resolve(json!({"warmInvokes": 51}), &vars).unwrap_err();
        assert!(
            err.contains("warmInvokes is 51") && err.contains("0 to 50"),
            "{err}"
        );
        let err = resolve(json!({"snapStartFunctions": ["go"]}), &vars).unwrap_err();
        assert!(
            err.contains("snapStartFunctions lists 'go'") && err.contains("add it to functions"),
            "{err}"
        );
        // an event's list may name a function by name where the run has its ARN: the run's spelling is kept
        let plan = resolve(json!({"snapStartFunctions": ["java"]}), &vars).unwrap();
        assert_eq!(
            plan.snap_start,
            vec!["arn:aws:lambda:us-east-1:1:function:java"]
        );
    }

    #[test]
    fn the_constructs_snapstart_list_applies_to_the_functions_an_event_measures() {
        let vars = [
            (
                ENV_FUNCTIONS,
                "arn:aws:lambda:us-east-1:1:function:java,rust",
            ),
            (
                ENV_SNAPSTART_FUNCTIONS,
                "arn:aws:lambda:us-east-1:1:function:java",
            ),
        ];
        // a subset without the SnapStart function: measured through $LATEST, no error
        let plan = resolve(json!({"functions": ["rust"]}), &vars).unwrap();
        assert!(plan.snap_start.is_empty());
        // the SnapStart function by name: still measured through versions
        let plan = resolve(json!({"functions": ["java"]}), &vars).unwrap();
        assert_eq!(plan.snap_start, vec!["java"]);
        assert!(plan.is_snap_start("java"));
    }

    #[test]
    fn scheduled_events_are_accepted() {
        let event = json!({"version": "0", "id": "x", "detail-type": "Scheduled Event", "source": "aws.events",
                           "time": "2026-11-27T03:00:00Z", "resources": [], "detail": {}});
        assert!(resolve(event, &[(ENV_FUNCTIONS, "f")]).is_ok());
    }

    #[test]
    fn errors_name_the_value_and_the_fix() {
        let err = resolve(json!({}), &[]).unwrap_err();
        assert!(
            err.contains("no functions") && err.contains(ENV_FUNCTIONS),
            "{err}"
        );
        let err = resolve(json!({"functions": []}), &[(ENV_FUNCTIONS, "f")]).unwrap_err();
        assert!(err.contains("no functions"), "{err}");
        let err = resolve(json!({"coldStarts": 0}), &[(ENV_FUNCTIONS, "f")]).unwrap_err();
        assert!(
            err.contains("coldStarts is 0") && err.contains("1 to 100"),
            "{err}"
        );
        let err =
            resolve(json!({}), &[(ENV_FUNCTIONS, "f"), (ENV_COLD_STARTS, "101")]).unwrap_err();
        assert!(err.contains("coldStarts is 101"), "{err}");
        let err =
            resolve(json!({}), &[(ENV_FUNCTIONS, "f"), (ENV_COLD_STARTS, "ten")]).unwrap_err();
        assert!(err.contains("'ten'"), "{err}");
        let err = resolve(json!({"concurrency": 0}), &[(ENV_FUNCTIONS, "f")]).unwrap_err();
        assert!(err.contains("concurrency is 0"), "{err}");
        let err = resolve(json!({}), &[(ENV_FUNCTIONS, "f"), (ENV_PAYLOAD, "{oops")]).unwrap_err();
        assert!(err.contains(ENV_PAYLOAD), "{err}");
        let err = resolve(json!({"functions": "f"}), &[]).unwrap_err();
        assert!(err.contains("not a benchmark request"), "{err}");
    }
}
