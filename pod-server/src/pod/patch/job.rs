//! A patch applied to a stored resource: read it, run the patch on the work pool, and write the
//! result back only if nothing changed in between (retried a few times under contention).

use op_protocol::media::RdfFormat;
use op_protocol::path::{PodName, ResourcePath};

use crate::pod::conditions::Conditions;
use crate::pod::error::PodError;
use crate::pod::model::Kind;
use crate::pod::ops::{Content, Written, put, resource};
use crate::store::Store;

/// What a patch needs besides the resource: the parsed patch, the resource's URL and budget.
#[derive(Debug, Clone)]
pub struct PatchJob {
    /// The parsed patch.
    pub patch: std::sync::Arc<super::Patch>,
    /// The patched resource's URL, to resolve relative IRIs in the stored document.
    pub base: String,
    /// What parsing the stored document may build.
    pub budget: crate::pod::rdf::Budget,
}

impl PatchJob {
    /// Parses the stored body (if any), applies the patch and serialises the result.
    fn run(&self, format: RdfFormat, stored: Option<&[u8]>) -> Result<Vec<u8>, PodError> {
        let quads = match stored {
            None => Vec::new(),
            Some(body) => crate::pod::rdf::parse(format, body, &self.base, self.budget)?,
        };
        let patched = self.patch.apply(quads)?;
        let max = self.budget.max_triples;
        if patched.len() > max {
            return Err(PodError::TooLarge(format!(
                "the patched resource would hold {} triples; the limit is {max}",
                patched.len()
            )));
        }
        Ok(crate::pod::rdf::serialize(&patched, format)?.into_bytes())
    }
}

/// Applies an N3 Patch: read, patch (on the work pool), write back with a check that nothing
/// changed in between (retried a few times under contention). Creates the resource if it does
/// not exist.
pub async fn patch(
    store: &Store,
    target: (&PodName, &ResourcePath),
    job: &PatchJob,
    conditions: Conditions,
    work: &crate::pod::work::Work,
    now: u64,
) -> Result<Written, PodError> {
    let (pod, path) = target;
    if path.is_container() {
        return Err(PodError::Conflict(
            "containers cannot be patched; their contents are managed by the server".into(),
        ));
    }
    for _ in 0..5 {
        let current = resource(store, pod, path)?;
        let format = match &current {
            None => RdfFormat::Turtle,
            Some(r) => (r.meta.kind == Kind::Rdf)
                .then(|| RdfFormat::from_media_type(&r.meta.media_type))
                .flatten()
                .ok_or_else(|| {
                    PodError::UnsupportedMediaType(format!(
                        "{path} is stored as {}, not RDF, so it cannot be patched",
                        r.meta.media_type
                    ))
                })?,
        };
        let (job, stored) = (job.clone(), current.as_ref().map(|r| r.body.clone()));
        let body = work
            .run(move || job.run(format, stored.as_deref()))
            .await??;
        let content = Content::Document {
            kind: Kind::Rdf,
            media_type: format.media_type().into(),
            body,
        };
        let checked = Conditions {
            expect: Some(current.map(|r| r.meta.etag)),
            ..conditions.clone()
        };
        match put(store, pod, path, content, checked, now).await {
            Err(PodError::Contended) => continue,
            other => return other,
        }
    }
    Err(PodError::Contended)
}
