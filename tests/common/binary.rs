//! The mlopsdash binary as tests and benches run it against the local servers: test
//! credentials, no instance metadata, nothing of the machine's own AWS profile or
//! MLflow server.

use std::path::Path;
use std::process::Command;

/// `mlopsdash` with `home` as HOME, CloudWatch at `cloudwatch` and CloudTrail at
/// `cloudtrail` (ministack, or a proxy in front of it); the caller adds the rest.
pub fn aws_binary(home: &Path, cloudwatch: &str, cloudtrail: &str) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_mlopsdash"));
    c.env("AWS_ENDPOINT_URL_CLOUDWATCH", cloudwatch)
        .env("AWS_ENDPOINT_URL_CLOUDTRAIL", cloudtrail)
        .env("HOME", home)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .env_remove("MLFLOW_TRACKING_URI");
    c
}
