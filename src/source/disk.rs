//! JSON files one session leaves for the next (caches). Read size-bounded and
//! defensively; written private (0600) to a temporary file, synced and renamed, so a
//! reader never sees half a file. A cache only saves requests: one that cannot be
//! read or written is a log line, never an error the user has to deal with.

use std::io::Write;
use std::path::{Path, PathBuf};

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::config::files;

#[derive(Debug, Clone)]
pub struct JsonFile {
    path: PathBuf,
    max_bytes: u64,
    /// The shape's version, written beside the value: a file of another version
    /// is ignored, never misread.
    format: Option<u32>,
}

/// A value with the version of its shape.
#[derive(Serialize, Deserialize)]
struct Versioned<T> {
    format: u32,
    value: T,
}

/// Only the version, read before the value.
#[derive(Deserialize)]
struct Format {
    format: u32,
}

impl JsonFile {
    pub fn new(path: PathBuf, max_bytes: u64) -> JsonFile {
        JsonFile {
            path,
            max_bytes,
            format: None,
        }
    }

    /// Writes `format` beside the value and reads back only that version.
    pub fn versioned(mut self, format: u32) -> JsonFile {
        self.format = Some(format);
        self
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The value last saved, or None (never saved, too large, corrupt, another
    /// version's shape), with a log line for the last three.
    pub fn load<T: DeserializeOwned>(&self) -> Option<T> {
        let size = std::fs::metadata(&self.path).ok()?.len();
        if size > self.max_bytes {
            tracing::warn!(
                "cache {} ignored: {size} bytes, more than {}",
                self.path.display(),
                self.max_bytes
            );
            return None;
        }
        match std::fs::read(&self.path)
            .map_err(|e| e.to_string())
            .and_then(|bytes| self.parse(&bytes))
        {
            Ok(value) => Some(value),
            Err(why) => {
                tracing::warn!("cache {} ignored: {why}", self.path.display());
                None
            }
        }
    }

    fn parse<T: DeserializeOwned>(&self, bytes: &[u8]) -> Result<T, String> {
        let Some(format) = self.format else {
            return serde_json::from_slice(bytes).map_err(|e| e.to_string());
        };
        let found = serde_json::from_slice::<Format>(bytes).map_err(|e| e.to_string())?;
        if found.format != format {
            return Err(format!("format {}, not {format}", found.format));
        }
        let versioned: Versioned<T> = serde_json::from_slice(bytes).map_err(|e| e.to_string())?;
        Ok(versioned.value)
    }

    /// Replaces the file with `value`; one larger than the bound is not written.
    pub fn save<T: Serialize>(&self, value: &T) {
        if let Err(why) = self.try_save(value) {
            tracing::warn!("cache {} not written: {why}", self.path.display());
        }
    }

    /// Written as it is serialized: a thousand models' facts are megabytes, and a
    /// buffer that size each minute is memory the allocator keeps.
    fn try_save<T: Serialize>(&self, value: &T) -> Result<(), String> {
        if let Some(dir) = self.path.parent() {
            files::own_dir(dir).map_err(|e| e.to_string())?;
        }
        let max = self.max_bytes;
        files::replace_with(&self.path, |file| {
            let mut bounded = Bounded { file, left: max };
            match self.format {
                Some(format) => serde_json::to_writer(&mut bounded, &Versioned { format, value }),
                None => serde_json::to_writer(&mut bounded, value),
            }
            .map_err(std::io::Error::other)
        })
        .map_err(|e| e.to_string())
    }
}

/// A writer that refuses to go past a size: what is too large is not written.
struct Bounded<'a> {
    file: &'a mut dyn Write,
    left: u64,
}

impl Write for Bounded<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let len = buf.len() as u64;
        if len > self.left {
            return Err(std::io::Error::other("more than the file's bound"));
        }
        self.left -= len;
        self.file.write_all(buf)?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_saved_value_comes_back_and_a_bad_file_is_ignored() {
        let dir = tempfile::tempdir().unwrap();
        let file = JsonFile::new(dir.path().join("a/b/c.json"), 64);
        assert_eq!(file.load::<Vec<u32>>(), None, "never saved");
        file.save(&vec![1u32, 2, 3]);
        assert_eq!(file.load::<Vec<u32>>(), Some(vec![1, 2, 3]));
        std::fs::write(file.path(), b"[1, 2, {").unwrap();
        assert_eq!(file.load::<Vec<u32>>(), None, "corrupt");
        std::fs::write(file.path(), b"{\"other\": \"shape\"}").unwrap();
        assert_eq!(file.load::<Vec<u32>>(), None, "another version's shape");
        std::fs::write(file.path(), vec![b' '; 65]).unwrap();
        assert_eq!(file.load::<Vec<u32>>(), None, "larger than the bound");
        file.save(&vec![7u32; 100]);
        assert_eq!(
            std::fs::read(file.path()).unwrap().len(),
            65,
            "too large to save: the old file stays"
        );
        let v1 = JsonFile::new(dir.path().join("v.json"), 64).versioned(1);
        v1.save(&vec![4u32]);
        assert_eq!(v1.load::<Vec<u32>>(), Some(vec![4]));
        let v2 = JsonFile::new(dir.path().join("v.json"), 64).versioned(2);
        assert_eq!(v2.load::<Vec<u32>>(), None, "another version");
        let leftovers: Vec<_> = std::fs::read_dir(dir.path().join("a/b"))
            .unwrap()
            .filter_map(Result::ok)
            .filter(|e| e.file_name() != "c.json")
            .collect();
        assert!(leftovers.is_empty(), "no temporary left behind");
    }
}
