//! The fuzz harness against the reference model: the model agrees with
//! itself over the budgeted number of programs (no false alarms, and the
//! generator reaches the interesting cases), and each planted bug is found
//! within that budget and shrunk to a short replayable program; every
//! committed regression replays as it should.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use nicsim::fuzz::{self, MUTATIONS, Progress};

/// The budget `cargo test` runs (about 200 programs).
const CASES: u32 = 200;
const SEED: u64 = 0x6e69_6373_696d;

fn quiet(_: Progress) {}

#[test]
fn model_agrees_with_itself_and_reaches_the_corners() {
    let make = || fuzz::dut_by_name("model").unwrap();
    let s = fuzz::check(CASES, SEED, &make, &mut quiet).unwrap_or_else(|f| panic!("{f}"));
    assert_eq!(s.programs, u64::from(CASES));
    eprintln!("{s:?}");
    // Coverage the budget must reach, or the bug hunt below means little.
    assert!(s.tx_frames > 500, "{s:?}");
    assert!(s.rx_delivered > 150, "{s:?}");
    assert!(s.multi_desc_rx > 20, "{s:?}");
    assert!(s.tx_wraps > 50 && s.rx_wraps > 50, "{s:?}");
    assert!(s.multi_desc_tx > 100, "{s:?}");
    assert!(s.dma_errors > 5, "{s:?}");
    assert!(s.undefined > 5, "{s:?}");
    assert!(s.resets > 20, "{s:?}");
    // TXDROPC and TXCSKIPC events (docs/regmap.md, transmit counters).
    assert!(s.tx_fifo_drops > 0, "{s:?}");
    assert!(s.tx_csum_skips > 20, "{s:?}");
    assert!(
        s.compared > s.ops * 3 / 4,
        "most ops compared in full: {s:?}"
    );
}

#[test]
fn planted_bugs_are_found_within_the_budget() {
    let dir = std::env::temp_dir().join(format!("nicsim-fuzz-{}", std::process::id()));
    for (name, _) in MUTATIONS {
        let dut = format!("model+{name}");
        let make = || fuzz::dut_by_name(&dut).unwrap();
        let mut runs = 0;
        let failure = fuzz::check(CASES, SEED, &make, &mut |p: Progress| runs = p.runs)
            .err()
            .unwrap_or_else(|| panic!("{name} not found in {CASES} programs"));
        assert!(
            failure.program.ops.len() <= 8,
            "{name}: shrunk to {} ops",
            failure.program.ops.len()
        );
        eprintln!("{name}: {failure}");
        // Saved, it replays: still failing on the mutant, passing on the model.
        let path: PathBuf = fuzz::save_regression(&dir, name, &dut, &failure).unwrap();
        assert!(fuzz::replay(&path, None).unwrap().is_err(), "{name} replay");
        assert!(
            fuzz::replay(&path, Some("model")).unwrap().is_ok(),
            "{name} on the model"
        );
    }
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn committed_regressions_replay() {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/regressions");
    let mut n = 0;
    for e in std::fs::read_dir(&dir).unwrap() {
        let p = e.unwrap().path();
        if p.extension().is_some_and(|x| x == "json") {
            let reg = fuzz::load_regression(&p).unwrap();
            // Every saved program passes on the reference itself; programs
            // saved from a planted bug still expose it.
            assert!(
                fuzz::replay(&p, Some("model")).unwrap().is_ok(),
                "{}",
                p.display()
            );
            if reg.dut.starts_with("model+") {
                assert!(fuzz::replay(&p, None).unwrap().is_err(), "{}", p.display());
            }
            // Programs that once exposed a bug in the RTL (planted or real)
            // must pass on today's RTL.
            if reg.dut == "rtl" {
                let r = fuzz::replay(&p, None).unwrap();
                assert!(r.is_ok(), "{}: {:?}", p.display(), r.err());
            }
            n += 1;
        }
    }
    assert!(
        n >= MUTATIONS.len(),
        "expected the planted-bug regressions in {}",
        dir.display()
    );
}
