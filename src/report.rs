//! The final report of a run: what happened, and whether every check held.
//!
//! The JSON form (`--report-json`) is deterministic: the same seed and
//! configuration give the same bytes. Wall-clock figures (wall time, cycles
//! per second) are printed in the human form only.

use crate::config::RunConfig;
use serde::Serialize;
use stack::stack::Stack;
use stack::time::Duration;
use stack::transport::Ipv4Transport;
use std::fmt;

/// GMII line rate at 125 MHz, one byte per clock.
pub const LINE_RATE_MBPS: f64 = 1000.0;
/// Ceiling of TCP goodput at MTU 1500: 1460 payload bytes per 1538 byte
/// times on the wire (preamble 8 + header 14 + IP 20 + TCP 20 + payload
/// 1460 + FCS 4 + gap 12).
pub const TCP_GOODPUT_CEILING_MBPS: f64 = LINE_RATE_MBPS * 1460.0 / 1538.0;

/// One check of the run.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
}

impl Check {
    pub fn new(name: String, ok: bool, detail: String) -> Check {
        Check { name, ok, detail }
    }
}

/// One GMII link; index 0 is the direction from `ends[0]` to `ends[1]`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkReport {
    pub name: String,
    pub ends: [String; 2],
    pub frames: [u64; 2],
    pub bytes: [u64; 2],
    /// Frames the fault injector saw, per direction.
    pub faults: [u64; 2],
}

/// A TCP transfer.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TcpFlow {
    pub from: String,
    pub to: String,
    pub bytes: u64,
    pub sha256: String,
    /// From the first byte written to the last byte read, simulated.
    pub sim_seconds: f64,
    pub goodput_mbps: f64,
}

/// One host: driver and hardware counters per NIC, stack drops.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostReport {
    pub name: String,
    pub nics: Vec<NicReport>,
    /// Stack drops by reason (receive and transmit), non-zero only.
    pub drops: Vec<(String, u64)>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NicReport {
    pub hw_index: usize,
    /// Every driver and hardware counter, non-zero only.
    pub counters: Vec<(String, u64)>,
}

impl HostReport {
    pub fn new<T: Ipv4Transport>(
        name: &str,
        stack: &Stack<T>,
        nics: Vec<(usize, driver::stats::Stats)>,
    ) -> HostReport {
        let st = stack.stats();
        let mut drops: Vec<(String, u64)> = st
            .rx_drops()
            .filter(|(_, n)| *n > 0)
            .map(|(r, n)| (format!("rx {}", r.name()), n))
            .collect();
        drops.extend(
            st.tx_drops()
                .filter(|(_, n)| *n > 0)
                .map(|(r, n)| (format!("tx {}", r.name()), n)),
        );
        HostReport {
            name: name.to_string(),
            nics: nics
                .into_iter()
                .map(|(hw_index, s)| NicReport {
                    hw_index,
                    counters: s.entries().into_iter().filter(|(_, v)| *v > 0).collect(),
                })
                .collect(),
            drops,
        }
    }

    fn counter(&self, name: &str) -> u64 {
        self.nics
            .iter()
            .flat_map(|n| n.counters.iter())
            .filter(|(k, _)| k == name)
            .map(|(_, v)| *v)
            .sum()
    }
}

/// Summary statistics of a set of durations, in nanoseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Spread {
    pub count: usize,
    pub min_ns: u64,
    pub median_ns: u64,
    pub p99_ns: u64,
    pub max_ns: u64,
}

impl Spread {
    pub fn of(d: &[Duration]) -> Option<Spread> {
        if d.is_empty() {
            return None;
        }
        let mut v: Vec<u64> = d.iter().map(|x| x.as_nanos()).collect();
        v.sort_unstable();
        let at = |q: f64| v[((v.len() - 1) as f64 * q).round() as usize];
        Some(Spread {
            count: v.len(),
            min_ns: v[0],
            median_ns: at(0.5),
            p99_ns: at(0.99),
            max_ns: v[v.len() - 1],
        })
    }
}

/// The whole report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Report {
    pub scenario: String,
    pub seed: u64,
    pub sim_time_ns: u64,
    pub cycles: u64,
    pub evaluated_cycles: u64,
    pub skipped_cycles: u64,
    pub links: Vec<LinkReport>,
    pub hosts: Vec<HostReport>,
    pub tcp: Vec<TcpFlow>,
    pub ping_rtt: Option<Spread>,
    pub rr_latency: Option<Spread>,
    pub checks: Vec<Check>,
    #[serde(skip)]
    pub wall: std::time::Duration,
}

impl Report {
    #[allow(clippy::too_many_arguments)]
    pub fn new(
        scenario: &str,
        cfg: &RunConfig,
        sim_time_ns: u64,
        cycles: u64,
        evaluated_cycles: u64,
        skipped_cycles: u64,
        wall: std::time::Duration,
        links: Vec<LinkReport>,
        hosts: Vec<HostReport>,
        tcp: Vec<TcpFlow>,
        rtts: Vec<Duration>,
        latencies: Vec<Duration>,
        checks: Vec<Check>,
    ) -> Report {
        Report {
            scenario: scenario.to_string(),
            seed: cfg.seed,
            sim_time_ns,
            cycles,
            evaluated_cycles,
            skipped_cycles,
            links,
            hosts,
            tcp,
            ping_rtt: Spread::of(&rtts),
            rr_latency: Spread::of(&latencies),
            checks,
            wall,
        }
    }

    /// Every check held.
    pub fn ok(&self) -> bool {
        self.checks.iter().all(|c| c.ok)
    }

    /// The first failed check, as one line.
    pub fn failure(&self) -> Option<String> {
        self.checks
            .iter()
            .find(|c| !c.ok)
            .map(|c| format!("{}: {}", c.name, c.detail))
    }

    /// Deterministic JSON (no wall-clock figures).
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_else(|e| format!("{{\"error\":\"{e}\"}}"))
    }

    pub fn cycles_per_second(&self) -> f64 {
        let s = self.wall.as_secs_f64();
        if s > 0.0 { self.cycles as f64 / s } else { 0.0 }
    }
}

impl fmt::Display for Report {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "== nicsim report: {} (seed {}) ==",
            self.scenario, self.seed
        )?;
        writeln!(
            f,
            "simulated   {:.6} ms, {} cycles at 125 MHz ({} evaluated, {} skipped idle)",
            self.sim_time_ns as f64 / 1e6,
            self.cycles,
            self.evaluated_cycles,
            self.skipped_cycles
        )?;
        writeln!(
            f,
            "wall        {:.3} s, {:.2} M cycles/s ({:.1}x slower than real time)",
            self.wall.as_secs_f64(),
            self.cycles_per_second() / 1e6,
            if self.sim_time_ns > 0 {
                self.wall.as_nanos() as f64 / self.sim_time_ns as f64
            } else {
                0.0
            }
        )?;
        writeln!(f, "links")?;
        for l in &self.links {
            for d in 0..2 {
                writeln!(
                    f,
                    "  {:<6} {:>10} -> {:<10} {:>8} frames {:>12} bytes",
                    l.name,
                    l.ends[d],
                    l.ends[1 - d],
                    l.frames[d],
                    l.bytes[d]
                )?;
            }
        }
        if !self.tcp.is_empty() {
            writeln!(f, "tcp")?;
            for t in &self.tcp {
                writeln!(
                    f,
                    "  {} -> {}: {} bytes in {:.3} ms simulated, goodput {:.1} Mb/s ({:.1}% of the {:.1} Mb/s ceiling at MTU 1500)",
                    t.from,
                    t.to,
                    t.bytes,
                    t.sim_seconds * 1e3,
                    t.goodput_mbps,
                    100.0 * t.goodput_mbps / TCP_GOODPUT_CEILING_MBPS,
                    TCP_GOODPUT_CEILING_MBPS
                )?;
            }
        }
        if let Some(s) = &self.ping_rtt {
            writeln!(
                f,
                "ping rtt    {} replies: min {:.3} us, median {:.3} us, max {:.3} us",
                s.count,
                s.min_ns as f64 / 1e3,
                s.median_ns as f64 / 1e3,
                s.max_ns as f64 / 1e3
            )?;
        }
        if let Some(s) = &self.rr_latency {
            writeln!(
                f,
                "tcp-rr      {} transactions: min {:.3} us, median {:.3} us, p99 {:.3} us",
                s.count,
                s.min_ns as f64 / 1e3,
                s.median_ns as f64 / 1e3,
                s.p99_ns as f64 / 1e3
            )?;
        }
        writeln!(f, "hosts")?;
        for h in &self.hosts {
            writeln!(
                f,
                "  {}: {} interrupts, {} NAPI polls",
                h.name,
                h.counter("interrupts"),
                h.counter("napi_polls")
            )?;
            for n in &h.nics {
                let line: Vec<String> =
                    n.counters.iter().map(|(k, v)| format!("{k}={v}")).collect();
                writeln!(f, "    nic{}: {}", n.hw_index, line.join(" "))?;
            }
            if !h.drops.is_empty() {
                let line: Vec<String> = h.drops.iter().map(|(k, v)| format!("{k}={v}")).collect();
                writeln!(f, "    stack drops: {}", line.join(" "))?;
            }
        }
        writeln!(f, "checks")?;
        for c in &self.checks {
            writeln!(
                f,
                "  [{}] {}: {}",
                if c.ok { "ok" } else { "FAIL" },
                c.name,
                c.detail
            )?;
        }
        Ok(())
    }
}
