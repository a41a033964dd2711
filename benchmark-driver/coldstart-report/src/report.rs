//! Lambda's per-invocation `REPORT` record, read from a log tail.
//!
//! Lambda writes one report per invocation. With the default text log format it is a line such as
//!
//! ```text
//! REPORT RequestId: 6f1c...  Duration: 1.23 ms  Billed Duration: 17 ms  Memory Size: 128 MB  Max Memory Used: 15 MB  Init Duration: 14.56 ms
//! ```
//!
//! (fields separated by tabs, shown as spaces here; optional fields appended: `Init Duration` on a cold
//! start, `Restore Duration` and `Billed Restore Duration` on a SnapStart restore, `XRAY TraceId`/`SegmentId`/
//! `Sampled` when traced, `Status`/`Error Type` when the invocation failed). With the JSON log format it is a `platform.report` record:
//!
//! ```text
//! {"time":"...","type":"platform.report","record":{"requestId":"6f1c...","metrics":{"durationMs":1.23,
//!  "billedDurationMs":17,"memorySizeMB":128,"maxMemoryUsedMB":15,"initDurationMs":14.56},"status":"success"}}
//! ```

use serde::{Deserialize, Serialize};
use std::fmt;

/// The metrics of one invocation, whichever log format they came from.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Report {
    pub request_id: String,
    /// Time spent in the handler (and, for the first invocation of a custom runtime, nothing of init).
    pub duration_ms: f64,
    /// What Lambda billed for the invocation, in whole milliseconds.
    pub billed_duration_ms: u64,
    #[serde(rename = "memorySizeMB")]
    pub memory_size_mb: u64,
    #[serde(rename = "maxMemoryUsedMB")]
    pub max_memory_used_mb: u64,
    /// Present only when the invocation started a new execution environment (a cold start).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub init_duration_ms: Option<f64>,
    /// Present only when a SnapStart snapshot was restored.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub restore_duration_ms: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub billed_restore_duration_ms: Option<u64>,
    /// `success`, `error`, `timeout`, ... as Lambda reported it; the text format only names failures.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_type: Option<String>,
}

impl Report {
    /// True when the invocation ran in a fresh execution environment (init or snapshot restore happened).
    pub fn is_cold(&self) -> bool {
        self.init_duration_ms.is_some() || self.restore_duration_ms.is_some()
    }

    /// Billed milliseconds of the invocation, including a billed snapshot restore.
    pub fn total_billed_ms(&self) -> u64 {
        self.billed_duration_ms + self.billed_restore_duration_ms.unwrap_or(0)
    }
}

/// Why a log (or a line of it) did not yield a report.
#[derive(Debug, Clone, PartialEq)]
pub enum ParseError {
    /// The log has no REPORT line and no `platform.report` record (the tail may have been cut, or logging is off).
    NoReport,
    /// A report without one of the fields every report has.
    MissingField { field: &'static str, line: String },
    /// A field whose value is not the number it should be.
    BadNumber { field: &'static str, value: String },
    /// A `platform.report` record that is not valid JSON of the expected shape.
    BadJson { message: String, line: String },
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ParseError::NoReport => write!(
                f,
                "the log tail has no REPORT line nor platform.report record; check that the function logs to \
                 CloudWatch (log level of system logs at least INFO) and that its own output does not crowd out \
                 the last 4 KB"
            ),
            ParseError::MissingField { field, line } => {
                write!(f, "the report has no '{field}': {line}")
            }
            ParseError::BadNumber { field, value } => {
                write!(f, "'{field}' of the report is '{value}', not a number")
            }
            ParseError::BadJson { message, line } => {
                write!(f, "the platform.report record is not valid: {message}: {line}")
            }
        }
    }
}

impl std::error::Error for ParseError {}

/// Finds the last report in a log (text or JSON format) and parses it.
///
/// Lines that are neither a REPORT line nor a JSON `platform.report` record are skipped, so the function's own
/// output (plain or JSON) does not get in the way.
pub fn find_report(log: &str) -> Result<Report, ParseError> {
    for line in log.lines().rev() {
        if let Some(report) = parse_line(line) {
            return report;
        }
    }
    Err(ParseError::NoReport)
}

/// Parses one log line: `None` when it is not a report at all, `Some(Err(..))` when it is a broken one.
pub fn parse_line(line: &str) -> Option<Result<Report, ParseError>> {
    let trimmed = line.trim();
    if trimmed.starts_with('{') {
        return parse_json_line(trimmed);
    }
    let start = trimmed.find(TEXT_MARKER)?;
    Some(parse_text_report(&trimmed[start..]))
}

const TEXT_MARKER: &str = "REPORT RequestId:";

/// Parses a text REPORT line (`REPORT RequestId: ... Duration: ... ms ...`).
pub fn parse_text_report(line: &str) -> Result<Report, ParseError> {
    let body = line
        .trim()
        .strip_prefix("REPORT")
        .ok_or_else(|| ParseError::MissingField {
            field: "REPORT",
            line: line.to_owned(),
        })?;
    let fields = text_fields(body);
    let get = |name: &str| {
        fields
            .iter()
            .find(|(label, _)| label == name)
            .map(|(_, value)| value.as_str())
    };
    let required = |field: &'static str| {
        get(field)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| ParseError::MissingField {
                field,
                line: line.trim().to_owned(),
            })
    };

    Ok(Report {
        request_id: required("RequestId")?.to_owned(),
        duration_ms: float(required("Duration")?, "Duration")?,
        billed_duration_ms: whole(required("Billed Duration")?, "Billed Duration")?,
        memory_size_mb: whole(required("Memory Size")?, "Memory Size")?,
        max_memory_used_mb: whole(required("Max Memory Used")?, "Max Memory Used")?,
        init_duration_ms: get("Init Duration")
            .map(|v| float(v, "Init Duration"))
            .transpose()?,
        restore_duration_ms: get("Restore Duration")
            .map(|v| float(v, "Restore Duration"))
            .transpose()?,
        billed_restore_duration_ms: get("Billed Restore Duration")
            .map(|v| whole(v, "Billed Restore Duration"))
            .transpose()?,
        status: get("Status").filter(|v| !v.is_empty()).map(str::to_owned),
        error_type: get("Error Type")
            .filter(|v| !v.is_empty())
            .map(str::to_owned),
    })
}

/// Splits the body of a text report into `(label, value)` pairs.
///
/// Labels are one or more words ending with `:` (`Billed Restore Duration:`); a value is one token, optionally
/// followed by its unit (`ms`, `MB`), which is dropped. Tabs and spaces are treated alike, so lines copied from
/// a console (where tabs became spaces) parse the same way.
fn text_fields(body: &str) -> Vec<(String, String)> {
    let mut fields = Vec::new();
    let mut label: Vec<&str> = Vec::new();
    let mut tokens = body.split_whitespace().peekable();
    while let Some(token) = tokens.next() {
        let Some(last_word) = token.strip_suffix(':') else {
            label.push(token);
            continue;
        };
        label.push(last_word);
        let name = label.join(" ");
        label.clear();
        let value = match tokens.peek() {
            Some(next) if !next.ends_with(':') => tokens.next().unwrap_or_default(),
            _ => "",
        };
        if matches!(tokens.peek(), Some(&"ms") | Some(&"MB")) {
            tokens.next();
        }
        fields.push((name, value.to_owned()));
    }
    fields
}

fn float(value: &str, field: &'static str) -> Result<f64, ParseError> {
    value
        .parse::<f64>()
        .ok()
        .filter(|v| v.is_finite() && *v >= 0.0)
        .ok_or_else(|| ParseError::BadNumber {
            field,
            value: value.to_owned(),
        })
}

/// Whole milliseconds or megabytes; a fractional value is rounded up, as Lambda rounds billed time.
fn whole(value: &str, field: &'static str) -> Result<u64, ParseError> {
    if let Ok(v) = value.parse::<u64>() {
        return Ok(v);
    }
    float(value, field).map(|v| v.ceil() as u64)
}

#[derive(Deserialize)]
struct JsonLogLine {
    #[serde(rename = "type")]
    kind: Option<String>,
    record: Option<serde_json::Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonReportRecord {
    request_id: String,
    metrics: JsonReportMetrics,
    status: Option<String>,
    error_type: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct JsonReportMetrics {
    duration_ms: f64,
    billed_duration_ms: f64,
    #[serde(rename = "memorySizeMB")]
    memory_size_mb: f64,
    #[serde(rename = "maxMemoryUsedMB")]
    max_memory_used_mb: f64,
    init_duration_ms: Option<f64>,
    restore_duration_ms: Option<f64>,
    billed_restore_duration_ms: Option<f64>,
}

/// A JSON log line: `None` unless it is a `platform.report` record.
fn parse_json_line(line: &str) -> Option<Result<Report, ParseError>> {
    let parsed: JsonLogLine = serde_json::from_str(line).ok()?;
    if parsed.kind.as_deref() != Some("platform.report") {
        return None;
    }
    let bad = |message: String| ParseError::BadJson {
        message,
        line: line.to_owned(),
    };
    let Some(record) = parsed.record else {
        return Some(Err(bad("no 'record'".to_owned())));
    };
    let record: JsonReportRecord = match serde_json::from_value(record) {
        Ok(record) => record,
        Err(e) => return Some(Err(bad(e.to_string()))),
    };
    let m = record.metrics;
    let ceil = |v: f64| v.max(0.0).ceil() as u64;
    Some(Ok(Report {
        request_id: record.request_id,
        duration_ms: m.duration_ms,
        billed_duration_ms: ceil(m.billed_duration_ms),
        memory_size_mb: ceil(m.memory_size_mb),
        max_memory_used_mb: ceil(m.max_memory_used_mb),
        init_duration_ms: m.init_duration_ms,
        restore_duration_ms: m.restore_duration_ms,
        billed_restore_duration_ms: m.billed_restore_duration_ms.map(ceil),
        status: record.status,
        error_type: record.error_type,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    const RID: &str = "6f1c0a52-8d3e-4b7f-9c21-0e5d4a3b2f10";

    fn report(line: &str) -> Report {
        find_report(line).unwrap_or_else(|e| panic!("{e}\nline: {line}"))
    }

    #[test]
    fn cold_start_of_a_managed_runtime_tab_separated() {
        let line = format!(
            "REPORT RequestId: {RID}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 36 MB\tInit Duration: 76.41 ms\t"
        );
        assert_eq!(
            report(&line),
            Report {
                request_id: RID.to_owned(),
                duration_ms: 1.23,
                billed_duration_ms: 2,
                memory_size_mb: 128,
                max_memory_used_mb: 36,
                init_duration_ms: Some(76.41),
                restore_duration_ms: None,
                billed_restore_duration_ms: None,
                status: None,
                error_type: None,
            }
        );
    }

    #[test]
    fn cold_start_of_a_custom_runtime_bills_init() {
        // provided.al2023: Billed Duration includes the init phase.
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 1.73 ms\tBilled Duration: 17 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 14.56 ms"
        ));
        assert_eq!(r.init_duration_ms, Some(14.56));
        assert_eq!(r.billed_duration_ms, 17);
        assert_eq!(r.max_memory_used_mb, 15);
        assert!(r.is_cold());
    }

    #[test]
    fn warm_invocation_has_no_init_duration() {
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 12.04 ms\tBilled Duration: 13 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\t"
        ));
        assert_eq!(r.init_duration_ms, None);
        assert!(!r.is_cold());
        assert_eq!(r.duration_ms, 12.04);
    }

    #[test]
    fn snapstart_restore_has_restore_and_billed_restore_duration() {
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 60.12 ms\tBilled Duration: 61 ms\tMemory Size: 512 MB\tMax Memory Used: 121 MB\tRestore Duration: 381.44 ms\tBilled Restore Duration: 170 ms"
        ));
        assert_eq!(r.init_duration_ms, None);
        assert_eq!(r.restore_duration_ms, Some(381.44));
        assert_eq!(r.billed_restore_duration_ms, Some(170));
        assert!(r.is_cold());
        assert_eq!(r.total_billed_ms(), 231);
    }

    #[test]
    fn spaces_instead_of_tabs() {
        let r = report(&format!(
            "REPORT RequestId: {RID} Duration: 1.23 ms Billed Duration: 2 ms Memory Size: 128 MB Max Memory Used: 15 MB Init Duration: 14.56 ms"
        ));
        assert_eq!(r.duration_ms, 1.23);
        assert_eq!(r.init_duration_ms, Some(14.56));
    }

    #[test]
    fn xray_fields_are_ignored() {
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 201.67 ms\tBilled Duration: 202 ms\tMemory Size: 2048 MB\tMax Memory Used: 81 MB\tInit Duration: 480.25 ms\tXRAY TraceId: 1-61c86fa4-59b3c6d959653c527fd10966\tSegmentId: 107ea78a5750a811\tSampled: true\t"
        ));
        assert_eq!(r.memory_size_mb, 2048);
        assert_eq!(r.init_duration_ms, Some(480.25));
        assert_eq!(r.status, None);
    }

    #[test]
    fn failed_invocation_keeps_status_and_error_type() {
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tInit Duration: 120.11 ms\tStatus: error\tError Type: Runtime.ExitError"
        ));
        assert_eq!(r.status.as_deref(), Some("error"));
        assert_eq!(r.error_type.as_deref(), Some("Runtime.ExitError"));
        assert_eq!(r.duration_ms, 3000.0);

        let timeout = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 3000.00 ms\tBilled Duration: 3000 ms\tMemory Size: 128 MB\tMax Memory Used: 40 MB\tStatus: timeout"
        ));
        assert_eq!(timeout.status.as_deref(), Some("timeout"));
        assert_eq!(timeout.error_type, None);
    }

    #[test]
    fn finds_the_report_at_the_end_of_a_whole_tail() {
        let tail = format!(
            "START RequestId: {RID} Version: $LATEST\n\
             2026-11-27T03:00:00.000Z\t{RID}\tINFO\thello from node\n\
             END RequestId: {RID}\n\
             REPORT RequestId: {RID}\tDuration: 11.80 ms\tBilled Duration: 12 ms\tMemory Size: 128 MB\tMax Memory Used: 67 MB\tInit Duration: 141.97 ms\t\n"
        );
        let r = report(&tail);
        assert_eq!(r.init_duration_ms, Some(141.97));
        assert_eq!(r.request_id, RID);
    }

    #[test]
    fn the_last_report_wins() {
        let tail = format!(
            "REPORT RequestId: a\tDuration: 1.00 ms\tBilled Duration: 1 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\n\
             REPORT RequestId: {RID}\tDuration: 2.00 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 16 MB\n"
        );
        assert_eq!(report(&tail).request_id, RID);
    }

    #[test]
    fn init_report_lines_and_function_output_are_not_reports() {
        assert_eq!(
            find_report("INIT_REPORT Init Duration: 9999.93 ms\tPhase: init\tStatus: timeout\n"),
            Err(ParseError::NoReport)
        );
        assert_eq!(
            find_report("we REPORT nothing here\n"),
            Err(ParseError::NoReport)
        );
        assert_eq!(find_report(""), Err(ParseError::NoReport));
        assert_eq!(
            parse_line("{\"level\":\"INFO\",\"message\":\"REPORT\"}"),
            None
        );
        assert_eq!(parse_line("{not json"), None);
    }

    #[test]
    fn json_platform_report_cold_start() {
        let line = format!(
            r#"{{"time":"2026-11-27T03:00:00.123Z","type":"platform.report","record":{{"requestId":"{RID}","metrics":{{"durationMs":1.73,"billedDurationMs":17,"memorySizeMB":128,"maxMemoryUsedMB":15,"initDurationMs":14.56}},"status":"success"}}}}"#
        );
        let r = report(&line);
        assert_eq!(r.request_id, RID);
        assert_eq!(r.duration_ms, 1.73);
        assert_eq!(r.billed_duration_ms, 17);
        assert_eq!(r.memory_size_mb, 128);
        assert_eq!(r.max_memory_used_mb, 15);
        assert_eq!(r.init_duration_ms, Some(14.56));
        assert_eq!(r.status.as_deref(), Some("success"));
    }

    #[test]
    fn json_platform_report_with_tracing_spans_and_restore() {
        let line = format!(
            r#"{{"time":"2026-11-27T03:00:00.123Z","type":"platform.report","record":{{"requestId":"{RID}","metrics":{{"durationMs":60.12,"billedDurationMs":61,"memorySizeMB":512,"maxMemoryUsedMB":121,"restoreDurationMs":381.44,"billedRestoreDurationMs":170}},"tracing":{{"spanId":"4d1e","type":"X-Amzn-Trace-Id","value":"Root=1-5e1b4151-5ac6c58f5b1e8f6b3c1a9d2e;Parent=4d1e;Sampled=1"}},"spans":[{{"name":"responseLatency","start":"2026-11-27T03:00:00.100Z","durationMs":0.9}}],"status":"success"}}}}"#
        );
        let r = report(&line);
        assert_eq!(r.restore_duration_ms, Some(381.44));
        assert_eq!(r.billed_restore_duration_ms, Some(170));
        assert_eq!(r.init_duration_ms, None);
        assert!(r.is_cold());
    }

    #[test]
    fn json_tail_with_other_platform_records_and_function_logs() {
        let tail = format!(
            "{{\"time\":\"2026-11-27T03:00:00.000Z\",\"type\":\"platform.initStart\",\"record\":{{\"initializationType\":\"on-demand\",\"phase\":\"init\",\"runtimeVersion\":\"provided:al2023.v100\",\"functionName\":\"hello\",\"functionVersion\":\"$LATEST\"}}}}\n\
             {{\"timestamp\":\"2026-11-27T03:00:00.010Z\",\"level\":\"INFO\",\"message\":\"hello\",\"requestId\":\"{RID}\"}}\n\
             {{\"time\":\"2026-11-27T03:00:00.012Z\",\"type\":\"platform.runtimeDone\",\"record\":{{\"requestId\":\"{RID}\",\"status\":\"success\",\"metrics\":{{\"durationMs\":1.1,\"producedBytes\":52}}}}}}\n\
             {{\"time\":\"2026-11-27T03:00:00.013Z\",\"type\":\"platform.report\",\"record\":{{\"requestId\":\"{RID}\",\"metrics\":{{\"durationMs\":1.5,\"billedDurationMs\":16,\"memorySizeMB\":128,\"maxMemoryUsedMB\":14,\"initDurationMs\":13.9}},\"status\":\"success\"}}}}\n"
        );
        let r = report(&tail);
        assert_eq!(r.init_duration_ms, Some(13.9));
        assert_eq!(r.billed_duration_ms, 16);
    }

    #[test]
    fn json_failed_invocation() {
        let line = format!(
            r#"{{"time":"t","type":"platform.report","record":{{"requestId":"{RID}","metrics":{{"durationMs":3000.0,"billedDurationMs":3000,"memorySizeMB":128,"maxMemoryUsedMB":40,"initDurationMs":98.2}},"status":"timeout"}}}}"#
        );
        let r = report(&line);
        assert_eq!(r.status.as_deref(), Some("timeout"));
        let line = format!(
            r#"{{"time":"t","type":"platform.report","record":{{"requestId":"{RID}","metrics":{{"durationMs":5.0,"billedDurationMs":5,"memorySizeMB":128,"maxMemoryUsedMB":40}},"status":"error","errorType":"Runtime.Unknown"}}}}"#
        );
        assert_eq!(report(&line).error_type.as_deref(), Some("Runtime.Unknown"));
    }

    #[test]
    fn broken_json_report_is_an_error_naming_the_problem() {
        let line = r#"{"time":"t","type":"platform.report","record":{"requestId":"x","metrics":{"durationMs":1.0}}}"#;
        match find_report(line) {
            Err(ParseError::BadJson { message, .. }) => {
                assert!(message.contains("billedDurationMs"), "{message}")
            }
            other => panic!("expected BadJson, got {other:?}"),
        }
        let line = r#"{"time":"t","type":"platform.report"}"#;
        assert!(matches!(find_report(line), Err(ParseError::BadJson { .. })));
    }

    #[test]
    fn missing_required_field_is_an_error() {
        let err = find_report(&format!(
            "REPORT RequestId: {RID}\tDuration: 1.23 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB"
        ))
        .unwrap_err();
        assert!(matches!(
            err,
            ParseError::MissingField {
                field: "Billed Duration",
                ..
            }
        ));
        assert!(err.to_string().contains("Billed Duration"));
        let err = find_report("REPORT RequestId: \tDuration: 1 ms").unwrap_err();
        assert!(matches!(
            err,
            ParseError::MissingField {
                field: "RequestId",
                ..
            }
        ));
    }

    #[test]
    fn bad_numbers_are_errors() {
        let err = find_report(&format!(
            "REPORT RequestId: {RID}\tDuration: fast ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB"
        ))
        .unwrap_err();
        assert_eq!(
            err,
            ParseError::BadNumber {
                field: "Duration",
                value: "fast".to_owned()
            }
        );
        assert!(find_report(&format!(
            "REPORT RequestId: {RID}\tDuration: -1 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB"
        ))
        .is_err());
    }

    #[test]
    fn a_prefix_before_report_is_tolerated() {
        // e.g. a line copied from a log viewer with a timestamp in front
        let r = report(&format!(
            "2026-11-27T03:00:00.000Z REPORT RequestId: {RID}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB"
        ));
        assert_eq!(r.billed_duration_ms, 2);
    }

    #[test]
    fn serializes_with_lambda_json_names() {
        let r = report(&format!(
            "REPORT RequestId: {RID}\tDuration: 1.23 ms\tBilled Duration: 2 ms\tMemory Size: 128 MB\tMax Memory Used: 15 MB\tInit Duration: 14.56 ms"
        ));
        let json = serde_json::to_value(&r).unwrap();
        assert_eq!(
            json,
            serde_json::json!({
                "requestId": RID,
                "durationMs": 1.23,
                "billedDurationMs": 2,
                "memorySizeMB": 128,
                "maxMemoryUsedMB": 15,
                "initDurationMs": 14.56
            })
        );
    }
}
