//! Ctrl-C on `nicsim run` (docs/cli.md, "Interrupting a run"): the world
//! loop stops at its next round, the hardware drains (no frame on the wire
//! and no DMA burst is cut by the drivers' removal), the waveform and the
//! captures are closed, the partial report says the run was interrupted,
//! and the process exits with status 130.
//!
//! Two levels: the library with the stop flag raised at a chosen point of
//! the transfer (deterministic), and the built binary with a real SIGINT
//! in the middle of a 1 GB transfer.
#![allow(clippy::unwrap_used)]

use nicsim::config::RunConfig;
use nicsim::report::Report;
use nicsim::scenario::{self, Hooks, ScenarioKind};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The check every interrupted run fails (src/scenario.rs).
const INTERRUPTED_CHECK: (&str, &str) = ("run completed", "interrupted by Ctrl-C");
/// The check of the hardware at teardown (violations, leaks).
const HARDWARE_CHECK: &str = "hardware: no protocol, sanitizer or wire violation; no DMA leak";

/// A fresh scratch directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join("cli_interrupt")
        .join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Every record of a pcap, in order. The reader fails on a truncated
/// record or header, so a capture that was not closed cleanly fails here.
fn read_pcap(path: &Path) -> Vec<Vec<u8>> {
    let mut r = pcap_file::pcap::PcapReader::new(File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap_or_else(|e| panic!("{}: record {}: {e}", path.display(), v.len()));
        assert_eq!(
            p.data.len() as u32,
            p.orig_len,
            "{}: record {} is truncated",
            path.display(),
            v.len()
        );
        v.push(p.data.into_owned());
    }
    v
}

/// The frame ends with a good FCS: CRC-32 of the rest, least significant
/// byte first (IEEE 802.3 clause 3.2.9).
fn fcs_ok(frame: &[u8]) -> bool {
    if frame.len() < 4 {
        return false;
    }
    let (body, fcs) = frame.split_at(frame.len() - 4);
    let crc = crc::Crc::<u32>::new(&crc::CRC_32_ISO_HDLC).checksum(body);
    crc.to_le_bytes() == fcs
}

/// Asserts the checks of an interrupted run: the interruption is the first
/// failure, and the hardware was left clean.
fn assert_interrupted(checks: &[(String, bool, String)]) {
    let first_failed = checks.iter().find(|c| !c.1);
    assert_eq!(
        first_failed.map(|c| (c.0.as_str(), c.2.as_str())),
        Some(INTERRUPTED_CHECK),
        "{checks:?}"
    );
    let hw = checks.iter().find(|c| c.0 == HARDWARE_CHECK);
    assert_eq!(
        hw.map(|c| (c.1, c.2.as_str())),
        Some((true, "clean")),
        "the drain before teardown failed: {checks:?}"
    );
    assert_eq!(
        checks.iter().filter(|c| !c.1).count(),
        1,
        "only the interruption fails: {checks:?}"
    );
}

fn checks_of(r: &Report) -> Vec<(String, bool, String)> {
    r.checks
        .iter()
        .map(|c| (c.name.clone(), c.ok, c.detail.clone()))
        .collect()
}

/// `tcp-bulk` of 64 MiB over the library, with the stop flag raised (as
/// the Ctrl-C handler does) once `at` bytes have been received.
fn bulk_interrupted_at(at: u64, pcap_dir: &Path) -> Report {
    let mut cfg = RunConfig::default();
    cfg.traffic.bytes = 64 << 20;
    cfg.output.pcap_dir = Some(pcap_dir.to_path_buf());
    let stop = Arc::new(AtomicBool::new(false));
    let raise = stop.clone();
    let hooks = Hooks {
        stop: Some(stop),
        progress: Some(Arc::new(move |done, _total| {
            if done >= at {
                raise.store(true, Ordering::Relaxed);
            }
        })),
        markers: false,
    };
    scenario::run(ScenarioKind::TcpBulk, &cfg, &hooks).unwrap()
}

/// Interrupted mid-transfer: a partial report that says so, a clean
/// hardware check (the drain let every started frame and burst finish),
/// a capture with exactly the frames the report counts, each with a good
/// FCS; and the same seed and stop point give the same report and capture.
#[test]
fn interrupt_mid_transfer_drains_and_reports() {
    let dir = scratch("library");
    let (a, b) = (dir.join("a"), dir.join("b"));
    let r = bulk_interrupted_at(300_000, &a);
    println!("{r}");
    assert_interrupted(&checks_of(&r));
    assert!(r.tcp.is_empty(), "no flow finished: {:?}", r.tcp);
    let frames = read_pcap(&a.join("link0.pcap"));
    let counted: u64 = r.links.iter().flat_map(|l| l.frames).sum();
    assert_eq!(frames.len() as u64, counted, "capture vs report");
    // Stopped mid-transfer, after at least 300,000 bytes of 1448-byte
    // segments, long before 64 MiB.
    assert!(
        counted > 300_000 / 1448 && r.links[0].bytes[0] < 64 << 20,
        "{:?}",
        r.links
    );
    for (i, f) in frames.iter().enumerate() {
        assert!(fcs_ok(f), "frame {i} of {}: bad FCS", frames.len());
    }
    let again = bulk_interrupted_at(300_000, &b);
    assert_eq!(r.to_json(), again.to_json(), "same seed, same stop point");
    assert_eq!(
        std::fs::read(a.join("link0.pcap")).unwrap(),
        std::fs::read(b.join("link0.pcap")).unwrap()
    );
}

/// A stop raised before the first round (Ctrl-C during set-up) ends the run
/// at once, just as cleanly.
#[test]
fn interrupt_before_the_first_round() {
    let cfg = RunConfig::default();
    let hooks = Hooks {
        stop: Some(Arc::new(AtomicBool::new(true))),
        ..Hooks::default()
    };
    let r = scenario::run(ScenarioKind::Ping, &cfg, &hooks).unwrap();
    assert_interrupted(&checks_of(&r));
    assert_eq!(r.ping_rtt, None, "no echo can have been answered");
}

/// Waits (bounded) for the child to exit.
fn wait_bounded(child: &mut Child, bound: Duration) -> Option<ExitStatus> {
    let t0 = Instant::now();
    while t0.elapsed() < bound {
        if let Some(s) = child.try_wait().unwrap() {
            return Some(s);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    None
}

fn text(path: &Path) -> String {
    std::fs::read_to_string(path).unwrap_or_default()
}

/// The binary, a real SIGINT in the middle of a 1 GB transfer with a
/// waveform open: exit status 130 within a bounded time, the one-line
/// reason on stderr, the partial report on stdout and in JSON, a capture
/// and a waveform that are complete, closed and agree with each other.
#[test]
fn sigint_stops_a_long_run_cleanly() {
    let dir = scratch("sigint");
    let cfg = dir.join("run.toml");
    // Ports only in the waveform: it stays small.
    std::fs::write(&cfg, "[output]\nvcd_depth = 1\n").unwrap();
    let (json, vcd, pcap) = (
        dir.join("report.json"),
        dir.join("run.vcd"),
        dir.join("link0.pcap"),
    );
    let (out, err) = (dir.join("stdout.txt"), dir.join("stderr.txt"));
    let mut child = Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args(["run", "tcp-bulk", "--bytes", "1000000000", "--quiet"])
        .arg("--config")
        .arg(&cfg)
        .arg("--report-json")
        .arg(&json)
        .arg("--pcap")
        .arg(&dir)
        .arg("--vcd")
        .arg(&vcd)
        .stdout(Stdio::from(File::create(&out).unwrap()))
        .stderr(Stdio::from(File::create(&err).unwrap()))
        .spawn()
        .unwrap();

    // Simulating: the capture grows past 64 KiB (about 45 full frames; the
    // pcap writer buffers 8 KiB). Bounded: a loaded debug build needs a few
    // seconds.
    let t0 = Instant::now();
    let size_at_signal = loop {
        if let Some(s) = child.try_wait().unwrap() {
            panic!("exited before the signal ({s}): {}", text(&err));
        }
        let size = std::fs::metadata(&pcap).map_or(0, |m| m.len());
        if size >= 64 * 1024 {
            break size;
        }
        if t0.elapsed() > Duration::from_secs(300) {
            let _ = child.kill();
            panic!("no traffic in the capture after 300 s ({size} bytes)");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success(), "kill -INT failed");
    let Some(status) = wait_bounded(&mut child, Duration::from_secs(120)) else {
        let _ = child.kill();
        panic!("still running 120 s after SIGINT");
    };
    let (stdout, stderr) = (text(&out), text(&err));
    println!("{stdout}\n{stderr}");

    assert_eq!(status.code(), Some(130), "{stderr}");
    assert_eq!(
        stderr.trim_end(),
        "nicsim: INTERRUPTED: run completed: interrupted by Ctrl-C (the report is partial)"
    );
    assert!(
        stdout.contains("[FAIL] run completed: interrupted by Ctrl-C")
            && stdout.contains(&format!("[ok] {HARDWARE_CHECK}: clean"))
            && stdout.contains("pcaps in ")
            && stdout.contains("waveform in "),
        "{stdout}"
    );

    // The JSON report: complete, and the same verdict.
    let r: serde_json::Value = serde_json::from_str(&text(&json)).unwrap();
    assert_eq!(r["scenario"], "tcp-bulk");
    let checks: Vec<(String, bool, String)> = r["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["name"].as_str().unwrap().to_string(),
                c["ok"].as_bool().unwrap(),
                c["detail"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_interrupted(&checks);
    assert_eq!(r["tcp"], serde_json::json!([]), "no flow finished");
    let counted: u64 = r["links"][0]["frames"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_u64().unwrap())
        .sum();

    // The capture: closed, every record whole, exactly the frames the
    // report counts, every FCS good; more than there were at the signal.
    let frames = read_pcap(&pcap);
    assert_eq!(frames.len() as u64, counted, "capture vs report");
    assert!(std::fs::metadata(&pcap).unwrap().len() >= size_at_signal);
    for (i, f) in frames.iter().enumerate() {
        assert!(fcs_ok(f), "frame {i} of {}: bad FCS", frames.len());
    }

    // The waveform: complete (no frame cut at its end), its frames are the
    // capture's, and `nicsim vcd check` passes it.
    let decoded = nicsim::vcdtool::decode_frames(&vcd, &Default::default(), None).unwrap();
    assert!(
        decoded.iter().all(|f| !f.cut),
        "a frame cut in the waveform"
    );
    assert!(decoded.len() > 40 && decoded.len() <= frames.len());
    let tail = &frames[frames.len() - decoded.len()..];
    for (f, bytes) in decoded.iter().zip(tail) {
        assert_eq!(&f.data, bytes, "{} frame {}", f.port, f.index);
    }
    let check = Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args(["vcd", "check"])
        .arg(&vcd)
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&check.stdout);
    assert_eq!(check.status.code(), Some(0), "{report}");
    assert!(report.ends_with("PASS\n"), "{report}");
}
