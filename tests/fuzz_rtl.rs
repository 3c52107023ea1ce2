//! The budgeted descriptor-fuzzing run against the RTL: generated programs
//! on the Verilated NIC compared with the reference model after every
//! operation (docs/fuzzing.md). On a mismatch the shrunk program and a VCD
//! of it are saved under target/fuzz-failures/ (copy them to
//! tests/regressions/ to keep them) and the test fails with the mismatch.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;

use nicsim::fuzz::{self, Progress};

fn cases() -> u32 {
    std::env::var("NICSIM_FUZZ_CASES")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(200)
}

#[test]
fn rtl_matches_the_model() {
    let seed = std::env::var("NICSIM_FUZZ_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(0x6e69_6373_696d);
    let make = || fuzz::dut_by_name("rtl").unwrap();
    let n = cases();
    match fuzz::check(n, seed, &make, &mut |p: Progress| {
        if p.runs.is_multiple_of(20) {
            eprintln!("fuzz: {} programs run", p.runs);
        }
    }) {
        Ok(s) => {
            eprintln!("{s:?}");
            assert_eq!(s.programs, u64::from(n));
        }
        Err(f) => {
            let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target/fuzz-failures");
            let saved = fuzz::save_regression(&dir, &format!("rtl-seed-{seed:x}"), "rtl", &f);
            panic!("{f}\nsaved: {saved:?}\nprogram: {:?}", f.program);
        }
    }
}
