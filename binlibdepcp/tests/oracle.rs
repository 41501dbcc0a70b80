//! Compares binlibdepcp's search with the host loader's own output,
//! `/lib64/ld-linux-x86-64.so.2 --list FILE`, for every dynamically linked
//! program in /usr/bin and /usr/sbin.
//!
//! Each program is given by its real path, because `ld.so --list` takes
//! `$ORIGIN` from the name it is given while a real run takes it from
//! /proc/self/exe. The vDSO line has no file and is left out. One
//! [`Resolver`] serves every program, as in the command, so later programs
//! are resolved from what earlier ones read.

use binlibdepcp::cache::parse_ld_so_cache;
use binlibdepcp::elf::{Identity, identify, read_dynamic_info};
use binlibdepcp::profile::{INTERPRETER, LoaderProfile};
use binlibdepcp::resolve::{LoadTree, Outcome, Resolver, SearchConfig};
use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

fn dynamic_programs() -> Vec<PathBuf> {
    let mut programs = BTreeSet::new();
    for folder in ["/usr/bin", "/usr/sbin"] {
        for entry in fs::read_dir(folder).expect("read program folder").flatten() {
            let Ok(real) = fs::canonicalize(entry.path()) else {
                continue;
            };
            let Ok(data) = fs::read(&real) else {
                continue;
            };
            let is_dynamic = identify(&data) == Identity::Loadable
                && read_dynamic_info(&data).is_ok_and(|info| info.interpreter.is_some());
            if is_dynamic {
                programs.insert(real);
            }
        }
    }
    programs.into_iter().collect()
}

/// Returns the objects `ld.so --list` prints: paths, and `missing:NAME`.
fn loader_listing(program: &Path) -> BTreeSet<String> {
    let output = Command::new(INTERPRETER)
        .arg("--list")
        .arg(program)
        .output()
        .expect("run ld.so --list");
    let text = String::from_utf8_lossy(&output.stdout);
    let mut objects = BTreeSet::new();
    for line in text.lines().map(str::trim) {
        if let Some((name, rest)) = line.split_once(" => ") {
            if rest.starts_with("not found") {
                objects.insert(format!("missing:{name}"));
            } else if let Some((path, _)) = rest.rsplit_once(" (") {
                objects.insert(path.to_string());
            }
        } else if let Some((path, _)) = line.rsplit_once(" (") {
            if path.contains('/') {
                objects.insert(path.to_string());
            }
        }
    }
    objects
}

fn our_listing(tree: &LoadTree) -> BTreeSet<String> {
    let mut objects: BTreeSet<String> = tree
        .objects
        .iter()
        .skip(1)
        .map(|object| object.path.display().to_string())
        .collect();
    for dependency in &tree.dependencies {
        if let Outcome::Missing { .. } = dependency.outcome {
            objects.insert(format!(
                "missing:{}",
                String::from_utf8_lossy(&dependency.name)
            ));
        }
    }
    objects
}

#[test]
fn libraries_match_loader_listing() {
    let cache = fs::read("/etc/ld.so.cache")
        .ok()
        .and_then(|data| parse_ld_so_cache(&data).ok());
    let config = SearchConfig {
        profile: LoaderProfile::detect(),
        cache,
        library_path: None,
    };
    let programs = dynamic_programs();
    assert!(!programs.is_empty(), "no dynamically linked program found");
    let mut resolver = Resolver::new(&config);
    let mut differences = Vec::new();
    for program in &programs {
        let expected = loader_listing(program);
        let actual = match resolver.resolve(program) {
            Ok(tree) => our_listing(&tree),
            Err(err) => BTreeSet::from([format!("error:{err}")]),
        };
        if expected != actual {
            let extra: Vec<_> = actual.difference(&expected).collect();
            let lacking: Vec<_> = expected.difference(&actual).collect();
            differences.push(format!(
                "{}: binlibdepcp only {extra:?}, ld.so only {lacking:?}",
                program.display()
            ));
        }
    }
    let agreeing = programs.len() - differences.len();
    println!("agreement: {agreeing} of {}", programs.len());
    assert!(
        differences.is_empty(),
        "disagreements:\n{}",
        differences.join("\n")
    );
}
