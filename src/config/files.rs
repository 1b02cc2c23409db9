//! Files the tool writes: private (0600, in 0700 directories, whatever the umask)
//! and durable (a replaced file is written beside, synced and renamed over, so a
//! crash leaves the old file or the new one, never half of one). The audit log, the
//! history, the disk cache, exports and logs all go through here.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt, PermissionsExt};
use std::path::Path;

/// Files only their owner reads.
pub const FILE_MODE: u32 = 0o600;
/// Directories only their owner enters.
pub const DIR_MODE: u32 = 0o700;

/// Creates `dir` and any missing parent as 0700. A folder that exists is left as it
/// is: it may be the user's (a configured audit log in their home).
pub fn private_dir(dir: &Path) -> io::Result<()> {
    fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(dir)
}

/// Creates this tool's own folder `dir` (its data, cache, state or history folder)
/// as `private_dir` does, and makes it 0700 if it exists more open (an older
/// version's).
pub fn own_dir(dir: &Path) -> io::Result<()> {
    private_dir(dir)?;
    let mode = fs::metadata(dir)?.permissions().mode() & 0o777;
    if mode & 0o077 != 0 {
        fs::set_permissions(dir, fs::Permissions::from_mode(DIR_MODE))?;
    }
    Ok(())
}

/// Opens `path` to append, created 0600 and made 0600 if an older version left it
/// open (its folder must exist).
pub fn append_private(path: &Path) -> io::Result<File> {
    private(
        OpenOptions::new()
            .create(true)
            .append(true)
            .mode(FILE_MODE)
            .open(path)?,
    )
}

/// Opens `path` to write from its start, creating it 0600 and emptying it.
pub fn create_private(path: &Path) -> io::Result<File> {
    private(
        OpenOptions::new()
            .create(true)
            .write(true)
            .truncate(true)
            .mode(FILE_MODE)
            .open(path)?,
    )
}

/// `file`, made 0600 whatever it was.
fn private(file: File) -> io::Result<File> {
    if file.metadata()?.permissions().mode() & 0o077 != 0 {
        file.set_permissions(fs::Permissions::from_mode(FILE_MODE))?;
    }
    Ok(file)
}

/// Replaces `path` with `bytes`: written 0600 to a temporary file beside it, synced,
/// renamed over it, and the folder synced, so the name always holds a whole file.
pub fn replace(path: &Path, bytes: &[u8]) -> io::Result<()> {
    replace_with(path, |file| file.write_all(bytes))
}

/// The same, the content written by `write` as it is made (a large value need not
/// be held whole in memory first); an error from it leaves the old file as it was.
pub fn replace_with(
    path: &Path,
    write: impl FnOnce(&mut dyn Write) -> io::Result<()>,
) -> io::Result<()> {
    let dir = path.parent().unwrap_or(Path::new("."));
    // Per process: two dashboards never write the same temporary.
    let partial = path.with_extension(format!("partial-{}", std::process::id()));
    let written = (|| {
        let mut file = io::BufWriter::new(create_private(&partial)?);
        write(&mut file)?;
        let file = file.into_inner().map_err(|e| e.into_error())?;
        file.sync_all()?;
        fs::rename(&partial, path)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written?;
    // The rename itself is on disk once the folder is synced.
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn mode(p: &Path) -> u32 {
        fs::metadata(p).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn files_and_folders_are_private_whatever_existed() {
        let root = tempfile::tempdir().unwrap();
        let dir = root.path().join("a/b");
        private_dir(&dir).unwrap();
        assert_eq!((mode(&dir), mode(&root.path().join("a"))), (0o700, 0o700));
        // The user's folder stays as it is; the tool's own is closed.
        fs::set_permissions(&dir, fs::Permissions::from_mode(0o755)).unwrap();
        private_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o755);
        own_dir(&dir).unwrap();
        assert_eq!(mode(&dir), 0o700);
        let log = dir.join("audit.jsonl");
        append_private(&log).unwrap().write_all(b"x\n").unwrap();
        assert_eq!(mode(&log), 0o600);
        // An older version's open log is closed when opened.
        fs::set_permissions(&log, fs::Permissions::from_mode(0o644)).unwrap();
        append_private(&log).unwrap();
        assert_eq!(mode(&log), 0o600);
        let out = dir.join("report.md");
        create_private(&out).unwrap();
        assert_eq!(mode(&out), 0o600);
    }

    #[test]
    fn a_replaced_file_is_whole_private_and_leaves_no_temporary() {
        let root = tempfile::tempdir().unwrap();
        let path = root.path().join("cache.json");
        fs::write(&path, b"old").unwrap();
        fs::set_permissions(&path, fs::Permissions::from_mode(0o644)).unwrap();
        replace(&path, b"new").unwrap();
        assert_eq!(fs::read(&path).unwrap(), b"new");
        assert_eq!(mode(&path), 0o600);
        let names: Vec<_> = fs::read_dir(root.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(names, ["cache.json"]);
        // A folder that is not there: an error, and nothing half-written.
        assert!(replace(&root.path().join("no/such.json"), b"x").is_err());
    }
}
