//! Unit tests of the driver against the fake NIC of [`crate::fake`]: the
//! test plays the device, so it can check register sequences, descriptor
//! contents and ordering, and feed the driver hostile values.

use stack::buf::{PacketBuf, PacketId, RxChecksum, TxChecksum};
use stack::device::Device;
use stack::time::{Duration, Instant};

use crate::desc::{DESC_LEN, RxDescRepr, TxDescRepr, rx, tx};
use crate::fake::{Access, Fake};
use crate::hal::DmaDirection;
use crate::nic::{Coalesce, Config, IrqMode, Nic, ProbeError};
use crate::regs::{Dmaerr, Icr, Rctl, Tctl, mta_hash, reg};

type TestNic = Nic<Fake, Fake, Fake>;

const MAC: [u8; 6] = [0x02, 0x00, 0x5e, 0x10, 0x20, 0x30];

fn fake_with_mac() -> Fake {
    let f = Fake::new();
    {
        let mut s = f.st();
        s.regs
            .insert(reg::RAL0, u32::from_le_bytes([0x02, 0x00, 0x5e, 0x10]));
        s.regs.insert(reg::RAH0, 0x8000_0000 | 0x3020);
    }
    f
}

fn probe(cfg: Config) -> (TestNic, Fake) {
    let f = fake_with_mac();
    let nic = Nic::probe(f.clone(), f.clone(), f.clone(), cfg).unwrap();
    (nic, f)
}

fn ring_base(f: &Fake, lo: u32, hi: u32) -> u64 {
    let s = f.st();
    u64::from(s.reg(lo)) | (u64::from(s.reg(hi)) << 32)
}

/// Play the transmit side of the NIC: consume descriptors from TDH to TDT,
/// write DD where RS asks, return the frames.
fn device_tx(f: &Fake) -> Vec<Vec<u8>> {
    let base = ring_base(f, reg::TDBAL, reg::TDBAH);
    let mut s = f.st();
    let count = s.reg(reg::TDLEN) / DESC_LEN as u32;
    let mut head = s.reg(reg::TDH);
    let tail = s.reg(reg::TDT);
    let mut frames = Vec::new();
    let mut cur = Vec::new();
    while head != tail {
        let a = base + u64::from(head) * DESC_LEN as u64;
        let raw: [u8; 16] = s.dev_read(a, 16).try_into().unwrap();
        let mut d = TxDescRepr::from_bytes(&raw);
        cur.extend(s.dev_read(d.addr, usize::from(d.length)));
        if d.cmd & tx::CMD_EOP != 0 {
            frames.push(std::mem::take(&mut cur));
        }
        if d.cmd & tx::CMD_RS != 0 {
            d.sta |= tx::STA_DD;
            s.dev_write(a, &d.to_bytes());
        }
        head = (head + 1) % count;
    }
    s.regs.insert(reg::TDH, head);
    let icr = s.reg(reg::ICR) | Icr::TXDW.bits();
    s.regs.insert(reg::ICR, icr);
    frames
}

/// Play the receive side: write `frame` into the buffers at RDH (chained
/// when longer than `buf`), DD and EOP on the last; false if no descriptor.
fn device_rx(f: &Fake, frame: &[u8], buf: usize) -> bool {
    let base = ring_base(f, reg::RDBAL, reg::RDBAH);
    let mut s = f.st();
    let count = s.reg(reg::RDLEN) / DESC_LEN as u32;
    let pieces = frame.chunks(buf).count() as u32;
    let (head, tail) = (s.reg(reg::RDH), s.reg(reg::RDT));
    if (tail + count - head) % count < pieces {
        let m = s.reg(reg::MPC) + 1;
        s.regs.insert(reg::MPC, m);
        return false;
    }
    let mut h = head;
    let pcss = s.reg(reg::RXCSUM) as usize;
    for (k, chunk) in frame.chunks(buf).enumerate() {
        let a = base + u64::from(h) * DESC_LEN as u64;
        let raw: [u8; 16] = s.dev_read(a, 16).try_into().unwrap();
        let mut d = RxDescRepr::from_bytes(&raw);
        s.dev_write(d.addr, chunk);
        d.length = chunk.len() as u16;
        d.status = rx::STA_DD;
        if k as u32 + 1 == pieces {
            d.status |= rx::STA_EOP;
            d.csum = crate::nic::ones_sum(&frame[pcss.min(frame.len())..]);
        }
        s.dev_write(a, &d.to_bytes());
        h = (h + 1) % count;
    }
    s.regs.insert(reg::RDH, h);
    let icr = s.reg(reg::ICR) | Icr::RXT0.bits();
    s.regs.insert(reg::ICR, icr);
    true
}

fn frame(len: usize, seed: u8) -> PacketBuf {
    let mut b = vec![0u8; len];
    b[..6].copy_from_slice(&[0xff; 6]);
    b[6..12].copy_from_slice(&MAC);
    b[12..14].copy_from_slice(&[0x08, 0x00]);
    for (i, x) in b[14..].iter_mut().enumerate() {
        *x = seed.wrapping_add(i as u8);
    }
    let mut p = PacketBuf::from_slice(0, &b);
    p.meta_mut().id = PacketId(u64::from(seed) + 1);
    p
}

#[test]
fn probe_register_sequence() {
    let (nic, f) = probe(Config::default());
    assert_eq!(nic.mac(), MAC);
    assert!(nic.link_up());
    let s = f.st();
    let rst = s
        .log
        .iter()
        .position(|a| matches!(a, Access::Write(o, v) if *o == reg::CTRL && v & (1 << 26) != 0))
        .unwrap();
    // Interrupts masked before the reset; rings programmed after it.
    assert!(s.first_write(reg::IMC).unwrap() < rst);
    assert!(s.first_write(reg::TDBAL).unwrap() > rst);
    assert!(s.first_write(reg::RDBAL).unwrap() > rst);
    assert_eq!(s.reg(reg::TDLEN), 256 * 16);
    assert_eq!(s.reg(reg::RDLEN), 256 * 16);
    // The RX ring is filled to count - 1 and RDT written after RCTL.EN.
    assert_eq!(s.reg(reg::RDT), 255);
    let rdt_last = s
        .log
        .iter()
        .rposition(|a| matches!(a, Access::Write(o, 255) if *o == reg::RDT));
    assert!(
        rdt_last.unwrap()
            > s.log
                .iter()
                .rposition(|a| matches!(a, Access::Write(o, _) if *o == reg::RCTL))
                .unwrap()
    );
    let rctl = Rctl(s.reg(reg::RCTL));
    assert!(rctl.contains(Rctl::EN | Rctl::BAM | Rctl::SECRC));
    assert!(!rctl.intersects(Rctl::UPE | Rctl::MPE | Rctl::LPE | Rctl::BSEX));
    assert_eq!(rctl.get(Rctl::BSIZE), 0, "2048-byte buffers");
    assert!(Tctl(s.reg(reg::TCTL)).contains(Tctl::EN | Tctl::PSP));
    assert_eq!(s.reg(reg::IMS), Icr::ENABLE_MASK.bits());
    assert_eq!(s.reg(reg::RXCSUM), 14);
    assert_eq!(s.mapped(DmaDirection::FromDevice), 255);
    // RAL/RAH reprogrammed with AV.
    assert_eq!(s.reg(reg::RAH0), 0x8000_3020);
}

#[test]
fn probe_reset_wait_is_bounded() {
    let f = fake_with_mac();
    f.st().rst_ns = None;
    let cfg = Config {
        reset_timeout: Duration::from_micros(50),
        ..Config::default()
    };
    let e = Nic::probe(f.clone(), f.clone(), f.clone(), cfg).unwrap_err();
    assert_eq!(e, ProbeError::ResetTimeout);
    // The wait for a frame on the wire to end, then the bounded reset wait.
    let t = f.st().now_ns - crate::nic::MAX_FRAME_WIRE_NS;
    assert!(
        (50_000..=51_000).contains(&t),
        "waited {t} ns after the quiesce"
    );
}

#[test]
fn probe_needs_a_mac() {
    let f = Fake::new();
    let e = Nic::probe(f.clone(), f.clone(), f.clone(), Config::default()).unwrap_err();
    assert_eq!(e, ProbeError::NoMacAddress);
    // A configured address is programmed instead.
    let cfg = Config {
        mac: Some([0x02, 1, 2, 3, 4, 5]),
        ..Config::default()
    };
    let nic = Nic::probe(f.clone(), f.clone(), f.clone(), cfg).unwrap();
    assert_eq!(nic.mac(), [0x02, 1, 2, 3, 4, 5]);
    assert_eq!(f.st().reg(reg::RAL0), 0x0302_0102);
    assert_eq!(f.st().reg(reg::RAH0), 0x8000_0504);
}

#[test]
fn transmit_chains_and_requests_checksum() {
    let (mut nic, f) = probe(Config {
        tx_buffer: 256,
        ..Config::default()
    });
    let mut p = frame(1000, 7);
    p.meta_mut().tx_checksum = Some(TxChecksum {
        start: 34,
        offset: 50,
    });
    let want = p.data().to_vec();
    let log_start = f.st().log.len();
    nic.transmit(Instant::ZERO, p).unwrap();
    let base = ring_base(&f, reg::TDBAL, reg::TDBAH);
    {
        let mut s = f.st();
        let descs: Vec<TxDescRepr> = (0..4)
            .map(|i| {
                let raw: [u8; 16] = s.dev_read(base + 16 * i, 16).try_into().unwrap();
                TxDescRepr::from_bytes(&raw)
            })
            .collect();
        let lens: Vec<u16> = descs.iter().map(|d| d.length).collect();
        assert_eq!(lens, [256, 256, 256, 232]);
        for (i, d) in descs.iter().enumerate() {
            let last = i == 3;
            assert_eq!(d.cmd & tx::CMD_EOP != 0, last);
            assert_eq!(d.cmd & tx::CMD_RS != 0, last);
            assert!(d.cmd & tx::CMD_IFCS != 0 && d.cmd & tx::CMD_IC != 0);
            assert_eq!((d.css, d.cso), (34, 50));
        }
        // TDT written once, after every descriptor write.
        let log = &s.log[log_start..];
        let tdt = log
            .iter()
            .position(|a| matches!(a, Access::Write(o, 4) if *o == reg::TDT))
            .unwrap();
        let last_desc = log
            .iter()
            .rposition(
                |a| matches!(a, Access::Mem(addr, 16) if *addr >= base && *addr < base + 4096),
            )
            .unwrap();
        assert!(last_desc < tdt);
        assert_eq!(
            s.writes_to(reg::TDT),
            [0, 4],
            "zero at probe, then one doorbell"
        );
    }
    let frames = device_tx(&f);
    assert_eq!(frames, vec![want]);
    assert_eq!(nic.service(), 0);
    let st = nic.stats().driver;
    assert_eq!(
        (
            st.tx_packets,
            st.tx_bytes,
            st.tx_descriptors,
            st.tx_csum_offload
        ),
        (1, 1000, 4, 1)
    );
    assert_eq!(f.st().mapped(DmaDirection::ToDevice), 0);
}

#[test]
fn checksum_beyond_descriptor_range_is_done_in_software() {
    let (mut nic, f) = probe(Config::default());
    let mut p = frame(600, 1);
    p.meta_mut().tx_checksum = Some(TxChecksum {
        start: 300,
        offset: 310,
    });
    let mut want = p.data().to_vec();
    // A retransmission queue keeps a clone: the driver's checksum must not
    // show through it.
    let kept = p.clone();
    nic.transmit(Instant::ZERO, p).unwrap();
    assert_eq!(kept.data(), &want[..], "the caller's clone is untouched");
    let got = device_tx(&f).remove(0);
    let sum = !crate::nic::ones_sum(&want[300..]);
    want[310..312].copy_from_slice(&sum.to_be_bytes());
    assert_eq!(got, want);
    // The field held the seed (the pseudo-header sum in real use); the
    // range now sums to its complement, so adding the seed gives all ones.
    let seed = u16::from_be_bytes([frame(600, 1).data()[310], frame(600, 1).data()[311]]);
    assert_eq!(crate::nic::ones_sum(&got[300..]), !seed);
    assert_eq!(nic.stats().driver.tx_csum_software, 1);
}

#[test]
fn full_ring_stops_the_queue_and_cleanup_wakes_it() {
    let (mut nic, f) = probe(Config {
        tx_ring: 8,
        ..Config::default()
    });
    for i in 0..7 {
        nic.transmit(Instant::ZERO, frame(100, i)).unwrap();
    }
    let back = nic.transmit(Instant::ZERO, frame(100, 9)).unwrap_err();
    assert_eq!(back.0.len(), 100, "the frame comes back untouched");
    assert!(nic.queue_stopped());
    // Stopped: refused even though nothing changed.
    assert!(nic.transmit(Instant::ZERO, back.0).is_err());
    assert_eq!(nic.stats().driver.tx_busy, 2);
    assert_eq!(nic.stats().driver.tx_queue_stops, 1);
    assert_eq!(device_tx(&f).len(), 7);
    nic.service();
    assert!(!nic.queue_stopped());
    assert_eq!(nic.stats().driver.tx_queue_wakes, 1);
    assert_eq!(nic.stats().driver.tx_packets, 7);
    nic.transmit(Instant::ZERO, frame(100, 10)).unwrap();
}

#[test]
fn interrupt_and_napi_poll_shape() {
    let (mut nic, f) = probe(Config::default());
    for i in 0..3 {
        assert!(device_rx(&f, frame(60 + i * 10, i as u8).data(), 2048));
    }
    let before = f.st().log.len();
    assert_eq!(nic.service(), 3);
    {
        let s = f.st();
        let log = &s.log[before..];
        // ICR read first, then IMC all ones, then the poll, then IMS.
        assert_eq!(log[0], Access::Read(reg::ICR, Icr::RXT0.bits()));
        assert_eq!(log[1], Access::Write(reg::IMC, u32::MAX));
        let ims = log
            .iter()
            .rposition(|a| matches!(a, Access::Write(o, _) if *o == reg::IMS))
            .unwrap();
        let rdt = log
            .iter()
            .rposition(|a| matches!(a, Access::Write(o, _) if *o == reg::RDT))
            .unwrap();
        assert!(rdt < ims);
        assert_eq!(
            s.reg(reg::RDT),
            2,
            "three buffers reposted: tail wraps to 2"
        );
    }
    for i in 0..3 {
        let p = nic.receive(Instant::ZERO).unwrap();
        assert_eq!(p.data(), frame(60 + i * 10, i as u8).data());
        let want = crate::nic::ones_sum(&p.data()[14..]);
        assert_eq!(
            p.meta().rx_checksum,
            RxChecksum::Complete {
                start: 14,
                sum: want
            }
        );
    }
    assert!(nic.receive(Instant::ZERO).is_none());
    // A spurious call: ICR reads zero, nothing is masked.
    assert!(!nic.interrupt());
    assert_eq!(nic.stats().driver.interrupts_spurious, 1);
    assert_eq!(nic.stats().driver.rx_csum, 3);
}

#[test]
fn poll_stops_at_budget_and_keeps_interrupts_masked() {
    let (mut nic, f) = probe(Config::default());
    for i in 0..100 {
        assert!(device_rx(&f, frame(64, i).data(), 2048));
    }
    assert!(nic.interrupt());
    let ims_writes = f.st().writes_to(reg::IMS).len();
    assert_eq!(nic.poll(64), 64);
    assert!(nic.napi_scheduled());
    assert_eq!(
        f.st().writes_to(reg::IMS).len(),
        ims_writes,
        "no IMS while over budget"
    );
    assert_eq!(nic.poll(64), 36);
    assert!(!nic.napi_scheduled());
    assert_eq!(f.st().writes_to(reg::IMS).len(), ims_writes + 1);
    assert_eq!(nic.rx_queued(), 100);
}

#[test]
fn rx_frames_span_descriptors() {
    let (mut nic, f) = probe(Config {
        rx_buffer: Some(256),
        ..Config::default()
    });
    let p = frame(1000, 3);
    assert!(device_rx(&f, p.data(), 256));
    nic.service();
    let got = nic.receive(Instant::ZERO).unwrap();
    assert_eq!(got.data(), p.data());
    assert_eq!(nic.stats().driver.rx_descriptors, 4);
    assert_eq!(nic.stats().driver.rx_packets, 1);
}

#[test]
fn rx_frames_span_descriptors_back_to_back() {
    // The collection buffer of one multi-descriptor frame is reused by the
    // next: the second frame carries nothing of the first.
    let (mut nic, f) = probe(Config {
        rx_buffer: Some(256),
        ..Config::default()
    });
    let p = frame(1000, 3);
    let q = frame(300, 4);
    assert!(device_rx(&f, p.data(), 256));
    assert!(device_rx(&f, q.data(), 256));
    nic.service();
    assert_eq!(nic.receive(Instant::ZERO).unwrap().data(), p.data());
    assert_eq!(nic.receive(Instant::ZERO).unwrap().data(), q.data());
    assert_eq!(nic.stats().driver.rx_descriptors, 6);
}

#[test]
fn tx_mapping_failure_mid_frame_unmaps_and_drops() {
    // 1000 bytes in 256-byte buffers: four mappings; the third fails.
    let (mut nic, f) = probe(Config {
        tx_buffer: 256,
        ..Config::default()
    });
    let before = f.st().mapped(DmaDirection::ToDevice);
    f.st().map_budget = Some(2);
    nic.transmit(Instant::ZERO, frame(1000, 1)).unwrap();
    assert_eq!(nic.stats().driver.tx_dropped_map, 1);
    assert_eq!(f.st().mapped(DmaDirection::ToDevice), before);
    assert!(device_tx(&f).is_empty(), "no doorbell for a dropped frame");
    // The next frame goes out whole.
    f.st().map_budget = None;
    let p = frame(1000, 2);
    let want = p.data().to_vec();
    nic.transmit(Instant::ZERO, p).unwrap();
    assert_eq!(device_tx(&f), vec![want]);
}

#[test]
fn device_lengths_are_not_trusted() {
    let (mut nic, f) = probe(Config::default());
    let base = ring_base(&f, reg::RDBAL, reg::RDBAH);
    {
        // A descriptor claiming 5000 bytes in a 2048-byte buffer.
        let mut s = f.st();
        let raw: [u8; 16] = s.dev_read(base, 16).try_into().unwrap();
        let mut d = RxDescRepr::from_bytes(&raw);
        d.length = 5000;
        d.status = rx::STA_DD | rx::STA_EOP;
        // The device also scribbles a foreign address; the driver must use
        // its own record of the buffer.
        d.addr = 0xdead_0000;
        s.dev_write(base, &d.to_bytes());
        s.regs.insert(reg::RDH, 1);
        s.regs.insert(reg::ICR, Icr::RXT0.bits());
    }
    nic.service();
    assert!(nic.receive(Instant::ZERO).is_none());
    assert_eq!(nic.stats().driver.rx_dropped_length, 1);
    assert!(device_rx(&f, frame(80, 1).data(), 2048));
    nic.service();
    assert_eq!(
        nic.receive(Instant::ZERO).unwrap().data(),
        frame(80, 1).data()
    );
    assert_eq!(f.st().mapped(DmaDirection::FromDevice), 255);
}

#[test]
fn multicast_hash_and_promiscuity_counter() {
    let (mut nic, f) = probe(Config::default());
    let a = [0x01, 0x00, 0x5e, 0x00, 0x00, 0xfb];
    let b = [0x33, 0x33, 0x00, 0x00, 0x00, 0x01];
    nic.set_multicast_list(&[a, b]).unwrap();
    for m in [a, b] {
        let h = u32::from(mta_hash(&m, 0));
        let word = f.st().reg(crate::regs::mta(h >> 5));
        assert_ne!(word & (1 << (h & 31)), 0);
    }
    let set: u32 = (0..128)
        .map(|n| f.st().reg(crate::regs::mta(n)).count_ones())
        .sum();
    assert_eq!(set, 2);
    assert!(nic.set_multicast_list(&[MAC]).is_err());

    let rctl = |f: &Fake| Rctl(f.st().reg(reg::RCTL));
    assert_eq!(nic.promiscuity(1), Ok(1));
    assert_eq!(nic.promiscuity(1), Ok(2));
    assert!(rctl(&f).contains(Rctl::UPE | Rctl::MPE));
    assert_eq!(nic.promiscuity(-1), Ok(1));
    assert!(rctl(&f).contains(Rctl::UPE));
    assert_eq!(nic.promiscuity(-1), Ok(0));
    assert!(!rctl(&f).intersects(Rctl::UPE | Rctl::MPE));
    assert!(nic.promiscuity(-1).is_err());
    nic.allmulti(1).unwrap();
    assert!(rctl(&f).contains(Rctl::MPE) && !rctl(&f).contains(Rctl::UPE));
}

#[test]
fn dma_error_resets_and_restores_configuration() {
    let (mut nic, f) = probe(Config::default());
    let c = Coalesce {
        itr: 100,
        rdtr: 3,
        radv: 9,
        tidv: 2,
        tadv: 5,
    };
    nic.set_coalesce(c);
    nic.promiscuity(1).unwrap();
    nic.set_multicast_list(&[[0x01, 0, 0x5e, 0, 0, 1]]).unwrap();
    nic.transmit(Instant::ZERO, frame(200, 1)).unwrap();
    nic.transmit(Instant::ZERO, frame(200, 2)).unwrap();
    {
        let mut s = f.st();
        s.regs.insert(reg::ICR, Icr::DMAERR.bits());
        s.regs.insert(
            reg::DMAERR,
            (Dmaerr::VALID | Dmaerr::DESC).bits() | (2 << 4),
        );
        s.regs.insert(reg::DMAERR_ADDRL, 0x1234_5000);
        s.regs.insert(reg::DMAERR_ADDRH, 0x1);
    }
    nic.service();
    let st = nic.stats().driver;
    assert_eq!((st.dma_errors, st.resets, st.resets_dma_error), (1, 1, 1));
    assert_eq!(st.tx_dropped_reset, 2);
    let e = nic.last_dma_error().unwrap();
    assert_eq!(e.addr, 0x1_1234_5000);
    assert_eq!(e.status.get(Dmaerr::RESP), 2);
    let s = f.st();
    assert_eq!(
        s.writes_to(reg::CTRL)
            .iter()
            .filter(|v| *v & (1 << 26) != 0)
            .count(),
        2
    );
    // Everything restored after the reset.
    assert!(Rctl(s.reg(reg::RCTL)).contains(Rctl::EN | Rctl::UPE));
    assert_eq!(
        (s.reg(reg::ITR), s.reg(reg::RDTR), s.reg(reg::RADV)),
        (100, 3, 9)
    );
    assert_eq!((s.reg(reg::TIDV), s.reg(reg::TADV)), (2, 5));
    let h = u32::from(mta_hash(&[0x01, 0, 0x5e, 0, 0, 1], 0));
    assert_ne!(s.reg(crate::regs::mta(h >> 5)) & (1 << (h & 31)), 0);
    assert_eq!(s.reg(reg::RAH0), 0x8000_3020);
    assert_eq!(s.reg(reg::RDT), 255);
    assert_eq!(s.reg(reg::IMS), Icr::ENABLE_MASK.bits());
    assert_eq!(s.mapped(DmaDirection::ToDevice), 0);
    assert_eq!(s.mapped(DmaDirection::FromDevice), 255);
}

#[test]
fn tx_watchdog_resets_a_stuck_queue() {
    let (mut nic, f) = probe(Config {
        tx_timeout: Duration::from_millis(2),
        ..Config::default()
    });
    nic.transmit(Instant::ZERO, frame(100, 1)).unwrap();
    for _ in 0..10 {
        f.st().now_ns += 500_000;
        nic.watchdog();
    }
    let st = nic.stats().driver;
    assert_eq!(
        (st.tx_timeouts, st.resets_tx_timeout, st.tx_dropped_reset),
        (1, 1, 1)
    );
    assert_eq!(nic.tx_in_flight(), 0);
    // A queue that moves is left alone.
    nic.transmit(Instant::ZERO, frame(100, 2)).unwrap();
    for _ in 0..10 {
        f.st().now_ns += 500_000;
        device_tx(&f);
        nic.watchdog();
        nic.transmit(Instant::ZERO, frame(100, 3)).unwrap();
    }
    assert_eq!(nic.stats().driver.tx_timeouts, 1);
}

#[test]
fn link_down_refuses_and_link_up_resumes() {
    let (mut nic, f) = probe(Config::default());
    {
        let mut s = f.st();
        s.set_link(false);
        s.regs.insert(reg::ICR, Icr::LSC.bits());
    }
    nic.service();
    assert!(!nic.link_up());
    assert!(nic.transmit(Instant::ZERO, frame(100, 1)).is_err());
    {
        let mut s = f.st();
        s.set_link(true);
        s.regs.insert(reg::ICR, Icr::LSC.bits());
    }
    nic.service();
    assert!(nic.link_up());
    nic.transmit(Instant::ZERO, frame(100, 1)).unwrap();
    assert_eq!(nic.stats().driver.link_changes, 3, "up at probe, down, up");
}

#[test]
fn busy_poll_never_unmasks_interrupts() {
    let (mut nic, f) = probe(Config {
        mode: IrqMode::BusyPoll,
        ..Config::default()
    });
    assert_eq!(f.st().reg(reg::IMS), 0);
    assert!(device_rx(&f, frame(70, 5).data(), 2048));
    assert_eq!(
        nic.receive(Instant::ZERO).unwrap().data(),
        frame(70, 5).data()
    );
    assert!(f.st().writes_to(reg::IMS).is_empty());
    assert_eq!(nic.stats().driver.busy_polls, 1);
}

#[test]
fn rx_allocation_failure_is_counted_and_retried() {
    let (mut nic, f) = probe(Config {
        rx_ring: 8,
        ..Config::default()
    });
    f.st().map_budget = Some(1);
    for i in 0..3 {
        assert!(device_rx(&f, frame(64, i).data(), 2048));
    }
    nic.service();
    assert_eq!(nic.rx_queued(), 3);
    assert_eq!(nic.stats().driver.rx_alloc_fail, 1);
    assert_eq!(f.st().mapped(DmaDirection::FromDevice), 5);
    f.st().map_budget = None;
    f.st().regs.insert(reg::ICR, Icr::RXDMT0.bits());
    nic.service();
    assert_eq!(f.st().mapped(DmaDirection::FromDevice), 7);
    assert_eq!(f.st().reg(reg::RDT), 2);
}

#[test]
fn statistics_accumulate_to_64_bits() {
    let (mut nic, f) = probe(Config::default());
    for _ in 0..2 {
        let mut s = f.st();
        s.regs.insert(reg::GPRC, 5);
        s.regs.insert(reg::MPC, 0xffff_ffff);
        s.regs.insert(reg::GORCL, 0xffff_fff0);
        s.regs.insert(reg::GORCH, 1);
        drop(s);
        nic.update_stats();
    }
    let hw = nic.stats().hw;
    assert_eq!(hw.gprc, 10);
    assert_eq!(hw.mpc, 2 * 0xffff_ffff);
    assert_eq!(hw.gorc, 2 * 0x1_ffff_fff0);
    assert_eq!(f.st().reg(reg::GPRC), 0, "read clears");
}

#[test]
fn mtu_change_rebuilds_with_long_buffers() {
    let (mut nic, f) = probe(Config::default());
    nic.transmit(Instant::ZERO, frame(100, 1)).unwrap();
    nic.set_mtu(9000).unwrap();
    assert_eq!(nic.rx_buffer_len(), 16384);
    let rctl = Rctl(f.st().reg(reg::RCTL));
    assert!(rctl.contains(Rctl::LPE | Rctl::BSEX));
    assert_eq!(rctl.get(Rctl::BSIZE), 1);
    assert_eq!(nic.stats().driver.tx_dropped_reset, 1);
    assert_eq!(nic.stats().driver.resets_reconfigure, 1);
    assert_eq!(nic.caps().mtu, 9000);
    let p = frame(9014, 4);
    nic.transmit(Instant::ZERO, p.clone()).unwrap();
    assert_eq!(device_tx(&f), vec![p.data().to_vec()]);
    assert!(nic.set_mtu(20).is_err());
    nic.set_ring_sizes(64, 32).unwrap();
    assert_eq!(f.st().reg(reg::TDLEN), 64 * 16);
    assert_eq!(f.st().reg(reg::RDT), 31);
    assert_eq!(f.st().mapped(DmaDirection::FromDevice), 31);
}

#[test]
fn remove_releases_everything() {
    let (mut nic, f) = probe(Config::default());
    nic.transmit(Instant::ZERO, frame(100, 1)).unwrap();
    let _ = nic.remove();
    assert!(f.st().regions.is_empty(), "rings freed, buffers unmapped");
}

#[test]
fn dd_on_a_later_frame_does_not_release_an_earlier_one() {
    // The device must complete frames in order; a DD on frame 2 while frame
    // 1 is pending frees nothing (the driver walks from next_to_clean).
    let (mut nic, f) = probe(Config::default());
    nic.transmit(Instant::ZERO, frame(100, 1)).unwrap();
    nic.transmit(Instant::ZERO, frame(100, 2)).unwrap();
    let base = ring_base(&f, reg::TDBAL, reg::TDBAH);
    {
        let mut s = f.st();
        let raw: [u8; 16] = s.dev_read(base + 16, 16).try_into().unwrap();
        let mut d = TxDescRepr::from_bytes(&raw);
        d.sta = tx::STA_DD;
        s.dev_write(base + 16, &d.to_bytes());
        s.regs.insert(reg::ICR, Icr::TXDW.bits());
    }
    nic.service();
    assert_eq!(nic.stats().driver.tx_packets, 0);
    assert_eq!(nic.tx_in_flight(), 2);
}
