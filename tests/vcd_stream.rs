//! Memory stays bounded while a large dump streams through `vcd check`:
//! a ~50 MB synthetic dump is written on the fly to a temp file, then
//! decoded, and the growth of the process's peak RSS must stay far below
//! the dump's size. (One test per file: the peak RSS is per process.)
#![allow(clippy::unwrap_used)]

use std::fs::File;
use std::io::{BufReader, BufWriter};

use nicsim::vcdtool::synth::write_large_dump;
use nicsim::vcdtool::{Options, Port, check_reader, peak_rss_kib};

const TARGET_BYTES: u64 = 50 << 20;
/// Allowed peak RSS growth while decoding.
const MAX_GROWTH_KIB: u64 = 16 << 10;

#[test]
fn large_dump_streams_in_bounded_memory() {
    let dir = std::env::temp_dir().join(format!("nicsim-vcd-stream-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("large.vcd");
    let stats = {
        let w = BufWriter::new(File::create(&path).unwrap());
        write_large_dump(w, TARGET_BYTES, 0x5eed).unwrap()
    };
    let size = std::fs::metadata(&path).unwrap().len();
    assert!(
        size >= TARGET_BYTES && size == stats.bytes,
        "{size} {stats:?}"
    );
    assert!(stats.frames > 500, "{stats:?}");

    let before = peak_rss_kib().unwrap();
    let reader = BufReader::with_capacity(1 << 16, File::open(&path).unwrap());
    let report = check_reader(reader, &Options::default()).unwrap();
    let after = peak_rss_kib().unwrap();
    std::fs::remove_file(&path).ok();

    assert!(
        report.ok(),
        "{:?}",
        &report.violations[..report.violations.len().min(5)]
    );
    let s = &report.summary;
    assert_eq!(s.frames, vec![(Port::Tx, stats.frames), (Port::Rx, 0)]);
    assert_eq!(s.reg_accesses, stats.reg_writes);
    assert_eq!(s.bursts, stats.read_bursts);
    assert_eq!(s.cycles, stats.cycles);
    let growth = after.saturating_sub(before);
    eprintln!(
        "{} MiB dump, {} cycles, {} frames: peak RSS {before} KiB -> {after} KiB",
        size >> 20,
        stats.cycles,
        stats.frames
    );
    assert!(
        growth < MAX_GROWTH_KIB,
        "peak RSS grew by {growth} KiB decoding a {} KiB dump",
        size >> 10
    );
}
