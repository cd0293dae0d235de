//! CPU time and memory of a server process, read from /proc (Linux only).
//!
//! CPU is `utime + stime` from /proc/PID/stat in clock ticks, converted with
//! `getconf CLK_TCK` (the workspace forbids `unsafe`, so no `sysconf` call).
//! Peak RSS is the kernel's own high-water mark (VmHWM), which also catches
//! spikes between samples; VmRSS is sampled as well because VmHWM covers the
//! whole life of the process, not just one run.

use std::time::Duration;

use anyhow::{anyhow, bail, Context, Result};
use serde::Serialize;
use tokio::sync::oneshot;

/// utime and stime of a process, in clock ticks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CpuTicks {
    pub utime: u64,
    pub stime: u64,
}

impl CpuTicks {
    pub fn total(&self) -> u64 {
        self.utime + self.stime
    }
}

/// Parses /proc/PID/stat. The command name (field 2) is in parentheses and
/// may itself contain spaces and parentheses, so fields are counted from the
/// last `)`.
pub fn parse_stat(s: &str) -> Result<CpuTicks> {
    let close = s.rfind(')').ok_or_else(|| anyhow!("no ')' in stat line"))?;
    // After ')': field 3 (state) is index 0, so utime (14) is 11, stime (15) is 12.
    let fields: Vec<&str> = s[close + 1..].split_whitespace().collect();
    if fields.len() < 13 {
        bail!("stat line has only {} fields after the name", fields.len());
    }
    let utime = fields[11].parse().context("utime")?;
    let stime = fields[12].parse().context("stime")?;
    Ok(CpuTicks { utime, stime })
}

/// Memory figures from /proc/PID/status, in KiB.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct MemStatus {
    pub vm_rss_kib: u64,
    pub vm_hwm_kib: u64,
}

pub fn parse_status(s: &str) -> Result<MemStatus> {
    let mut rss = None;
    let mut hwm = None;
    for line in s.lines() {
        let Some((key, rest)) = line.split_once(':') else {
            continue;
        };
        let slot = match key {
            "VmRSS" => &mut rss,
            "VmHWM" => &mut hwm,
            _ => continue,
        };
        let num = rest
            .split_whitespace()
            .next()
            .ok_or_else(|| anyhow!("{key} without a value"))?;
        *slot = Some(num.parse::<u64>().with_context(|| format!("{key} value"))?);
    }
    Ok(MemStatus {
        vm_rss_kib: rss.ok_or_else(|| anyhow!("no VmRSS line"))?,
        vm_hwm_kib: hwm.ok_or_else(|| anyhow!("no VmHWM line"))?,
    })
}

/// Clock ticks per second; 100 on every Linux this will plausibly run on,
/// which is also the fallback if `getconf` is missing.
pub fn clk_tck() -> u64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .filter(|&t| t > 0)
        .unwrap_or(100)
}

/// Which process to read: a PID or this load generator itself.
#[derive(Debug, Clone, Copy)]
pub enum Proc {
    Pid(u32),
    OwnProcess,
}

impl Proc {
    fn path(&self, file: &str) -> String {
        match self {
            Proc::Pid(pid) => format!("/proc/{pid}/{file}"),
            Proc::OwnProcess => format!("/proc/self/{file}"),
        }
    }

    pub fn cpu(&self) -> Result<CpuTicks> {
        let path = self.path("stat");
        parse_stat(&std::fs::read_to_string(&path).with_context(|| path.clone())?)
    }

    pub fn mem(&self) -> Result<MemStatus> {
        let path = self.path("status");
        parse_status(&std::fs::read_to_string(&path).with_context(|| path.clone())?)
    }
}

/// Samples VmRSS in the background until stopped; returns the largest seen.
pub struct RssSampler {
    stop: Option<oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<u64>,
}

impl RssSampler {
    /// Sampling stops by itself after `limit`, so a forgotten sampler ends.
    pub fn start(proc_: Proc, every: Duration, limit: Duration) -> Self {
        let (tx, mut rx) = oneshot::channel();
        let task = tokio::spawn(async move {
            let mut max = 0;
            let deadline = tokio::time::Instant::now() + limit;
            let mut tick = tokio::time::interval(every);
            while tokio::time::Instant::now() < deadline {
                tokio::select! {
                    _ = &mut rx => break,
                    _ = tick.tick() => {
                        if let Ok(m) = proc_.mem() {
                            max = max.max(m.vm_rss_kib);
                        }
                    }
                }
            }
            max
        });
        RssSampler {
            stop: Some(tx),
            task,
        }
    }

    pub async fn finish(mut self) -> u64 {
        if let Some(tx) = self.stop.take() {
            let _ = tx.send(());
        }
        self.task.await.unwrap_or(0)
    }
}

/// What the server cost during one run.
#[derive(Debug, Clone, Serialize)]
pub struct ServerCost {
    pub pid: u32,
    /// CPU seconds (user + system) from the start of sending to the end of the drain.
    pub cpu_seconds: f64,
    /// CPU milliseconds per update sent.
    pub cpu_ms_per_update: f64,
    /// Average cores busy over that interval.
    pub cpu_cores: f64,
    /// VmHWM at the end: the process's peak RSS over its whole life.
    pub peak_rss_mib: f64,
    /// Largest VmRSS sampled during this run.
    pub max_sampled_rss_mib: f64,
    pub rss_before_mib: f64,
}

pub fn kib_to_mib(kib: u64) -> f64 {
    kib as f64 / 1024.0
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    const STAT: &str = "12345 (node (server) x) S 1 12345 12345 0 -1 4194560 3090 0 0 0 \
        1523 287 0 0 20 0 11 0 4886431 1156780032 17345 18446744073709551615 1 1 0 0 0 0 \
        0 16781312 134235650 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n";

    const STATUS: &str = "Name:\tnode\nUmask:\t0022\nState:\tS (sleeping)\n\
        VmPeak:\t 1129668 kB\nVmSize:\t 1129668 kB\nVmLck:\t       0 kB\n\
        VmHWM:\t   81234 kB\nVmRSS:\t   69380 kB\nRssAnon:\t   30000 kB\nThreads:\t11\n";

    #[test]
    fn parses_stat_even_with_parentheses_in_the_name() {
        let t = parse_stat(STAT).unwrap();
        assert_eq!(
            t,
            CpuTicks {
                utime: 1523,
                stime: 287
            }
        );
        assert_eq!(t.total(), 1810);
        assert!(parse_stat("1 (x) S 1 2").is_err());
        assert!(parse_stat("garbage").is_err());
    }

    #[test]
    fn parses_status_memory_lines() {
        let m = parse_status(STATUS).unwrap();
        assert_eq!(m.vm_hwm_kib, 81234);
        assert_eq!(m.vm_rss_kib, 69380);
        assert!(parse_status("Name:\tnode\n").is_err());
        assert!(parse_status("VmRSS:\tlots kB\nVmHWM:\t1 kB\n").is_err());
    }

    #[test]
    fn reads_this_process() {
        let own = Proc::OwnProcess;
        assert!(own.mem().unwrap().vm_rss_kib > 0);
        own.cpu().unwrap();
        assert!(clk_tck() > 0);
    }
}
