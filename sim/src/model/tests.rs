//! Model self-tests: each scenario's expectation is computed by hand from
//! the specification, not by running the model twice.
#![allow(clippy::unwrap_used)]

use driver::desc::{RxDescRepr, TxDescRepr, rx, tx};
use driver::hal::{DmaAddr, DmaDirection, DmaError, DmaMemory};
use driver::regs::{Icr, Rah, Rctl, Tctl, reg};

use super::mac::{crc32, ones_sum, with_fcs};
use super::*;
use crate::hostmem::{HostMemory, RegionKind};

/// CPU access by plain address (the checked [`DmaMemory`] accessors).
trait Cpu {
    fn cpu_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DmaError>;
    fn cpu_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DmaError>;
}

impl Cpu for HostMemory {
    fn cpu_write(&mut self, addr: u64, data: &[u8]) -> Result<(), DmaError> {
        self.write(DmaAddr(addr), data)
    }
    fn cpu_read(&mut self, addr: u64, buf: &mut [u8]) -> Result<(), DmaError> {
        self.read(DmaAddr(addr), buf)
    }
}

const TX_RING: u64 = 0x1_0000;
const RX_RING: u64 = 0x2_0000;
const TX_BUF: u64 = 0x10_0000;
const RX_BUF: u64 = 0x20_0000;
const MAC: [u8; 6] = [0x02, 0x00, 0x00, 0x00, 0x00, 0x01];

struct Bench {
    nic: NicModel,
    mem: HostMemory,
}

fn tx_buf(i: u32) -> u64 {
    TX_BUF + u64::from(i) * 0x1_0000
}
fn rx_buf(i: u32) -> u64 {
    RX_BUF + u64::from(i) * 0x1_0000
}

impl Bench {
    /// Rings of `n` descriptors, RX buffers of `bsize` bytes, the filter
    /// set to `MAC`, both queues enabled.
    fn new(n: u32, rctl: Rctl, cfg: ModelConfig) -> Bench {
        let mut mem = HostMemory::new();
        mem.map_at(TX_RING, n as usize * 16, RegionKind::Coherent)
            .unwrap();
        mem.map_at(RX_RING, n as usize * 16, RegionKind::Coherent)
            .unwrap();
        let bsize = rctl_buffer_size(rctl).unwrap();
        for i in 0..n {
            mem.map_at(
                tx_buf(i),
                0x8000,
                RegionKind::Streaming(DmaDirection::ToDevice),
            )
            .unwrap();
            mem.map_at(
                rx_buf(i),
                bsize,
                RegionKind::Streaming(DmaDirection::FromDevice),
            )
            .unwrap();
            let d = RxDescRepr {
                addr: rx_buf(i),
                ..Default::default()
            };
            mem.cpu_write(RX_RING + u64::from(i) * 16, &d.to_bytes())
                .unwrap();
        }
        let mut nic = NicModel::new(cfg);
        let mut b = Bench {
            nic: NicModel::new(ModelConfig::default()),
            mem,
        };
        for (off, v) in [
            (reg::TDBAL, TX_RING as u32),
            (reg::TDBAH, 0),
            (reg::TDLEN, n * 16),
            (reg::RDBAL, RX_RING as u32),
            (reg::RDLEN, n * 16),
            (
                driver::regs::ral(0),
                u32::from_le_bytes([MAC[0], MAC[1], MAC[2], MAC[3]]),
            ),
            (
                driver::regs::rah(0),
                u32::from(u16::from_le_bytes([MAC[4], MAC[5]])) | Rah::AV.bits(),
            ),
            (reg::TCTL, (Tctl::EN | Tctl::PSP).bits()),
            (reg::RCTL, rctl.bits()),
        ] {
            nic.write32(off, v, &mut b.mem);
        }
        b.nic = nic;
        b
    }

    fn w(&mut self, off: u32, v: u32) {
        self.nic.write32(off, v, &mut self.mem);
    }

    fn put_tx(&mut self, i: u32, data: &[u8], cmd: u8, css: u8, cso: u8) {
        self.mem.cpu_write(tx_buf(i), data).unwrap();
        let d = TxDescRepr {
            addr: tx_buf(i),
            length: data.len() as u16,
            cso,
            cmd,
            sta: 0,
            css,
            special: 0,
        };
        self.mem
            .cpu_write(TX_RING + u64::from(i) * 16, &d.to_bytes())
            .unwrap();
    }

    fn tx_desc(&mut self, i: u32) -> TxDescRepr {
        let mut b = [0u8; 16];
        self.mem
            .cpu_read(TX_RING + u64::from(i) * 16, &mut b)
            .unwrap();
        TxDescRepr::from_bytes(&b)
    }

    fn rx_desc(&mut self, i: u32) -> RxDescRepr {
        let mut b = [0u8; 16];
        self.mem
            .cpu_read(RX_RING + u64::from(i) * 16, &mut b)
            .unwrap();
        RxDescRepr::from_bytes(&b)
    }

    fn rx_data(&mut self, i: u32, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; len];
        self.mem.cpu_read(rx_buf(i), &mut b).unwrap();
        b
    }

    fn rx(&mut self, f: &RxFrame) {
        self.nic.receive(f, &mut self.mem);
    }
}

fn default_rctl() -> Rctl {
    Rctl::EN | Rctl::BAM | Rctl::SECRC
}

fn frame_to(da: [u8; 6], len: usize, seed: u8) -> Vec<u8> {
    let mut f = da.to_vec();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0, 0x99, 0x08, 0x00]);
    while f.len() < len {
        f.push(seed.wrapping_add(f.len() as u8));
    }
    f
}

#[test]
fn reset_values_and_read_clear() {
    let mut m = NicModel::new(ModelConfig::default());
    let mut mem = HostMemory::new();
    for r in REGISTERS {
        if r.name == "STATUS" {
            continue;
        }
        assert_eq!(m.read32(r.offset), r.reset, "{}", r.name);
    }
    m.write32(reg::ICS, Icr::RXT0.bits() | 0x8000_0000, &mut mem);
    assert_eq!(
        m.read32(reg::ICR),
        Icr::RXT0.bits(),
        "ICS sets only real causes"
    );
    assert_eq!(m.read32(reg::ICR), 0, "ICR read clears");
    m.write32(reg::IMS, Icr::RXT0.bits() | Icr::TXDW.bits(), &mut mem);
    m.write32(reg::IMC, Icr::TXDW.bits(), &mut mem);
    assert_eq!(m.read32(reg::IMS), Icr::RXT0.bits());
    assert!(!m.irq());
    m.write32(reg::ICS, Icr::TXDW.bits(), &mut mem);
    assert!(!m.irq(), "masked cause");
    m.write32(reg::ICS, Icr::RXT0.bits(), &mut mem);
    assert!(m.irq());
    m.read32(reg::ICR);
    assert!(!m.irq());
    m.write32(reg::RCTL, 0x1234_5678, &mut mem);
    m.write32(reg::TDLEN, 0x1_0FFF, &mut mem);
    assert_eq!(m.read32(reg::TDLEN), 0x1_0F80, "length in 128-byte units");
    m.write32(reg::CTRL, driver::regs::Ctrl::RST.bits(), &mut mem);
    assert_eq!(m.read32(reg::RCTL), driver::regs::reset::RCTL);
    assert_eq!(m.read32(reg::TDLEN), 0);
    assert_eq!(m.read32(reg::IMS), 0);
    assert_eq!(
        m.read32(reg::CTRL) & driver::regs::Ctrl::RST.bits(),
        0,
        "RST self-clears"
    );
}

#[test]
fn tx_single_frame_with_padding_and_fcs() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    let data = [0xAAu8; 42];
    b.put_tx(0, &data, tx::CMD_EOP | tx::CMD_IFCS | tx::CMD_RS, 0, 0);
    b.w(reg::TDT, 1);
    let frames = b.nic.take_wire_frames();
    assert_eq!(frames.len(), 1);
    let f = &frames[0];
    assert_eq!(f.len(), 64, "padded to 60, then FCS");
    assert_eq!(&f[..42], &data);
    assert!(f[42..60].iter().all(|&x| x == 0));
    assert_eq!(f[60..], crc32(&f[..60]).to_le_bytes());
    assert!(b.tx_desc(0).sta & tx::STA_DD != 0);
    assert_eq!(b.nic.read32(reg::TDH), 1);
    assert_eq!(b.nic.read32(reg::ICR), (Icr::TXDW | Icr::TXQE).bits());
    assert_eq!(b.nic.read32(reg::GPTC), 1);
    assert_eq!(b.nic.read32(reg::TPT), 1);
    assert_eq!(b.nic.read32(reg::GOTCL), 64);
    assert_eq!(b.nic.read32(reg::GOTCH), 0);
    assert_eq!(b.nic.read32(reg::GOTCL), 0, "high read cleared the counter");
}

#[test]
fn tx_eop_chain_waits_for_eop_and_rs_only_where_asked() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TCTL, Tctl::EN.bits()); // no padding
    b.put_tx(0, &[1, 2, 3], tx::CMD_IFCS, 0, 0);
    b.put_tx(1, &[4, 5], tx::CMD_RS, 0, 0);
    b.put_tx(2, &[6], tx::CMD_EOP, 0, 0);
    b.w(reg::TDT, 2);
    assert!(b.nic.take_wire_frames().is_empty(), "EOP not yet posted");
    // The descriptors before the tail are processed (and DD written for
    // the RS one) while the frame waits for its EOP.
    assert_eq!(b.nic.read32(reg::TDH), 2);
    assert!(b.nic.tx_frame_in_progress());
    assert_eq!(b.tx_desc(1).sta, tx::STA_DD);
    assert_eq!(b.nic.read32(reg::ICR), (Icr::TXDW | Icr::TXQE).bits());
    b.w(reg::TDT, 3);
    let frames = b.nic.take_wire_frames();
    assert_eq!(
        frames,
        vec![with_fcs(&[1, 2, 3, 4, 5, 6])],
        "IFCS from the first descriptor"
    );
    assert_eq!(b.tx_desc(0).sta, 0);
    assert_eq!(b.tx_desc(1).sta, tx::STA_DD);
    assert_eq!(b.tx_desc(2).sta, 0);
    assert_eq!(b.nic.read32(reg::TDH), 3);
}

#[test]
fn tx_wraps_and_never_passes_tail() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TCTL, Tctl::EN.bits());
    b.w(reg::TDH, 6);
    b.w(reg::TDT, 6);
    for i in [6, 7, 0, 1] {
        b.put_tx(i, &[i as u8; 20], tx::CMD_EOP | tx::CMD_RS, 0, 0);
    }
    b.w(reg::TDT, 1);
    let frames = b.nic.take_wire_frames();
    assert_eq!(frames, vec![vec![6; 20], vec![7; 20], vec![0; 20]]);
    assert_eq!(b.nic.read32(reg::TDH), 1);
    assert_eq!(b.tx_desc(1).sta, 0, "descriptor at the tail untouched");
}

#[test]
fn tx_checksum_insertion() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TCTL, Tctl::EN.bits());
    let mut data: Vec<u8> = (0..40u8).collect();
    data[20] = 0;
    data[21] = 0;
    b.put_tx(0, &data, tx::CMD_EOP | tx::CMD_IC, 10, 20);
    // CSO beyond the frame: no insertion.
    b.put_tx(1, &data, tx::CMD_EOP | tx::CMD_IC, 10, 39);
    b.w(reg::TDT, 2);
    let frames = b.nic.take_wire_frames();
    let mut expect = data.clone();
    let sum = !ones_sum(&data[10..]);
    expect[20..22].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(frames[0], expect);
    // The inserted checksum makes the covered range sum to 0xffff.
    assert_eq!(ones_sum(&frames[0][10..]), 0xffff);
    assert_eq!(frames[1], data);
}

#[test]
fn tx_fifo_counters_drop_and_checksum_skip() {
    // docs/regmap.md, nicsim transmit counters: a frame longer than the
    // 16384-byte TX FIFO is discarded whole (TXDROPC, no checksum verdict),
    // an IC frame with CSS or CSO + 2 outside it goes out unchanged
    // (TXCSKIPC), an empty EOP counts nothing; the MAC never underruns.
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TCTL, Tctl::EN.bits());
    let eop_ic = tx::CMD_EOP | tx::CMD_IC;
    let big: Vec<u8> = (0..16385u32).map(|i| (i * 7) as u8).collect();
    // 0: one descriptor of 16385 bytes, CSO outside too: dropped only.
    b.put_tx(0, &big, eop_ic, 0, 255);
    // 1: exactly the FIFO size, checksum inserted.
    b.put_tx(1, &big[..16384], eop_ic, 14, 20);
    // 2, 3: a chain of 10000 + 6385 bytes: dropped.
    b.put_tx(2, &big[..10000], 0, 0, 0);
    b.put_tx(3, &big[10000..], tx::CMD_EOP, 0, 0);
    // 4: CSS at the frame's length: skipped. 5: CSO + 2 = length: inserted.
    b.put_tx(4, &big[..40], eop_ic, 40, 0);
    b.put_tx(5, &big[..40], eop_ic, 0, 38);
    // 6: an empty EOP with IC: nothing at all.
    b.put_tx(6, &[], eop_ic, 0, 200);
    b.w(reg::TDT, 7);
    let frames = b.nic.take_wire_frames();
    assert_eq!(
        frames.iter().map(Vec::len).collect::<Vec<_>>(),
        vec![16384, 40, 40]
    );
    // The field as software seeded it is part of the sum (8254x 3.3.3.1).
    let with_sum = |data: &[u8], css: usize, cso: usize| {
        let mut d = data.to_vec();
        let sum = !ones_sum(&data[css..]);
        d[cso..cso + 2].copy_from_slice(&sum.to_be_bytes());
        d
    };
    assert_eq!(frames[0], with_sum(&big[..16384], 14, 20), "inserted");
    assert_eq!(frames[1], &big[..40], "skipped: unchanged");
    assert_eq!(
        frames[2],
        with_sum(&big[..40], 0, 38),
        "inserted at the last two bytes"
    );
    assert_eq!(b.nic.read32(reg::TDH), 7);
    assert_eq!(b.nic.read32(reg::TXDROPC), 2);
    assert_eq!(b.nic.read32(reg::TXCSKIPC), 1);
    assert_eq!(b.nic.read32(reg::TXUNDERC), 0);
    assert_eq!(b.nic.read32(reg::GPTC), 3);
    for r in [reg::TXDROPC, reg::TXCSKIPC] {
        assert_eq!(b.nic.read32(r), 0, "read clears");
    }
    // CTRL.RST clears them too.
    b.put_tx(7, &big[..40], eop_ic, 41, 0);
    b.w(reg::TDT, 0);
    assert_eq!(b.nic.peek_stat(reg::TXCSKIPC), 1);
    b.w(reg::CTRL, driver::regs::Ctrl::RST.bits());
    assert_eq!(b.nic.read32(reg::TXCSKIPC), 0);
}

#[test]
fn rx_frame_written_back_with_checksum() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::RDT, 7);
    let f = frame_to(MAC, 100, 3);
    b.rx(&RxFrame::good(&f));
    let d = b.rx_desc(0);
    assert_eq!(d.length, 100, "SECRC strips the FCS");
    assert_eq!(d.status, rx::STA_DD | rx::STA_EOP | rx::STA_IXSM);
    assert_eq!(d.errors, 0);
    assert_eq!(d.csum, ones_sum(&f));
    assert_eq!(d.addr, rx_buf(0), "address untouched");
    assert_eq!(b.rx_data(0, 100), f);
    assert_eq!(b.nic.read32(reg::RDH), 1);
    assert_eq!(b.nic.read32(reg::ICR), Icr::RXT0.bits());
    assert_eq!(b.nic.read32(reg::GPRC), 1);
    assert_eq!(b.nic.read32(reg::TPR), 1);
    assert_eq!(b.nic.read32(reg::GORCL), 104, "octets include the FCS");
    assert_eq!(b.nic.read32(reg::GORCH), 0);
}

#[test]
fn rx_spans_buffers_with_eop_on_the_last() {
    let rctl = driver::regs::rctl_bsize(Rctl::EN | Rctl::SECRC, 256).unwrap();
    let mut b = Bench::new(8, rctl, ModelConfig::default());
    b.w(reg::RXCSUM, 14);
    b.w(reg::RDT, 7);
    let f = frame_to(MAC, 600, 9);
    b.rx(&RxFrame::good(&f));
    let lens: Vec<u16> = (0..3).map(|i| b.rx_desc(i).length).collect();
    assert_eq!(lens, vec![256, 256, 88]);
    assert_eq!(b.rx_desc(0).status, rx::STA_DD | rx::STA_IXSM);
    assert_eq!(b.rx_desc(2).status, rx::STA_DD | rx::STA_IXSM | rx::STA_EOP);
    assert_eq!(b.rx_desc(2).csum, ones_sum(&f[14..]), "sum from PCSS");
    let mut got = b.rx_data(0, 256);
    got.extend(b.rx_data(1, 256));
    got.extend(b.rx_data(2, 88));
    assert_eq!(got, f);
    assert_eq!(b.nic.read32(reg::RDH), 3);
}

#[test]
fn rx_without_secrc_keeps_fcs() {
    let mut b = Bench::new(8, Rctl::EN | Rctl::BAM, ModelConfig::default());
    b.w(reg::RDT, 7);
    let f = RxFrame::good(&frame_to([0xff; 6], 60, 1));
    b.rx(&f);
    assert_eq!(b.rx_desc(0).length, 64);
    assert_eq!(b.rx_data(0, 64), f.bytes);
    assert_eq!(b.nic.read32(reg::BPRC), 1);
}

#[test]
fn rx_errors_counted_and_dropped_unless_sbp() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::RDT, 7);
    let mut bad = RxFrame::good(&frame_to(MAC, 80, 1));
    bad.bytes[70] ^= 0x10;
    b.rx(&bad);
    b.rx(&RxFrame::good(&frame_to(MAC, 59, 1))); // runt: 63 with FCS
    b.rx(&RxFrame::good(&frame_to(MAC, 1515, 1))); // oversize: 1519
    let mut er = RxFrame::good(&frame_to(MAC, 80, 2));
    er.rx_er = true;
    b.rx(&er);
    b.rx(&RxFrame::good(&frame_to([0x02, 9, 9, 9, 9, 9], 80, 1))); // filter miss
    assert_eq!(b.nic.read32(reg::RDH), 0, "nothing delivered");
    assert_eq!(b.nic.read32(reg::CRCERRS), 1);
    assert_eq!(b.nic.read32(reg::RUC), 1);
    assert_eq!(b.nic.read32(reg::ROC), 1);
    assert_eq!(b.nic.read32(reg::RXERRC), 1);
    assert_eq!(b.nic.read32(reg::TPR), 5);
    assert_eq!(b.nic.read32(reg::GPRC), 0);
    // With SBP the bad-FCS frame is stored with CE.
    b.w(reg::RCTL, (default_rctl() | Rctl::SBP).bits());
    b.rx(&bad);
    assert_eq!(b.rx_desc(0).errors, rx::ERR_CE);
    assert_eq!(b.nic.read32(reg::GPRC), 0, "bad frames are not good");
    // With LPE the 1519-byte frame is accepted and spans two 2048 buffers? No: fits one.
    b.w(reg::RCTL, (default_rctl() | Rctl::LPE).bits());
    b.rx(&RxFrame::good(&frame_to(MAC, 1515, 1)));
    assert_eq!(b.rx_desc(1).length, 1515);
}

#[test]
fn rx_no_descriptor_waits_then_overflows() {
    let cfg = ModelConfig {
        rx_fifo_bytes: 1024,
        ..Default::default()
    };
    let mut b = Bench::new(8, default_rctl(), cfg);
    let f = RxFrame::good(&frame_to(MAC, 496, 5)); // 500 bytes with FCS
    b.rx(&f);
    b.rx(&f);
    b.rx(&f); // 1500 > 1024: dropped
    assert_eq!(
        b.nic.read32(reg::RNBC),
        1,
        "counted once for the waiting head frame"
    );
    assert_eq!(b.nic.read32(reg::MPC), 1);
    assert_eq!(b.nic.read32(reg::ICR), Icr::RXO.bits());
    assert_eq!(b.nic.read32(reg::GPRC), 2, "the two stored frames are good");
    b.w(reg::RDT, 1);
    assert_eq!(b.nic.read32(reg::RDH), 1, "one descriptor, one frame");
    b.w(reg::RDT, 4);
    assert_eq!(b.nic.read32(reg::RDH), 2);
    assert_eq!(b.nic.rx_fifo_frames(), 0);
}

#[test]
fn rx_threshold_and_delay_timers() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::RDTR, 10);
    b.w(reg::RADV, 15);
    b.w(reg::RDT, 7); // 7 free
    let f = RxFrame::good(&frame_to(MAC, 60, 5));
    b.rx(&f); // 6 free
    assert_eq!(b.nic.peek_icr(), 0, "RXT0 delayed");
    assert_eq!(b.nic.next_deadline(), Some(10 * 1024));
    b.nic.advance(5 * 1024);
    b.rx(&f); // 5 free; packet timer restarts at 5 + 10
    b.nic.advance(14 * 1024);
    assert_eq!(b.nic.peek_icr(), 0);
    b.nic.advance(15 * 1024);
    assert_eq!(
        b.nic.peek_icr(),
        Icr::RXT0.bits(),
        "absolute timer after 15"
    );
    b.nic.read32(reg::ICR);
    b.rx(&f); // 4 free = 8/2: RXDMT0 with RDMTS = 0
    assert_eq!(b.nic.peek_icr(), Icr::RXDMT0.bits());
    b.nic.settle();
    assert_eq!(b.nic.peek_icr(), (Icr::RXDMT0 | Icr::RXT0).bits());
}

#[test]
fn itr_spaces_assertions() {
    let mut m = NicModel::new(ModelConfig::default());
    let mut mem = HostMemory::new();
    m.write32(reg::ITR, 4, &mut mem); // 1024 ns
    m.write32(reg::IMS, Icr::RXT0.bits(), &mut mem);
    m.write32(reg::ICS, Icr::RXT0.bits(), &mut mem);
    assert!(m.irq());
    m.read32(reg::ICR);
    m.advance(100);
    m.write32(reg::ICS, Icr::RXT0.bits(), &mut mem);
    assert!(!m.irq(), "held off by ITR");
    assert_eq!(m.next_deadline(), Some(1024));
    m.advance(1023);
    assert!(!m.irq());
    m.advance(1024);
    assert!(m.irq());
}

#[test]
fn bus_error_stops_queue_until_reset() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TCTL, Tctl::EN.bits());
    b.put_tx(0, &[1; 30], tx::CMD_EOP | tx::CMD_RS, 0, 0);
    b.put_tx(1, &[2; 30], tx::CMD_EOP | tx::CMD_RS, 0, 0);
    b.mem.inject_fault(tx_buf(1) + 8, 4);
    b.w(reg::TDT, 2);
    assert_eq!(b.nic.take_wire_frames().len(), 1);
    assert!(b.nic.tx_stopped());
    assert_eq!(b.nic.read32(reg::ICR), (Icr::TXDW | Icr::DMAERR).bits());
    assert_eq!(
        b.nic.read32(reg::DMAERR_ADDRL),
        tx_buf(1) as u32,
        "start of the failing access"
    );
    use driver::regs::Dmaerr;
    let s = Dmaerr(b.nic.read32(reg::DMAERR));
    assert_eq!(
        s,
        Dmaerr::VALID.with(Dmaerr::RESP, 2),
        "TX buffer read, SLVERR"
    );
    assert!(driver::regs::Status(b.nic.read32(reg::STATUS)).contains(driver::regs::Status::TXSTOP));
    assert_eq!(b.nic.read32(reg::TDH), 1);
    b.w(reg::CTRL, driver::regs::Ctrl::RST.bits());
    assert!(!b.nic.tx_stopped());
    assert_eq!(b.nic.read32(reg::TDLEN), 0);
}

#[test]
fn tail_beyond_ring_is_undefined_and_reset_recovers() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.w(reg::TDT, 9);
    assert!(matches!(
        b.nic.undefined(),
        [Undefined::PointerBeyondRing {
            queue: Queue::Tx,
            ..
        }]
    ));
    assert!(b.nic.take_wire_frames().is_empty());
    b.w(reg::CTRL, driver::regs::Ctrl::RST.bits());
    assert!(b.nic.undefined().is_empty());
}

#[test]
fn model_host_runs_through_hal_traits() {
    use driver::hal::{Platform, RegisterAccess};
    let host = host::ModelHost::default();
    let (mut regs, mut dma, mut plat) = host.handles();
    let ring = dma.alloc_coherent(128, 128).unwrap();
    let buf = dma.map(64, DmaDirection::ToDevice).unwrap();
    dma.write(buf, &[0x5a; 64]).unwrap();
    let d = TxDescRepr {
        addr: buf.0,
        length: 64,
        cmd: tx::CMD_EOP | tx::CMD_IFCS | tx::CMD_RS,
        ..Default::default()
    };
    dma.write(ring, &d.to_bytes()).unwrap();
    regs.write32(reg::TDBAL, ring.0 as u32);
    regs.write32(reg::TDBAH, (ring.0 >> 32) as u32);
    regs.write32(reg::TDLEN, 128);
    regs.write32(reg::TCTL, Tctl::EN.bits());
    regs.write32(reg::IMS, Icr::TXDW.bits());
    regs.write32(reg::TDT, 1);
    assert!(plat.irq_asserted());
    assert_eq!(host.take_tx(), vec![with_fcs(&[0x5a; 64])]);
    plat.delay_ns(500);
    assert_eq!(plat.now().as_nanos(), 500);
    assert!(host.violations().is_empty());
}

#[test]
fn rx_waits_for_enough_descriptors() {
    let rctl = driver::regs::rctl_bsize(Rctl::EN | Rctl::SECRC, 256).unwrap();
    let mut b = Bench::new(8, rctl, ModelConfig::default());
    b.w(reg::RDT, 2); // two descriptors: 512 bytes
    let f = frame_to(MAC, 600, 1); // needs three
    b.rx(&RxFrame::good(&f));
    assert_eq!(b.nic.read32(reg::RDH), 0, "not started with too few");
    assert_eq!(b.rx_desc(0).status, 0);
    b.w(reg::RDT, 3);
    assert_eq!(b.nic.read32(reg::RDH), 3);
    assert_eq!(b.nic.read32(reg::RNBC), 1, "once for the waiting frame");
    assert_eq!(b.rx_desc(2).length, 600 - 512);
}

#[test]
fn filter_pif_and_group_promiscuous() {
    let mut b = Bench::new(8, Rctl::EN | Rctl::SECRC, ModelConfig::default());
    b.w(reg::RDT, 7);
    let group = [0x01, 0x00, 0x5e, 0x00, 0x00, 0x01];
    let h = u32::from(driver::regs::mta_hash(&group, 0));
    b.w(driver::regs::mta(h >> 5), 1 << (h & 31));
    b.rx(&RxFrame::good(&frame_to(group, 60, 1)));
    assert_eq!(
        b.rx_desc(0).status,
        rx::STA_DD | rx::STA_IXSM | rx::STA_EOP | STA_PIF
    );
    b.rx(&RxFrame::good(&frame_to([0xff; 6], 60, 1)));
    assert_eq!(
        b.nic.read32(reg::RDH),
        1,
        "broadcast without BAM or MPE dropped"
    );
    b.w(reg::RCTL, (Rctl::EN | Rctl::SECRC | Rctl::MPE).bits());
    b.rx(&RxFrame::good(&frame_to([0xff; 6], 60, 1)));
    b.rx(&RxFrame::good(&frame_to(group, 60, 1)));
    assert_eq!(b.nic.read32(reg::RDH), 3, "MPE takes broadcast and groups");
    assert_eq!(
        b.rx_desc(2).status & STA_PIF,
        0,
        "not PIF when MPE let it in"
    );
    assert_eq!(b.nic.read32(reg::BPRC), 1);
    assert_eq!(b.nic.read32(reg::MPRC), 2);
}

#[test]
fn psp_pads_only_frames_with_fcs() {
    let mut b = Bench::new(8, default_rctl(), ModelConfig::default());
    b.put_tx(0, &[7; 10], tx::CMD_EOP, 0, 0);
    b.put_tx(1, &[7; 10], tx::CMD_EOP | tx::CMD_IFCS, 0, 0);
    b.w(reg::TDT, 2);
    let f = b.nic.take_wire_frames();
    assert_eq!(f[0], vec![7; 10]);
    assert_eq!(f[1].len(), 64);
    assert_eq!(b.nic.read32(reg::GOTCL), 74, "octets as on the wire");
}
