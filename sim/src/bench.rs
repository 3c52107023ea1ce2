//! Bare model loop for the benchmark issue: the same work as
//! `sim/csrc/bench_main.cpp` (reset, then per cycle the falling and the rising edge, `sim/csrc/nic_edges.h`),
//! from Rust through the FFI, so the two can be compared.

use crate::axi_mem::MemConfig;
use crate::ffi::Model;
use crate::world::{Hardware, WorldConfig};
use std::path::PathBuf;

/// Run `cycles` bare cycles; returns the wall time of the loop.
pub fn bare_loop(cycles: u64) -> std::time::Duration {
    let mut m = Model::new();
    m.set_link_up(1);
    m.set_rst(1);
    for _ in 0..16 {
        m.fall(0);
        m.rise(0);
    }
    m.set_rst(0);
    let start = std::time::Instant::now();
    for _ in 0..cycles {
        m.fall(0);
        m.rise(0);
    }
    start.elapsed()
}

/// The full world loop (agents, checkers, GMII decoders) on one NIC with a
/// software PHY, fast-forward off, for `cycles` cycles; returns the wall
/// time. The difference to [`bare_loop`] is the bridge's per-cycle cost.
pub fn world_loop(cycles: u64) -> std::time::Duration {
    let mut hw = Hardware::new(WorldConfig {
        fast_forward: false,
        ..WorldConfig::default()
    });
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    let start = std::time::Instant::now();
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
}
