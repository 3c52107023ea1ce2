//! docs/cli.md cannot rot: its TOML examples parse and validate as a
//! `RunConfig`, its reference tables list every key of the configuration
//! (and nothing else) with the default `RunConfig::default()` has, its
//! all-defaults file is the default, and its option blocks list exactly
//! the options and subcommands the binary's help does.
#![allow(clippy::unwrap_used)]

use nicsim::config::RunConfig;
use std::collections::BTreeSet;
use std::process::Command;

fn doc() -> String {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/docs/cli.md");
    std::fs::read_to_string(path).unwrap()
}

/// The fenced blocks of one info string (`toml`, `text`), in order.
fn blocks(doc: &str, info: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur: Option<String> = None;
    for line in doc.lines() {
        match &mut cur {
            None if line.trim_end() == format!("```{info}") => cur = Some(String::new()),
            None => {}
            Some(_) if line.trim_end() == "```" => out.extend(cur.take()),
            Some(b) => {
                b.push_str(line);
                b.push('\n');
            }
        }
    }
    assert!(cur.is_none(), "unclosed ```{info} block");
    out
}

/// The part of the doc from the heading `from` to the next heading of the
/// same or a higher level (outside code blocks).
fn section<'a>(doc: &'a str, from: &str) -> &'a str {
    let level = from.chars().take_while(|&c| c == '#').count();
    let start = doc
        .find(&format!("\n{from}\n"))
        .unwrap_or_else(|| panic!("no heading `{from}` in docs/cli.md"))
        + 1;
    let rest = &doc[start + from.len()..];
    let mut end = rest.len();
    let mut offset = 0;
    let mut fenced = false;
    for line in rest.split_inclusive('\n') {
        if line.starts_with("```") {
            fenced = !fenced;
        }
        let hashes = line.chars().take_while(|&c| c == '#').count();
        if !fenced && hashes > 0 && hashes <= level && line[hashes..].starts_with(' ') {
            end = offset;
            break;
        }
        offset += line.len();
    }
    &rest[..end]
}

/// `(key, default cell)` of every row of the reference tables in `part`.
fn rows(part: &str) -> Vec<(String, String)> {
    part.lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            let cells: Vec<&str> = l.split('|').map(str::trim).collect();
            (cells[1].trim_matches('`').to_string(), cells[3].to_string())
        })
        .collect()
}

/// The heading of the table of a configuration section.
fn heading(section: Option<&str>) -> String {
    match section {
        None => "### Top level".to_string(),
        Some(s) => format!("### `[{s}]`"),
    }
}

/// `(section, key, default)` of every field of the serialized default;
/// unset optional fields are JSON `null`.
fn default_fields() -> Vec<(Option<String>, String, serde_json::Value)> {
    let v = serde_json::to_value(RunConfig::default()).unwrap();
    let mut out = Vec::new();
    for (k, val) in v.as_object().unwrap() {
        match val.as_object() {
            Some(fields) => {
                for (f, fv) in fields {
                    out.push((Some(k.clone()), f.clone(), fv.clone()));
                }
            }
            None => out.push((None, k.clone(), val.clone())),
        }
    }
    out
}

#[test]
fn every_toml_block_is_a_valid_run_config() {
    let doc = doc();
    let blocks = blocks(&doc, "toml");
    assert!(blocks.len() >= 4, "only {} toml blocks", blocks.len());
    for (i, b) in blocks.iter().enumerate() {
        let cfg: RunConfig = toml::from_str(b)
            .unwrap_or_else(|e| panic!("toml block {i} of docs/cli.md:\n{b}\n{e}"));
        cfg.validate()
            .unwrap_or_else(|e| panic!("toml block {i} of docs/cli.md:\n{b}\n{e}"));
    }
}

#[test]
fn the_all_defaults_file_is_the_default() {
    let doc = doc();
    let part = section(&doc, "### Every key with its default");
    let b = blocks(part, "toml");
    assert_eq!(b.len(), 1, "one toml block under the heading");
    let cfg: RunConfig = toml::from_str(&b[0]).unwrap();
    assert_eq!(cfg, RunConfig::default());
    // Every key is written out (unset optional ones as comments).
    for (_, key, _) in default_fields() {
        assert!(
            b[0].lines()
                .any(|l| l.trim_start_matches("# ").starts_with(&format!("{key} = "))),
            "`{key}` missing from the all-defaults file"
        );
    }
}

#[test]
fn reference_tables_match_the_config_structs() {
    let doc = doc();
    let config = section(&doc, "## The `--config` file");
    let fields = default_fields();
    // Defaults as TOML values, to compare with the tables' cells.
    let defaults = toml::Value::try_from(RunConfig::default()).unwrap();
    let mut sections: BTreeSet<Option<String>> = BTreeSet::new();
    for (sec, key, json) in &fields {
        sections.insert(sec.clone());
        let h = heading(sec.as_deref());
        let table = rows(section(config, &h));
        let Some((_, cell)) = table.iter().find(|(k, _)| k == key) else {
            panic!("`{key}` is not in the table under `{h}` of docs/cli.md");
        };
        if json.is_null() {
            assert_eq!(cell, "unset", "default of `{key}` under `{h}`");
            continue;
        }
        let want = match sec {
            Some(s) => &defaults[s.as_str()][key.as_str()],
            None => &defaults[key.as_str()],
        };
        let literal = cell.trim_matches('`');
        let got: toml::Table = toml::from_str(&format!("v = {literal}"))
            .unwrap_or_else(|e| panic!("default cell `{cell}` of `{key}`: {e}"));
        assert_eq!(&got["v"], want, "default of `{key}` under `{h}`");
    }
    // No row for a key that does not exist.
    for sec in &sections {
        let h = heading(sec.as_deref());
        for (key, _) in rows(section(config, &h)) {
            assert!(
                fields.iter().any(|(s, k, _)| s == sec && *k == key),
                "`{key}` under `{h}` is not a field of RunConfig"
            );
        }
    }
}

/// Long options, short options and subcommands a help text defines.
fn defined(help: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    let mut in_commands = false;
    for line in help.lines() {
        if line.ends_with(':') && !line.starts_with(' ') {
            in_commands = line == "Commands:";
            continue;
        }
        let t = line.trim_start();
        if in_commands && line.starts_with("  ") && !line.starts_with("   ") {
            if let Some(cmd) = t.split_whitespace().next() {
                out.insert(cmd.to_string());
            }
        } else if t.starts_with('-') {
            for word in t.split_whitespace() {
                let w = word.trim_end_matches(',');
                if w.starts_with('-') {
                    out.insert(w.to_string());
                } else {
                    break;
                }
            }
        }
    }
    out
}

#[test]
fn option_blocks_match_the_binary() {
    let doc = doc();
    let mut seen = BTreeSet::new();
    let mut pending = vec![Vec::<String>::new()];
    for b in blocks(&doc, "text") {
        let Some(first) = b.lines().next() else {
            continue;
        };
        let Some(cmd) = first
            .strip_prefix("$ nicsim")
            .and_then(|c| c.strip_suffix(" -h"))
        else {
            continue;
        };
        let args: Vec<String> = cmd.split_whitespace().map(String::from).collect();
        let out = Command::new(env!("CARGO_BIN_EXE_nicsim"))
            .args(&args)
            .arg("-h")
            .output()
            .unwrap();
        assert!(out.status.success(), "nicsim {cmd} -h");
        let help = String::from_utf8(out.stdout).unwrap();
        let documented: String = b.lines().skip(1).map(|l| format!("{l}\n")).collect();
        assert_eq!(
            defined(&documented),
            defined(&help),
            "docs/cli.md `nicsim{cmd} -h` is out of date; the binary prints:\n{help}"
        );
        // Every subcommand needs its own block.
        for c in defined(&help).iter().filter(|c| !c.starts_with('-')) {
            if c != "help" {
                let mut a = args.clone();
                a.push(c.clone());
                pending.push(a);
            }
        }
        seen.insert(args);
    }
    for p in pending {
        assert!(
            seen.contains(&p),
            "docs/cli.md has no `$ nicsim {} -h` block",
            p.join(" ")
        );
    }
}
