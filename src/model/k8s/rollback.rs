//! A rollback on Kubernetes as data: which object, the resourceVersion it was read
//! at, and the exact PATCH (path, media type, body) the confirmation shows, the
//! audit log records and the executor sends. Paths are the Kubernetes and KServe
//! API references' own. Pure.

use serde_json::{json, Value};

/// Media types of the two patch kinds sent.
pub const MERGE_PATCH: &str = "application/merge-patch+json";
pub const JSON_PATCH: &str = "application/json-patch+json";

/// One object, as read before the dialog opened.
#[derive(Debug, Clone, PartialEq)]
pub struct Target {
    pub cluster: String,
    pub namespace: String,
    pub name: String,
    /// What the API server must still have: a change since refuses the patch.
    pub resource_version: String,
}

impl Target {
    /// "namespace/name".
    pub fn id(&self) -> String {
        format!("{}/{}", self.namespace, self.name)
    }

    /// The InferenceService's path.
    pub fn inference_service_path(&self) -> String {
        format!(
            "/apis/serving.kserve.io/v1beta1/namespaces/{}/inferenceservices/{}",
            self.namespace, self.name
        )
    }

    /// The merge patch that drops the canary, resourceVersion included (a
    /// conflict, not a silent overwrite, if someone changed it since).
    pub fn canary_off(&self) -> Value {
        json!({
            "metadata": { "resourceVersion": self.resource_version },
            "spec": { "predictor": { "canaryTrafficPercent": 0 } },
        })
    }

    pub fn arguments(&self) -> Value {
        json!({
            "cluster": self.cluster,
            "request": format!("PATCH {}", self.inference_service_path()),
            "content_type": MERGE_PATCH,
            "body": self.canary_off(),
        })
    }
}

/// A Deployment back to an older ReplicaSet's template.
#[derive(Debug, Clone, PartialEq)]
pub struct Undo {
    pub target: Target,
    /// The Deployment's revision now, and the ReplicaSet revision gone back to.
    pub from_revision: u64,
    pub to_revision: u64,
    /// That ReplicaSet's pod template, its `pod-template-hash` label taken out (as
    /// `kubectl rollout undo` does).
    pub template: Value,
}

impl Undo {
    pub fn path(&self) -> String {
        format!(
            "/apis/apps/v1/namespaces/{}/deployments/{}",
            self.target.namespace, self.target.name
        )
    }

    /// The JSON patch: test the resourceVersion read, then replace the template.
    pub fn patch(&self) -> Value {
        json!([
            { "op": "test", "path": "/metadata/resourceVersion", "value": self.target.resource_version },
            { "op": "replace", "path": "/spec/template", "value": self.template },
        ])
    }

    /// The first container's image in the template gone back to.
    pub fn image(&self) -> Option<&str> {
        self.template["spec"]["containers"][0]["image"].as_str()
    }

    pub fn arguments(&self) -> Value {
        json!({
            "cluster": self.target.cluster,
            "request": format!("PATCH {}", self.path()),
            "content_type": JSON_PATCH,
            "body": self.patch(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_patches_are_the_ones_the_references_document() {
        let t = Target {
            cluster: "ml".into(),
            namespace: "serving".into(),
            name: "fraud".into(),
            resource_version: "52301".into(),
        };
        assert_eq!(
            t.arguments(),
            json!({
                "cluster": "ml",
                "request": "PATCH /apis/serving.kserve.io/v1beta1/namespaces/serving/inferenceservices/fraud",
                "content_type": "application/merge-patch+json",
                "body": {"metadata": {"resourceVersion": "52301"}, "spec": {"predictor": {"canaryTrafficPercent": 0}}},
            })
        );
        let u = Undo {
            target: Target {
                namespace: "apps".into(),
                name: "pricing-api".into(),
                ..t
            },
            from_revision: 3,
            to_revision: 2,
            template: json!({"spec": {"containers": [{"image": "pricing-api:1.3.2"}]}}),
        };
        assert_eq!(u.image(), Some("pricing-api:1.3.2"));
        let args = u.arguments();
        assert_eq!(
            args["request"],
            "PATCH /apis/apps/v1/namespaces/apps/deployments/pricing-api"
        );
        assert_eq!(args["body"][0]["op"], "test");
        assert_eq!(args["body"][1]["path"], "/spec/template");
    }
}
