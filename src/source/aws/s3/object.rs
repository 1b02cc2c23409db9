//! What every S3 reader here shares: a client counted like every other and
//! addressed path-style, and an object's body read with a bound (untrusted size).

use aws_sdk_s3::operation::get_object::GetObjectOutput;
use aws_sdk_s3::Client;

use crate::aws::ApiCalls;

/// An S3 client on `sdk` whose requests `calls` counts, in `region` when given
/// (a bucket in another region than the fleet).
pub fn client(sdk: &aws_config::SdkConfig, calls: &ApiCalls, region: Option<String>) -> Client {
    let mut config = aws_sdk_s3::config::Builder::from(sdk)
        .interceptor(calls.clone())
        // Emulators and VPC endpoints answer on one host, not bucket subdomains.
        .force_path_style(true);
    if let Some(region) = region {
        config = config.region(aws_config::Region::new(region));
    }
    Client::from_conf(config.build())
}

/// An object's body, refused past `max` bytes by its declared length before
/// reading and while reading; `too_large(bytes)` says why.
pub async fn read_bounded(
    out: GetObjectOutput,
    max: u64,
    too_large: impl Fn(u64) -> String,
) -> Result<Vec<u8>, String> {
    let declared = out.content_length().and_then(|n| u64::try_from(n).ok());
    if let Some(n) = declared.filter(|n| *n > max) {
        return Err(too_large(n));
    }
    let mut body = out.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("reading failed: {e}"))?;
        bytes.extend_from_slice(&chunk);
        if bytes.len() as u64 > max {
            return Err(too_large(bytes.len() as u64));
        }
    }
    Ok(bytes)
}

/// At most the first `max` bytes of an object's body (the rest is never read), and
/// whether there was more: a ranged GET may be ignored, a listed size may be old.
pub async fn read_prefix(out: GetObjectOutput, max: u64) -> Result<(Vec<u8>, bool), String> {
    let max = usize::try_from(max).unwrap_or(usize::MAX);
    let mut body = out.body;
    let mut bytes = Vec::new();
    while let Some(chunk) = body.next().await {
        let chunk = chunk.map_err(|e| format!("reading failed: {e}"))?;
        let room = max.saturating_sub(bytes.len());
        if chunk.len() > room {
            bytes.extend_from_slice(chunk.get(..room).unwrap_or_default());
            return Ok((bytes, true));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok((bytes, false))
}
