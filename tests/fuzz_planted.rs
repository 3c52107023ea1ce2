//! Acceptance of the fuzzer (issue 9): bugs planted in the RTL are each
//! caught within the budget `cargo test` runs (200 programs).
//!
//! For each bug the test copies `rtl/` (with `sim/`, `driver/`, `stack/`)
//! into a scratch workspace under `target/fuzz-planted/`, applies the bug
//! as a textual patch, builds the simulation of that variant and runs the
//! same campaign as `tests/fuzz_rtl.rs` against it; the shrunk failing
//! program is saved beside it (`<bug>.json`, `<bug>.vcd`).
//!
//! Each variant is a full Verilator build; its C++ is compiled at -O1
//! (`NICSIM_MODEL_OPT`), which takes a fraction of the -O3 time and leaves
//! the campaign fast enough. `NICSIM_PLANTED=<bug>` runs one bug only.
#![allow(clippy::unwrap_used)]

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (name, file under rtl/, text to replace, replacement).
const BUGS: &[(&str, &str, &str, &str)] = &[
    (
        "ring-wrap-off-by-one",
        "dma_tx.v",
        "tdh_inc = ({1'b0, tdh_reg} + 17'd1 == ring_n)",
        "tdh_inc = ({1'b0, tdh_reg} + 17'd2 == ring_n)",
    ),
    (
        "dd-never-written",
        "dma_tx.v",
        "assign wb_strb = 8'h10;",
        "assign wb_strb = 8'h00;",
    ),
    (
        "eop-ignored",
        "dma_tx.v",
        "&& cur_cmd[CMD_EOP], beat_n",
        "&& 1'b1, beat_n",
    ),
    (
        "crc-bit-wrong",
        "mac_tx_gmii.v",
        "wire [31:0] fcs = ~crc_reg;",
        "wire [31:0] fcs = ~crc_reg ^ 32'h1;",
    ),
    (
        "engine-passes-tail",
        "dma_tx.v",
        ".tail(cfg_tdt),",
        ".tail(({1'b0, cfg_tdt} + 17'd1 == ring_n) ? 16'd0 : cfg_tdt + 16'd1),",
    ),
];

fn copy_dir(from: &Path, to: &Path) {
    fs::create_dir_all(to).unwrap();
    for e in fs::read_dir(from).unwrap() {
        let e = e.unwrap();
        let name = e.file_name();
        if name == "target" || name == "sim_build" {
            continue;
        }
        let (src, dst) = (e.path(), to.join(&name));
        if e.file_type().unwrap().is_dir() {
            copy_dir(&src, &dst);
        } else {
            fs::copy(&src, &dst).unwrap();
        }
    }
}

fn write_runner(ws: &Path, root: &Path) {
    let fuzz = root.join("src/fuzz/mod.rs");
    fs::create_dir_all(ws.join("runner/src")).unwrap();
    // The workspace section of the real manifest (dependency versions,
    // lints), with our members.
    let manifest = fs::read_to_string(root.join("Cargo.toml")).unwrap();
    let workspace = manifest.split("\n[package]").next().unwrap();
    let members = workspace
        .lines()
        .map(|l| {
            if l.starts_with("members") {
                "members = [\"sim\", \"driver\", \"stack\", \"runner\"]"
            } else {
                l
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    fs::write(
        ws.join("Cargo.toml"),
        format!("{members}\n\n[profile.dev.package.\"*\"]\nopt-level = 2\n\n[profile.dev]\nopt-level = 1\n"),
    )
    .unwrap();
    fs::write(
        ws.join("runner/Cargo.toml"),
        "[package]\nname = \"runner\"\nversion = \"0.1.0\"\nedition = \"2024\"\n\n[dependencies]\n\
         sim = { workspace = true }\ndriver = { workspace = true }\nstack = { workspace = true }\n\
         proptest = { workspace = true }\nserde = { workspace = true }\nserde_json = { workspace = true }\n",
    )
    .unwrap();
    fs::write(
        ws.join("runner/src/main.rs"),
        format!(
            "#[path = {fuzz:?}]\nmod fuzz;\n\n\
             fn main() {{\n\
             \x20   let args: Vec<String> = std::env::args().collect();\n\
             \x20   let (name, out) = (&args[1], std::path::PathBuf::from(&args[2]));\n\
             \x20   let make = || fuzz::dut_by_name(\"rtl\").expect(\"rtl back end\");\n\
             \x20   match fuzz::check(200, 0x6e69_6373_696d, &make, &mut |_| {{}}) {{\n\
             \x20       Err(f) => {{\n\
             \x20           println!(\"FOUND {{f}}\");\n\
             \x20           let _ = fuzz::save_regression(&out, name, \"rtl\", &f);\n\
             \x20       }}\n\
             \x20       Ok(s) => {{\n\
             \x20           println!(\"MISSED after {{}} programs\", s.programs);\n\
             \x20           std::process::exit(1);\n\
             \x20       }}\n\
             \x20   }}\n\
             }}\n"
        ),
    )
    .unwrap();
}

#[test]
fn planted_rtl_bugs_are_found_within_the_budget() {
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let base = root.join("target/fuzz-planted");
    let ws = base.join("ws");
    let _ = fs::remove_dir_all(&ws);
    for dir in ["sim", "driver", "stack", "rtl"] {
        copy_dir(&root.join(dir), &ws.join(dir));
    }
    fs::copy(root.join("Cargo.lock"), ws.join("Cargo.lock")).unwrap();
    write_runner(&ws, &root);
    let verilator = std::env::var_os("VERILATOR_ROOT").unwrap_or_else(|| {
        root.join(".venv/lib/python3.11/site-packages/verilator")
            .into_os_string()
    });
    let pristine = root.join("rtl");
    let only = std::env::var("NICSIM_PLANTED").ok();
    let mut missed = Vec::new();
    for (name, file, from, to) in BUGS {
        if only.as_deref().is_some_and(|o| o != *name) {
            continue;
        }
        // Start from the pristine RTL, then plant this one bug.
        copy_dir(&pristine, &ws.join("rtl"));
        let path = ws.join("rtl").join(file);
        let text = fs::read_to_string(&path).unwrap();
        assert_eq!(
            text.matches(from).count(),
            1,
            "{name}: patch site in {file} not unique or gone"
        );
        fs::write(&path, text.replace(from, to)).unwrap();
        let out = Command::new(env!("CARGO"))
            .args(["run", "--offline", "--quiet", "-p", "runner", "--"])
            .arg(name)
            .arg(&base)
            .current_dir(&ws)
            .env("CARGO_TARGET_DIR", base.join("target"))
            .env("VERILATOR_ROOT", &verilator)
            .env("NICSIM_MODEL_OPT", "1")
            .output()
            .unwrap();
        let stdout = String::from_utf8_lossy(&out.stdout);
        eprintln!("{name}: {}", stdout.trim());
        if !out.status.success() || !stdout.contains("FOUND") {
            missed.push(format!(
                "{name}: {} {}",
                stdout.trim(),
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ));
        }
    }
    assert!(missed.is_empty(), "planted bugs not found: {missed:#?}");
}
