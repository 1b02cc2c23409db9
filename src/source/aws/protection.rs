//! Which endpoints and services actions must guard more closely: config says so,
//! or a tag such as env=prod.

use crate::config::ModelMapping;

/// Why the endpoint (or ECS service) is protected, if it is: config says so, or it has a protected tag.
/// Tags that could not be read count as protected: a stray key must not slip through.
pub fn protection(
    mapping: Option<&ModelMapping>,
    tags: &Result<Vec<(String, String)>, String>,
    protected: &[String],
) -> Option<String> {
    if mapping.is_some_and(|m| m.protected) {
        return Some("protected in config".into());
    }
    if protected.is_empty() {
        return None;
    }
    match tags {
        Ok(tags) => tags
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .find(|t| protected.contains(t))
            .map(|t| format!("tagged {t}")),
        Err(why) => Some(format!("its tags could not be read ({why})")),
    }
}
