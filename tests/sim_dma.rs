//! The DMA path against the RTL, with descriptors written by hand into host
//! memory (no driver): transmit collected by the software PHY, receive from
//! an injected frame, two NICs over a link with faults, bus errors, and the
//! sanitizer catching a bad descriptor. Every cycle runs the AXI protocol
//! checker on m_axi and s_axil.
#![allow(clippy::unwrap_used)]

use driver::desc::{DESC_LEN, rx, tx};
use driver::hal::{DmaAddr, DmaDirection, DmaMemory};
use driver::regs::{Icr, reg};
use sim::axi_mem::{ErrorRange, MemConfig, Pattern, RESP_SLVERR};
use sim::gmii::{self, Faults};
use sim::hostmem::ViolationKind;
use sim::world::{Hardware, SimError, WorldConfig};
use stack::buf::PacketId;

mod sim_util;
use sim_util::*;

fn world(cfg: WorldConfig, mem: MemConfig) -> Hardware {
    let mut hw = Hardware::new(cfg);
    let n = hw.add_nic(mem);
    hw.attach_phy(n);
    hw.run(40).unwrap();
    hw
}

fn transmit_one(mem: MemConfig) {
    let mut hw = world(WorldConfig::default(), mem);
    let r = tx_setup(&mut hw, 0);
    let f = frame(42, 1); // short: padded to 60 by TCTL.PSP
    let buf = hw.mem(0).map(f.len(), DmaDirection::ToDevice).unwrap();
    hw.mem(0).write(buf, &f).unwrap();
    hw.tag_tx(0, PacketId(42));
    tx_post(&mut hw, 0, &r, 0, buf, f.len());
    hw.run_until("frame on the wire", 50_000, |hw| {
        !hw.phy(0).unwrap().collected.is_empty()
    })
    .unwrap();
    let got = hw.phy(0).unwrap().collected.pop_front().unwrap();
    let mut padded = f.clone();
    padded.resize(60, 0);
    assert_eq!(got.data, gmii::with_fcs(&padded), "padded frame with FCS");
    assert_eq!(got.id, PacketId(42), "packet id matched to the frame");
    hw.run_until("TX write-back DD (RS set)", 20_000, |hw| {
        desc(hw, 0, r.ring, 0)[tx::STA] & tx::STA_DD != 0
    })
    .unwrap();
    assert_eq!(hw.read32(0, reg::TDH).unwrap(), 1);
    hw.write32(0, reg::TCTL, 0).unwrap();
    hw.mem(0)
        .unmap(buf, f.len(), DmaDirection::ToDevice)
        .unwrap();
    hw.mem(0).free_coherent(r.ring, RING * DESC_LEN).unwrap();
    hw.finish().unwrap();
}

#[test]
fn transmit_by_hand_written_descriptor() {
    transmit_one(MemConfig::default());
}

#[test]
fn transmit_under_random_backpressure_and_latency() {
    transmit_one(MemConfig {
        read_latency: 37,
        write_latency: 11,
        ar_ready: Pattern::Random { percent: 30 },
        aw_ready: Pattern::Duty { on: 1, period: 4 },
        w_ready: Pattern::Random { percent: 50 },
        r_valid: Pattern::Random { percent: 40 },
        b_valid: Pattern::Duty { on: 2, period: 5 },
        max_reads: 1,
        ..MemConfig::default()
    });
}

#[test]
fn receive_an_injected_frame() {
    let mut hw = world(WorldConfig::default(), MemConfig::default());
    let r = rx_setup(&mut hw, 0);
    let f = frame(200, 3);
    hw.phy(0).unwrap().inject(&f, PacketId(7));
    let ring = r.ring;
    hw.run_until("RX write-back DD", 50_000, |hw| {
        desc(hw, 0, ring, 0)[rx::STATUS] & rx::STA_DD != 0
    })
    .unwrap();
    let d = desc(&mut hw, 0, ring, 0);
    assert_ne!(d[rx::STATUS] & rx::STA_EOP, 0);
    assert_eq!(
        u16::from_le_bytes([d[8], d[9]]) as usize,
        f.len(),
        "SECRC strips the FCS"
    );
    let mut got = vec![0u8; f.len()];
    hw.mem(0).read(r.bufs[0], &mut got).unwrap();
    assert_eq!(got, f);
    assert_eq!(hw.read32(0, reg::GPRC).unwrap(), 1);
    let a = hw.take_rx_arrivals(0);
    assert_eq!(a[0].id, PacketId(7));
    rx_teardown(&mut hw, 0, r);
    hw.finish().unwrap();
}

#[test]
fn sanitizer_catches_a_bad_descriptor() {
    let mut hw = world(WorldConfig::default(), MemConfig::default());
    let r = tx_setup(&mut hw, 0);
    let bogus = DmaAddr(0x7777_0000);
    tx_post(&mut hw, 0, &r, 0, bogus, 60);
    let posted = desc(&mut hw, 0, r.ring, 0);
    let e = hw
        .run_until("never: the fetch must fault", 50_000, |_| false)
        .unwrap_err();
    let SimError::Dma { nic: 0, v } = e else {
        panic!("expected a sanitizer violation, got {e}");
    };
    assert_eq!(v.addr, bogus.0);
    assert_eq!(v.kind, ViolationKind::Unmapped);
    let last = v.last_descriptor.unwrap();
    assert_eq!(last.addr, r.ring.0);
    assert_eq!(last.bytes, posted);
    assert!(v.to_string().contains("0x77770000"));
}

#[test]
fn slverr_on_a_buffer_raises_the_dma_error_cause() {
    let mut hw = world(WorldConfig::default(), MemConfig::default());
    let r = tx_setup(&mut hw, 0);
    let f = frame(100, 5);
    let buf = hw.mem(0).map(f.len(), DmaDirection::ToDevice).unwrap();
    hw.mem(0).write(buf, &f).unwrap();
    hw.mem_config(0).error_ranges.push(ErrorRange {
        start: buf.0,
        end: buf.0 + f.len() as u64,
        resp: RESP_SLVERR,
    });
    hw.write32(0, reg::IMS, Icr::DMAERR.bits()).unwrap();
    tx_post(&mut hw, 0, &r, 0, buf, f.len());
    hw.run_until("irq for the DMA error", 50_000, |hw| hw.irq(0))
        .unwrap();
    assert_ne!(hw.read32(0, reg::ICR).unwrap() & Icr::DMAERR.bits(), 0);
    assert_ne!(hw.read32(0, reg::DMAERR).unwrap(), 0);
    let lo = u64::from(hw.read32(0, reg::DMAERR_ADDRL).unwrap());
    let hi = u64::from(hw.read32(0, reg::DMAERR_ADDRH).unwrap());
    assert_eq!(hi << 32 | lo, buf.0, "failing address reported");
    assert!(hw.stats(0).dma_error_responses >= 1);
    assert!(hw.phy(0).unwrap().collected.is_empty(), "nothing sent");
    assert!(
        hw.mem(0).violations().is_empty(),
        "SLVERR is not a sanitizer fault"
    );
}

fn two_nics(faults: Faults) -> (Hardware, TxRing, RxRing, usize) {
    let mut hw = Hardware::new(WorldConfig::default());
    let a = hw.add_nic(MemConfig::default());
    let b = hw.add_nic(MemConfig::default());
    let link = hw.connect(a, b, 25, faults);
    hw.run(40).unwrap();
    let t = tx_setup(&mut hw, a);
    let r = rx_setup(&mut hw, b);
    (hw, t, r, link)
}

#[test]
fn frame_crosses_a_link_with_its_packet_id() {
    let (mut hw, t, r, _) = two_nics(Faults::default());
    let f = frame(300, 9);
    let buf = hw.mem(0).map(f.len(), DmaDirection::ToDevice).unwrap();
    hw.mem(0).write(buf, &f).unwrap();
    hw.tag_tx(0, PacketId(0xabc));
    tx_post(&mut hw, 0, &t, 0, buf, f.len());
    let ring = r.ring;
    hw.run_until("frame received by NIC B", 100_000, |hw| {
        desc(hw, 1, ring, 0)[rx::STATUS] & rx::STA_DD != 0
    })
    .unwrap();
    let mut got = vec![0u8; f.len()];
    hw.mem(1).read(r.bufs[0], &mut got).unwrap();
    assert_eq!(got, f);
    let a = hw.take_rx_arrivals(1);
    assert_eq!(a.len(), 1);
    assert_eq!(
        a[0].id,
        PacketId(0xabc),
        "id carried in simulation metadata"
    );
    assert_eq!(
        a[0].data,
        gmii::with_fcs(&f),
        "the frame itself is unchanged"
    );
    assert_eq!(hw.stats(0).tx_frames, 1);
}

#[test]
fn bit_flip_on_the_link_is_counted_as_crc_error() {
    let (mut hw, t, r, link) = two_nics(Faults {
        bit_flip: 1.0,
        ..Faults::default()
    });
    let f = frame(100, 2);
    let buf = hw.mem(0).map(f.len(), DmaDirection::ToDevice).unwrap();
    hw.mem(0).write(buf, &f).unwrap();
    tx_post(&mut hw, 0, &t, 0, buf, f.len());
    hw.run_until("frame arrives at B", 100_000, |hw| {
        hw.stats(1).rx_frames == 1
    })
    .unwrap();
    hw.run(2_000).unwrap();
    assert_eq!(hw.fault_stats(link, 0).flipped, 1);
    assert_eq!(hw.read32(1, reg::CRCERRS).unwrap(), 1, "8254x 13.7.1");
    assert_eq!(
        desc(&mut hw, 1, r.ring, 0)[rx::STATUS] & rx::STA_DD,
        0,
        "dropped"
    );
}

/// Six frames over a link with every fault enabled; returns B's capture and
/// what B's counters say.
fn faulty_run(seed: u64, tag: &str) -> (Vec<u8>, Vec<u32>, sim::gmii::FaultStats) {
    let mut hw = Hardware::new(WorldConfig {
        seed,
        ..WorldConfig::default()
    });
    let a = hw.add_nic(MemConfig::default());
    let b = hw.add_nic(MemConfig::default());
    let faults = Faults {
        drop: 0.2,
        truncate: 0.2,
        bit_flip: 0.2,
        short_preamble: 0.3,
        rx_er: 0.2,
        ..Faults::default()
    };
    let link = hw.connect(a, b, 3, faults);
    let pcap =
        std::path::PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("faulty-{tag}.pcap"));
    hw.capture(b, &pcap).unwrap();
    hw.run(40).unwrap();
    let t = tx_setup(&mut hw, a);
    let _r = rx_setup(&mut hw, b);
    for i in 0..6 {
        let f = frame(80 + 150 * i, i as u8);
        let buf = hw.mem(a).map(f.len(), DmaDirection::ToDevice).unwrap();
        hw.mem(a).write(buf, &f).unwrap();
        tx_post(&mut hw, a, &t, i, buf, f.len());
    }
    hw.run_until("six frames sent", 200_000, |hw| hw.stats(0).tx_frames == 6)
        .unwrap();
    hw.run(5_000).unwrap();
    let counters = [reg::GPRC, reg::CRCERRS, reg::RXERRC, reg::RUC]
        .iter()
        .map(|&r| hw.read32(b, r).unwrap())
        .collect();
    let st = hw.fault_stats(link, 0);
    hw.close_capture(b).unwrap();
    (std::fs::read(pcap).unwrap(), counters, st)
}

#[test]
fn faults_are_reproducible_from_the_seed() {
    let (p1, c1, s1) = faulty_run(3, "a");
    let (p2, c2, s2) = faulty_run(3, "b");
    assert_eq!(p1, p2, "same seed, same capture");
    assert_eq!((c1.clone(), s1), (c2, s2));
    assert_eq!(s1.frames, 6);
    let injected = s1.dropped + s1.truncated + s1.flipped + s1.short_preamble + s1.rx_er;
    assert!(injected > 0, "faults were injected: {s1:?}");
    // A short preamble alone leaves the frame good (any preamble length is
    // accepted, NIC.md RX); dropped frames never arrive.
    assert!(c1[0] <= 6 - s1.dropped as u32, "GPRC {c1:?} with {s1:?}");
    let (p3, _, s3) = faulty_run(4, "c");
    assert!(p3 != p1 || s3 != s1, "another seed gives other faults");
}
