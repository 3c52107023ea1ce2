//! Helpers shared by the sim_* integration tests: frames and hand-written
//! descriptor rings (8254x 14.4 receive and 14.5 transmit initialization).
// Each test binary uses a subset of these helpers.
#![allow(dead_code, clippy::unwrap_used)]

use driver::desc::{DESC_LEN, tx};
use driver::hal::{DmaAddr, DmaDirection, DmaMemory};
use driver::regs::{Rctl, Tctl, reg};
use sim::world::Hardware;

pub const RING: usize = 8;

pub fn frame(len: usize, tag: u8) -> Vec<u8> {
    let mut f = vec![0xff; 6];
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, tag]);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend((0..len - 14).map(|i| (i as u8).wrapping_mul(7) ^ tag));
    f
}

pub struct TxRing {
    pub ring: DmaAddr,
}

pub fn split(a: DmaAddr) -> (u32, u32) {
    (a.0 as u32, (a.0 >> 32) as u32)
}

/// Program an empty TX ring and enable the transmitter (8254x 14.5).
pub fn tx_setup(hw: &mut Hardware, n: usize) -> TxRing {
    let ring = hw.mem(n).alloc_coherent(RING * DESC_LEN, 128).unwrap();
    let (lo, hi) = split(ring);
    hw.write32(n, reg::TDBAL, lo).unwrap();
    hw.write32(n, reg::TDBAH, hi).unwrap();
    hw.write32(n, reg::TDLEN, (RING * DESC_LEN) as u32).unwrap();
    hw.write32(n, reg::TDH, 0).unwrap();
    hw.write32(n, reg::TDT, 0).unwrap();
    hw.write32(n, reg::TCTL, (Tctl::EN | Tctl::PSP).bits())
        .unwrap();
    TxRing { ring }
}

/// Write TX descriptor `i` for `buf` and bump TDT past it.
pub fn tx_post(hw: &mut Hardware, n: usize, r: &TxRing, i: usize, buf: DmaAddr, len: usize) {
    let mut d = [0u8; DESC_LEN];
    d[0..8].copy_from_slice(&buf.0.to_le_bytes());
    d[8..10].copy_from_slice(&(len as u16).to_le_bytes());
    d[tx::CMD] = tx::CMD_EOP | tx::CMD_IFCS | tx::CMD_RS;
    hw.mem(n)
        .write(DmaAddr(r.ring.0 + (i * DESC_LEN) as u64), &d)
        .unwrap();
    hw.write32(n, reg::TDT, ((i + 1) % RING) as u32).unwrap();
}

pub fn desc(hw: &mut Hardware, n: usize, ring: DmaAddr, i: usize) -> [u8; DESC_LEN] {
    let mut d = [0u8; DESC_LEN];
    hw.mem(n)
        .read(DmaAddr(ring.0 + (i * DESC_LEN) as u64), &mut d)
        .unwrap();
    d
}

pub struct RxRing {
    pub ring: DmaAddr,
    pub bufs: Vec<DmaAddr>,
}

/// Program a full RX ring of 2048-byte buffers (8254x 14.4), BAM, SECRC.
pub fn rx_setup(hw: &mut Hardware, n: usize) -> RxRing {
    let ring = hw.mem(n).alloc_coherent(RING * DESC_LEN, 128).unwrap();
    let mut bufs = Vec::new();
    for i in 0..RING {
        let b = hw.mem(n).map(2048, DmaDirection::FromDevice).unwrap();
        let mut d = [0u8; DESC_LEN];
        d[0..8].copy_from_slice(&b.0.to_le_bytes());
        hw.mem(n)
            .write(DmaAddr(ring.0 + (i * DESC_LEN) as u64), &d)
            .unwrap();
        bufs.push(b);
    }
    let (lo, hi) = split(ring);
    hw.write32(n, reg::RDBAL, lo).unwrap();
    hw.write32(n, reg::RDBAH, hi).unwrap();
    hw.write32(n, reg::RDLEN, (RING * DESC_LEN) as u32).unwrap();
    hw.write32(n, reg::RDH, 0).unwrap();
    hw.write32(n, reg::RDT, (RING - 1) as u32).unwrap();
    hw.write32(n, reg::RCTL, (Rctl::EN | Rctl::BAM | Rctl::SECRC).bits())
        .unwrap();
    RxRing { ring, bufs }
}

pub fn rx_teardown(hw: &mut Hardware, n: usize, r: RxRing) {
    hw.write32(n, reg::RCTL, 0).unwrap();
    for b in r.bufs {
        hw.mem(n).unmap(b, 2048, DmaDirection::FromDevice).unwrap();
    }
    hw.mem(n).free_coherent(r.ring, RING * DESC_LEN).unwrap();
}
