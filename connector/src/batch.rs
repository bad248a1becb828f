//! Several JSON documents in one file: a single object, a JSON array, or one object per line.

use serde_json::Value;
use thiserror::Error;

/// The input is none of the three forms.
#[derive(Debug, Error)]
#[error("expected a JSON object, a JSON array of objects, or one JSON object per line: {0}")]
pub struct BatchError(String);

/// How documents were laid out, so output can use the same layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    /// One object.
    Single,
    /// A JSON array.
    Array,
    /// One object per line (JSON Lines).
    Lines,
}

/// Reads documents and their layout.
pub fn read(text: &str) -> Result<(Layout, Vec<Value>), BatchError> {
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Array(items)) => Ok((Layout::Array, items)),
        // `opctl matcher fetch --json` output: its accepted and rejected records, as they were read.
        Ok(Value::Object(report)) if report.get("accepted").is_some_and(Value::is_array) => {
            let records = ["accepted", "rejected"]
                .iter()
                .filter_map(|k| report.get(*k).and_then(Value::as_array))
                .flatten()
                .filter_map(|entry| entry.get("record").cloned())
                .collect();
            Ok((Layout::Array, records))
        }
        Ok(v @ Value::Object(_)) => Ok((Layout::Single, vec![v])),
        Ok(other) => Err(BatchError(format!("found a JSON {}", kind(&other)))),
        Err(whole) => text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
            .map(|(i, l)| {
                serde_json::from_str::<Value>(l).map_err(|e| {
                    BatchError(format!(
                        "as one document: {whole}; as JSON Lines, line {}: {e}",
                        i + 1
                    ))
                })
            })
            .collect::<Result<Vec<_>, _>>()
            .map(|docs| (Layout::Lines, docs)),
    }
}

/// Writes documents in `layout` (a single layout with several documents becomes an array).
pub fn write(layout: Layout, docs: &[Value]) -> String {
    let pretty = |v: &Value| serde_json::to_string_pretty(v).unwrap_or_default();
    match (layout, docs) {
        (Layout::Single, [one]) => pretty(one) + "\n",
        (Layout::Lines, _) => docs.iter().map(|d| d.to_string() + "\n").collect(),
        _ => pretty(&Value::Array(docs.to_vec())) + "\n",
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "boolean",
        Value::Number(_) => "number",
        Value::String(_) => "string",
        Value::Array(_) => "array",
        Value::Object(_) => "object",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_three_layouts_read_and_write_back() {
        let (l, d) = read("{\"a\":1}").unwrap();
        assert_eq!((l, d.len()), (Layout::Single, 1));
        let (l, d) = read("[{\"a\":1},{\"a\":2}]").unwrap();
        assert_eq!((l, d.len()), (Layout::Array, 2));
        let (l, d) = read("{\"a\":1}\n\n{\"a\":2}\n").unwrap();
        assert_eq!((l, d.len()), (Layout::Lines, 2));
        assert_eq!(write(Layout::Lines, &d), "{\"a\":1}\n{\"a\":2}\n");
        assert!(read("3").is_err());
        assert!(read("{\"a\":1}\nnope").is_err());
    }

    #[test]
    fn fetch_json_output_reads_as_its_records() {
        let report = r#"{"accepted": [{"url": "u1", "record": {"id": "a"}}],
            "rejected": [{"url": "u2", "reason": "revoked by acme"}], "platforms": []}"#;
        let (layout, docs) = read(report).unwrap();
        assert_eq!(layout, Layout::Array);
        assert_eq!(docs, vec![serde_json::json!({"id": "a"})]);
    }
}
