//! Checks the ld.so.cache parser against `ldconfig -p` for the host cache
//! and for caches written by `ldconfig -c old|new|compat`, and its lookup
//! against hand-built caches where the hwcap rules allow one result only.
//!
//! ldconfig runs with `-r` on a temporary root, because without it ldconfig
//! rewrites the host's /var/cache/ldconfig/aux-cache even with `-C` and `-i`.

use binlibdepcp::cache::{CacheFormat, FLAGS_X86_64_LIBC6, LdSoCache, parse_ld_so_cache};
use binlibdepcp::profile::LoaderProfile;
use std::collections::HashSet;
use std::fs;
use std::path::Path;
use std::process::Command;
use tempfile::TempDir;

/// Returns the (soname, path) pairs `ldconfig -p` prints, in order.
fn ldconfig_listing(args: &[&str]) -> Vec<(String, String)> {
    let output = Command::new("ldconfig")
        .args(args)
        .arg("-p")
        .output()
        .expect("run ldconfig -p");
    assert!(output.status.success(), "ldconfig -p failed");
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .skip(1)
        .filter_map(|line| {
            let (left, path) = line.split_once(" => ")?;
            let (name, _) = left.trim().split_once(" (")?;
            Some((name.to_string(), path.to_string()))
        })
        .collect()
}

fn our_listing(cache: &LdSoCache) -> Vec<(String, String)> {
    cache
        .entries()
        .iter()
        .map(|entry| {
            let key = cache.key(entry).expect("valid key");
            let value = cache.value(entry).expect("valid value");
            (
                String::from_utf8_lossy(key).into_owned(),
                String::from_utf8_lossy(value).into_owned(),
            )
        })
        .collect()
}

fn profile_v4() -> LoaderProfile {
    let flags: HashSet<String> = [
        "cx16", "lahf_lm", "popcnt", "pni", "sse4_1", "sse4_2", "ssse3", "avx", "avx2", "bmi1",
        "bmi2", "f16c", "fma", "abm", "movbe", "xsave", "avx512f", "avx512bw", "avx512cd",
        "avx512dq", "avx512vl",
    ]
    .iter()
    .map(|flag| flag.to_string())
    .collect();
    LoaderProfile::from_cpu("GenuineIntel", &flags)
}

#[test]
fn host_cache_matches_ldconfig() {
    let Ok(data) = fs::read("/etc/ld.so.cache") else {
        panic!("/etc/ld.so.cache is missing: run ldconfig");
    };
    let cache = parse_ld_so_cache(&data).expect("parse host cache");
    assert_eq!(our_listing(&cache), ldconfig_listing(&[]));
}

/// Creates a temporary root with libraries in a default folder, a glibc-hwcaps
/// subfolder and a folder named in etc/ld.so.conf.
fn cache_root() -> TempDir {
    let root = tempfile::Builder::new()
        .prefix("binlibdepcp-cache")
        .tempdir()
        .unwrap();
    let lib = root.path().join("usr/lib/x86_64-linux-gnu");
    let hwcaps = lib.join("glibc-hwcaps/x86-64-v3");
    let extra = root.path().join("opt/extra");
    for folder in [&hwcaps, &extra, &root.path().join("etc")] {
        fs::create_dir_all(folder).unwrap();
    }
    let host = Path::new("/lib/x86_64-linux-gnu");
    fs::copy(host.join("libz.so.1"), lib.join("libz.so.1")).unwrap();
    fs::copy(host.join("libc.so.6"), lib.join("libc.so.6")).unwrap();
    fs::copy(host.join("libz.so.1"), hwcaps.join("libz.so.1")).unwrap();
    fs::copy(host.join("libpcre2-8.so.0"), extra.join("libpcre2-8.so.0")).unwrap();
    fs::write(root.path().join("etc/ld.so.conf"), "/opt/extra\n").unwrap();
    root
}

fn build_cache(root: &Path, format: &str) -> LdSoCache {
    let name = format!("/{format}.cache");
    let root_arg = root.display().to_string();
    let status = Command::new("ldconfig")
        .args([
            "-r",
            &root_arg,
            "-X",
            "-c",
            format,
            "-C",
            &name,
            "-f",
            "/etc/ld.so.conf",
        ])
        .status()
        .expect("run ldconfig");
    assert!(status.success(), "ldconfig -c {format} failed");
    let data = fs::read(root.join(&name[1..])).unwrap();
    parse_ld_so_cache(&data).unwrap()
}

#[test]
fn ldconfig_formats_parse() {
    let root = cache_root();
    let root_arg = root.path().display().to_string();
    let expected_formats = [
        ("old", CacheFormat::Old),
        ("new", CacheFormat::New),
        ("compat", CacheFormat::Compat),
    ];
    for (name, format) in expected_formats {
        let cache = build_cache(root.path(), name);
        assert_eq!(cache.format, format, "format of the {name} cache");
        let listed = ldconfig_listing(&["-r", &root_arg, "-C", &format!("/{name}.cache")]);
        assert_eq!(our_listing(&cache), listed, "entries of the {name} cache");
        let extra = cache.lookup(b"libpcre2-8.so.0", &profile_v4());
        assert_eq!(
            extra,
            Some(&b"/opt/extra/libpcre2-8.so.0"[..]),
            "{name} cache"
        );
        assert_eq!(
            cache.lookup(b"libnothere.so.1", &profile_v4()),
            None,
            "{name} cache"
        );
    }
}

#[test]
fn ldconfig_hwcaps_entry_preferred() {
    let root = cache_root();
    let hwcaps_path = &b"/usr/lib/x86_64-linux-gnu/glibc-hwcaps/x86-64-v3/libz.so.1"[..];
    let plain_path = &b"/usr/lib/x86_64-linux-gnu/libz.so.1"[..];
    for name in ["new", "compat"] {
        let cache = build_cache(root.path(), name);
        assert_eq!(
            cache.lookup(b"libz.so.1", &profile_v4()),
            Some(hwcaps_path),
            "{name}"
        );
        let mut v2_only = profile_v4();
        v2_only.glibc_hwcaps = vec!["x86-64-v2".into()];
        assert_eq!(
            cache.lookup(b"libz.so.1", &v2_only),
            Some(plain_path),
            "{name} on a v2 CPU"
        );
    }
}

/// Builds a new-layout cache by hand: entries are (key, value, hwcap) in the
/// given order, which must already be the descending sort ldconfig uses.
fn new_cache(entries: &[(&str, &str, u64)], hwcaps: &[&str]) -> Vec<u8> {
    let header = 48;
    let table = header + entries.len() * 24;
    let mut strings = Vec::new();
    let mut offsets = Vec::new();
    let mut add = |text: &str| {
        let offset = table + strings.len();
        strings.extend_from_slice(text.as_bytes());
        strings.push(0);
        offset as u32
    };
    for (key, value, _) in entries {
        offsets.push((add(key), add(value)));
    }
    let hwcaps_offsets: Vec<u32> = hwcaps.iter().map(|name| add(name)).collect();
    let mut data = b"glibc-ld.so.cache1.1".to_vec();
    data.extend((entries.len() as u32).to_le_bytes());
    data.extend((strings.len() as u32).to_le_bytes());
    data.extend([2, 0, 0, 0]);
    let extension_at = (table + strings.len()).next_multiple_of(4);
    data.extend((extension_at as u32).to_le_bytes());
    data.extend([0; 12]);
    for ((key, value), (_, _, hwcap)) in offsets.iter().zip(entries) {
        data.extend(FLAGS_X86_64_LIBC6.to_le_bytes());
        data.extend(key.to_le_bytes());
        data.extend(value.to_le_bytes());
        data.extend(0u32.to_le_bytes());
        data.extend(hwcap.to_le_bytes());
    }
    data.extend(&strings);
    data.resize(extension_at, 0);
    let section_at = extension_at + 8 + 16;
    data.extend(0xeaa4_2174u32.to_le_bytes());
    data.extend(1u32.to_le_bytes());
    data.extend(1u32.to_le_bytes());
    data.extend(0u32.to_le_bytes());
    data.extend((section_at as u32).to_le_bytes());
    data.extend((hwcaps_offsets.len() as u32 * 4).to_le_bytes());
    for offset in hwcaps_offsets {
        data.extend(offset.to_le_bytes());
    }
    data
}

const EXTENSION: u64 = 1 << 62;
const HASWELL: u64 = 1 << 50;
const XEON_PHI: u64 = 1 << 51;
const TLS: u64 = 1 << 63;

#[test]
fn hand_built_cache_priorities() {
    let entries = [
        ("libz.so.1", "/v2/libz.so.1", EXTENSION),
        ("libz.so.1", "/v4/libz.so.1", EXTENSION | 1),
        ("libz.so.1", "/v3/libz.so.1", EXTENSION | 2),
        ("libz.so.1", "/plain/libz.so.1", 0),
        ("liby.so.1", "/xeon_phi/liby.so.1", XEON_PHI),
        ("liby.so.1", "/haswell/liby.so.1", HASWELL),
        ("liby.so.1", "/plain/liby.so.1", 0),
        ("libx.so.10", "/libx.so.10", 0),
        ("libx.so.9", "/libx.so.9", 0),
    ];
    let data = new_cache(&entries, &["x86-64-v2", "x86-64-v4", "x86-64-v3"]);
    let cache = parse_ld_so_cache(&data).unwrap();
    let profile = profile_v4();
    assert_eq!(
        cache.lookup(b"libz.so.1", &profile),
        Some(&b"/v4/libz.so.1"[..])
    );
    assert_eq!(
        cache.lookup(b"liby.so.1", &profile),
        Some(&b"/haswell/liby.so.1"[..])
    );
    assert_eq!(
        cache.lookup(b"libx.so.9", &profile),
        Some(&b"/libx.so.9"[..])
    );
    assert_eq!(
        cache.lookup(b"libx.so.10", &profile),
        Some(&b"/libx.so.10"[..])
    );

    let amd = LoaderProfile::from_cpu("AuthenticAMD", &HashSet::new());
    assert_eq!(
        cache.lookup(b"libz.so.1", &amd),
        Some(&b"/plain/libz.so.1"[..])
    );
    assert_eq!(
        cache.lookup(b"liby.so.1", &amd),
        Some(&b"/plain/liby.so.1"[..])
    );
}

#[test]
fn glibc_2_37_skips_legacy_entries() {
    let entries = [
        ("liby.so.1", "/haswell/liby.so.1", HASWELL),
        ("liby.so.1", "/tls/liby.so.1", TLS),
        ("liby.so.1", "/plain/liby.so.1", 0),
    ];
    let data = new_cache(&entries, &[]);
    let cache = parse_ld_so_cache(&data).unwrap();
    let mut profile = profile_v4();
    assert_eq!(
        cache.lookup(b"liby.so.1", &profile),
        Some(&b"/haswell/liby.so.1"[..])
    );
    profile.glibc_version = (2, 37);
    profile.legacy_hwcap_bits = 0;
    profile.legacy_hwcap_names.clear();
    assert_eq!(
        cache.lookup(b"liby.so.1", &profile),
        Some(&b"/plain/liby.so.1"[..])
    );
}

#[test]
fn damaged_caches_never_panic() {
    let root = cache_root();
    let mut samples = vec![fs::read("/etc/ld.so.cache").unwrap_or_default()];
    for name in ["old", "new", "compat"] {
        build_cache(root.path(), name);
        samples.push(fs::read(root.path().join(format!("{name}.cache"))).unwrap());
    }
    let profile = profile_v4();
    let mut state: u64 = 0x9e37_79b9_7f4a_7c15;
    for sample in &samples {
        for cut in (0..sample.len().min(400)).chain([sample.len() / 2]) {
            if let Ok(cache) = parse_ld_so_cache(&sample[..cut]) {
                cache.lookup(b"libc.so.6", &profile);
            }
        }
        for _ in 0..300 {
            let mut damaged = sample.clone();
            for _ in 0..8 {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let index = (state as usize) % damaged.len().max(1);
                if let Some(byte) = damaged.get_mut(index) {
                    *byte = (state >> 32) as u8;
                }
            }
            if let Ok(cache) = parse_ld_so_cache(&damaged) {
                cache.lookup(b"libc.so.6", &profile);
                cache.lookup(b"libz.so.1", &profile);
            }
        }
    }
}
