//! The checks each fuzz target runs on one input, shared by the libFuzzer
//! targets and by the test that replays the checked-in inputs
//! (binlibdepcp/tests/fuzz_replay.rs), so both exercise the same code.
//!
//! A check panics only when binlibdepcp breaks one of its promises: the
//! parsers return an error instead of panicking, their output is never
//! larger than their input, and the resolver names the file in every error.
//! Hangs and unbounded allocation are caught by libFuzzer's `-timeout` and
//! `-rss_limit_mb`, and by the replay test's time limit.

use binlibdepcp::cache::parse_ld_so_cache;
use binlibdepcp::elf::{self, DynamicInfo};
use binlibdepcp::profile::LoaderProfile;
use binlibdepcp::resolve::{Outcome, SearchConfig, resolve_program};
use std::collections::HashSet;
use std::fs;
use std::path::Path;

/// Library names looked up in every fuzzed cache: the usual ones, one that
/// sorts before and one after them, and an empty name.
const LOOKUP_NAMES: [&[u8]; 6] = [
    b"libc.so.6",
    b"ld-linux-x86-64.so.2",
    b"libz.so.1",
    b"a",
    b"zzzz.so",
    b"",
];

/// Marks the start of each file in a `resolve` input, so that a plain
/// concatenation of files (with this marker between them) is a valid seed.
pub const FILE_MARKER: &[u8] = b"\n--file--\n";

/// Runs the ELF identity check and the dynamic section reader on `data`.
pub fn check_elf(data: &[u8]) {
    elf::identify(data);
    if let Ok(info) = elf::read_dynamic_info(data) {
        let size = output_size(&info);
        assert!(
            size <= data.len(),
            "read_dynamic_info returned {size} bytes of strings from a {}-byte file",
            data.len()
        );
    }
}

fn output_size(info: &DynamicInfo) -> usize {
    let single = [&info.interpreter, &info.rpath, &info.runpath, &info.soname];
    let singles: usize = single.iter().filter_map(|s| s.as_ref()).map(Vec::len).sum();
    singles + info.needed.iter().map(Vec::len).sum::<usize>()
}

/// A fixed x86-64-v3 Intel profile, so that a run does not depend on the
/// CPU of the machine that fuzzes.
pub fn fixed_profile() -> LoaderProfile {
    let flags: HashSet<String> = ["avx2", "bmi2", "fma", "movbe", "sse4_2", "ssse3", "popcnt"]
        .iter()
        .map(|flag| flag.to_string())
        .collect();
    LoaderProfile::from_cpu("GenuineIntel", &flags)
}

/// Parses `data` as an ld.so.cache and reads every entry and lookup.
pub fn check_cache(data: &[u8]) {
    let Ok(cache) = parse_ld_so_cache(data) else {
        return;
    };
    let profile = fixed_profile();
    let mut keys = Vec::new();
    for entry in cache.entries() {
        let _ = cache.value(entry);
        let _ = cache.hwcaps_name(entry);
        if let Some(key) = cache.key(entry) {
            if keys.len() < 64 {
                keys.push(key.to_vec());
            }
        }
    }
    for name in LOOKUP_NAMES
        .iter()
        .copied()
        .chain(keys.iter().map(Vec::as_slice))
    {
        let _ = cache.lookup(name, &profile);
    }
}

/// Writes the files described by `data` into the empty folder `dir` and
/// resolves the first one as a program.
///
/// `data` is a list of parts separated by [`FILE_MARKER`]. The first part
/// is an ld.so.cache (empty for none), the second the program, and each
/// later part is a library whose first line is its file name. Library
/// folder is `dir`, passed as `LD_LIBRARY_PATH`, so `DT_NEEDED` names find
/// these files first; names with a slash still reach host paths, read-only.
pub fn check_resolve(data: &[u8], dir: &Path) {
    let mut parts = split_parts(data);
    let cache_bytes = parts.next().unwrap_or_default();
    let program_bytes = parts.next().unwrap_or_default();
    let program = dir.join("program");
    fs::write(&program, program_bytes).expect("failed to write the program");
    for (index, part) in parts.enumerate() {
        let (name, bytes) = split_name(part, index);
        fs::write(dir.join(name), bytes).expect("failed to write a library");
    }

    let config = SearchConfig {
        profile: fixed_profile(),
        cache: parse_ld_so_cache(cache_bytes).ok(),
        library_path: Some(dir.as_os_str().as_encoded_bytes().to_vec()),
    };
    match resolve_program(&program, &config) {
        Ok(tree) => {
            let _ = tree.files();
            for dependency in tree.missing() {
                if let Outcome::Missing {
                    error: Some(error), ..
                } = &dependency.outcome
                {
                    assert!(!error.is_empty(), "a load error has no text");
                }
            }
        }
        Err(error) => {
            // The failing file is the program or a `#!` interpreter it
            // names, which may be any absolute path.
            let message = error.to_string();
            assert!(
                message.contains(&*program.to_string_lossy()) || message.contains(" /"),
                "the error names no file: {message}"
            );
        }
    }
}

fn split_parts(data: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = Some(data);
    std::iter::from_fn(move || {
        let current = rest?;
        match find(current, FILE_MARKER) {
            Some(at) => {
                rest = Some(&current[at + FILE_MARKER.len()..]);
                Some(&current[..at])
            }
            None => {
                rest = None;
                Some(current)
            }
        }
    })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

/// Splits a library part into its file name and content. A name that is
/// empty, too long or not a single path component becomes `libN.so`, so
/// that the files stay inside the folder.
fn split_name(part: &[u8], index: usize) -> (String, &[u8]) {
    let newline = part.iter().position(|&b| b == b'\n').unwrap_or(part.len());
    let name = String::from_utf8_lossy(&part[..newline]).into_owned();
    let content = part.get(newline + 1..).unwrap_or_default();
    let usable = !name.is_empty()
        && name.len() < 200
        && name != "."
        && name != ".."
        && name != "program"
        && !name.contains(['/', '\0']);
    if usable {
        (name, content)
    } else {
        (format!("lib{index}.so"), content)
    }
}
