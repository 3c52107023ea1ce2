//! The RTL (Verilated `nic_top` in the simulation world) as a [`Dut`]: one
//! NIC with a software PHY on its GMII port, the AXI memory agent with the
//! DMA sanitizer behind its master port.
//!
//! Settling: the world runs until `quiescent` is high (fast-forwarding
//! idle stretches), or, because an RX frame waiting for descriptors keeps
//! `quiescent` low on purpose (docs/regmap.md), until nothing observable
//! (DMA requests, frames on the wire, the interrupt line) has changed for
//! [`IDLE_WINDOW`] cycles, longer than any timer the generator programs.

use std::path::Path;

use driver::hal::DmaMemory;
use sim::axi_mem::{ErrorRange, MemConfig, Pattern, RESP_SLVERR};
use sim::gmii::symbols;
use sim::hostmem::{RegionKind, Violation};
use sim::model::RxFrame;
use sim::world::{Hardware, SimError, WorldConfig};
use stack::buf::PacketId;

use super::dut::{Dut, DutError};
use super::ops::BusProfile;

/// Cycles without any observable change after which a NIC whose
/// `quiescent` stays low counts as settled (64 x 1.024 us timers are
/// 8192 cycles; ITR 64 x 256 ns is 2048).
pub const IDLE_WINDOW: u64 = 20_000;
/// Bound on one settle, in cycles.
pub const SETTLE_LIMIT: u64 = 2_000_000;

const NIC: usize = 0;

/// The RTL behind the [`Dut`] interface.
pub struct RtlDut {
    hw: Hardware,
    violations: Vec<Violation>,
    seen_violations: usize,
    fatal: Option<String>,
    mem_cfg: MemConfig,
}

impl RtlDut {
    /// A fresh world with one NIC (seeded; the link is up).
    pub fn new(seed: u64) -> RtlDut {
        let mut hw = Hardware::new(WorldConfig {
            seed,
            ..WorldConfig::default()
        });
        let mem_cfg = MemConfig::default();
        let nic = hw.add_nic(mem_cfg.clone());
        hw.attach_phy(nic);
        hw.set_link_up(nic, true);
        let mut d = RtlDut {
            hw,
            violations: Vec::new(),
            seen_violations: 0,
            fatal: None,
            mem_cfg,
        };
        // Out of reset.
        d.run_cycles(64);
        d
    }

    /// Keep sanitizer verdicts (the harness judges them), fail on anything
    /// else the world reports (protocol checker, GMII framing, $finish).
    fn absorb(&mut self, e: SimError) {
        match e {
            SimError::Dma { .. } => {}
            // Frames without CMD.IFCS carry whatever software put at their
            // end; the harness compares every byte with the model instead.
            SimError::Wire { e, .. } if e.what.starts_with("bad FCS") => {}
            other => {
                self.fatal.get_or_insert(other.to_string());
            }
        }
        self.collect_violations();
    }

    fn collect_violations(&mut self) {
        let all = self.hw.mem(NIC).violations();
        let new = all.get(self.seen_violations..).unwrap_or_default();
        self.violations.extend_from_slice(new);
        self.seen_violations = all.len();
    }

    fn drain(&mut self) {
        for e in self.hw.take_errors() {
            self.absorb(e);
        }
    }

    /// Run `n` cycles whatever the sanitizer says on the way.
    fn run_cycles(&mut self, n: u64) {
        let end = self.hw.cycle().saturating_add(n);
        while self.hw.cycle() < end {
            match self.hw.run(end - self.hw.cycle()) {
                Ok(()) => break,
                Err(e) => self.absorb(e),
            }
        }
        self.drain();
    }

    fn observable(&mut self) -> (u64, u64, u64, bool) {
        let s = self.hw.stats(NIC);
        (s.dma_reads, s.dma_writes, s.tx_frames, self.hw.irq(NIC))
    }
}

impl Dut for RtlDut {
    fn name(&self) -> String {
        "rtl".into()
    }

    fn alloc(&mut self, len: usize, kind: RegionKind) -> Result<u64, DutError> {
        let mem = self.hw.mem(NIC);
        let r = match kind {
            RegionKind::Coherent => mem.alloc_coherent(len, 128),
            RegionKind::Streaming(dir) => mem.map(len, dir),
        };
        r.map(|a| a.0).map_err(|_| DutError::Map { addr: 0, len })
    }

    fn cpu_write(&mut self, addr: u64, data: &[u8]) {
        self.hw.mem(NIC).poke(addr, data);
    }

    fn cpu_read(&mut self, addr: u64, buf: &mut [u8]) {
        self.hw.mem(NIC).peek(addr, buf);
    }

    fn read32(&mut self, offset: u32) -> u32 {
        self.drain();
        match self.hw.read32(NIC, offset) {
            Ok(v) => v,
            Err(e) => {
                // The access was interrupted by a reported error: let it
                // finish; its value is lost (the run is judged on the
                // error).
                self.absorb(e);
                self.run_cycles(256);
                self.fatal
                    .get_or_insert_with(|| format!("register read {offset:#x} interrupted"));
                0
            }
        }
    }

    fn write32(&mut self, offset: u32, value: u32) {
        self.drain();
        if let Err(e) = self.hw.write32(NIC, offset, value) {
            self.absorb(e);
            self.run_cycles(256);
        }
    }

    fn inject(&mut self, frame: &RxFrame) {
        let mut syms = symbols(&frame.bytes, 7, PacketId(0));
        if frame.rx_er {
            // rx_er on one data byte in the middle of the frame.
            let i = 8 + frame.bytes.len() / 2;
            if let Some(s) = syms.get_mut(i) {
                s.er = true;
            }
        }
        if let Some(phy) = self.hw.phy(NIC) {
            phy.inject_raw(syms);
        }
    }

    fn set_link(&mut self, up: bool) {
        self.hw.set_link_up(NIC, up);
    }

    fn fault(&mut self, addr: u64, len: u64) {
        self.mem_cfg.error_ranges.push(ErrorRange {
            start: addr,
            end: addr.saturating_add(len),
            resp: RESP_SLVERR,
        });
        *self.hw.mem_config(NIC) = self.mem_cfg.clone();
    }

    fn clear_faults(&mut self) {
        self.mem_cfg.error_ranges.clear();
        *self.hw.mem_config(NIC) = self.mem_cfg.clone();
    }

    fn bus(&mut self, p: BusProfile) {
        self.mem_cfg.read_latency = u32::from(p.read_latency).max(1);
        self.mem_cfg.write_latency = u32::from(p.write_latency).max(1);
        let pat = if p.stall_pct == 0 {
            Pattern::Always
        } else {
            Pattern::Random {
                percent: 100 - p.stall_pct.min(90),
            }
        };
        self.mem_cfg.ar_ready = pat;
        self.mem_cfg.aw_ready = pat;
        self.mem_cfg.w_ready = pat;
        self.mem_cfg.r_valid = pat;
        *self.hw.mem_config(NIC) = self.mem_cfg.clone();
    }

    fn wait_ns(&mut self, ns: u64) {
        self.run_cycles(ns.div_ceil(sim::world::CLK_NS));
    }

    fn settle(&mut self) -> Result<(), DutError> {
        let start = self.hw.cycle();
        let mut last = self.observable();
        let mut still = 0u64;
        loop {
            if let Some(f) = &self.fatal {
                return Err(DutError::Backend(f.clone()));
            }
            let phy_idle = self.hw.phy(NIC).is_some_and(|p| p.idle());
            if phy_idle
                && self.hw.model(NIC).quiescent() != 0
                && self.hw.model(NIC).gmii_tx_en() == 0
            {
                // Let the settle stages pass once more (irq, write-backs).
                self.run_cycles(32);
                if self.hw.model(NIC).quiescent() != 0 {
                    return Ok(());
                }
            }
            if self.hw.cycle() - start > SETTLE_LIMIT {
                return Err(DutError::Hang {
                    waited: self.hw.cycle() - start,
                });
            }
            self.run_cycles(512);
            let now = self.observable();
            if now == last && phy_idle && self.hw.model(NIC).gmii_tx_en() == 0 {
                still += 512;
                if still >= IDLE_WINDOW {
                    return Ok(());
                }
            } else {
                still = 0;
                last = now;
            }
        }
    }

    fn take_wire(&mut self) -> Vec<Vec<u8>> {
        match self.hw.phy(NIC) {
            Some(p) => p.collected.drain(..).map(|f| f.data).collect(),
            None => Vec::new(),
        }
    }

    fn irq(&mut self) -> bool {
        self.hw.irq(NIC)
    }

    fn violations(&self) -> Vec<Violation> {
        self.violations.clone()
    }

    fn trace(&mut self, path: &Path) -> Result<bool, DutError> {
        self.hw
            .trace_open(NIC, path, 0)
            .map_err(|e| DutError::Backend(e.to_string()))?;
        Ok(true)
    }
}

impl Drop for RtlDut {
    fn drop(&mut self) {
        // Closes the waveform; leaks are expected (the harness never frees).
        self.hw.trace_close(NIC);
    }
}
