//! Container listings as a pod serves them in JSON-LD (expanded form, absolute IRIs): which
//! resources a container contains. The connector, the hub's backpack and its export read
//! listings through this one function.

use serde_json::Value;

/// The absolute URLs of the resources `listing` says its container contains
/// (`ldp:contains`), in the order listed; anything else in the document is ignored.
pub fn contained(listing: &Value) -> Vec<String> {
    listing
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|node| node.get(crate::vocab::ldp::CONTAINS))
        .filter_map(Value::as_array)
        .flatten()
        .filter_map(|v| v.get("@id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_contained_resources_are_read_from_every_node() {
        let listing = serde_json::json!([
            {
                "@id": "https://pods.example/alice/gigs/",
                "http://www.w3.org/ns/ldp#contains": [
                    { "@id": "https://pods.example/alice/gigs/acme/" },
                    { "@id": "https://pods.example/alice/gigs/other/" },
                    { "@value": "not a resource" }
                ]
            },
            { "@id": "https://pods.example/alice/gigs/acme/" }
        ]);
        assert_eq!(
            contained(&listing),
            [
                "https://pods.example/alice/gigs/acme/",
                "https://pods.example/alice/gigs/other/"
            ]
        );
        assert!(contained(&serde_json::json!({"not": "a listing"})).is_empty());
    }
}
