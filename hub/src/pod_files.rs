//! A worker's pod, resource by resource, read and written with a one-minute owner token the hub
//! signs for itself (the hub is the worker's own app here): the export's zip and moving a
//! worker's data to another pod walk it the same way. Every failure is an error — a walk never
//! returns part of a pod as if it were all of it. A pod the worker runs themselves is called
//! through [`crate::outbound`] like every address a user gave; a hosted one through the hub's
//! own client (its pod provider is the operator's).

use crate::account::PodLink;
use crate::state::Hub;
use op_protocol::media::RdfFormat;
use reqwest::{Method, RequestBuilder};

/// Most resources one walk visits.
pub const MAX_RESOURCES: usize = 100_000;
/// Largest body read from a pod (the pod server's own limit for a body is below it).
pub const MAX_BODY: usize = 32 * 1024 * 1024;

/// One resource: its path inside the pod (containers end with `/`; the root is `""`), its media
/// type and its bytes exactly as the pod served them (a container's as a JSON-LD listing).
#[derive(Debug, Clone)]
pub struct PodFile {
    /// The path below the pod's root.
    pub path: String,
    /// The `Content-Type` the pod served it with.
    pub media_type: String,
    /// The stored bytes.
    pub body: Vec<u8>,
}

impl PodFile {
    /// Whether this is a container.
    pub fn is_container(&self) -> bool {
        self.path.is_empty() || self.path.ends_with('/')
    }

    /// A container's own description, from its JSON-LD listing in the pod at `root`: what the
    /// worker wrote, without what the server generates (containment, LDP and storage types,
    /// modification time), as a JSON-LD body a `PUT` of the container takes; empty for none.
    pub fn description(&self, root: &str) -> Vec<u8> {
        use op_protocol::vocab::{RDF_TYPE, dcterms, ldp, pim};
        let here = format!("{root}{}", self.path);
        let generated_types = [
            ldp::RESOURCE,
            ldp::CONTAINER,
            ldp::BASIC_CONTAINER,
            pim::STORAGE,
        ];
        let Ok(serde_json::Value::Array(nodes)) = serde_json::from_slice(&self.body) else {
            return Vec::new();
        };
        let kept: Vec<serde_json::Value> = nodes
            .into_iter()
            .filter_map(|mut node| {
                let object = node.as_object_mut()?;
                if object.get("@id").and_then(|v| v.as_str()) == Some(here.as_str()) {
                    object.remove(ldp::CONTAINS);
                    object.remove(dcterms::MODIFIED);
                    if let Some(serde_json::Value::Array(types)) = object.get_mut("@type") {
                        types.retain(|t| !t.as_str().is_some_and(|t| generated_types.contains(&t)));
                        if types.is_empty() {
                            object.remove("@type");
                        }
                    }
                    object.remove(RDF_TYPE);
                }
                (object.len() > 1).then_some(node)
            })
            .collect();
        if kept.is_empty() {
            Vec::new()
        } else {
            serde_json::Value::Array(kept).to_string().into_bytes()
        }
    }
}

/// A worker's pod, as the hub sees it on their behalf.
#[derive(Debug, Clone, Copy)]
pub struct Pod<'a> {
    hub: &'a Hub,
    webid: &'a str,
    root: &'a str,
    hosted: bool,
}

impl<'a> Pod<'a> {
    /// The worker's pod `link`, owned by `webid`.
    pub fn new(hub: &'a Hub, webid: &'a str, link: &'a PodLink) -> Pod<'a> {
        Pod {
            hub,
            webid,
            root: &link.root,
            hosted: link.hosted,
        }
    }

    /// The root's status for a `HEAD` with `token` instead of the owner's.
    pub async fn status_with(&self, token: &str) -> Result<u16, String> {
        let res = self
            .request(Method::HEAD, self.root, token)?
            .send()
            .await
            .map_err(|e| format!("cannot reach {}: {e}", self.root))?;
        Ok(res.status().as_u16())
    }

    /// A request with `token`.
    fn request(&self, method: Method, url: &str, token: &str) -> Result<RequestBuilder, String> {
        let builder = if self.hosted {
            self.hub.http.request(method, url)
        } else {
            let parsed = url::Url::parse(url).map_err(|e| format!("{url} is not a URL: {e}"))?;
            self.hub
                .outbound
                .request(method, &parsed)
                .map_err(|e| e.to_string())?
        };
        Ok(builder.bearer_auth(token))
    }

    /// The pod's root URL.
    pub fn root(&self) -> &str {
        self.root
    }

    fn token(&self) -> String {
        crate::provider::dashboard_token(self.hub, self.webid, self.root)
    }

    /// Every resource, containers first, walking listings breadth-first. Only children under a
    /// container are followed, so a listing cannot send the walk outside the pod.
    pub async fn read_all(&self) -> Result<Vec<PodFile>, String> {
        let mut files = Vec::new();
        let mut queue = std::collections::VecDeque::from([String::new()]);
        while let Some(path) = queue.pop_front() {
            if files.len() >= MAX_RESOURCES {
                return Err(format!(
                    "the pod at {} holds more than {MAX_RESOURCES} resources",
                    self.root
                ));
            }
            let file = self.get(&path).await?;
            if file.is_container() {
                let listing = serde_json::from_slice(&file.body).map_err(|e| {
                    format!("the listing of {}{path} is not JSON-LD: {e}", self.root)
                })?;
                let here = format!("{}{path}", self.root);
                queue.extend(
                    op_protocol::container::contained(&listing)
                        .into_iter()
                        .filter(|child| child.len() > here.len() && child.starts_with(&here))
                        .map(|child| child[self.root.len()..].to_owned()),
                );
            }
            files.push(file);
        }
        Ok(files)
    }

    /// One resource, as stored (containers as their JSON-LD listing).
    pub async fn get(&self, path: &str) -> Result<PodFile, String> {
        let url = format!("{}{path}", self.root);
        let accept = if path.is_empty() || path.ends_with('/') {
            RdfFormat::JsonLd.media_type()
        } else {
            "*/*"
        };
        let mut res = self
            .request(Method::GET, &url, &self.token())?
            .header("Accept", accept)
            .send()
            .await
            .map_err(|e| format!("cannot read {url}: {e}"))?;
        if !res.status().is_success() {
            return Err(format!("cannot read {url}: HTTP {}", res.status().as_u16()));
        }
        let media_type = res
            .headers()
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("application/octet-stream")
            .to_owned();
        let mut body = Vec::new();
        while let Some(chunk) = res
            .chunk()
            .await
            .map_err(|e| format!("cannot read {url}: {e}"))?
        {
            if body.len() + chunk.len() > MAX_BODY {
                return Err(format!("{url} is larger than {MAX_BODY} bytes"));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(PodFile {
            path: path.to_owned(),
            media_type,
            body,
        })
    }

    /// Deletes the resource at `path` (gone already counts as deleted).
    pub async fn delete(&self, path: &str) -> Result<(), String> {
        let url = format!("{}{path}", self.root);
        let res = self
            .request(Method::DELETE, &url, &self.token())?
            .send()
            .await
            .map_err(|e| format!("cannot delete {url}: {e}"))?;
        match res.status().as_u16() {
            200..=299 | 404 => Ok(()),
            code => Err(format!(
                "the pod at {} did not delete {path} (HTTP {code})",
                self.root
            )),
        }
    }

    /// Writes a document, or a container with the description in its body (none when empty), at
    /// its path, replacing what is there.
    pub async fn put(&self, file: &PodFile) -> Result<(), String> {
        let url = format!("{}{}", self.root, file.path);
        let mut req = self.request(Method::PUT, &url, &self.token())?;
        if !file.body.is_empty() {
            req = req
                .header("Content-Type", &file.media_type)
                .body(file.body.clone());
        }
        let res = req
            .send()
            .await
            .map_err(|e| format!("cannot write {url}: {e}"))?;
        if res.status().is_success() {
            return Ok(());
        }
        // Our own words: a foreign server's body is never shown to the worker.
        let why = match res.status().as_u16() {
            507 => "it is full (its quota is reached)",
            413 => "the resource is larger than it accepts",
            401 | 403 => "it does not accept the hub's owner token",
            _ => "it answered with an error",
        };
        Err(format!(
            "the pod at {} did not store {} ({why}, HTTP {})",
            self.root,
            file.path,
            res.status().as_u16()
        ))
    }
}
