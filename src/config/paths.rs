//! Where mlopsdash keeps its files, per the platform's conventions (XDG on Linux).

use std::path::PathBuf;

use directories::ProjectDirs;

fn dirs() -> Option<ProjectDirs> {
    ProjectDirs::from("", "", "mlopsdash")
}

/// `~/.config/mlopsdash/config.toml` on Linux.
pub fn default_config_file() -> Option<PathBuf> {
    dirs().map(|d| d.config_dir().join("config.toml"))
}

/// Cached answers that cost money to ask again (Cost Explorer).
pub fn cache_dir() -> Option<PathBuf> {
    dirs().map(|d| d.cache_dir().to_path_buf())
}

/// Log files: the state dir where the platform has one (Linux), else the cache dir.
pub fn log_dir() -> Option<PathBuf> {
    let d = dirs()?;
    Some(
        d.state_dir()
            .map(|p| p.to_path_buf())
            .unwrap_or_else(|| d.cache_dir().to_path_buf()),
    )
}

/// Files that must outlive the session: the audit log.
pub fn data_dir() -> Option<PathBuf> {
    dirs().map(|d| d.data_dir().to_path_buf())
}
