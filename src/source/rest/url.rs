//! A REST server's URL as config gives it: credentials taken out of it before it is
//! shown, and a warning where they would cross the network in clear text.

/// `url` without its user-info, and the user and password it carried (decoded).
/// The URL is then safe to show; the credentials become the request's Basic auth.
pub fn without_user_info(url: &str) -> (String, Option<(String, String)>) {
    let Ok(mut parsed) = reqwest::Url::parse(url) else {
        return (crate::model::secret::redact_urls(url), None);
    };
    if parsed.username().is_empty() && parsed.password().is_none() {
        return (url.to_string(), None);
    }
    let user = percent_decode(parsed.username());
    let password = parsed.password().map(percent_decode).unwrap_or_default();
    let _ = parsed.set_username("");
    let _ = parsed.set_password(None);
    let stripped = parsed.as_str().trim_end_matches('/').to_string();
    (stripped, Some((user, password)))
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while let Some(&b) = bytes.get(i) {
        let hex = bytes
            .get(i + 1..i + 3)
            .and_then(|h| std::str::from_utf8(h).ok())
            .and_then(|h| u8::from_str_radix(h, 16).ok());
        match (b, hex) {
            (b'%', Some(v)) => {
                out.push(v);
                i += 3;
            }
            _ => {
                out.push(b);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// The one-line warning for credentials that would cross the network in clear text:
/// a plain `http://` URL to a host other than this machine, with credentials.
pub fn plain_http_warning(service: &str, url: &str, credentials: bool) -> Option<String> {
    let parsed = reqwest::Url::parse(url).ok()?;
    let carries = credentials || !parsed.username().is_empty() || parsed.password().is_some();
    let host = parsed.host_str()?;
    let ip = host.trim_start_matches('[').trim_end_matches(']');
    let loopback = host == "localhost"
        || ip
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    (parsed.scheme() == "http" && carries && !loopback).then(|| {
        format!(
            "warning: {service} credentials go to {} over plain http, readable on the network; use https",
            parsed.host_str().unwrap_or_default()
        )
    })
}
