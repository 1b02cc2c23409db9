//! `[[accounts]]` and `[aws] regions`: which accounts and regions one dashboard
//! watches. Each account × region is a scope with its own sources and actions.

use serde::Deserialize;
use toml::Spanned;

/// At most this many accounts, regions per account, and scopes in all: each scope
/// runs every source, so the bound is also the bill's.
const MAX_ACCOUNTS: usize = 16;
const MAX_REGIONS: usize = 8;
const MAX_SCOPES: usize = 32;

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AccountConfig {
    /// What the header and rows call it, e.g. "prod".
    pub label: Spanned<String>,
    /// A profile from ~/.aws/config (SSO profiles included); else the base credentials.
    #[serde(default)]
    pub profile: Option<String>,
    /// A role to assume from the profile's (or the base) credentials.
    #[serde(default)]
    pub role_arn: Option<Spanned<String>>,
    #[serde(default)]
    pub external_id: Option<String>,
    /// Its regions; else `--region` / `[aws] regions` / the profile's region.
    #[serde(default)]
    pub regions: Vec<Spanned<String>>,
    /// The label's colour, e.g. "red" (any colour a theme may use).
    #[serde(default)]
    pub colour: Option<Spanned<String>>,
    /// Every action in the account needs the resource's name typed.
    #[serde(default)]
    pub protected: bool,
}

/// One account in one region, resolved from config and the command line.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ScopeSpec {
    pub label: Option<String>,
    pub profile: Option<String>,
    pub role_arn: Option<String>,
    pub external_id: Option<String>,
    /// None: the profile's or the environment's region.
    pub region: Option<String>,
    pub colour: Option<String>,
    pub protected: bool,
}

/// A problem and where in the file it is.
type Located = (std::ops::Range<usize>, String);

/// Checks every account; the first problem with where it is.
pub fn check(accounts: &[AccountConfig], regions: &[Spanned<String>]) -> Result<(), Located> {
    if let Some(a) = accounts.get(MAX_ACCOUNTS) {
        return Err((a.label.span(), format!("at most {MAX_ACCOUNTS} accounts")));
    }
    for r in regions {
        check_region(r)?;
    }
    let mut seen = std::collections::BTreeSet::new();
    let mut scopes = 0;
    for a in accounts {
        let label = a.label.get_ref();
        let fine = !label.is_empty()
            && label.len() <= 20
            && label
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
        if !fine {
            return Err((
                a.label.span(),
                format!("label {label:?}: 1-20 letters, digits, - or _"),
            ));
        }
        if !seen.insert(label.clone()) {
            return Err((a.label.span(), format!("label {label:?} is used twice")));
        }
        if let Some(arn) = &a.role_arn {
            if !is_role_arn(arn.get_ref()) {
                return Err((
                    arn.span(),
                    format!(
                        "role_arn {:?} is not a role ARN like arn:aws:iam::123456789012:role/name",
                        arn.get_ref()
                    ),
                ));
            }
        }
        if let Some(c) = &a.colour {
            if c.get_ref().parse::<ratatui::style::Color>().is_err() {
                return Err((
                    c.span(),
                    format!("colour {:?} is not a colour", c.get_ref()),
                ));
            }
        }
        if let Some(r) = a.regions.get(MAX_REGIONS) {
            return Err((
                r.span(),
                format!("at most {MAX_REGIONS} regions per account"),
            ));
        }
        for r in &a.regions {
            check_region(r)?;
        }
        scopes += a.regions.len().max(regions.len()).max(1);
        if scopes > MAX_SCOPES {
            return Err((
                a.label.span(),
                format!("at most {MAX_SCOPES} accounts × regions in all"),
            ));
        }
    }
    Ok(())
}

fn check_region(r: &Spanned<String>) -> Result<(), Located> {
    match is_region(r.get_ref()) {
        true => Ok(()),
        false => Err((
            r.span(),
            format!("{:?} is not a region like us-east-1", r.get_ref()),
        )),
    }
}

/// "us-east-1", "ap-southeast-2", "us-gov-west-1", "eu-central-2".
pub fn is_region(r: &str) -> bool {
    let parts: Vec<&str> = r.split('-').collect();
    parts.len() >= 3
        && parts.iter().all(|p| !p.is_empty())
        && parts
            .first()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        && parts
            .last()
            .is_some_and(|p| p.chars().all(|c| c.is_ascii_digit()))
        && parts.get(1..parts.len() - 1).is_some_and(|middle| {
            middle
                .iter()
                .all(|p| p.chars().all(|c| c.is_ascii_lowercase()))
        })
}

fn is_role_arn(arn: &str) -> bool {
    let parts: Vec<&str> = arn.splitn(6, ':').collect();
    matches!(parts.as_slice(), ["arn", partition, "iam", "", account, resource]
        if partition.starts_with("aws")
            && account.len() == 12
            && account.chars().all(|c| c.is_ascii_digit())
            && resource.strip_prefix("role/").is_some_and(|n| !n.is_empty()))
}

/// Every scope, accounts in config order, each in its regions: `--region` (a list)
/// first, then the account's own, then `[aws] regions`; without `[[accounts]]` one
/// account, the base credentials (`--profile`).
pub fn scopes(
    accounts: &[AccountConfig],
    config_regions: &[Spanned<String>],
    cli_regions: &[String],
    cli_profile: Option<&str>,
) -> Vec<ScopeSpec> {
    let mut base: Vec<String> = match cli_regions.is_empty() {
        false => cli_regions.to_vec(),
        true => config_regions.iter().map(|r| r.get_ref().clone()).collect(),
    };
    // `--region a,a` or a region listed twice is watched once.
    let mut seen = std::collections::BTreeSet::new();
    base.retain(|r| seen.insert(r.clone()));
    let regions_of = |own: &[Spanned<String>]| -> Vec<Option<String>> {
        let own: Vec<String> = own.iter().map(|r| r.get_ref().clone()).collect();
        let chosen = match (cli_regions.is_empty(), own.is_empty()) {
            (true, false) => own,
            _ => base.clone(),
        };
        match chosen.is_empty() {
            true => vec![None],
            false => chosen.into_iter().map(Some).collect(),
        }
    };
    if accounts.is_empty() {
        return regions_of(&[])
            .into_iter()
            .map(|region| ScopeSpec {
                profile: cli_profile.map(str::to_string),
                region,
                ..ScopeSpec::default()
            })
            .collect();
    }
    accounts
        .iter()
        .flat_map(|a| {
            regions_of(&a.regions).into_iter().map(|region| ScopeSpec {
                label: Some(a.label.get_ref().clone()),
                profile: a.profile.clone().or(cli_profile.map(str::to_string)),
                role_arn: a.role_arn.as_ref().map(|r| r.get_ref().clone()),
                external_id: a.external_id.clone(),
                region,
                colour: a.colour.as_ref().map(|c| c.get_ref().clone()),
                protected: a.protected,
            })
        })
        .collect()
}

/// A viewer's scopes are the collector's accounts and regions where the viewer's
/// own config names the same account: its label in `[[accounts]]` (its profile or
/// role), or, for a collector of one unlabelled account, the viewer's own base
/// credentials; always the collector's region, so an action never lands in another
/// region than its model's. An account the viewer's config does not name gets no
/// credentials at all: a state cannot pick which of the viewer's accounts acts.
pub fn viewer_scopes(
    collected: &[crate::model::scope::Scope],
    mine: &[ScopeSpec],
    cli_profile: Option<&str>,
) -> Vec<ScopeSpec> {
    collected
        .iter()
        .filter_map(|theirs| {
            let own = mine.iter().find(|m| m.label == theirs.label)?;
            Some(ScopeSpec {
                label: theirs.label.clone(),
                profile: own.profile.clone().or(cli_profile.map(str::to_string)),
                region: Some(theirs.region.clone()).filter(|r| !r.is_empty()),
                colour: theirs.colour.clone().or(own.colour.clone()),
                // Only the viewer's own word protects or not (a state may add, never
                // take away: it is or-ed, and the guard reads the viewer's config).
                protected: theirs.protected || own.protected,
                ..own.clone()
            })
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_viewer_acts_in_the_collectors_regions_with_its_own_accounts() {
        let scope = |label: Option<&str>, region: &str| crate::model::scope::Scope {
            label: label.map(str::to_string),
            region: region.into(),
            ..Default::default()
        };
        let mine = vec![ScopeSpec {
            label: Some("dev".into()),
            role_arn: Some("arn:aws:iam::222222222222:role/viewer".into()),
            region: Some("eu-west-1".into()),
            ..ScopeSpec::default()
        }];
        let specs = viewer_scopes(
            &[
                scope(Some("dev"), "us-east-1"),
                scope(Some("prod"), "us-west-2"),
            ],
            &mine,
            Some("oncall"),
        );
        assert_eq!(specs[0].role_arn.as_deref(), mine[0].role_arn.as_deref());
        assert_eq!(specs[0].region.as_deref(), Some("us-east-1"));
        assert_eq!(specs[0].profile.as_deref(), Some("oncall"));
        // prod is not in the viewer's config: no credentials, never the base ones.
        assert_eq!(specs.len(), 1, "{specs:?}");
        // One unlabelled account on both sides: the viewer's own base credentials.
        let base = vec![ScopeSpec::default()];
        let specs = viewer_scopes(&[scope(None, "us-east-1")], &base, Some("oncall"));
        assert_eq!(specs.len(), 1);
        assert_eq!(specs[0].profile.as_deref(), Some("oncall"));
    }

    fn parse(text: &str) -> Result<crate::config::Config, String> {
        crate::config::Config::parse(std::path::Path::new("c.toml"), text)
            .map_err(|e| e.to_string())
    }

    #[test]
    fn accounts_times_regions_are_the_scopes() {
        let c = parse(
            r#"
[aws]
regions = ["us-east-1", "us-west-2"]

[[accounts]]
label = "prod"
role_arn = "arn:aws:iam::111111111111:role/mlopsdash-read"
colour = "red"
protected = true

[[accounts]]
label = "dev"
profile = "dev-sso"
regions = ["eu-west-1"]
"#,
        )
        .unwrap();
        let s = c.scopes(&[], None);
        let names: Vec<(Option<&str>, Option<&str>)> = s
            .iter()
            .map(|s| (s.label.as_deref(), s.region.as_deref()))
            .collect();
        assert_eq!(
            names,
            [
                (Some("prod"), Some("us-east-1")),
                (Some("prod"), Some("us-west-2")),
                (Some("dev"), Some("eu-west-1")),
            ]
        );
        assert!(s[0].protected && s[0].role_arn.is_some() && s[0].colour.as_deref() == Some("red"));
        assert_eq!(s[2].profile.as_deref(), Some("dev-sso"));
        // --region wins over every list.
        let s = c.scopes(&["ap-south-1".into()], Some("base"));
        assert_eq!(s.len(), 2);
        assert!(s.iter().all(|s| s.region.as_deref() == Some("ap-south-1")));
        assert_eq!(s[0].profile.as_deref(), Some("base"));
    }

    #[test]
    fn without_accounts_one_account_in_each_region() {
        let c = parse("").unwrap();
        assert_eq!(c.scopes(&[], Some("p")).len(), 1);
        assert_eq!(c.scopes(&[], None)[0].region, None);
        let s = c.scopes(&["us-east-1".into(), "us-west-2".into()], None);
        assert_eq!(s.len(), 2);
        assert_eq!(s[1].label, None);
    }

    #[test]
    fn bad_accounts_are_told_where() {
        let cases = [
            (
                "[[accounts]]\nlabel = \"prod env\"\n",
                "c.toml:2:9",
                "letters, digits",
            ),
            (
                "[[accounts]]\nlabel = \"a\"\n[[accounts]]\nlabel = \"a\"\n",
                "c.toml:4:9",
                "used twice",
            ),
            (
                "[[accounts]]\nlabel = \"a\"\nrole_arn = \"arn:aws:iam::12:role/x\"\n",
                "c.toml:3:12",
                "not a role ARN",
            ),
            (
                "[[accounts]]\nlabel = \"a\"\ncolour = \"rosso\"\n",
                "c.toml:3:10",
                "not a colour",
            ),
            (
                "[aws]\nregions = [\"useast1\"]\n",
                "c.toml:2:12",
                "not a region",
            ),
            (
                "[[accounts]]\nlabel = \"a\"\nregion = \"us-east-1\"\n",
                "c.toml:3:1",
                "unknown field",
            ),
        ];
        for (text, at, says) in cases {
            let e = parse(text).unwrap_err();
            assert!(e.contains(at) && e.contains(says), "{text}: {e}");
        }
    }

    #[test]
    fn regions_look_like_regions() {
        for r in [
            "us-east-1",
            "ap-southeast-2",
            "us-gov-west-1",
            "eu-central-2",
        ] {
            assert!(is_region(r), "{r}");
        }
        for r in ["useast1", "us-east", "US-EAST-1", "us--1", ""] {
            assert!(!is_region(r), "{r}");
        }
    }
}
