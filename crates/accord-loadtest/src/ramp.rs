//! Scenario `ramp`: `co-edit` at growing editor counts, same per-editor
//! rate, shorter runs, until p95 propagation latency passes a limit.
//!
//! A step that loses deliveries or cannot connect everyone counts as past
//! the limit: an overloaded server must not look fast by dropping its tail.

use std::time::Duration;

use anyhow::Result;
use serde::Serialize;

use crate::coedit::{self, Config, Report};
use crate::stats::fmt_ms;

pub struct Plan {
    pub steps: Vec<usize>,
    pub p95_limit_ms: f64,
    pub room_per_step: bool,
    pub pause: Duration,
    pub verbose: bool,
    /// Run every step even past the limit (to see how cost scales).
    pub all_steps: bool,
}

#[derive(Debug, Serialize)]
pub struct StepResult {
    pub editors: usize,
    pub report: Option<Report>,
    pub error: Option<String>,
    pub within_limit: bool,
}

#[derive(Debug, Serialize)]
pub struct RampReport {
    pub scenario: &'static str,
    pub url: String,
    pub rate_per_editor: f64,
    /// Full replicas per step (`None`: every editor), as passed to co-edit.
    pub replicas: Option<usize>,
    pub step_duration_s: f64,
    pub p95_limit_ms: f64,
    pub steps: Vec<StepResult>,
    /// Largest editor count whose p95 stayed within the limit.
    pub last_within_limit: Option<usize>,
    /// First editor count whose p95 passed the limit (None: never, up to the last step).
    pub first_past_limit: Option<usize>,
}

fn within(r: &Report, limit: f64) -> bool {
    r.connect_failures == 0
        && r.lost_deliveries == 0
        && r.latency.p95_ms.is_some_and(|p| p <= limit)
}

pub async fn run(base: &Config, plan: &Plan) -> Result<RampReport> {
    let mut out = RampReport {
        scenario: "ramp",
        url: base.target.url.clone(),
        rate_per_editor: base.rate,
        replicas: base.replicas,
        step_duration_s: base.duration.as_secs_f64(),
        p95_limit_ms: plan.p95_limit_ms,
        steps: Vec::new(),
        last_within_limit: None,
        first_past_limit: None,
    };
    for (i, &editors) in plan.steps.iter().enumerate() {
        if i > 0 {
            tokio::time::sleep(plan.pause).await;
        }
        let mut cfg = base.clone();
        cfg.editors = editors;
        if plan.room_per_step {
            cfg.target = base
                .target
                .with_room(&format!("{}-e{editors}", base.target.room()))?;
        }
        let step = match coedit::run(&cfg).await {
            Ok(r) => {
                let ok = within(&r, plan.p95_limit_ms);
                StepResult {
                    editors,
                    report: Some(r),
                    error: None,
                    within_limit: ok,
                }
            }
            Err(e) => StepResult {
                editors,
                report: None,
                error: Some(format!("{e:#}")),
                within_limit: false,
            },
        };
        if plan.verbose {
            print_step(&step);
        }
        let ok = step.within_limit;
        out.steps.push(step);
        if ok && out.first_past_limit.is_none() {
            out.last_within_limit = Some(editors);
        } else {
            out.first_past_limit.get_or_insert(editors);
            if !plan.all_steps {
                break;
            }
        }
    }
    Ok(out)
}

fn print_step(s: &StepResult) {
    match (&s.report, &s.error) {
        (Some(r), _) => {
            let l = &r.latency;
            let cpu = r
                .server
                .as_ref()
                .map(|c| {
                    format!(
                        "{:.2} CPU s ({:.2} cores), peak RSS {:.1} MiB",
                        c.cpu_seconds, c.cpu_cores, c.max_sampled_rss_mib
                    )
                })
                .unwrap_or_default();
            println!(
                "  {:>4} editors: {:>6} sent, {:>9} delivered ({} lost), p50 {} p95 {} p99 {} max {} ms, clients equal {} ({} replicas), server equal {:?}; {}; loadgen {:.1} CPU s{}",
                s.editors,
                r.updates_sent,
                r.deliveries,
                r.lost_deliveries,
                fmt_ms(l.p50_ms, l.lost),
                fmt_ms(l.p95_ms, l.lost),
                fmt_ms(l.p99_ms, l.lost),
                fmt_ms(l.max_ms, 0),
                r.clients_equal,
                r.replicas,
                r.server_equal,
                cpu,
                r.loadgen_cpu_seconds,
                if s.within_limit { "" } else { "  <- past the limit" }
            );
        }
        (None, Some(e)) => println!("  {:>4} editors: failed: {e}", s.editors),
        _ => {}
    }
}

pub fn print_human(r: &RampReport, plan: &Plan) {
    let replicas = r
        .replicas
        .map(|k| format!("first {k} editors full replicas"))
        .unwrap_or_else(|| "every editor a full replica".into());
    println!(
        "ramp  {}  ({} upd/s/editor, {:.0} s per step, p95 limit {} ms, {replicas})",
        r.url, r.rate_per_editor, r.step_duration_s, plan.p95_limit_ms
    );
    match (r.last_within_limit, r.first_past_limit) {
        (last, Some(first)) => println!(
            "  p95 passed {} ms at {first} editors (last within: {})",
            plan.p95_limit_ms,
            last.map(|n| n.to_string()).unwrap_or_else(|| "none".into())
        ),
        (Some(last), None) => println!(
            "  p95 stayed within {} ms up to {last} editors (the last step tried)",
            plan.p95_limit_ms
        ),
        (None, None) => println!("  no step ran"),
    }
}
