//! Parses `/etc/ld.so.cache` and looks names up in it as glibc 2.36's loader
//! does (elf/dl-cache.c `_dl_load_cache_lookup` and `search_cache`).
//!
//! Three layouts exist, all written by `ldconfig -c old|new|compat`:
//!
//! - old: magic `ld.so-1.7.0`, `nlibs`, then 12-byte entries
//!   (`flags`, `key`, `value`); string offsets count from the end of the
//!   entry array.
//! - new: magic `glibc-ld.so.cache1.1`, a 48-byte header, 24-byte entries
//!   that add `osversion` and `hwcap`; string offsets count from the header.
//!   An optional extension directory (offset from the start of the file)
//!   names the glibc-hwcaps subfolders that `hwcap` values index.
//! - compat: an old cache followed, at the next 8-byte boundary, by a new one.
//!   The loader uses the new part when its magic and byte order check out.
//!
//! Values are in host byte order; only little-endian caches are read. The
//! parser copies no strings (entries store offsets into the owned bytes), so
//! memory stays linear in the input size whatever the offsets say.

use crate::profile::LoaderProfile;
use std::fmt;

const OLD_MAGIC: &[u8] = b"ld.so-1.7.0";
const NEW_MAGIC: &[u8] = b"glibc-ld.so.cache1.1";
const OLD_HEADER_SIZE: usize = 16;
const OLD_ENTRY_SIZE: usize = 12;
const NEW_HEADER_SIZE: usize = 48;
const NEW_ENTRY_SIZE: usize = 24;
const EXTENSION_MAGIC: u32 = 0xeaa4_2174;
const EXTENSION_TAG_GLIBC_HWCAPS: u32 = 1;

/// `flags` of a 64-bit x86_64 glibc library: `FLAG_ELF_LIBC6 |
/// FLAG_X8664_LIB64`, the only value sysdeps/unix/sysv/linux/x86_64/dl-cache.h
/// accepts.
pub const FLAGS_X86_64_LIBC6: i32 = 0x0303;

/// Bit 62 of `hwcap` marks an entry from a glibc-hwcaps subfolder; its lower
/// 32 bits then index the glibc-hwcaps extension section (elf/dl-cache.h).
const HWCAP_EXTENSION: u64 = 1 << 62;

/// The low 10 bits of the upper word may hold an x86 ISA level next to the
/// extension bit (elf/dl-cache.h `DL_CACHE_HWCAP_ISA_LEVEL_MASK`).
const HWCAP_ISA_LEVEL_MASK: u64 = 0x3ff;

/// Bit 63 of a legacy `hwcap` stands for the `tls` subfolder.
const HWCAP_TLS: u64 = 1 << 63;

/// Layout of the file, one of three.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CacheFormat {
    /// `ld.so-1.7.0` only.
    Old,
    /// `glibc-ld.so.cache1.1` only.
    New,
    /// Old part followed by a new part.
    Compat,
}

/// One cache entry as stored; strings are offsets into the string table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheEntry {
    /// Library kind and ABI, `FLAGS_X86_64_LIBC6` for x86_64 glibc libraries.
    pub flags: i32,
    key: u32,
    value: u32,
    /// Minimum kernel version from the library's ABI note (new layout only).
    pub osversion: u32,
    /// Legacy hwcap bits, or an index into the glibc-hwcaps names (new only).
    pub hwcap: u64,
}

/// A parsed cache: the entries the loader would use and their strings.
#[derive(Debug, Clone)]
pub struct LdSoCache {
    /// The layout of the file.
    pub format: CacheFormat,
    data: Vec<u8>,
    /// Offset of the string table base inside `data`.
    strings_base: usize,
    entries: Vec<CacheEntry>,
    /// True when entries carry `osversion` and `hwcap` (new layout).
    has_hwcap: bool,
    /// String offsets of the glibc-hwcaps subfolder names, by index.
    hwcaps_names: Vec<u32>,
}

/// A reason why the bytes are not a cache the loader would use.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CacheError(pub String);

impl fmt::Display for CacheError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for CacheError {}

/// Parses the bytes of an ld.so.cache file in any of the three layouts.
///
/// Returns an error where the loader would ignore the whole cache: unknown
/// magic, an entry array longer than the file, a new part in the wrong byte
/// order. Entries whose strings point outside the file are kept, because the
/// loader only notices them when a lookup reaches them.
pub fn parse_ld_so_cache(data: &[u8]) -> Result<LdSoCache, CacheError> {
    if data.starts_with(OLD_MAGIC) {
        parse_old_or_compat(data)
    } else if data.starts_with(NEW_MAGIC) {
        parse_new(data, 0, CacheFormat::New)
    } else {
        Err(CacheError("unknown ld.so.cache magic".into()))
    }
}

fn read_u32(data: &[u8], offset: usize) -> Option<u32> {
    let bytes = data.get(offset..offset.checked_add(4)?)?;
    Some(u32::from_le_bytes(bytes.try_into().ok()?))
}

fn read_u64(data: &[u8], offset: usize) -> Option<u64> {
    let bytes = data.get(offset..offset.checked_add(8)?)?;
    Some(u64::from_le_bytes(bytes.try_into().ok()?))
}

/// Returns `count * size` when that many entries fit in `data` after `start`.
fn table_end(data: &[u8], start: usize, count: u32, size: usize) -> Option<usize> {
    let length = usize::try_from(count).ok()?.checked_mul(size)?;
    let end = start.checked_add(length)?;
    (end <= data.len()).then_some(end)
}

fn parse_old_or_compat(data: &[u8]) -> Result<LdSoCache, CacheError> {
    let count = read_u32(data, OLD_MAGIC.len() + 1)
        .ok_or_else(|| CacheError("old cache header is truncated".into()))?;
    let end = table_end(data, OLD_HEADER_SIZE, count, OLD_ENTRY_SIZE)
        .ok_or_else(|| CacheError(format!("old cache claims {count} entries, more than fit")))?;
    // The new part starts at the next multiple of 8, the alignment of
    // `struct cache_file_new` (ALIGN_CACHE in elf/dl-cache.c).
    let new_start = end.next_multiple_of(8);
    let new_part = data.get(new_start..).unwrap_or_default();
    if new_part.len() >= NEW_HEADER_SIZE && new_part.starts_with(NEW_MAGIC) {
        if let Ok(cache) = parse_new(data, new_start, CacheFormat::Compat) {
            return Ok(cache);
        }
    }
    let entries = (0..count as usize)
        .map(|i| old_entry(data, OLD_HEADER_SIZE + i * OLD_ENTRY_SIZE))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| CacheError("old cache entry is truncated".into()))?;
    Ok(LdSoCache {
        format: CacheFormat::Old,
        data: data.to_vec(),
        strings_base: end,
        entries,
        has_hwcap: false,
        hwcaps_names: Vec::new(),
    })
}

fn old_entry(data: &[u8], at: usize) -> Option<CacheEntry> {
    Some(CacheEntry {
        flags: read_u32(data, at)? as i32,
        key: read_u32(data, at + 4)?,
        value: read_u32(data, at + 8)?,
        osversion: 0,
        hwcap: 0,
    })
}

fn new_entry(data: &[u8], at: usize) -> Option<CacheEntry> {
    Some(CacheEntry {
        flags: read_u32(data, at)? as i32,
        key: read_u32(data, at + 4)?,
        value: read_u32(data, at + 8)?,
        osversion: read_u32(data, at + 12)?,
        hwcap: read_u64(data, at + 16)?,
    })
}

/// Parses a new-layout cache whose header starts at `start`.
fn parse_new(data: &[u8], start: usize, format: CacheFormat) -> Result<LdSoCache, CacheError> {
    let header = data.get(start..).unwrap_or_default();
    if header.len() < NEW_HEADER_SIZE {
        return Err(CacheError("new cache header is truncated".into()));
    }
    let count = read_u32(header, 20).unwrap_or_default();
    check_byte_order(header[28])?;
    let entries_start = start + NEW_HEADER_SIZE;
    table_end(data, entries_start, count, NEW_ENTRY_SIZE)
        .ok_or_else(|| CacheError(format!("new cache claims {count} entries, more than fit")))?;
    let entries = (0..count as usize)
        .map(|i| new_entry(data, entries_start + i * NEW_ENTRY_SIZE))
        .collect::<Option<Vec<_>>>()
        .ok_or_else(|| CacheError("new cache entry is truncated".into()))?;
    let extension_offset = read_u32(header, 32).unwrap_or_default();
    let hwcaps_names = read_hwcaps_section(data, extension_offset)?;
    Ok(LdSoCache {
        format,
        data: data.to_vec(),
        strings_base: start,
        entries,
        has_hwcap: true,
        hwcaps_names,
    })
}

/// Checks the byte-order flag that glibc 2.33 added to the new header
/// (`cache_file_new_matches_endian`): 0 is "unset" and accepted.
fn check_byte_order(flags: u8) -> Result<(), CacheError> {
    match flags & 3 {
        0 | 2 => Ok(()),
        3 => Err(CacheError(
            "cache is big-endian, this host is little-endian".into(),
        )),
        _ => Err(CacheError("cache byte order flag is invalid".into())),
    }
}

/// Reads the glibc-hwcaps section of the extension directory, following the
/// checks of elf/dl-cache.h `cache_extension_load`: a malformed directory
/// makes the loader drop the whole cache.
fn read_hwcaps_section(data: &[u8], extension_offset: u32) -> Result<Vec<u32>, CacheError> {
    if extension_offset == 0 {
        return Ok(Vec::new());
    }
    let bad = |what: &str| CacheError(format!("cache extension directory {what}"));
    if extension_offset % 4 != 0 {
        return Err(bad("is misaligned"));
    }
    let at = extension_offset as usize;
    let magic = read_u32(data, at).ok_or_else(|| bad("is outside the file"))?;
    let count = read_u32(data, at + 4).ok_or_else(|| bad("is outside the file"))?;
    if magic != EXTENSION_MAGIC {
        return Err(bad("has a wrong magic number"));
    }
    table_end(data, at + 8, count, 16).ok_or_else(|| bad("lists more sections than fit"))?;
    let mut names = Vec::new();
    for i in 0..count as usize {
        let section = at + 8 + i * 16;
        let tag = read_u32(data, section).unwrap_or_default();
        let offset = read_u32(data, section + 8).unwrap_or_default();
        let size = read_u32(data, section + 12).unwrap_or_default();
        let end = u64::from(offset) + u64::from(size);
        if end > data.len() as u64 {
            return Err(bad("has a section outside the file"));
        }
        if tag == EXTENSION_TAG_GLIBC_HWCAPS {
            names = (0..size as usize / 4)
                .filter_map(|j| read_u32(data, offset as usize + j * 4))
                .collect();
        }
    }
    Ok(names)
}

impl LdSoCache {
    /// Returns the entries the loader searches, in file order.
    pub fn entries(&self) -> &[CacheEntry] {
        &self.entries
    }

    /// Returns the NUL-terminated string at `offset` in the string table, or
    /// `None` when the offset is outside the file (`_dl_cache_verify_ptr`).
    pub fn string(&self, offset: u32) -> Option<&[u8]> {
        let start = self.strings_base.checked_add(offset as usize)?;
        let tail = self.data.get(start..)?;
        let end = tail.iter().position(|&b| b == 0)?;
        Some(&tail[..end])
    }

    /// Returns the soname an entry is filed under.
    pub fn key(&self, entry: &CacheEntry) -> Option<&[u8]> {
        self.string(entry.key)
    }

    /// Returns the path an entry points to.
    pub fn value(&self, entry: &CacheEntry) -> Option<&[u8]> {
        self.string(entry.value)
    }

    /// Returns the glibc-hwcaps subfolder name of an extension entry.
    pub fn hwcaps_name(&self, entry: &CacheEntry) -> Option<&[u8]> {
        if !self.has_hwcap || !is_hwcaps_entry(entry.hwcap) {
            return None;
        }
        let index = (entry.hwcap & 0xffff_ffff) as usize;
        self.string(*self.hwcaps_names.get(index)?)
    }

    /// Looks `name` up as glibc 2.36 `search_cache` does and returns the path.
    ///
    /// Entries are sorted in descending `_dl_cache_libcmp` order, so a binary
    /// search finds one entry with the name, then the scan goes back to the
    /// first one and forward over all of them. glibc-hwcaps entries come
    /// first and the best-priority usable one wins; otherwise the first
    /// entry with matching flags and legacy hwcap bits wins.
    pub fn lookup(&self, name: &[u8], profile: &LoaderProfile) -> Option<&[u8]> {
        let mut left: i64 = 0;
        let mut right: i64 = self.entries.len() as i64 - 1;
        while left <= right {
            let middle = (left + right) / 2;
            let key = self.key(&self.entries[middle as usize])?;
            let order = compare_library_names(name, key);
            if order == 0 {
                let first = self.first_with_key(name, middle as usize);
                return self.pick_among(name, first, profile);
            }
            if order < 0 {
                left = middle + 1;
            } else {
                right = middle - 1;
            }
        }
        None
    }

    fn first_with_key(&self, name: &[u8], mut index: usize) -> usize {
        while index > 0 {
            match self.key(&self.entries[index - 1]) {
                Some(key) if compare_library_names(name, key) == 0 => index -= 1,
                _ => break,
            }
        }
        index
    }

    fn pick_among(&self, name: &[u8], first: usize, profile: &LoaderProfile) -> Option<&[u8]> {
        let mut best: Option<&[u8]> = None;
        let mut best_priority = 0;
        for entry in &self.entries[first..] {
            match self.key(entry) {
                Some(key) if compare_library_names(name, key) == 0 => {}
                _ => break,
            }
            if entry.flags != FLAGS_X86_64_LIBC6 {
                continue;
            }
            let Some(value) = self.value(entry) else {
                continue;
            };
            if !self.has_hwcap {
                // Old entries have no hwcap: the first matching one wins.
                return Some(value);
            }
            let named = is_hwcaps_entry(entry.hwcap);
            if !named && best.is_some() {
                return best;
            }
            if named {
                let priority = self.hwcaps_priority(entry, profile);
                if priority == 0 || (best.is_some() && priority >= best_priority) {
                    continue;
                }
                best_priority = priority;
                best = Some(value);
                continue;
            }
            // NOTE: `osversion` is not compared with the running kernel: the
            // ABI notes ldconfig records (3.2.0 for libc) are older than any
            // kernel that runs these programs.
            if !legacy_hwcap_usable(entry.hwcap, profile) {
                continue;
            }
            return Some(value);
        }
        best
    }

    /// Returns the rank of an extension entry's subfolder among the usable
    /// glibc-hwcaps subfolders (1 is best), or 0 when it is not usable.
    ///
    /// NOTE: the ISA level check follows glibc 2.33's dl-cache.h from memory
    /// and was only run with level 0, the value ldconfig 2.36 writes.
    fn hwcaps_priority(&self, entry: &CacheEntry, profile: &LoaderProfile) -> usize {
        let level = ((entry.hwcap >> 32) & HWCAP_ISA_LEVEL_MASK) as usize;
        if level > profile.isa_level() {
            return 0;
        }
        let Some(name) = self.hwcaps_name(entry) else {
            return 0;
        };
        profile
            .glibc_hwcaps
            .iter()
            .position(|subdir| subdir.as_bytes() == name)
            .map_or(0, |index| index + 1)
    }
}

fn is_hwcaps_entry(hwcap: u64) -> bool {
    (hwcap >> 32) & !HWCAP_ISA_LEVEL_MASK == HWCAP_EXTENSION >> 32
}

/// Applies the legacy checks of `search_cache`: no hwcap bit outside the
/// CPU's important bits, the platform bits and `tls`, and a platform bit, if
/// any, equal to the host's. From glibc 2.37 on, `search_cache` skips every
/// entry with legacy bits.
fn legacy_hwcap_usable(hwcap: u64, profile: &LoaderProfile) -> bool {
    if !profile.searches_legacy_subdirs() {
        return hwcap == 0;
    }
    let platform_mask = profile.platform_mask();
    let allowed = profile.legacy_hwcap_bits | platform_mask | HWCAP_TLS;
    if hwcap & !allowed != 0 {
        return false;
    }
    let platform_bits = hwcap & platform_mask;
    platform_bits == 0 || Some(platform_bits) == profile.platform_bit()
}

/// Compares library names like glibc's `_dl_cache_libcmp`: runs of digits
/// compare as numbers, a digit sorts after any other byte. Returns <0, 0, >0.
pub fn compare_library_names(left: &[u8], right: &[u8]) -> i64 {
    let (mut i, mut j) = (0, 0);
    while i < left.len() {
        let a = left[i];
        let b = right.get(j).copied().unwrap_or(0);
        if a.is_ascii_digit() {
            if !b.is_ascii_digit() {
                return 1;
            }
            let (number_a, next_i) = read_number(left, i);
            let (number_b, next_j) = read_number(right, j);
            if number_a != number_b {
                return if number_a < number_b { -1 } else { 1 };
            }
            (i, j) = (next_i, next_j);
        } else if b.is_ascii_digit() {
            return -1;
        } else if a != b {
            return i64::from(a) - i64::from(b);
        } else {
            i += 1;
            j += 1;
        }
    }
    -i64::from(right.get(j).copied().unwrap_or(0))
}

/// Reads a run of decimal digits. glibc accumulates into an `int`, so the
/// value wraps the same way to keep the sort order identical.
fn read_number(text: &[u8], mut index: usize) -> (i32, usize) {
    let mut value: i32 = 0;
    while let Some(&digit) = text.get(index).filter(|d| d.is_ascii_digit()) {
        value = value.wrapping_mul(10).wrapping_add(i32::from(digit - b'0'));
        index += 1;
    }
    (value, index)
}
