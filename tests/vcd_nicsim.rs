//! Acceptance: a nicsim run with a waveform and a wire capture. The driver
//! sends frames through the RTL NIC and a software PHY sends frames to it;
//! the frames `nicsim vcd` decodes from the run's VCD (both GMII
//! directions) equal the frames of the run's pcap byte for byte, in order,
//! at the same simulated time, and the dump passes `check` (framing and
//! AXI rules on the register slave and the DMA master).
#![allow(clippy::unwrap_used)]

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::rc::Rc;

use driver::nic::{Config, Nic};
use nicsim::vcdtool::{Options, Port, Selection, check, decode_axi, decode_frames, write_pcap};
use sim::axi_mem::MemConfig;
use sim::world::{Hardware, WorldConfig};
use stack::buf::{PacketBuf, PacketId};
use stack::device::Device;
use stack::time::Instant;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vcd_nicsim");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A unicast Ethernet frame of `len` bytes (no FCS) from the NIC's peer.
fn frame(len: usize, tag: u8, dst: [u8; 6]) -> Vec<u8> {
    let mut f = dst.to_vec();
    f.extend_from_slice(&[0x02, 0, 0, 0, 0x77, tag]);
    f.extend_from_slice(&[0x88, 0xb5]);
    f.extend((0..len - 14).map(|i| (i as u8).wrapping_mul(7) ^ tag));
    f
}

/// `(timestamp ns, bytes)` of every packet of a pcap.
fn read_pcap(path: &Path) -> Vec<(u128, Vec<u8>)> {
    let mut r = pcap_file::pcap::PcapReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        v.push((p.timestamp.as_nanos(), p.data.into_owned()));
    }
    v
}

#[test]
fn decoded_frames_equal_the_runs_capture() {
    let vcd = tmp("run.vcd");
    let pcap = tmp("run.pcap");
    let mac = [0x02, 0, 0, 0, 0, 0x01];
    let hw = Rc::new(RefCell::new(Hardware::new(WorldConfig::default())));
    let n = {
        let mut h = hw.borrow_mut();
        let n = h.add_nic(MemConfig::default());
        h.attach_phy(n);
        h.capture(n, &pcap).unwrap();
        h.trace_open(n, &vcd, 0).unwrap();
        h.run(40).unwrap();
        n
    };
    let (regs, dma, plat) = sim::hal::handles(&hw, n);
    let mut nic = Nic::probe(
        regs,
        dma,
        plat,
        Config {
            mac: Some(mac),
            tx_ring: 64,
            rx_ring: 64,
            ..Config::default()
        },
    )
    .unwrap();
    sim::hal::check(&hw).unwrap();

    // Transmit: a short frame the NIC pads, a mid-size one, a long one
    // (lengths in whole 8-byte beats: see the report on partial-beat reads).
    for (i, len) in [48usize, 304, 1512].into_iter().enumerate() {
        let f = frame(len, i as u8, [0x02, 0, 0, 0, 0x77, 0]);
        let now = hw.borrow().now();
        nic.transmit(now, PacketBuf::from_slice(0, &f)).unwrap();
    }
    hw.borrow_mut().run(10_000).unwrap();
    // Receive: two frames for us, back to back.
    for (i, len) in [64usize, 900].into_iter().enumerate() {
        let f = frame(len, 0x40 + i as u8, mac);
        hw.borrow_mut()
            .phy(n)
            .unwrap()
            .inject(&f, PacketId(100 + i as u64));
    }
    hw.borrow_mut().run(10_000).unwrap();
    nic.service();
    let mut received = 0;
    while nic.receive(Instant::ZERO).is_some() {
        received += 1;
    }
    assert_eq!(received, 2);
    sim::hal::check(&hw).unwrap();
    {
        let mut h = hw.borrow_mut();
        h.trace_close(n);
        h.close_capture(n).unwrap();
    }

    let captured = read_pcap(&pcap);
    assert_eq!(captured.len(), 5, "3 sent and 2 received frames");
    let frames = decode_frames(&vcd, &Selection::default(), None).unwrap();
    assert_eq!(
        frames.iter().map(|f| f.port).collect::<Vec<_>>(),
        [Port::Tx, Port::Tx, Port::Tx, Port::Rx, Port::Rx]
    );
    for (f, (ts, bytes)) in frames.iter().zip(&captured) {
        assert_eq!(&f.data, bytes, "{} frame {}", f.port, f.index);
        assert!(f.fcs_ok && f.sfd && f.preamble_len == 7);
        // The capture stamps the cycle's start; the VCD's edge is half a
        // period (4 ns) later.
        assert_eq!(
            u128::from(f.start_ps / 1000),
            ts + 4,
            "{} frame {}",
            f.port,
            f.index
        );
    }
    assert_eq!(frames[0].len, 64, "padded to the minimum");

    // The same frames through `to-pcap`.
    let again = tmp("again.pcap");
    write_pcap(std::fs::File::create(&again).unwrap(), &frames).unwrap();
    let again: Vec<_> = read_pcap(&again).into_iter().map(|(_, d)| d).collect();
    let want: Vec<_> = captured.into_iter().map(|(_, d)| d).collect();
    assert_eq!(again, want);

    // Bus traffic: the driver's register accesses and the NIC's DMA.
    let axi = decode_axi(&vcd, &Selection::default()).unwrap();
    assert!(axi.accesses.len() > 10, "{}", axi.accesses.len());
    assert!(axi.bursts.len() >= 5, "{}", axi.bursts.len());
    let report = check(&vcd, &Options::default()).unwrap();
    assert!(report.ok(), "{:#?}", report.violations);
    assert_eq!(report.summary.frames, vec![(Port::Tx, 3), (Port::Rx, 2)]);
    // The NIC's pins as the harness's top level shows them.
    let scopes: Vec<_> = report
        .summary
        .groups
        .iter()
        .map(|(_, s)| s.as_str())
        .collect();
    assert_eq!(scopes, ["TOP"; 4]);
}
