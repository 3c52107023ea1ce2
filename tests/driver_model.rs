//! The driver against the transaction-level reference model
//! (`sim::model`): the acceptance scenarios of `driver_bench` (the same
//! ones `tests/driver_rtl.rs` runs against the RTL), plus checks only the
//! model makes cheap (checksum offload values).
#![allow(clippy::unwrap_used)]

mod driver_bench;

use driver::nic::Config;
use driver_bench::{Backend, Bench, mac, make_frame};
use sim::model::ModelConfig;
use sim::model::host::{ModelDma, ModelHost, ModelPlatform, ModelRegs, pump};
use stack::buf::{PacketBuf, RxChecksum, TxChecksum};
use stack::device::Device;
use stack::time::Instant;

/// Two modelled NICs; the cable moves frames at once.
struct ModelPair {
    hosts: [ModelHost; 2],
    cable_up: bool,
    wire_lost: u64,
}

impl ModelPair {
    fn new() -> ModelPair {
        ModelPair::with(ModelConfig::default())
    }
    fn with(cfg: ModelConfig) -> ModelPair {
        ModelPair {
            hosts: [ModelHost::new(cfg.clone()), ModelHost::new(cfg)],
            cable_up: true,
            wire_lost: 0,
        }
    }
}

impl Backend for ModelPair {
    type R = ModelRegs;
    type D = ModelDma;
    type P = ModelPlatform;

    fn handles(&mut self, side: usize) -> (ModelRegs, ModelDma, ModelPlatform) {
        self.hosts[side].handles()
    }
    fn now_ns(&self) -> u64 {
        self.hosts.iter().map(|h| h.now().as_nanos()).max().unwrap()
    }
    fn run_to(&mut self, t_ns: u64) {
        let [a, b] = &self.hosts;
        if self.cable_up {
            pump(a, b);
        } else {
            self.wire_lost += (a.take_tx().len() + b.take_tx().len()) as u64;
        }
        for h in &self.hosts {
            h.advance(Instant::from_nanos(t_ns));
        }
    }
    fn set_link(&mut self, up: bool) {
        self.cable_up = up;
        for h in &self.hosts {
            h.set_link(up);
        }
    }
    fn hw_quiet(&mut self) -> bool {
        self.hosts.iter().all(|h| {
            h.next_deadline().is_none() && !h.irq() && h.with(|w| w.nic.rx_fifo_frames()) == 0
        })
    }
    fn fault_all_dma(&mut self, side: usize, on: bool) {
        self.hosts[side].with(|w| {
            if on {
                w.mem.inject_fault(0, u64::MAX);
            } else {
                w.mem.clear_faults();
            }
        });
    }
    fn check_clean(&mut self) {
        for h in &self.hosts {
            assert!(h.violations().is_empty(), "{:?}", h.violations());
        }
    }

    fn step_ns(&self) -> u64 {
        5_000
    }
}

#[test]
fn ten_thousand_frames_each_way_verified() {
    driver_bench::traffic_each_way(ModelPair::new(), 10_000);
}

#[test]
fn moderation_with_itr_off_and_on() {
    driver_bench::moderation(ModelPair::new(), ModelPair::new(), 10_000);
}

#[test]
fn slow_consumer_drops_are_counted_identically() {
    driver_bench::slow_consumer(ModelPair::new());
}

#[test]
fn dma_error_on_the_sender_recovers() {
    driver_bench::dma_error(ModelPair::new(), 0);
}

#[test]
fn dma_error_on_the_receiver_recovers() {
    driver_bench::dma_error(ModelPair::new(), 1);
}

#[test]
fn link_down_and_up_recovers() {
    driver_bench::link_flap(ModelPair::new());
}

#[test]
fn jumbo_frames_chain_on_both_rings() {
    driver_bench::jumbo_chained(
        ModelPair::with(ModelConfig {
            rx_fifo_bytes: 65536,
            ..ModelConfig::default()
        }),
        500,
    );
}

#[test]
fn busy_poll_mode_exchanges_traffic_without_interrupts() {
    driver_bench::busy_poll(ModelPair::new(), 2000);
}

#[test]
fn tx_watchdog_resets_a_hung_transmitter() {
    driver_bench::watchdog(ModelPair::new());
}

fn ones(d: &[u8]) -> u16 {
    let mut s: u32 = 0;
    for c in d.chunks(2) {
        s += u32::from(u16::from_be_bytes([c[0], *c.get(1).unwrap_or(&0)]));
    }
    while s > 0xffff {
        s = (s & 0xffff) + (s >> 16);
    }
    s as u16
}

#[test]
fn checksum_offload_both_ways() {
    let mut w = Bench::new(ModelPair::new(), 0x5eed_0009, Config::default());
    // a asks for a checksum over bytes 34.. stored at 40, the field seeded
    // with 0x1234 (the role of a pseudo-header sum).
    for seq in 0..50u64 {
        let mut f = make_frame(mac(1), mac(2), seq, 200 + seq as usize);
        f[40..42].copy_from_slice(&0x1234u16.to_be_bytes());
        let mut p = PacketBuf::from_slice(0, &f);
        p.meta_mut().tx_checksum = Some(TxChecksum {
            start: 34,
            offset: 40,
        });
        w.a.transmit(Instant::ZERO, p).unwrap();
    }
    let [a, b] = &w.be.hosts;
    pump(a, b);
    w.b.service();
    let mut n = 0;
    while let Some(p) = w.b.receive(Instant::ZERO) {
        let d = p.data();
        // Inserted: the range sums to the complement of the seed.
        assert_eq!(ones(&d[34..]), !0x1234u16);
        // Reported: the NIC's sum from PCSS = 14 to the end.
        assert_eq!(
            p.meta().rx_checksum,
            RxChecksum::Complete {
                start: 14,
                sum: ones(&d[14..])
            }
        );
        n += 1;
    }
    assert_eq!(n, 50);
    assert_eq!(w.a.stats().driver.tx_csum_offload, 50);
    assert_eq!(w.b.stats().driver.rx_csum, 50);
}
