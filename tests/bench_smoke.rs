//! `nicsim bench` smoke test: the bare-model comparison (Rust loop against
//! the C++ `main()` loop, idle and with GMII traffic) for a tiny cycle count,
//! and the shape of `bench.json`. Timing thresholds are the benchmark's
//! business (docs/performance.md), not this test's.
#![allow(clippy::unwrap_used)]

use serde_json::Value;
use std::process::Command;

fn tmpdir(name: &str) -> std::path::PathBuf {
    let d = std::env::temp_dir().join(format!("nicsim-bench-smoke-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&d);
    std::fs::create_dir_all(&d).unwrap();
    d
}

#[test]
fn bare_section_writes_table_and_json() {
    let out = tmpdir("bare");
    let o = Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args([
            "bench",
            "--sections",
            "bare",
            "--runs",
            "2",
            "--bare-cycles",
            "3000",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(
        o.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&o.stderr)
    );
    assert!(stdout.contains("Rust / C++, idle"), "{stdout}");
    let v: Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("bench.json")).unwrap()).unwrap();
    assert_eq!(v["meta"]["runs"], 2);
    assert!(v["meta"]["machine"]["nproc"].as_u64().unwrap() >= 1);
    assert_eq!(v["details"]["bare"]["cycles_per_run"], 3000);
    let rows = v["rows"].as_array().unwrap();
    let names: Vec<&str> = rows.iter().map(|r| r["name"].as_str().unwrap()).collect();
    assert_eq!(
        names,
        [
            "Rust loop, idle",
            "C++ main() loop, idle",
            "Rust / C++, idle",
            "Rust loop, GMII RX traffic",
            "C++ main() loop, GMII RX traffic",
            "Rust / C++, GMII RX traffic",
        ]
    );
    for r in rows {
        assert_eq!(r["section"], "bare");
        let s = &r["stat"];
        let runs: Vec<f64> = s["runs"]
            .as_array()
            .unwrap()
            .iter()
            .map(|x| x.as_f64().unwrap())
            .collect();
        assert_eq!(runs.len(), 2, "{r}");
        assert!(runs.iter().all(|x| x.is_finite() && *x > 0.0), "{r}");
        let (min, med, max) = (
            s["min"].as_f64().unwrap(),
            s["median"].as_f64().unwrap(),
            s["max"].as_f64().unwrap(),
        );
        assert!(min <= med && med <= max, "{r}");
        let is_ratio = r["unit"] == "ratio";
        assert_eq!(r["target"].is_string(), is_ratio, "{r}");
        assert_eq!(r["met"].is_boolean(), is_ratio, "{r}");
    }
    // The ratio is computed run by run from the interleaved pairs.
    let idle_rust = &rows[0]["stat"]["runs"];
    let idle_cpp = &rows[1]["stat"]["runs"];
    let ratio = &rows[2]["stat"]["runs"];
    for i in 0..2 {
        let want = idle_rust[i].as_f64().unwrap() / idle_cpp[i].as_f64().unwrap();
        assert!((ratio[i].as_f64().unwrap() - want).abs() < 1e-9 * want.max(1.0));
    }
    assert!(v["notes"].as_array().unwrap().is_empty(), "{}", v["notes"]);
    let _ = std::fs::remove_dir_all(&out);
}

#[test]
fn unknown_section_is_refused() {
    let out = tmpdir("bad");
    let o = Command::new(env!("CARGO_BIN_EXE_nicsim"))
        .args(["bench", "--sections", "warp", "--out"])
        .arg(&out)
        .output()
        .unwrap();
    assert!(!o.status.success());
    assert!(String::from_utf8_lossy(&o.stderr).contains("unknown section `warp`"));
    let _ = std::fs::remove_dir_all(&out);
}

/// nicsim's side of the cocotb comparison moves the frames it claims: every
/// frame is checked inside `nicsim_frames`, and four full-size frames each
/// way take at least four back-to-back frame times on the wire.
#[test]
fn same_frames_run_moves_and_checks_every_frame() {
    let r = nicsim::bench::nicsim_frames(4).unwrap();
    assert_eq!((r.frames_tx, r.frames_rx), (4, 4));
    assert!(r.cycles >= 4 * 1538, "{} cycles", r.cycles);
    assert!(r.cycles < 4 * 1600 * 4 + 20_000, "{} cycles", r.cycles);
    assert!(r.wall_s > 0.0);
    let e = nicsim::bench::nicsim_frames(0).unwrap_err().to_string();
    assert!(e.contains("frames"), "{e}");
}

/// A slot of the cocotb comparison repeats the same pass until it has been
/// timed for a second (or the pass bound): its totals are whole passes of
/// the same simulated length.
#[test]
fn same_frames_slot_totals_whole_passes() {
    let one = nicsim::bench::nicsim_frames(2).unwrap();
    let slot = nicsim::bench::nicsim_frames_slot(2).unwrap();
    assert_eq!(one.passes, 1);
    assert!(slot.passes > 1, "{} passes", slot.passes);
    assert_eq!(slot.cycles, one.cycles * u64::from(slot.passes));
    assert!(slot.wall_s >= 1.0 || slot.passes == 1000, "{slot:?}");
    assert_eq!((slot.frames_tx, slot.frames_rx), (2, 2));
}
