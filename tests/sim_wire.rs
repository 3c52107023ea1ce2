//! The world against the RTL: software PHY injection, pcap captures checked
//! by tshark, waveform windows and markers, determinism by seed, and idle
//! fast-forward equivalence.
#![allow(clippy::unwrap_used)]

use driver::regs::{Icr, reg};
use sim::axi_mem::{MemConfig, Pattern};
use sim::gmii::{self, Sym};
use sim::world::{Hardware, TraceStart, TraceWindow, WorldConfig};
use stack::buf::PacketId;
use std::path::{Path, PathBuf};

mod sim_util;
use driver::hal::{DmaDirection, DmaMemory};
use sim_util::*;
use std::process::Command;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("sim_wire");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// A scenario touching registers, the interrupt line and the wire, with
/// idle stretches in between. Returns what software observed.
fn scenario(
    cfg: WorldConfig,
    mem: MemConfig,
    pcap: &Path,
    vcd: Option<&Path>,
) -> (Hardware, Vec<u32>) {
    let mut hw = Hardware::new(cfg);
    let n = hw.add_nic(mem);
    hw.attach_phy(n);
    if let Some(v) = vcd {
        hw.trace_open(n, v, 0).unwrap();
    }
    hw.capture(n, pcap).unwrap();
    hw.run(40).unwrap();
    let mut seen = Vec::new();
    let rx = rx_setup(&mut hw, n);
    let tx = tx_setup(&mut hw, n);
    let mut bufs = Vec::new();
    hw.write32(n, reg::IMS, Icr::LSC.bits()).unwrap();
    for i in 0..4u8 {
        hw.phy(n).unwrap().inject(
            &frame(60 + 100 * usize::from(i), i),
            PacketId(100 + u64::from(i)),
        );
        let f = frame(64 + 200 * usize::from(i), 0x40 | i);
        let buf = hw.mem(n).map(f.len(), DmaDirection::ToDevice).unwrap();
        hw.mem(n).write(buf, &f).unwrap();
        hw.tag_tx(n, PacketId(200 + u64::from(i)));
        tx_post(&mut hw, n, &tx, usize::from(i), buf, f.len());
        bufs.push((buf, f.len()));
        hw.run(5_000).unwrap();
        hw.marker(n, 0x1000 + u32::from(i));
        seen.push(hw.read32(n, reg::ICR).unwrap());
        seen.push(u32::from_le_bytes(
            desc(&mut hw, n, rx.ring, usize::from(i))[8..12]
                .try_into()
                .unwrap(),
        ));
    }
    seen.push(hw.read32(n, reg::GPRC).unwrap());
    seen.push(hw.read32(n, reg::GPTC).unwrap());
    let sent: Vec<u64> = hw
        .phy(n)
        .unwrap()
        .collected
        .iter()
        .map(|f| f.id.0)
        .collect();
    assert_eq!(
        sent,
        [200, 201, 202, 203],
        "every frame transmitted, ids in order"
    );
    hw.set_link_up(n, false);
    hw.run(3_000).unwrap();
    seen.push(hw.read32(n, reg::STATUS).unwrap());
    seen.push(hw.read32(n, reg::ICR).unwrap());
    seen.push(u32::from(hw.irq(n)));
    hw.set_link_up(n, true);
    hw.run(20_000).unwrap();
    seen.push(hw.read32(n, reg::ICR).unwrap());
    seen.push(hw.cycle() as u32);
    rx_teardown(&mut hw, n, rx);
    hw.write32(n, reg::TCTL, 0).unwrap();
    for (b, l) in bufs {
        hw.mem(n).unmap(b, l, DmaDirection::ToDevice).unwrap();
    }
    hw.mem(n)
        .free_coherent(tx.ring, RING * driver::desc::DESC_LEN)
        .unwrap();
    hw.finish().unwrap();
    (hw, seen)
}

#[test]
fn pcap_keeps_the_fcs_and_tshark_checks_it() {
    let path = tmp("fcs.pcap");
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    hw.capture(n, &path).unwrap();
    hw.run(20).unwrap();
    hw.phy(n).unwrap().inject(&frame(60, 1), PacketId(7));
    hw.phy(n).unwrap().inject(&frame(1514, 2), PacketId(8));
    // A frame with a corrupted FCS, sent raw.
    let mut bad = gmii::with_fcs(&frame(100, 3));
    let l = bad.len();
    bad[l - 1] ^= 0x80;
    hw.phy(n)
        .unwrap()
        .inject_raw(gmii::symbols(&bad, 7, PacketId(9)));
    hw.run_until("three frames on the wire", 10_000, |hw| {
        hw.stats(0).rx_frames == 3
    })
    .unwrap();
    let arrivals = hw.take_rx_arrivals(n);
    assert_eq!(
        arrivals.iter().map(|a| a.id).collect::<Vec<_>>(),
        [PacketId(7), PacketId(8), PacketId(9)]
    );
    assert_eq!(arrivals[1].data.len(), 1518);
    assert!(gmii::fcs_ok(&arrivals[0].data) && !gmii::fcs_ok(&arrivals[2].data));
    hw.finish().unwrap();

    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(
        &bytes[..4],
        &[0x4d, 0x3c, 0xb2, 0xa1],
        "nanosecond pcap magic"
    );
    assert_eq!(
        u32::from_le_bytes(bytes[20..24].try_into().unwrap()),
        1,
        "LINKTYPE_ETHERNET"
    );
    if Command::new("tshark").arg("-v").output().is_err() {
        println!("skipped tshark check: tshark not installed");
        return;
    }
    let out = Command::new("tshark")
        .args([
            "-r",
            path.to_str().unwrap(),
            "-o",
            "eth.fcs:Always",
            "-o",
            "eth.check_fcs:TRUE",
        ])
        .args(["-T", "fields", "-e", "frame.len", "-e", "eth.fcs.status"])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let rows: Vec<Vec<&str>> = text.lines().map(|l| l.split('\t').collect()).collect();
    assert_eq!(rows.len(), 3, "{text}");
    assert_eq!(rows[0][0], "64");
    assert_eq!(rows[1][0], "1518");
    // eth.fcs.status: 1 = Good, 0 = Bad (Wireshark's PROTO_CHECKSUM_E_*;
    // some versions print the words).
    let good = |s: &str| s == "1" || s.eq_ignore_ascii_case("good");
    let bad = |s: &str| s == "0" || s.eq_ignore_ascii_case("bad");
    assert!(good(rows[0][1]) && good(rows[1][1]), "{text}");
    assert!(bad(rows[2][1]), "the corrupted FCS must be flagged: {text}");
}

#[test]
fn same_seed_same_vcd_and_pcap_other_seed_differs() {
    let mem = MemConfig {
        ar_ready: Pattern::Random { percent: 40 },
        aw_ready: Pattern::Random { percent: 60 },
        ..MemConfig::default()
    };
    let cfg = |seed| WorldConfig {
        seed,
        fast_forward: false,
        ..WorldConfig::default()
    };
    let run = |seed, tag: &str| {
        let (p, v) = (
            tmp(&format!("det-{tag}.pcap")),
            tmp(&format!("det-{tag}.vcd")),
        );
        let (_, seen) = scenario(cfg(seed), mem.clone(), &p, Some(&v));
        (std::fs::read(p).unwrap(), std::fs::read(v).unwrap(), seen)
    };
    let a = run(11, "a");
    let b = run(11, "b");
    assert!(a.1.len() > 10_000, "the VCD has content");
    assert!(a.0 == b.0, "pcap differs between two runs with one seed");
    assert!(a.1 == b.1, "VCD differs between two runs with one seed");
    assert_eq!(a.2, b.2);
    // The seed does reach the agents: random backpressure shows in the VCD.
    let c = run(12, "c");
    assert!(
        a.1 != c.1,
        "another seed must change the random ready pattern"
    );
}

#[test]
fn fast_forward_changes_nothing_observable() {
    let cfg = |ff| WorldConfig {
        seed: 5,
        fast_forward: ff,
        ..WorldConfig::default()
    };
    let mem = MemConfig {
        w_ready: Pattern::Random { percent: 70 },
        ..MemConfig::default()
    };
    let (p1, p2) = (tmp("ff-on.pcap"), tmp("ff-off.pcap"));
    let (on, seen_on) = scenario(cfg(true), mem.clone(), &p1, None);
    let (off, seen_off) = scenario(cfg(false), mem, &p2, None);
    assert_eq!(seen_on, seen_off, "register values seen by software");
    assert_eq!(on.stats(0), off.stats(0), "statistics");
    assert_eq!(on.cycle(), off.cycle());
    assert_eq!(
        std::fs::read(p1).unwrap(),
        std::fs::read(p2).unwrap(),
        "pcap"
    );
    assert_eq!(off.skipped_cycles, 0);
    assert!(
        on.skipped_cycles > on.cycle() / 2,
        "fast-forward skipped only {} of {} cycles",
        on.skipped_cycles,
        on.cycle()
    );
    assert_eq!(seen_on[8], 4, "GPRC: four frames received");
    assert_eq!(seen_on[9], 4, "GPTC: four frames transmitted");
    // The link-state change reached the register block.
    assert_eq!(seen_on[10] & 2, 0, "STATUS.LU low while the link is down");
}

fn vcd_times(text: &str) -> Vec<u64> {
    text.lines()
        .filter_map(|l| l.strip_prefix('#'))
        .filter_map(|t| t.trim().parse().ok())
        .collect()
}

#[test]
fn waveform_window_opens_on_a_frame_and_records_markers() {
    let path = tmp("window.vcd");
    let shallow = tmp("shallow.vcd");
    let _ = std::fs::remove_file(&path);
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    hw.trace_window(
        n,
        TraceWindow {
            path: path.clone(),
            start: TraceStart::NextRxFrame,
            cycles: 300,
            depth: 0,
        },
    );
    hw.run(2_000).unwrap();
    assert!(!path.exists(), "the window waits for its trigger");
    let start = hw.cycle();
    hw.phy(n).unwrap().inject(&frame(60, 9), PacketId(0xfeed));
    hw.marker(n, 0xabcd);
    hw.run(1_000).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    let times = vcd_times(&text);
    let (first, last) = (times[0], *times.last().unwrap());
    assert!(
        first >= start * 8_000 && first <= (start + 20) * 8_000,
        "opened at the frame: {first}"
    );
    assert!(
        last - first <= 301 * 8_000,
        "closed after 300 cycles: {first}..{last}"
    );
    assert!(text.contains("sim_rx_packet_id"));
    assert!(
        text.contains(&format!("b{:064b} ", 0xfeed)),
        "packet id visible in the waveform"
    );
    assert!(
        text.contains(&format!("b{:032b} ", 0xabcd)),
        "marker visible in the waveform"
    );
    assert!(text.contains("$scope module nic $end"));

    // Depth limit: one level keeps the top ports only.
    hw.trace_open(n, &shallow, 1).unwrap();
    hw.run(10).unwrap();
    hw.trace_close(n);
    let s = std::fs::read_to_string(&shallow).unwrap();
    let vars = |t: &str| {
        t.lines()
            .filter(|l| l.trim_start().starts_with("$var"))
            .count()
    };
    assert!(s.contains("sim_marker_id"));
    assert!(
        vars(&s) * 4 < vars(&text),
        "depth 1 records {} signals, full depth {}",
        vars(&s),
        vars(&text)
    );
}

#[test]
fn bounded_waits_fail_clearly() {
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.run(20).unwrap();
    let e = hw
        .run_until("an interrupt that never comes", 500, |hw| hw.irq(n))
        .unwrap_err();
    let msg = e.to_string();
    assert!(
        msg.contains("an interrupt that never comes") && msg.contains("500 cycles"),
        "{msg}"
    );
}

#[test]
fn phy_raw_injection_with_rx_er_and_short_preamble_reaches_the_pins() {
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.attach_phy(n);
    hw.run(20).unwrap();
    let mut syms = gmii::symbols(&gmii::with_fcs(&frame(64, 4)), 3, PacketId(1));
    syms[20].er = true;
    hw.phy(n).unwrap().inject_raw(syms);
    hw.phy(n).unwrap().inject_raw(vec![Sym::default(); 4]);
    hw.run(300).unwrap();
    let a = hw.take_rx_arrivals(n);
    assert_eq!(a.len(), 1);
    assert_eq!(a[0].data.len(), 68);
}

#[test]
fn waveform_window_by_cycle_range() {
    let path = tmp("range.vcd");
    let _ = std::fs::remove_file(&path);
    let mut hw = Hardware::new(WorldConfig::default());
    let n = hw.add_nic(MemConfig::default());
    hw.run(100).unwrap();
    let from = hw.cycle() + 1_000;
    hw.trace_window(
        n,
        TraceWindow {
            path: path.clone(),
            start: TraceStart::Cycle(from),
            cycles: 50,
            depth: 1,
        },
    );
    hw.run(5_000).unwrap();
    let times = vcd_times(&std::fs::read_to_string(&path).unwrap());
    let (first, last) = (times[0], *times.last().unwrap());
    assert!(
        (from * 8_000..=(from + 2) * 8_000).contains(&first),
        "{first} vs cycle {from}"
    );
    assert!(
        (from + 49) * 8_000 <= last && last <= (from + 52) * 8_000,
        "{last}"
    );
}
