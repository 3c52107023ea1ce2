//! `nicsim vcd ...` as a user runs it: exit status 0 on a clean dump, 1 on
//! violations (each printed with its cycle and signal), 2 on errors.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::{Command, Output};

use nicsim::vcdtool::Port;
use nicsim::vcdtool::synth::{SynthConfig, SynthVcd, random_frame};
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

fn tmp(name: &str) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("vcd_cli");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

/// Two TX frames `gap` byte times apart, after a reset.
fn write_dump(name: &str, gap: u64) -> (PathBuf, u64) {
    let path = tmp(name);
    let mut file = std::fs::File::create(&path).unwrap();
    let mut s = SynthVcd::new(&mut file, &SynthConfig::default()).unwrap();
    s.ticks_n(2).unwrap();
    s.drive("rst", 0).unwrap();
    s.tick().unwrap();
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    s.gmii_frame(Port::Tx, &random_frame(&mut rng, 64)).unwrap();
    s.ticks_n(gap).unwrap();
    let second = s.sample_cycle();
    s.gmii_frame(Port::Tx, &random_frame(&mut rng, 128))
        .unwrap();
    s.ticks_n(4).unwrap();
    s.finish().unwrap();
    (path, second)
}

fn nicsim(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args(args)
        .output()
        .unwrap()
}

#[test]
fn exit_status_follows_the_verdict() {
    let (good, _) = write_dump("good.vcd", 12);
    let out = nicsim(&["vcd", "check", good.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
    assert!(text.ends_with("PASS\n"), "{text}");

    let (bad, second) = write_dump("gap10.vcd", 10);
    let out = nicsim(&["vcd", "check", bad.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(1), "{text}");
    let line = text.lines().find(|l| l.starts_with("VIOLATION")).unwrap();
    assert!(
        line.starts_with(&format!("VIOLATION cycle {second} "))
            && line.contains("TOP.nic_top.gmii_tx_en [ipg]")
            && line.contains("gap of 10 byte times, minimum is 12"),
        "{line}"
    );

    let out = nicsim(&["vcd", "frames", bad.to_str().unwrap(), "--port", "tx"]);
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("tx: 2 frames"), "{text}");

    let out = nicsim(&["vcd", "check", tmp("missing.vcd").to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).starts_with("nicsim vcd: "));
}

/// `(timestamp ns, bytes)` of every packet of a pcap.
fn read_pcap(path: &std::path::Path) -> Vec<(u128, Vec<u8>)> {
    let mut r = pcap_file::pcap::PcapReader::new(std::fs::File::open(path).unwrap()).unwrap();
    let mut v = Vec::new();
    while let Some(p) = r.next_packet() {
        let p = p.unwrap();
        v.push((p.timestamp.as_nanos(), p.data.into_owned()));
    }
    v
}

/// Acceptance: a scenario run with a waveform and captures; the frames
/// decoded from the waveform equal the frames of the run's capture of the
/// same NIC, byte for byte, in order, and the waveform passes `check`.
#[test]
fn scenario_run_waveform_matches_its_capture() {
    let dir = tmp("ping-run");
    std::fs::create_dir_all(&dir).unwrap();
    let vcd = dir.join("ping.vcd");
    let out = nicsim(&[
        "run",
        "ping",
        "--pings",
        "2",
        "--vcd",
        vcd.to_str().unwrap(),
        "--pcap",
        dir.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let captured = read_pcap(&dir.join("link0.pcap"));
    let frames = nicsim::vcdtool::decode_frames(&vcd, &Default::default(), None).unwrap();
    let decoded: Vec<_> = frames.iter().filter(|f| !f.cut).collect();
    assert!(
        decoded.len() >= 6,
        "ARP both ways and two echoes: {}",
        decoded.len()
    );
    // The waveform may open after the run began: its frames are the tail
    // of the capture.
    let tail = &captured[captured.len() - decoded.len()..];
    for (f, (ts, bytes)) in decoded.iter().zip(tail) {
        assert_eq!(&f.data, bytes, "{} frame {}", f.port, f.index);
        assert_eq!(
            u128::from(f.start_ps / 1000),
            ts + 4,
            "{} frame {}",
            f.port,
            f.index
        );
    }
    let out = nicsim(&["vcd", "check", vcd.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(0), "{text}");
}
