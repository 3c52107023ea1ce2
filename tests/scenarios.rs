//! Every scenario of `nicsim run`, over RTL NICs with driver and stack,
//! small enough to run in seconds. Each asserts the report's checks (data
//! verified by hash or content, no protocol or sanitizer violation, no
//! DMA leak) and a few figures that must hold.
#![allow(clippy::unwrap_used)]

use nicsim::config::RunConfig;
use nicsim::report::Report;
use nicsim::scenario::{self, Hooks, ScenarioKind};

fn run(kind: ScenarioKind, f: impl FnOnce(&mut RunConfig)) -> Report {
    let mut cfg = RunConfig::default();
    f(&mut cfg);
    let report = scenario::run(kind, &cfg, &Hooks::default()).unwrap();
    println!("{report}");
    assert!(report.ok(), "{}", report.failure().unwrap_or_default());
    report
}

#[test]
fn ping() {
    let r = run(ScenarioKind::Ping, |c| c.traffic.pings = 3);
    let rtt = r.ping_rtt.unwrap();
    assert_eq!(rtt.count, 3);
    // Two frames of 98 bytes on a 1 Gb/s wire take well over 1.5 us.
    assert!(rtt.min_ns > 1_500, "{rtt:?}");
}

#[test]
fn udp_echo() {
    run(ScenarioKind::UdpEcho, |c| {
        c.traffic.datagrams = 20;
        c.traffic.size = 1000;
    });
}

#[test]
fn tcp_bulk() {
    let r = run(ScenarioKind::TcpBulk, |c| c.traffic.bytes = 256 * 1024);
    assert_eq!(r.tcp[0].bytes, 256 * 1024);
}

#[test]
fn tcp_rr() {
    let r = run(ScenarioKind::TcpRr, |c| {
        c.traffic.transactions = 20;
        c.traffic.size = 100;
    });
    assert_eq!(r.rr_latency.unwrap().count, 20);
}

#[test]
fn router() {
    let r = run(ScenarioKind::Router, |c| {
        c.traffic.pings = 2;
        c.traffic.bytes = 64 * 1024;
    });
    assert_eq!(r.links.len(), 2);
    // The router forwarded the transfer: frames on both links.
    assert!(
        r.links.iter().all(|l| l.frames[0] > 40 && l.frames[1] > 10),
        "{:?}",
        r.links
    );
}

#[test]
fn stress() {
    let r = run(ScenarioKind::Stress, |c| {
        c.traffic.bytes = 256 * 1024;
        c.wire.loss = 0.02;
        c.wire.corrupt = 0.02;
        c.wire.dup = 0.02;
        c.wire.reorder = 0.02;
        c.seed = 7;
    });
    assert_eq!(r.tcp[0].bytes, 256 * 1024);
}

#[test]
fn same_seed_same_report() {
    let go = || {
        let mut cfg = RunConfig::default();
        cfg.traffic.bytes = 64 * 1024;
        cfg.wire.loss = 0.01;
        cfg.seed = 3;
        scenario::run(ScenarioKind::TcpBulk, &cfg, &Hooks::default())
            .unwrap()
            .to_json()
    };
    assert_eq!(go(), go());
}

/// The fast clock edges (no evaluation at the falling edge, the scheduler
/// called without Verilator's per-call bookkeeping; `sim/csrc/nic_edges.h`)
/// change nothing: the same report and the same pcaps as with every edge
/// through `eval()`, on a run with faults, retransmissions and interrupts.
#[test]
fn fast_edges_same_report_and_pcaps_as_full_evals() {
    assert!(
        sim::ffi::fast_edges_compiled(),
        "the model build found the falling edge's evaluation necessary (see its cargo warning)"
    );
    let go = |full: bool| {
        let dir = std::env::temp_dir().join(format!(
            "nicsim-edges-{}-{}",
            std::process::id(),
            u8::from(full)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        let mut cfg = RunConfig::default();
        cfg.traffic.bytes = 64 * 1024;
        cfg.wire.loss = 0.02;
        cfg.wire.corrupt = 0.01;
        cfg.seed = 5;
        cfg.full_evals = full;
        cfg.output.pcap_dir = Some(dir.clone());
        let r = scenario::run(ScenarioKind::Stress, &cfg, &Hooks::default()).unwrap();
        assert!(r.ok(), "{}", r.failure().unwrap_or_default());
        let mut files: Vec<_> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        let pcaps: Vec<(String, Vec<u8>)> = files
            .iter()
            .map(|p| {
                (
                    p.file_name().unwrap().to_string_lossy().into_owned(),
                    std::fs::read(p).unwrap(),
                )
            })
            .collect();
        std::fs::remove_dir_all(&dir).unwrap();
        // Deterministic JSON (no wall-clock figures); the setting itself,
        // if the report echoes it, is the one line allowed to differ.
        let json = r
            .to_json()
            .lines()
            .filter(|l| !l.contains("full_evals"))
            .collect::<Vec<_>>()
            .join("\n");
        (json, pcaps)
    };
    let fast = go(false);
    let full = go(true);
    assert!(!fast.1.is_empty(), "no pcap written");
    assert_eq!(
        fast.1.iter().map(|p| &p.0).collect::<Vec<_>>(),
        full.1.iter().map(|p| &p.0).collect::<Vec<_>>()
    );
    for (a, b) in fast.1.iter().zip(&full.1) {
        assert!(a.1 == b.1, "{} differs between fast and full edges", a.0);
    }
    assert_eq!(fast.0, full.0);
}

#[test]
fn linux() {
    if let Some(why) = nicsim::linux::unavailable() {
        println!("SKIPPED: linux scenario: {why}");
        return;
    }
    let r = run(ScenarioKind::Linux, |c| {
        c.traffic.bytes = 256 * 1024;
        c.traffic.pings = 2;
        c.time_limit_ms = 500;
    });
    assert_eq!(r.tcp.len(), 2);
    assert!(r.tcp.iter().all(|t| t.bytes == 256 * 1024), "{:?}", r.tcp);
}

/// tshark, with FCS, IP, TCP and UDP checksum validation forced on, finds
/// nothing bad in the captures of a TCP and a UDP run (checksums offloaded
/// to the RTL NIC, FCS from the RTL MAC).
#[test]
fn tshark_finds_no_bad_checksum_in_captures() {
    if std::process::Command::new("tshark")
        .arg("-v")
        .output()
        .is_err()
    {
        println!("SKIPPED: tshark is not installed (cargo xtask bootstrap installs it)");
        return;
    }
    let dir = std::env::temp_dir().join(format!("nicsim-tshark-{}", std::process::id()));
    for (kind, sub) in [
        (ScenarioKind::TcpBulk, "tcp"),
        (ScenarioKind::UdpEcho, "udp"),
    ] {
        let out = dir.join(sub);
        run(kind, |c| {
            c.traffic.bytes = 128 * 1024;
            c.traffic.datagrams = 8;
            c.output.pcap_dir = Some(out.clone());
        });
        let pcap = out.join("link0.pcap");
        let opts = [
            "-o",
            "eth.fcs:Always",
            "-o",
            "eth.check_fcs:TRUE",
            "-o",
            "ip.check_checksum:TRUE",
            "-o",
            "tcp.check_checksum:TRUE",
            "-o",
            "udp.check_checksum:TRUE",
        ];
        let count = |filter: &str| -> usize {
            let o = std::process::Command::new("tshark")
                .arg("-r")
                .arg(&pcap)
                .args(opts)
                .args(["-Y", filter])
                .output()
                .unwrap();
            assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
            String::from_utf8_lossy(&o.stdout).lines().count()
        };
        let bad = count(
            "eth.fcs.status==0 || ip.checksum.status==0 || tcp.checksum.status==0 || udp.checksum.status==0",
        );
        assert_eq!(bad, 0, "{sub}: {bad} frames with a bad FCS or checksum");
        // The check is live: frames were verified good, not just unchecked.
        let good = count(&format!("eth.fcs.status==1 && {sub}.checksum.status==1"));
        assert!(good > 4, "{sub}: only {good} frames verified good");
    }
    let _ = std::fs::remove_dir_all(&dir);
}

/// An 8,000-byte datagram crosses the RTL NICs as six fragments at MTU 1500,
/// is reassembled, echoed (fragmented again) and compared byte for byte.
#[test]
fn udp_8000_bytes_fragmented_over_rtl() {
    let r = run(ScenarioKind::UdpEcho, |c| {
        c.traffic.datagrams = 3;
        c.traffic.size = 8000;
    });
    // Three datagrams each way, six fragments each, plus ARP.
    assert!(
        r.links[0].frames[0] >= 18 && r.links[0].frames[1] >= 18,
        "{:?}",
        r.links
    );
}

/// A run stopped by its time limit mid-transfer fails only the transfer's
/// check: the hardware drains before the drivers' reset at teardown, so no
/// frame or burst is cut and the hardware check stays clean.
#[test]
fn time_limit_mid_transfer_leaves_the_hardware_clean() {
    let mut cfg = RunConfig::default();
    cfg.traffic.bytes = 100_000_000;
    cfg.time_limit_ms = 1;
    let r = scenario::run(ScenarioKind::TcpBulk, &cfg, &Hooks::default()).unwrap();
    let failed: Vec<&str> = r
        .checks
        .iter()
        .filter(|c| !c.ok)
        .map(|c| c.name.as_str())
        .collect();
    assert_eq!(failed.len(), 1, "{:?}", r.checks);
    assert!(failed[0].starts_with("tcp "), "{failed:?}");
    assert!(
        r.checks
            .iter()
            .any(|c| c.name.starts_with("hardware") && c.ok),
        "{:?}",
        r.checks
    );
}
