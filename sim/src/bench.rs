//! Bare model loop for the benchmark issue: the same work as
//! `sim/csrc/bench_main.cpp` (reset, then per cycle the falling and the rising edge, `sim/csrc/nic_edges.h`),
//! from Rust through the FFI, so the two can be compared.

use crate::axi_mem::MemConfig;
use crate::ffi::Model;
use crate::world::{Hardware, WorldConfig};
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, ChildStdout, Command, Stdio};
use std::time::{Duration, Instant};

/// The bare Rust loop on one model, resumable: [`BareLoop::run`] continues
/// where the previous call stopped (model state and position in the
/// receive symbols), so stretches of it can be interleaved with stretches
/// of the C++ loop (`nic_bench_main --serve`).
pub struct BareLoop {
    m: Model,
    /// (gmii_rxd, flags) per clock; empty: idle, no port written.
    symbols: Vec<(u8, u8)>,
    at: usize,
}

impl BareLoop {
    /// A fresh model held in reset for 16 clocks, link up. `symbols` is
    /// the `nic_bench_main` file format (two bytes per clock: gmii_rxd,
    /// then flags with bit 0 RX_DV and bit 1 RX_ER), replayed cyclically;
    /// empty for an idle model. A trailing odd byte is ignored.
    pub fn new(symbols: &[u8]) -> BareLoop {
        let mut m = Model::new();
        m.set_link_up(1);
        m.set_rst(1);
        for _ in 0..16 {
            m.fall(0);
            m.rise(0);
        }
        m.set_rst(0);
        BareLoop {
            m,
            symbols: symbols.chunks_exact(2).map(|c| (c[0], c[1])).collect(),
            at: 0,
        }
    }

    /// Run `cycles` more clocks (per clock: drive the next symbol if any,
    /// falling edge, rising edge); returns the wall time of the loop.
    pub fn run(&mut self, cycles: u64) -> Duration {
        let start = Instant::now();
        if self.symbols.is_empty() {
            for _ in 0..cycles {
                self.m.fall(0);
                self.m.rise(0);
            }
        } else {
            let n = self.symbols.len();
            for _ in 0..cycles {
                let (d, fl) = self.symbols[self.at];
                self.m.set_gmii_rxd(d);
                self.m.set_gmii_rx_dv(fl & 1);
                self.m.set_gmii_rx_er((fl >> 1) & 1);
                self.m.fall(0);
                self.m.rise(0);
                self.at += 1;
                if self.at == n {
                    self.at = 0;
                }
            }
        }
        start.elapsed()
    }
}

/// Run `cycles` bare idle cycles on a fresh model; returns the wall time
/// of the loop.
pub fn bare_loop(cycles: u64) -> Duration {
    BareLoop::new(&[]).run(cycles)
}

/// The full world loop (agents, checkers, GMII decoders) on one NIC with a
/// software PHY, fast-forward off, for `cycles` cycles; returns the wall
/// time. The difference to [`bare_loop`] is the bridge's per-cycle cost.
pub fn world_loop(cycles: u64) -> Duration {
    let mut hw = Hardware::new(WorldConfig {
        fast_forward: false,
        ..WorldConfig::default()
    });
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    let start = Instant::now();
    for _ in 0..cycles {
        hw.step();
    }
    start.elapsed()
}

/// Path of the C++ `main()` loop binary built by `sim/build.rs`
/// (`nic_bench_main CYCLES` prints `cycles=N ns=T`).
pub fn cpp_main_path() -> PathBuf {
    PathBuf::from(env!("NIC_BENCH_MAIN"))
}

/// The C++ `main()` loop in its serve mode (`nic_bench_main --serve
/// [RX_SYMBOLS]`): one child process, one model, kept alive so that
/// [`CppLoop::run`] stretches can alternate with [`BareLoop::run`]
/// stretches. The child times each stretch itself; the pipe round trip is
/// outside the timed loop.
pub struct CppLoop {
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: BufReader<ChildStdout>,
}

impl CppLoop {
    /// Start the child and wait for its reset to finish (`ready`).
    pub fn spawn(symbols: Option<&Path>) -> Result<CppLoop, String> {
        let bin = cpp_main_path();
        let mut cmd = Command::new(&bin);
        cmd.arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        if let Some(p) = symbols {
            cmd.arg(p);
        }
        let mut child = cmd.spawn().map_err(|e| format!("{}: {e}", bin.display()))?;
        let (Some(stdin), Some(stdout)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(format!("{}: no pipes to the child", bin.display()));
        };
        let mut l = CppLoop {
            child,
            stdin: Some(stdin),
            stdout: BufReader::new(stdout),
        };
        let line = l.read_line()?;
        if line != "ready" {
            return Err(format!("{}: expected `ready`, got `{line}`", bin.display()));
        }
        Ok(l)
    }

    fn read_line(&mut self) -> Result<String, String> {
        let mut line = String::new();
        match self.stdout.read_line(&mut line) {
            Ok(0) => Err(format!(
                "{}: ended early ({})",
                cpp_main_path().display(),
                self.child
                    .wait()
                    .map(|s| s.to_string())
                    .unwrap_or_else(|e| e.to_string())
            )),
            Ok(_) => Ok(line.trim().to_string()),
            Err(e) => Err(format!("{}: {e}", cpp_main_path().display())),
        }
    }

    /// Run `cycles` more clocks in the child; returns the wall time it
    /// measured for them.
    pub fn run(&mut self, cycles: u64) -> Result<Duration, String> {
        let bin = cpp_main_path();
        let stdin = self
            .stdin
            .as_mut()
            .ok_or_else(|| format!("{}: input closed", bin.display()))?;
        writeln!(stdin, "{cycles}")
            .and_then(|()| stdin.flush())
            .map_err(|e| format!("{}: {e}", bin.display()))?;
        let line = self.read_line()?;
        let field = |k: &str| -> Option<u64> {
            line.split_whitespace()
                .find_map(|w| w.strip_prefix(k))
                .and_then(|v| v.parse().ok())
        };
        match (field("cycles="), field("ns=")) {
            (Some(c), Some(ns)) if c == cycles => Ok(Duration::from_nanos(ns)),
            _ => Err(format!("{}: unexpected answer `{line}`", bin.display())),
        }
    }
}

impl Drop for CppLoop {
    fn drop(&mut self) {
        // End of input ends the child.
        drop(self.stdin.take());
        let _ = self.child.wait();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_loops_run_the_requested_cycles() {
        let t = bare_loop(2_000);
        assert!(t.as_nanos() > 0);
        assert!(world_loop(2_000).as_nanos() > 0);
        let out = std::process::Command::new(cpp_main_path())
            .arg("2000")
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8_lossy(&out.stdout);
        assert!(text.starts_with("cycles=2000 ns="), "{text}");
        let ns: u64 = text.trim().rsplit('=').next().unwrap().parse().unwrap();
        assert!(ns > 0);
    }

    #[test]
    fn serve_mode_runs_stretches_on_one_model() {
        let mut c = CppLoop::spawn(None).unwrap();
        assert!(c.run(1_000).unwrap().as_nanos() > 0);
        assert!(c.run(3_000).unwrap().as_nanos() > 0);
        let mut r = BareLoop::new(&[0x55, 1, 0xd5, 1, 0, 0]);
        assert!(r.run(7).as_nanos() > 0);
        assert_eq!(r.at, 1, "7 clocks over 3 symbols end one past the start");
    }

    #[test]
    fn serve_mode_rejects_what_is_not_a_count() {
        let bin = cpp_main_path();
        let mut child = Command::new(&bin)
            .arg("--serve")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        child.stdin.take().unwrap().write_all(b"12x\n").unwrap();
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(2));
        assert_eq!(String::from_utf8_lossy(&out.stdout), "ready\n");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("expected a cycle count"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let bad = Command::new(&bin).arg("many").output().unwrap();
        assert_eq!(bad.status.code(), Some(2));
    }
}
