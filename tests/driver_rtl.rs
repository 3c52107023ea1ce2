//! The driver against the Verilated RTL, through the sim bridge (AXI-Lite
//! register accesses that cost simulated time, the AXI memory slave with
//! the DMA sanitizer, two NICs on a GMII cable): the acceptance scenarios
//! of the driver issue, shared with `tests/driver_model.rs`.
#![allow(clippy::unwrap_used)]

mod driver_bench;

use driver_bench::Backend;
use sim::axi_mem::{ErrorRange, MemConfig, RESP_SLVERR};
use sim::gmii::Faults;
use sim::hal::{self, SharedHardware};
use sim::world::{CLK_NS, Hardware, WorldConfig};
use sim::{SimDma, SimPlatform, SimRegs};

/// Two RTL NICs, each with its host memory, joined by one link.
struct RtlPair {
    hw: SharedHardware,
}

impl RtlPair {
    fn new(seed: u64) -> RtlPair {
        let mut hw = Hardware::new(WorldConfig {
            seed,
            ..WorldConfig::default()
        });
        let a = hw.add_nic(MemConfig::default());
        let b = hw.add_nic(MemConfig::default());
        hw.connect(a, b, 4, Faults::default());
        // Out of reset before the drivers probe.
        hw.run(64).unwrap();
        assert!(hw.first_error().is_none(), "{:?}", hw.first_error());
        RtlPair { hw: hal::share(hw) }
    }
}

impl Backend for RtlPair {
    type R = SimRegs;
    type D = SimDma;
    type P = SimPlatform;

    fn handles(&mut self, side: usize) -> (SimRegs, SimDma, SimPlatform) {
        hal::handles(&self.hw, side)
    }
    fn now_ns(&self) -> u64 {
        self.hw.borrow().now().as_nanos()
    }
    fn run_to(&mut self, t_ns: u64) {
        let now = self.now_ns();
        if t_ns > now {
            let cycles = (t_ns - now).div_ceil(CLK_NS);
            let mut hw = self.hw.borrow_mut();
            if let Err(e) = hw.run(cycles) {
                hw.record_error(e);
            }
        }
    }
    fn set_link(&mut self, up: bool) {
        // One link joins both NICs: its state is both ends' link_up.
        self.hw.borrow_mut().set_link_up(0, up);
    }
    fn hw_quiet(&mut self) -> bool {
        let mut hw = self.hw.borrow_mut();
        (0..2).all(|i| !hw.irq(i) && hw.model(i).quiescent() != 0)
    }
    fn fault_all_dma(&mut self, side: usize, on: bool) {
        let mut hw = self.hw.borrow_mut();
        hw.mem_config(side).error_ranges = if on {
            vec![ErrorRange {
                start: 0,
                end: u64::MAX,
                resp: RESP_SLVERR,
            }]
        } else {
            Vec::new()
        };
    }
    fn check_clean(&mut self) {
        if let Err(e) = hal::check(&self.hw) {
            panic!("simulation error: {e}");
        }
        let mut hw = self.hw.borrow_mut();
        for i in 0..2 {
            assert!(
                hw.mem(i).violations().is_empty(),
                "nic{i}: {:?}",
                hw.mem(i).violations()
            );
        }
    }

    fn step_ns(&self) -> u64 {
        // A 1514-byte frame is 12.3 us on the wire at 1 Gb/s.
        20_000
    }
}

#[test]
fn ten_thousand_frames_each_way_verified() {
    driver_bench::traffic_each_way(RtlPair::new(1), 10_000);
}

#[test]
fn moderation_with_itr_off_and_on() {
    driver_bench::moderation(RtlPair::new(2), RtlPair::new(2), 10_000);
}

#[test]
fn slow_consumer_drops_are_counted_identically() {
    driver_bench::slow_consumer(RtlPair::new(3));
}

#[test]
fn dma_error_on_the_sender_recovers() {
    driver_bench::dma_error(RtlPair::new(4), 0);
}

#[test]
fn dma_error_on_the_receiver_recovers() {
    driver_bench::dma_error(RtlPair::new(5), 1);
}

#[test]
fn link_down_and_up_recovers() {
    driver_bench::link_flap(RtlPair::new(6));
}

#[test]
fn jumbo_frames_chain_on_both_rings() {
    driver_bench::jumbo_chained(RtlPair::new(7), 300);
}

#[test]
fn busy_poll_mode_exchanges_traffic_without_interrupts() {
    driver_bench::busy_poll(RtlPair::new(8), 2000);
}

#[test]
fn tx_watchdog_resets_a_hung_transmitter() {
    driver_bench::watchdog(RtlPair::new(9));
}

/// A handful of frames each way, with the state of both NICs in the
/// failure message: the first thing to look at when a scenario fails.
#[test]
fn a_few_frames_each_way() {
    use driver::hal::RegisterAccess;
    use driver::regs::reg;
    let mut w = driver_bench::Bench::new(RtlPair::new(10), 11, driver::nic::Config::default());
    w.offer(4, 60, 1514, true, true);
    for _ in 0..50 {
        w.step(20_000);
    }
    let mut state = String::new();
    for (name, nic) in [("a", &mut w.a), ("b", &mut w.b)] {
        let r = nic.regs_mut();
        state += &format!(
            "{name}: TDH {} TDT {} RDH {} RDT {} STATUS {:#x} IMS {:#x} DMAERR {:#x} GPTC {} GPRC {} TPR {} MPC {}\n",
            r.read32(reg::TDH),
            r.read32(reg::TDT),
            r.read32(reg::RDH),
            r.read32(reg::RDT),
            r.read32(reg::STATUS),
            r.read32(reg::IMS),
            r.read32(reg::DMAERR),
            r.read32(reg::GPTC),
            r.read32(reg::GPRC),
            r.read32(reg::TPR),
            r.read32(reg::MPC),
        );
    }
    let hs = {
        let hw = w.be.hw.borrow();
        format!(
            "{:?}\n{:?}\nerror {:?}",
            hw.stats(0),
            hw.stats(1),
            hw.first_error()
        )
    };
    assert_eq!((w.ab.received, w.ba.received), (4, 4), "\n{state}{hs}");
    w.be.check_clean();
}
