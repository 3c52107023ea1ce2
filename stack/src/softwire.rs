//! Software devices for tests, reusable by every layer's tests and by the
//! co-verification scenarios.
//!
//! - [`SoftWire::pair`] makes two [`SoftPort`]s joined by a wire;
//!   [`SoftWire::segment`] makes `n` ports on one shared medium (a hub:
//!   each frame reaches every other port). Each frame is delivered
//!   `latency` after it was sent, and is independently lost, duplicated,
//!   delayed by `reorder_delay` (so later frames overtake it) or corrupted
//!   (one bit flipped at a random position, past the FCS, as if the MAC had
//!   missed it) with the probabilities in [`WireConfig`], drawn from a
//!   [`SplitMix64`] generator seeded by the caller: the same seed and the
//!   same sequence of calls give the same run.
//! - Ports emulate a NIC's checksum offload when [`WireConfig`] says so:
//!   on transmit they fill a checksum requested by
//!   [`crate::buf::PacketMeta::tx_checksum`]; on receive they report
//!   [`crate::buf::RxChecksum::Complete`] from byte 14. Short frames are
//!   padded to 60 bytes like a MAC does (`pad`).
//! - [`QueueDevice`] is a device whose receive side the test fills and whose
//!   transmit side it reads, for injecting arbitrary frames.
//!
//! Typical loop: poll each stack with its ports, then advance simulated
//! time to the earliest of the stacks' `poll_at()` and the ports'
//! [`SoftPort::next_arrival`], bounded by a deadline.

use crate::buf::{PacketBuf, RxChecksum};
use crate::device::{Device, DeviceCaps, TxBusy};
use crate::time::{Duration, Instant};
use crate::wire::{checksum, ethernet};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// SplitMix64 (Steele, Lea, Flood 2014): a small, fast, seedable
/// generator; good enough for fault injection, not for cryptography.
#[derive(Debug, Clone)]
pub struct SplitMix64(u64);

impl SplitMix64 {
    pub fn new(seed: u64) -> SplitMix64 {
        SplitMix64(seed)
    }
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    /// Uniform in `0..n` (`n` > 0; returns 0 for `n` == 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        // Multiply-shift: unbiased enough for test inputs.
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }
    /// True with probability `ppm` parts per million.
    pub fn chance(&mut self, ppm: u32) -> bool {
        ppm > 0 && self.below(1_000_000) < u64::from(ppm)
    }
}

/// Behaviour of a software wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WireConfig {
    pub latency: Duration,
    /// Probability of losing a frame, in parts per million.
    pub loss_ppm: u32,
    /// Probability of delivering a frame twice.
    pub dup_ppm: u32,
    /// Probability of holding a frame back by `reorder_delay`.
    pub reorder_ppm: u32,
    pub reorder_delay: Duration,
    /// Probability of flipping one bit of a frame.
    pub corrupt_ppm: u32,
    /// The IP MTU the ports report.
    pub mtu: usize,
    /// The ports offload transmit checksums.
    pub tx_checksum: bool,
    /// The ports report CHECKSUM_COMPLETE on receive.
    pub rx_checksum: bool,
    /// Frames a port holds for its receiver; more are dropped (counted).
    pub queue_len: usize,
    /// Frames a port accepts per instant before answering `TxBusy`
    /// (0: unlimited).
    pub tx_burst: usize,
    /// Pad frames shorter than 60 bytes with zeros.
    pub pad: bool,
}

impl Default for WireConfig {
    fn default() -> WireConfig {
        WireConfig {
            latency: Duration::from_micros(10),
            loss_ppm: 0,
            dup_ppm: 0,
            reorder_ppm: 0,
            reorder_delay: Duration::from_micros(50),
            corrupt_ppm: 0,
            mtu: 1500,
            tx_checksum: false,
            rx_checksum: false,
            queue_len: 1024,
            tx_burst: 0,
            pad: true,
        }
    }
}

/// What the wire did, over all ports.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct WireStats {
    pub sent: u64,
    pub delivered: u64,
    pub lost: u64,
    pub duplicated: u64,
    pub reordered: u64,
    pub corrupted: u64,
    pub overflow: u64,
}

#[derive(Debug)]
struct InFlight {
    at: Instant,
    seq: u64,
    frame: PacketBuf,
}

#[derive(Debug)]
struct Medium {
    rng: SplitMix64,
    config: WireConfig,
    /// Per port, frames on their way to it, sorted by (at, seq).
    queues: Vec<VecDeque<InFlight>>,
    seq: u64,
    stats: WireStats,
    /// Per port: (instant, frames accepted at that instant) for `tx_burst`.
    burst: Vec<(Instant, usize)>,
}

impl Medium {
    fn enqueue(&mut self, port: usize, at: Instant, frame: PacketBuf) {
        let Some(q) = self.queues.get_mut(port) else {
            return;
        };
        if q.len() >= self.config.queue_len {
            self.stats.overflow += 1;
            return;
        }
        self.seq += 1;
        let item = InFlight {
            at,
            seq: self.seq,
            frame,
        };
        let pos = q.partition_point(|f| (f.at, f.seq) <= (item.at, item.seq));
        q.insert(pos, item);
    }
}

/// Constructors for software wires.
#[derive(Debug)]
pub struct SoftWire;

impl SoftWire {
    /// Two ports joined by a wire, with MAC addresses `macs`.
    pub fn pair(seed: u64, config: WireConfig, macs: [[u8; 6]; 2]) -> (SoftPort, SoftPort) {
        let mut v = SoftWire::segment(seed, config, &macs);
        let b = v.pop();
        let a = v.pop();
        match (a, b) {
            (Some(a), Some(b)) => (a, b),
            // `segment` returns one port per MAC.
            _ => unreachable!("segment returned fewer ports than MACs"),
        }
    }

    /// `macs.len()` ports on one medium: every frame reaches all others.
    pub fn segment(seed: u64, config: WireConfig, macs: &[[u8; 6]]) -> Vec<SoftPort> {
        let medium = Rc::new(RefCell::new(Medium {
            rng: SplitMix64::new(seed),
            config,
            queues: macs.iter().map(|_| VecDeque::new()).collect(),
            seq: 0,
            stats: WireStats::default(),
            burst: macs.iter().map(|_| (Instant::ZERO, 0)).collect(),
        }));
        macs.iter()
            .enumerate()
            .map(|(index, mac)| SoftPort {
                medium: Rc::clone(&medium),
                index,
                mac: *mac,
            })
            .collect()
    }
}

/// One end of a software wire; implements [`Device`].
#[derive(Debug)]
pub struct SoftPort {
    medium: Rc<RefCell<Medium>>,
    index: usize,
    mac: [u8; 6],
}

impl SoftPort {
    /// When the next frame reaches this port, if any is on its way.
    pub fn next_arrival(&self) -> Option<Instant> {
        self.medium
            .borrow()
            .queues
            .get(self.index)
            .and_then(|q| q.front().map(|f| f.at))
    }
    /// Counters of the whole medium.
    pub fn stats(&self) -> WireStats {
        self.medium.borrow().stats
    }
    /// Change the medium's behaviour (for instance, start losing frames).
    pub fn set_config(&self, config: WireConfig) {
        self.medium.borrow_mut().config = config;
    }
    pub fn config(&self) -> WireConfig {
        self.medium.borrow().config
    }
}

impl Device for SoftPort {
    fn caps(&self) -> DeviceCaps {
        let c = self.medium.borrow().config;
        DeviceCaps {
            mtu: c.mtu,
            tx_checksum: c.tx_checksum,
            rx_checksum: c.rx_checksum,
            mac: self.mac,
        }
    }

    fn transmit(&mut self, now: Instant, mut frame: PacketBuf) -> Result<(), TxBusy> {
        let mut m = self.medium.borrow_mut();
        let cfg = m.config;
        if cfg.tx_burst > 0 {
            let (at, n) = m.burst[self.index];
            let n = if at == now { n } else { 0 };
            if n >= cfg.tx_burst {
                return Err(TxBusy(frame));
            }
            m.burst[self.index] = (now, n + 1);
        }
        m.stats.sent += 1;
        if cfg.tx_checksum {
            if let Some(tc) = frame.meta().tx_checksum {
                insert_checksum(&mut frame, usize::from(tc.start), usize::from(tc.offset));
            }
        }
        frame.meta_mut().tx_checksum = None;
        if cfg.pad && frame.len() < ethernet::MIN_FRAME_LEN {
            let short = ethernet::MIN_FRAME_LEN - frame.len();
            if frame.put(short).is_err() {
                let mut bigger = PacketBuf::new(0, ethernet::MIN_FRAME_LEN);
                if let Ok(b) = bigger.put(ethernet::MIN_FRAME_LEN) {
                    b[..frame.len()].copy_from_slice(frame.data());
                }
                *bigger.meta_mut() = *frame.meta();
                frame = bigger;
            } else {
                let len = frame.len();
                frame.data_mut()[len - short..].fill(0);
            }
        }
        for port in 0..m.queues.len() {
            if port == self.index {
                continue;
            }
            if m.rng.chance(cfg.loss_ppm) {
                m.stats.lost += 1;
                continue;
            }
            let mut copy = frame.copy_with_headroom(0);
            if m.rng.chance(cfg.corrupt_ppm) && !copy.is_empty() {
                let bit = m.rng.below(copy.len() as u64 * 8);
                copy.data_mut()[(bit / 8) as usize] ^= 1 << (bit % 8);
                m.stats.corrupted += 1;
            }
            let mut at = now + cfg.latency;
            if m.rng.chance(cfg.reorder_ppm) {
                at += cfg.reorder_delay;
                m.stats.reordered += 1;
            }
            if m.rng.chance(cfg.dup_ppm) {
                let dup = copy.copy_with_headroom(0);
                m.stats.duplicated += 1;
                m.enqueue(port, at, dup);
            }
            m.enqueue(port, at, copy);
        }
        Ok(())
    }

    fn receive(&mut self, now: Instant) -> Option<PacketBuf> {
        let mut m = self.medium.borrow_mut();
        let rx_checksum = m.config.rx_checksum;
        let q = m.queues.get_mut(self.index)?;
        if q.front().is_none_or(|f| f.at > now) {
            return None;
        }
        let mut frame = q.pop_front()?.frame;
        m.stats.delivered += 1;
        let meta = frame.meta_mut();
        meta.timestamp = now;
        meta.rx_checksum = RxChecksum::None;
        meta.mac_header = None;
        meta.network_header = None;
        meta.transport_header = None;
        if rx_checksum && frame.len() >= ethernet::HEADER_LEN {
            let sum = checksum::data(&frame.data()[ethernet::HEADER_LEN..]);
            frame.meta_mut().rx_checksum = RxChecksum::Complete {
                start: ethernet::HEADER_LEN as u16,
                sum,
            };
        }
        Some(frame)
    }
}

/// What a NIC does for a transmit checksum request: sum from `start` to
/// the end of the frame (the field seeded with the pseudo-header sum) and
/// store the complement at `offset`.
fn insert_checksum(frame: &mut PacketBuf, start: usize, offset: usize) {
    let data = frame.data_mut();
    if start > data.len() || offset + 2 > data.len() {
        return;
    }
    let c = !checksum::data(&data[start..]);
    data[offset..offset + 2].copy_from_slice(&c.to_be_bytes());
}

/// A device whose frames the test supplies and collects.
#[derive(Debug)]
pub struct QueueDevice {
    pub caps: DeviceCaps,
    /// Frames the stack will receive, in order.
    pub rx: VecDeque<PacketBuf>,
    /// Frames the stack transmitted.
    pub tx: Vec<PacketBuf>,
    /// Frames accepted before `transmit` answers `TxBusy` (`usize::MAX`:
    /// unlimited).
    pub tx_capacity: usize,
}

impl QueueDevice {
    pub fn new(mac: [u8; 6], mtu: usize) -> QueueDevice {
        QueueDevice {
            caps: DeviceCaps {
                mtu,
                tx_checksum: false,
                rx_checksum: false,
                mac,
            },
            rx: VecDeque::new(),
            tx: Vec::new(),
            tx_capacity: usize::MAX,
        }
    }
}

impl Device for QueueDevice {
    fn caps(&self) -> DeviceCaps {
        self.caps
    }
    fn transmit(&mut self, _now: Instant, frame: PacketBuf) -> Result<(), TxBusy> {
        if self.tx.len() >= self.tx_capacity {
            return Err(TxBusy(frame));
        }
        self.tx.push(frame);
        Ok(())
    }
    fn receive(&mut self, _now: Instant) -> Option<PacketBuf> {
        self.rx.pop_front()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splitmix_is_deterministic_and_spread() {
        let mut a = SplitMix64::new(42);
        let mut b = SplitMix64::new(42);
        let xs: Vec<u64> = (0..8).map(|_| a.next_u64()).collect();
        let ys: Vec<u64> = (0..8).map(|_| b.next_u64()).collect();
        assert_eq!(xs, ys);
        let hits = (0..100_000).filter(|_| a.chance(250_000)).count();
        assert!((23_000..27_000).contains(&hits), "{hits}");
        assert!((0..1000).all(|_| a.below(7) < 7));
    }

    #[test]
    fn wire_delivers_after_latency_pads_and_sums() {
        let cfg = WireConfig {
            rx_checksum: true,
            ..WireConfig::default()
        };
        let (mut a, mut b) = SoftWire::pair(1, cfg, [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]]);
        let t0 = Instant::from_micros(100);
        a.transmit(t0, PacketBuf::from_slice(0, &[0xab; 20]))
            .unwrap();
        assert!(b.receive(t0).is_none());
        assert_eq!(b.next_arrival(), Some(t0 + cfg.latency));
        let f = b.receive(t0 + cfg.latency).unwrap();
        assert_eq!(f.len(), 60);
        assert_eq!(&f.data()[..20], &[0xab; 20]);
        assert!(f.data()[20..].iter().all(|x| *x == 0));
        assert_eq!(
            f.meta().rx_checksum,
            RxChecksum::Complete {
                start: 14,
                sum: checksum::data(&f.data()[14..])
            }
        );
        assert!(
            a.receive(t0 + cfg.latency).is_none(),
            "no echo to the sender"
        );
    }

    #[test]
    fn impairments_follow_the_seed() {
        let cfg = WireConfig {
            loss_ppm: 100_000,
            dup_ppm: 100_000,
            reorder_ppm: 100_000,
            corrupt_ppm: 100_000,
            ..WireConfig::default()
        };
        let run = |seed| {
            let (mut a, mut b) =
                SoftWire::pair(seed, cfg, [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]]);
            let mut got = Vec::new();
            for i in 0..1000u16 {
                let now = Instant::from_micros(u64::from(i));
                let mut f = vec![0u8; 64];
                f[..2].copy_from_slice(&i.to_be_bytes());
                a.transmit(now, PacketBuf::from_slice(0, &f)).unwrap();
                while let Some(f) = b.receive(now) {
                    got.push(f.data().to_vec());
                }
            }
            while let Some(f) = b.receive(Instant::from_millis(1000)) {
                got.push(f.data().to_vec());
            }
            (got, a.stats())
        };
        let (g1, s1) = run(7);
        let (g2, s2) = run(7);
        let (g3, _) = run(8);
        assert_eq!(g1, g2);
        assert_eq!(s1, s2);
        assert_ne!(g1, g3);
        assert!(s1.lost > 50 && s1.duplicated > 50 && s1.reordered > 50 && s1.corrupted > 50);
        assert_eq!(s1.delivered as usize, g1.len());
        assert_eq!(s1.sent - s1.lost + s1.duplicated, s1.delivered);
    }

    #[test]
    fn tx_checksum_offload_and_busy() {
        let cfg = WireConfig {
            tx_checksum: true,
            tx_burst: 1,
            ..WireConfig::default()
        };
        let (mut a, mut b) = SoftWire::pair(1, cfg, [[2, 0, 0, 0, 0, 1], [2, 0, 0, 0, 0, 2]]);
        let mut f = PacketBuf::from_slice(0, &[0x11; 64]);
        f.data_mut()[20..22].copy_from_slice(&[0, 0]);
        f.meta_mut().tx_checksum = Some(crate::buf::TxChecksum {
            start: 14,
            offset: 20,
        });
        let now = Instant::ZERO;
        a.transmit(now, f).unwrap();
        assert!(a.transmit(now, PacketBuf::from_slice(0, &[0; 64])).is_err());
        let got = b.receive(now + cfg.latency).unwrap();
        assert_eq!(checksum::data(&got.data()[14..]), 0xffff);
    }
}
